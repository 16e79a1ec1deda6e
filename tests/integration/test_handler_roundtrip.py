"""The handler for real: separate process, Lambda-like environment, HTTP to the emulator, HTTPS back.

Each test drives `lambda_src/index.handler` exactly as Lambda would, the AppIntegrations
call goes over HTTP to the local emulator (which checks the request against botocore's
model and the SigV4 header), and crhelper PUTs its answer to the local HTTPS receiver.
"""

from __future__ import annotations

import re
import time

import pytest

from testkit.account import arn
from testkit.association_properties import ON_DEMAND, SCHEDULED, changed
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import AppIntegrationsEmulator
from testkit.lambda_process import DUMMY_CREDENTIALS, LoggingConfig
from tests.integration.handler_runs import (
    ASSOC,
    DI,
    answer,
    assert_no_secrets,
    event,
    invoke_create,
    log_records,
    properties,
    run_handler,
)

pytestmark = pytest.mark.integration


def test_create_applies_once_and_answers_success(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_association(DI, ASSOC)
    result = invoke_create(fresh_receiver, properties(), "c1", lambda_env)
    assert result.ok, result.output
    body = answer(fresh_receiver, "c1")
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", f"{DI}|{ASSOC}")
    [call] = fresh_emulator.update_calls()
    assert call.identifiers == {"DataIntegrationIdentifier": DI, "DataIntegrationAssociationIdentifier": ASSOC}
    assert call.body == {"ExecutionConfiguration": ON_DEMAND["ExecutionConfiguration"]}
    applied = [r for r in log_records(result) if r.get("outcome") == "APPLIED"]
    assert applied
    assert applied[0]["data_integration_association_identifier"] == ASSOC
    assert_no_secrets(fresh_receiver, "c1", result)


def test_arn_identifiers_reach_the_service_intact(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    association = fresh_emulator.add_association(DI, ASSOC)
    props = properties(
        DataIntegrationIdentifier=association.data_integration_arn,
        DataIntegrationAssociationIdentifier=association.association_arn,
    )
    invoke_create(fresh_receiver, props, "arn1", lambda_env)
    assert answer(fresh_receiver, "arn1")["Status"] == "SUCCESS"
    assert fresh_emulator.get_association(DI, ASSOC).update_count == 1


def test_warm_container_lifecycle_calls_only_when_something_changed(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_association(DI, ASSOC)
    created = properties()
    new_token = properties(ServiceToken=arn("lambda", "function:provider-v2"))
    rerun = properties(ServiceToken=new_token["ServiceToken"], RerunToken="2025-06-01")
    scheduled = properties(SCHEDULED, ServiceToken=new_token["ServiceToken"], RerunToken="2025-06-01")
    physical = f"{DI}|{ASSOC}"
    events = [
        event(fresh_receiver, "Create", created, "w1"),
        event(fresh_receiver, "Update", new_token, "w2", OldResourceProperties=created, PhysicalResourceId=physical),
        event(fresh_receiver, "Update", rerun, "w3", OldResourceProperties=new_token, PhysicalResourceId=physical),
        event(fresh_receiver, "Update", scheduled, "w4", OldResourceProperties=rerun, PhysicalResourceId=physical),
        event(fresh_receiver, "Delete", scheduled, "w5", PhysicalResourceId=physical),
    ]
    results = run_handler(events, lambda_env)
    assert [r.cold_start for r in results] == [True, False, False, False, False]
    bodies = [answer(fresh_receiver, f"w{i}", settle=0) for i in range(1, 6)]
    assert [b["Status"] for b in bodies] == ["SUCCESS"] * 5
    assert {b["PhysicalResourceId"] for b in bodies} == {physical}
    calls = fresh_emulator.update_calls()
    assert [c.body["ExecutionConfiguration"]["ExecutionMode"] for c in calls] == ["ON_DEMAND", "ON_DEMAND", "SCHEDULED"]
    assert results[4].duration_s < 1.0


def test_throttling_and_5xx_are_retried_until_success(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_association(DI, ASSOC)
    fresh_emulator.inject("throttle")
    fresh_emulator.inject("internal")
    invoke_create(fresh_receiver, properties(), "t1", lambda_env)
    assert answer(fresh_receiver, "t1")["Status"] == "SUCCESS"
    assert [c.status for c in fresh_emulator.update_calls()] == [429, 500, 200]


def test_persistent_5xx_gives_up_with_the_last_error(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_association(DI, ASSOC)
    fresh_emulator.inject("internal", times=10)
    invoke_create(fresh_receiver, properties(), "g1", lambda_env)
    body = answer(fresh_receiver, "g1")
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Gave up after 4 attempt(s), 0 throttled, after repeated failures: AppIntegrations InternalServiceError"
    )
    assert re.search(r"\[InternalServiceError; request id [0-9a-f-]{36}\]$", body["Reason"]), body["Reason"]
    assert body["PhysicalResourceId"] == "cdk-appintegrations:CREATE_FAILED:Sync"
    assert len(fresh_emulator.update_calls()) == 4


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("not_found", f"AppIntegrations found no association DataIntegrationAssociationIdentifier '{ASSOC}'"),
        ("access_denied", "Access denied for app-integrations:UpdateDataIntegrationAssociation"),
        ("invalid", "AppIntegrations rejected ExecutionConfiguration"),
    ],
)
def test_permanent_errors_fail_once_with_what_to_check(
    fresh_emulator: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    fault: str,
    expected: str,
) -> None:
    fresh_emulator.add_association(DI, ASSOC)
    fresh_emulator.inject(fault)  # type: ignore[arg-type]
    result = invoke_create(fresh_receiver, properties(), fault, lambda_env)
    body = answer(fresh_receiver, fault, result=result)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(expected)
    # what a support case needs: the error code and the request id AWS answered with
    assert re.search(r"\[\w+Exception; request id [0-9a-f-]{36}\]$", body["Reason"]), body["Reason"]
    assert len(fresh_emulator.update_calls()) == 1


def test_unknown_association_really_is_not_found(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    result = invoke_create(fresh_receiver, properties(), "nf", lambda_env)
    body = answer(fresh_receiver, "nf", result=result)
    assert body["Status"] == "FAILED"
    assert f"DataIntegrationIdentifier '{DI}'" in body["Reason"]


def test_a_hung_service_still_gets_cloudformation_an_answer_before_the_deadline(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """Read timeout 10 s; with 20 s left after the first hang there is no room for a second try."""
    fresh_emulator.add_association(DI, ASSOC)
    fresh_emulator.inject("hang", times=5, hang_seconds=60)
    started = time.monotonic()
    result = invoke_create(fresh_receiver, properties(), "h1", lambda_env, timeout_ms=25_000)
    elapsed = time.monotonic() - started
    body = answer(fresh_receiver, "h1", settle=1.0)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Gave up after 1 attempt(s)")
    assert "the request was sent and no answer came within the 10 s read timeout" in body["Reason"]
    assert "may have been applied" in body["Reason"]  # the outcome is unknown, and the reason says what to check
    assert not result.timed_out
    assert elapsed < 25


def test_bad_input_fails_without_reaching_the_service(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    bad = changed(properties(), "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1700000000000")
    invoke_create(fresh_receiver, bad, "bad1", lambda_env)
    body = answer(fresh_receiver, "bad1")
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "ExecutionConfiguration.OnDemandConfiguration.EndTime: '1700000000000' is not after StartTime '1735689600000'"
    )
    assert fresh_emulator.update_calls() == []


def test_debug_logging_never_shows_the_response_url_signature(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """crhelper logs the event and the URL at DEBUG; the provider must scrub both."""
    fresh_emulator.add_association(DI, ASSOC)
    result = invoke_create(
        fresh_receiver, properties(), "dbg", lambda_env, logging_config=LoggingConfig("JSON", "DEBUG")
    )
    assert answer(fresh_receiver, "dbg")["Status"] == "SUCCESS"
    assert "CFN response URL" in result.output  # the DEBUG lines really were written
    assert "<redacted>" in result.output
    assert_no_secrets(fresh_receiver, "dbg", result)
    for secret in (DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"]):
        assert secret not in result.output
