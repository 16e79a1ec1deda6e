"""The bundled asset under AWS's runtime interface client: Lambda's log formats and levels, and a failed import.

The handler runs as Lambda runs it (``python -m awslambdaric index.handler`` in the asset
folder, see :mod:`testkit.lambda_process`), with ``AWS_LAMBDA_LOG_FORMAT`` and
``AWS_LAMBDA_LOG_LEVEL`` as Lambda sets them from the function's ``LoggingConfig``. Each
run is a warm container taking a Create (applied), a no-op Update (skipped), a Create with
bad properties (FAILED) and a Delete; what the runtime writes to stdout is the function's log.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from cdk_appintegrations.bundling import write_bundle

from testkit.association_properties import changed
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import AppIntegrationsEmulator
from testkit.lambda_process import DUMMY_CREDENTIALS, InvocationResult, LoggingConfig, invoke_many
from tests.integration.handler_runs import ASSOC, DI, STACK_ID, event, properties

pytestmark = pytest.mark.integration

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
THRESHOLDS = {"DEBUG": 10, "INFO": 20, "WARN": 30, None: 20}  # no level given: the provider's INFO
# Lambda's text format: level, time, request id (empty at init), message.
TEXT_LINE = re.compile(
    r"^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t([0-9a-f-]{36}|)\t"
)
OUTCOMES = ["APPLIED", "SKIPPED", "FAILED", "DELETED"]  # one per event, in order
OUTCOME_LEVELS = {"APPLIED": 20, "SKIPPED": 20, "FAILED": 40, "DELETED": 20}


@pytest.fixture(scope="session")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider's Lambda asset as the construct bundles it (handler and crhelper)."""
    directory = tmp_path_factory.mktemp("asset")
    write_bundle(directory)
    return directory


