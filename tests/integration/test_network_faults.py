"""The faults real networks make, scripted at the socket, against the handler as Lambda runs it.

The handler runs under AWS's runtime interface client (``awslambdaric``) in a Lambda-like
process, calls the local AppIntegrations emulator over HTTP and answers the local HTTPS
receiver; the faults are the doubles' own (``AppIntegrationsEmulator.inject``,
``CfnResponseReceiver.answer_next``): a connection closed or reset after the request was
read, an answer trickled a byte at a time, no answer at all, and S3's 5xx, 429 and 403.

Each test asserts what CloudFormation would see (one answer, its status and reason, when it
came against the deadline), what the service saw (the Update calls, so the job runs), and
the log lines, under both of Lambda's log formats. Nothing races: a test waits for the
answer with a timeout, and every time it asserts has its margin stated beside it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from appintegrations_cr.constants import ATTEMPT_TIMEOUT_S, MAX_FAILED_ATTEMPTS, READ_TIMEOUT_S

from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import UPDATE_OPERATION, AppIntegrationsEmulator
from testkit.lambda_process import InvocationResult, LoggingConfig
from tests.integration import handler_runs as runs

pytestmark = pytest.mark.integration

FORMATS = [LoggingConfig("JSON", "INFO"), LoggingConfig("Text", None)]
FORMAT_IDS = ["JSON", "Text"]


def records(result: InvocationResult, logging_config: LoggingConfig) -> list[dict[str, Any]]:
    """The provider's records with their fields, under either format (the text format appends them as JSON)."""
    if logging_config.log_format == "JSON":
        return runs.log_records(result)
    found = []
    for line in result.stdout.split("\n"):
        message, brace, fields = line.partition(" {")
        if line.startswith("[") and brace:
            found.append({"message": message.split("\t")[-1], **json.loads("{" + fields)})
    return found


def outcomes(result: InvocationResult, logging_config: LoggingConfig) -> list[str]:
    return [record["outcome"] for record in records(result, logging_config) if "outcome" in record]


@pytest.fixture
def association(fresh_emulator: AppIntegrationsEmulator) -> AppIntegrationsEmulator:
    fresh_emulator.add_data_integration(runs.DI)
    fresh_emulator.add_association(runs.DI, runs.ASSOC)
    return fresh_emulator


def create(
    receiver: CfnResponseReceiver, env: dict[str, str], request_id: str, logging_config: LoggingConfig, **options: Any
) -> tuple[dict[str, Any], InvocationResult, float]:
    """One Create through the handler: CloudFormation's one answer, the invocation, and seconds to the answer."""
    started = time.monotonic()
    result = runs.invoke_create(receiver, runs.properties(), request_id, env, logging_config=logging_config, **options)
    body = runs.answer(receiver, request_id, result=result)
    [response] = receiver.responses_for(request_id)
    runs.assert_no_secrets(receiver, request_id, result)
    return body, result, response.received_at - started