@pytest.fixture(scope="session")
def asset_without_crhelper(asset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The asset with crhelper missing: the handler cannot be imported."""
    directory = tmp_path_factory.mktemp("broken") / "asset"
    shutil.copytree(asset, directory, ignore=shutil.ignore_patterns("crhelper"))
    return directory


def lifecycle(receiver: CfnResponseReceiver, tag: str) -> list[dict[str, Any]]:
    created, physical = properties(), f"{DI}|{ASSOC}"
    bad = changed(properties(), "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1700000000000")
    return [
        event(receiver, "Create", created, f"{tag}-create"),
        event(receiver, "Update", created, f"{tag}-noop", OldResourceProperties=created, PhysicalResourceId=physical),
        event(receiver, "Create", bad, f"{tag}-bad"),
        event(receiver, "Delete", created, f"{tag}-delete", PhysicalResourceId=physical),
    ]


def one_answer_each(receiver: CfnResponseReceiver, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bodies = []
    for sent in events:
        responses = receiver.wait_for(sent["RequestId"], timeout=20, settle=0.3)
        assert len(responses) == 1, [r.body for r in responses]
        assert responses[0].problems == []
        bodies.append(responses[0].body)
    return bodies


def assert_no_secret(receiver: CfnResponseReceiver, events: list[dict[str, Any]], output: str) -> None:
    for sent in events:
        signature, token = receiver.secrets_for(sent["RequestId"])
        assert signature not in output
        assert token not in output
    for credential in (DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"]):
        assert credential not in output


def lines_of(result: InvocationResult) -> list[str]:
    """The invocation's log lines (split at line feeds only: a carriage return stays within its record)."""
    return [line for line in result.stdout.split("\n") if line]


@pytest.fixture
def run(
    asset: Path,
    fresh_emulator: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
) -> Any:
    def go(log_format: str, level: str | None) -> tuple[list[dict[str, Any]], list[InvocationResult]]:
        fresh_emulator.add_association(DI, ASSOC)
        events = lifecycle(fresh_receiver, f"{log_format}-{level}")
        results = invoke_many(
            asset, events, env=lambda_env, logging_config=LoggingConfig(log_format, level), timeout_ms=30_000
        )
        return events, results

    return go


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARN"])
def test_under_the_json_format_every_record_is_one_runtime_object_at_the_level_set(
    run: Any, fresh_receiver: CfnResponseReceiver, fresh_emulator: AppIntegrationsEmulator, level: str
) -> None:
    events, results = run("JSON", level)
    assert [r.status for r in results] == ["ok"] * 4
    bodies = one_answer_each(fresh_receiver, events)
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS", "FAILED", "SUCCESS"]
    assert len(fresh_emulator.update_calls()) == 1  # the no-op Update made no call
    threshold = THRESHOLDS[level]
    for result, outcome in zip(results, OUTCOMES, strict=True):
        assert result.stderr == ""
        records = [json.loads(line) for line in lines_of(result)]  # one object per line, or this raises
        assert records or threshold > OUTCOME_LEVELS[outcome]
        for record in records:
            assert record["requestId"] == result.request_id  # the runtime's, for every record
            assert record["timestamp"].endswith("Z")
            assert LEVELS[record["level"]] >= threshold, record
        outcomes = [r for r in records if "outcome" in r]
        if OUTCOME_LEVELS[outcome] >= threshold:
            [record] = outcomes
            assert record["outcome"] == outcome
            assert record["logical_resource_id"] == "Sync"
        else:
            assert outcomes == []
    assert any(record["level"] == "DEBUG" for r in results for record in map(json.loads, lines_of(r))) is (
        level == "DEBUG"
    )
    [failed] = [json.loads(line) for line in lines_of(results[2]) if '"outcome": "FAILED"' in line]
    assert failed["reason"] == bodies[2]["Reason"]
    assert failed["level"] == "ERROR"
    crhelper_error = [json.loads(line) for line in lines_of(results[2]) if '"errorType"' in line]
    assert [(r["logger"], r["errorType"]) for r in crhelper_error] == [("crhelper.resource_helper", "ContractError")]
    assert_no_secret(fresh_receiver, events, "".join(r.output for r in results))


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARN", None])
def test_under_the_text_format_every_record_is_one_readable_line_at_the_level_set(
    run: Any, fresh_receiver: CfnResponseReceiver, level: str | None
) -> None:
    events, results = run("Text", level)
    assert [r.status for r in results] == ["ok"] * 4
    bodies = one_answer_each(fresh_receiver, events)
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS", "FAILED", "SUCCESS"]
    threshold = THRESHOLDS[level]
    for result, outcome in zip(results, OUTCOMES, strict=True):
        assert result.stderr == ""
        lines = lines_of(result)
        for line in lines:
            match = TEXT_LINE.match(line)
            assert match is not None, line  # each line is a whole record
            assert match.group(2) == result.request_id
            assert LEVELS[match.group(1)] >= threshold, line
        with_outcome = [line for line in lines if '"outcome": ' in line]
        if OUTCOME_LEVELS[outcome] >= threshold:
            [line] = with_outcome
            fields = json.loads(line[line.index("{") :])  # the record's fields, after its message
            assert fields["outcome"] == outcome
        else:
            assert with_outcome == []
    [failed] = [line for line in lines_of(results[2]) if '"outcome": "FAILED"' in line]
    assert json.dumps(bodies[2]["Reason"]) in failed
    tracebacks = [line for line in lines_of(results[2]) if "Traceback (most recent call last):" in line]
    assert len(tracebacks) == 1  # crhelper's error record, its traceback folded into its line
    assert "\rappintegrations_cr.problems.ContractError: " in tracebacks[0]
    assert_no_secret(fresh_receiver, events, "".join(r.output for r in results))


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_a_handler_that_cannot_be_imported_answers_at_once_and_never_blocks_the_rollback(
    asset_without_crhelper: Path,
    fresh_emulator: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    log_format: str,
) -> None:
    physical = f"{DI}|{ASSOC}"
    events = [
        event(fresh_receiver, "Create", properties(), f"{log_format}-c"),
        event(
            fresh_receiver,
            "Update",
            properties(),
            f"{log_format}-u",
            OldResourceProperties=properties(),
            PhysicalResourceId=physical,
        ),
        event(
            fresh_receiver,
            "Delete",
            properties(),
            f"{log_format}-d",
            PhysicalResourceId="cdk-appintegrations:CREATE_FAILED:Sync",
        ),
    ]
    results = invoke_many(
        asset_without_crhelper,
        events,
        env=lambda_env,
        logging_config=LoggingConfig(log_format, "INFO"),
        timeout_ms=30_000,
    )
    assert [r.status for r in results] == ["ok"] * 3  # no init error, so no Lambda retry answers again
    assert [r.cold_start for r in results] == [True, False, False]
    bodies = one_answer_each(fresh_receiver, events)
    assert [(b["Status"], b["PhysicalResourceId"]) for b in bodies] == [
        ("FAILED", "cdk-appintegrations:CREATE_FAILED:Sync"),
        ("FAILED", physical),
        ("SUCCESS", "cdk-appintegrations:CREATE_FAILED:Sync"),
    ]
    assert bodies[0]["Reason"].startswith(
        "The provider could not load its code (ModuleNotFoundError: No module named 'crhelper'), so it applied nothing."
    )
    assert bodies[1]["Reason"] == bodies[0]["Reason"]
    assert fresh_emulator.update_calls() == []
    init_log = lines_of(results[0])
    # The import error (with its traceback), then for each answer the delivery's line (as for
    # every answer of the provider) and the answer's own.
    assert len(init_log) == 3
    assert "could not be imported" in init_log[0]
    assert "No module named 'crhelper'" in init_log[0]
    assert "response delivered" in init_log[1]
    if log_format == "JSON":
        records = [json.loads(line) for r in results for line in lines_of(r)]
        assert records[0]["errorType"] == "ModuleNotFoundError"
        assert [r.get("outcome") for r in records[1:] if r["message"] != "response delivered"] == [
            "FAILED",
            "FAILED",
            "DELETED",
        ]
        assert [(r["status"], r["attempts"]) for r in records if r["message"] == "response delivered"] == [(200, 1)] * 3
    else:
        assert all(TEXT_LINE.match(line) for r in results for line in lines_of(r))
        assert "\tthe provider's code could not be imported\rTraceback (most recent call last):\r" in init_log[0]
    assert_no_secret(fresh_receiver, events, "".join(r.output for r in results))
    assert STACK_ID in bodies[0]["StackId"]