@pytest.mark.parametrize("logging_config", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("fault", ["close", "reset"])
def test_a_connection_dropped_after_the_request_is_retried_and_the_create_succeeds(
    association: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    fault: str,
    logging_config: LoggingConfig,
) -> None:
    """What idle NAT gateways and load balancers do; botocore's standard retry mode retries it, and so does the handler."""
    association.inject(fault, operation=UPDATE_OPERATION)  # type: ignore[arg-type]
    body, result, _ = create(fresh_receiver, lambda_env, f"dropped-{fault}", logging_config)
    assert body["Status"] == "SUCCESS", body
    assert [call.fault for call in association.update_calls()] == [fault, None]
    [applied] = [r for r in records(result, logging_config) if r.get("outcome") == "APPLIED"]
    assert applied["attempts"] == 2


def test_a_connection_dropped_every_time_fails_saying_the_request_was_sent(
    association: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    association.inject("close", times=10, operation=UPDATE_OPERATION)
    body, result, _ = create(fresh_receiver, lambda_env, "dropped-always", runs.PROVIDER_LOGGING)
    assert len(association.update_calls()) == MAX_FAILED_ATTEMPTS
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"Gave up after {MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures: the request was sent "
        "and the connection was closed (or reset) before an answer came"
    )
    assert outcomes(result, runs.PROVIDER_LOGGING) == ["FAILED"]


@pytest.mark.slow
@pytest.mark.parametrize("logging_config", FORMATS, ids=FORMAT_IDS)
def test_a_trickled_answer_is_abandoned_before_the_deadline_and_the_answer_says_the_outcome_is_unknown(
    association: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    logging_config: LoggingConfig,
) -> None:
    """Each byte within the read timeout, the whole far longer: only a wall-clock bound ends it.

    With a 20 s timeout the one attempt that fits is bounded at 13 s (ATTEMPT_TIMEOUT_S); no
    second one fits (18 s are needed), and crhelper's timer would fire at 19.5 s. Before the
    fix, the timer answered FAILED and the log said "applied" seconds later.
    """
    association.inject("trickle", operation=UPDATE_OPERATION, trickle_interval_s=0.5)  # ~100 s for ~200 bytes
    body, result, answered_after = create(
        fresh_receiver, lambda_env, f"trickle-{logging_config.log_format}", logging_config, timeout_ms=20_000
    )
    assert body["Status"] == "FAILED"
    assert (
        "the answer did not complete within 13 s, so the attempt was abandoned (its connection closed)"
        in (body["Reason"])
    )
    assert "may have been applied" in body["Reason"]
    # Answered at the bound (13 s) plus process start-up and delivery: well before crhelper's timer
    # (19.5 s after the handler starts; start-up takes ~1-3 s here, so 19 s leaves a margin of seconds).
    assert ATTEMPT_TIMEOUT_S <= answered_after < 19.0
    [update] = association.update_calls()
    deadline = time.monotonic() + 2.0  # the emulator notices at its next byte: 0.5 s, plus a margin
    while not update.abandoned and time.monotonic() < deadline:
        time.sleep(0.05)
    assert update.abandoned  # the connection was closed: the trickle could not finish
    assert outcomes(result, logging_config) == ["FAILED"]  # never "APPLIED", before or after the answer


@pytest.mark.slow
def test_an_update_with_no_answer_at_all_is_sent_twice_at_most(
    association: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """Each PATCH re-runs the pull: before the fix, an endpoint slower than the read timeout got 4."""
    association.inject("hang", times=5, operation=UPDATE_OPERATION, hang_seconds=60)
    try:
        body, _, answered_after = create(
            fresh_receiver, lambda_env, "hang-twice", runs.PROVIDER_LOGGING, timeout_ms=60_000
        )
    finally:
        association.release_hung()
    assert len(association.update_calls()) == 2
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Gave up after 2 attempt(s), 0 throttled, not sending it again: each update that lands re-runs the "
        f"association's job: the request was sent and no answer came within the {READ_TIMEOUT_S:.0f} s read timeout"
    )
    assert 2 * READ_TIMEOUT_S <= answered_after < 60.0


@pytest.mark.parametrize("logging_config", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("first", [500, 503, 429, "close"])
def test_what_s3_asks_to_retry_is_retried_and_the_answer_is_stored(
    association: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    first: Any,
    logging_config: LoggingConfig,
) -> None:
    fresh_receiver.answer_next(first)
    request_id = f"s3-{first}-{logging_config.log_format}"
    result = runs.invoke_create(
        fresh_receiver, runs.properties(), request_id, lambda_env, logging_config=logging_config
    )
    puts = fresh_receiver.wait_for(request_id, timeout=20, settle=0.5)
    assert [put.scripted for put in puts] == [first, None]
    assert puts[-1].status == 200
    assert puts[0].raw_body == puts[1].raw_body  # the same answer, sent again
    assert json.loads(puts[-1].raw_body)["Status"] == "SUCCESS"
    assert len(association.update_calls()) == 1  # delivering again never calls the service again
    [delivered] = [r for r in records(result, logging_config) if r["message"] == "response delivered"]
    assert delivered["attempts"] == 2
    assert delivered["tries"][-1] == "200 OK"
    runs.assert_no_secrets(fresh_receiver, request_id, result)


@pytest.mark.usefixtures("association")
@pytest.mark.parametrize("logging_config", FORMATS, ids=FORMAT_IDS)
def test_a_403_from_the_response_url_is_final_and_logged_once(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str], logging_config: LoggingConfig
) -> None:
    fresh_receiver.answer_next(403)
    request_id = f"s3-403-{logging_config.log_format}"
    result = runs.invoke_create(
        fresh_receiver, runs.properties(), request_id, lambda_env, logging_config=logging_config
    )
    assert [put.status for put in fresh_receiver.wait_for(request_id, timeout=20, settle=1.5)] == [403]
    errors = [r for r in records(result, logging_config) if "refused it" in r["message"]]
    assert len(errors) == 1
    assert "403" in errors[0]["message"]
    assert "A 403 means the response URL expired or was altered." in errors[0]["message"]


MALFORMED = {
    "space": lambda url: url.replace("/arn%3Aaws", "/arn aws"),
    "control character": lambda url: url.replace("/arn%3Aaws", "/arn\x01aws"),
    "not ASCII": lambda url: url.replace("/arn%3Aaws", "/arn:aws·"),
    "no host": lambda url: "https:///arn" + url.split("/arn", 1)[1],
}


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_response_url_leaves_nothing_of_its_credential_in_any_log_line(
    association: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    kind: str,
    log_format: str,
) -> None:
    """At DEBUG, where crhelper logs the whole event: the signature, the token and the key id stay out."""
    request_id = f"malformed-{kind}-{log_format}".replace(" ", "-")
    event = runs.event(fresh_receiver, "Create", runs.properties(), request_id)
    event["ResponseURL"] = MALFORMED[kind](event["ResponseURL"])
    [result] = runs.run_handler([event], lambda_env, logging_config=LoggingConfig(log_format, "DEBUG"))
    assert result.ok, result
    assert fresh_receiver.responses_for(request_id) == []
    signature, token = fresh_receiver.secrets_for(request_id)
    for secret in (signature, token, "AKIAEXAMPLE", "X-Amz-Credential=", "X-Amz-Signature="):
        assert secret not in result.output, secret
    assert "the response URL is malformed" in result.output


@pytest.mark.parametrize("logging_config", FORMATS, ids=FORMAT_IDS)
def test_a_delete_with_a_deep_and_a_long_value_answers_success_at_once(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str], logging_config: LoggingConfig
) -> None:
    """Before the fix: FAILED 'maximum recursion depth exceeded', or no answer within a short timeout."""
    deep: Any = "leaf"
    for _ in range(500):
        deep = [deep]
    props = runs.properties(DestinationURI=deep, DataIntegrationAssociationIdentifier="http://" * 9_000)
    request_id = f"deep-delete-{logging_config.log_format}"
    event = runs.event(fresh_receiver, "Delete", props, request_id, PhysicalResourceId="di|assoc")
    event["OldResourceProperties"] = props
    started = time.monotonic()
    [result] = runs.run_handler([event], lambda_env, logging_config=logging_config, timeout_ms=3_000)
    body = runs.answer(fresh_receiver, request_id, result=result)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "di|assoc")
    assert result.duration_s < 1.0  # the handler's own time; it was 4-20 s for the long value alone
    assert time.monotonic() - started < 30  # the process's start-up included
    assert outcomes(result, logging_config) == ["DELETED"]
