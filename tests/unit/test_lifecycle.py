"""Create/Update/Delete semantics through crhelper, in process, with a stubbed client."""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any

import pytest
from appintegrations_cr import constants
from appintegrations_cr import handler as provider
from appintegrations_cr.appintegrations import update_association
from appintegrations_cr.constants import FAILED_CREATE_PREFIX
from appintegrations_cr.resource import MAX_BODY_BYTES, TIMED_OUT
from appintegrations_cr.retries import Outcome
from crhelper import CfnResource

from testkit.account import ACCOUNT, REGION, arn
from testkit.appintegrations_stub import AppIntegrationsStub, connect_timeout
from testkit.association_properties import ON_DEMAND, SCHEDULED, changed
from testkit.cfn_events import RESPONSE_URL, SIGNATURE, cfn_event
from testkit.clock import LAMBDA_REQUEST_ID, FakeClock, LambdaContext
from tests.unit.lambda_doubles import Recorder, run_handler
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit
OLD_ID = "di-1|assoc-1"
ARN = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}"  # the environment of lambda_doubles.STACK_ID
ATTRIBUTES = {
    "DataIntegrationArn": f"{ARN}:data-integration/di-1",
    "DataIntegrationAssociationArn": f"{ARN}:data-integration-association/di-1/assoc-1",
    "DataIntegrationAssociationId": "assoc-1",
}


@pytest.fixture
def stubber(stubber: AppIntegrationsStub, monkeypatch: pytest.MonkeyPatch) -> AppIntegrationsStub:
    """The unit tier's stand-in, as the client the handler module holds."""
    monkeypatch.setattr(provider, "_client", stubber.client)
    return stubber


def expect_update(stubber: AppIntegrationsStub, properties: dict[str, Any]) -> None:
    stubber.add_response(
        "update_data_integration_association",
        {},
        {key: properties[key] for key in ("DataIntegrationIdentifier", "DataIntegrationAssociationIdentifier")}
        | {"ExecutionConfiguration": properties["ExecutionConfiguration"]},
    )


def only(sent: Recorder) -> dict[str, Any]:
    assert len(sent.bodies) == 1, sent.bodies
    return sent.bodies[0]


def update_event(new: dict[str, Any], old: dict[str, Any] = ON_DEMAND) -> dict[str, Any]:
    return cfn_event("Update", new, OldResourceProperties=old, PhysicalResourceId=OLD_ID)


def test_create_calls_once_and_answers_success_with_an_id_from_the_identifiers(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    expect_update(stubber, ON_DEMAND)
    run_handler(cfn_event("Create", ON_DEMAND))
    body = only(sent)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == "di-1|assoc-1"
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        cfn_event("Create", ON_DEMAND)["StackId"],
        "req-create",
        "Sync",
    )
    assert body["Data"] == ATTRIBUTES


def test_a_lookup_create_lists_then_applies_to_the_association_found(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    lookup = changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...)
    stubber.add_response(
        "list_data_integration_associations",
        {
            "DataIntegrationAssociations": [
                {"DataIntegrationAssociationArn": f"{ARN}:data-integration-association/di-1/kb"}
            ]
        },
        {"DataIntegrationIdentifier": "di-1", "MaxResults": 50},
    )
    expect_update(stubber, changed(lookup, "DataIntegrationAssociationIdentifier", "kb"))
    run_handler(cfn_event("Create", lookup))
    body = only(sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "di-1|kb")
    assert body["Data"]["DataIntegrationAssociationArn"] == f"{ARN}:data-integration-association/di-1/kb"


def test_update_with_only_a_new_service_token_makes_no_call_and_still_answers_the_attributes(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    run_handler(update_event(changed(ON_DEMAND, "ServiceToken", arn("lambda", "function:v2"))))
    body = only(sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", OLD_ID)
    assert body["Data"] == ATTRIBUTES  # CloudFormation keeps only the latest response's Data


def test_update_that_only_rewrites_an_instant_in_another_notation_makes_no_call(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    same_instant = changed(
        SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "1735689600000"
    )
    run_handler(update_event(same_instant, old=SCHEDULED))
    assert only(sent)["Status"] == "SUCCESS"


def test_update_with_a_new_configuration_applies_and_keeps_the_id(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    new = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1735862400000")
    expect_update(stubber, new)
    run_handler(update_event(new))
    body = only(sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", OLD_ID)


def test_update_switching_mode_applies(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    expect_update(stubber, SCHEDULED)
    run_handler(update_event(SCHEDULED))
    assert only(sent)["Status"] == "SUCCESS"


def test_changing_only_the_rerun_token_reapplies(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    new = changed(ON_DEMAND, "RerunToken", "2")
    expect_update(stubber, new)
    run_handler(update_event(new, old=changed(ON_DEMAND, "RerunToken", "1")))
    assert only(sent)["PhysicalResourceId"] == OLD_ID


def test_a_new_target_is_applied_and_gets_a_new_id(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    new = changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", "assoc-2")
    expect_update(stubber, new)
    run_handler(update_event(new))
    assert only(sent)["PhysicalResourceId"] == "di-1|assoc-2"


DI_ARN = f"{ARN}:data-integration/di-1"
ASSOCIATION_ARN = f"{ARN}:data-integration-association/di-1/assoc-1"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("DataIntegrationIdentifier", DI_ARN),  # an id becomes the ARN (e.g. a CfnDataIntegration now)
        ("DataIntegrationAssociationIdentifier", ASSOCIATION_ARN),
    ],
)
def test_naming_the_same_association_another_way_is_not_a_new_target(
    stubber: AppIntegrationsStub, sent: Recorder, field: str, value: str
) -> None:
    """A new id would make CloudFormation replace the resource, and the call would re-run the job."""
    run_handler(update_event(changed(ON_DEMAND, field, value)))
    body = only(sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", OLD_ID)
    assert body["Data"] == ATTRIBUTES


def test_another_notation_with_a_new_configuration_applies_and_keeps_the_id(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    new = changed(
        changed(ON_DEMAND, "DataIntegrationIdentifier", DI_ARN),
        "ExecutionConfiguration.OnDemandConfiguration.EndTime",
        "1735862400000",
    )
    expect_update(stubber, new)
    run_handler(update_event(new))
    assert only(sent)["PhysicalResourceId"] == OLD_ID


def test_the_same_ids_in_another_account_are_a_new_target(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    new = changed(
        ON_DEMAND, "DataIntegrationIdentifier", arn("app-integrations", "data-integration/di-1", account="444455556666")
    )
    expect_update(stubber, new)
    run_handler(update_event(new))
    assert only(sent)["PhysicalResourceId"] == f"{new['DataIntegrationIdentifier']}|assoc-1"


def test_no_call_starts_without_time_for_it_and_the_answer(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    """crhelper's timer would answer FAILED while the call might still land and run the job."""
    run_handler(cfn_event("Create", ON_DEMAND), clock=FakeClock(constants.ATTEMPT_BUDGET_S - 0.5))
    body = only(sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Not calling AppIntegrations:")


def test_rollback_update_with_the_old_properties_is_applied_like_any_update(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    failed_new = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1735862400000")
    expect_update(stubber, ON_DEMAND)
    run_handler(update_event(ON_DEMAND, old=failed_new))
    assert only(sent)["Status"] == "SUCCESS"


def test_delete_makes_no_call_and_does_not_sleep(
    stubber: AppIntegrationsStub, sent: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # crhelper binds time.sleep as the default of _wait_for_cwlogs; record instead of sleeping,
    # so a regression fails at once rather than after crhelper's 120 s.
    slept: list[float] = []
    monkeypatch.setattr(CfnResource._wait_for_cwlogs, "__defaults__", (slept.append,))  # type: ignore[attr-defined]
    run_handler(cfn_event("Delete", ON_DEMAND, PhysicalResourceId=OLD_ID), timeout_ms=900_000)
    assert slept == []
    assert (only(sent)["Status"], only(sent)["PhysicalResourceId"]) == ("SUCCESS", OLD_ID)


def test_delete_never_waits_for_cloudwatch_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """crhelper's default sleeps 120 s on every Delete with time to spare; rollbacks would crawl."""
    assert provider.helper._sleep_on_delete == 0
    slept: list[float] = []
    monkeypatch.setattr(provider.helper, "_context", LambdaContext(900_000), raising=False)
    provider.helper._wait_for_cwlogs(sleep=slept.append)  # type: ignore[attr-defined]
    assert slept == []


def test_delete_of_a_lookup_makes_no_call_either(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    lookup = changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...)
    run_handler(cfn_event("Delete", lookup, PhysicalResourceId="di-1|kb"))
    assert (only(sent)["Status"], only(sent)["PhysicalResourceId"]) == ("SUCCESS", "di-1|kb")


def test_failed_create_gets_a_recognisable_id_and_its_delete_succeeds(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    stubber.add_client_error("update_data_integration_association", "ResourceNotFoundException", "gone", 404)
    run_handler(cfn_event("Create", ON_DEMAND))
    body = only(sent)
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == f"{FAILED_CREATE_PREFIX}Sync"
    assert "DataIntegrationAssociationIdentifier 'assoc-1'" in body["Reason"]
    assert body["Data"] == {}
    sent.bodies.clear()
    run_handler(cfn_event("Delete", ON_DEMAND, PhysicalResourceId=body["PhysicalResourceId"]))
    assert (only(sent)["Status"], only(sent)["PhysicalResourceId"]) == ("SUCCESS", body["PhysicalResourceId"])


def test_delete_with_invalid_properties_still_succeeds(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    run_handler(cfn_event("Delete", {"ExecutionConfiguration": "garbage"}, PhysicalResourceId=OLD_ID))
    assert only(sent)["Status"] == "SUCCESS"


def test_bad_input_fails_without_calling_and_names_field_and_value(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    bad = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", "yesterday")
    run_handler(cfn_event("Create", bad))
    body = only(sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("ExecutionConfiguration.OnDemandConfiguration.StartTime: 'yesterday' is not epoch")


def test_failed_update_keeps_the_old_id(stubber: AppIntegrationsStub, sent: Recorder) -> None:
    run_handler(update_event(changed(ON_DEMAND, "ExecutionConfiguration.ExecutionMode", "WEEKLY")))
    body = only(sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("FAILED", OLD_ID)


def test_a_long_reason_is_cut_at_the_end_and_the_body_fits_4096_bytes(
    stubber: AppIntegrationsStub, sent: Recorder
) -> None:
    bad = changed(ON_DEMAND, "ExecutionConfiguration", {f"Typo{i:03d}" + "x" * 40: 1 for i in range(200)})
    run_handler(cfn_event("Create", bad))
    body = only(sent)
    assert body["bytes"] <= MAX_BODY_BYTES
    assert body["Reason"].startswith("ExecutionConfiguration.Typo000")
    assert body["Reason"].endswith("(truncated; the full reason is in the provider's CloudWatch log)")


def test_the_timeout_timer_and_the_handler_answer_only_once(
    stubber: AppIntegrationsStub, sent: Recorder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """crhelper's timer fires 0.5 s before the deadline; a slow call then finishes late, and is not called applied."""

    def slow_update(*_args: Any, **_kwargs: Any) -> Outcome:
        time.sleep(1.0)
        return Outcome(attempts=1)

    monkeypatch.setattr(provider, "update_association", slow_update)
    with caplog.at_level(logging.INFO):
        run_handler(cfn_event("Create", ON_DEMAND), timeout_ms=700)
    body = only(sent)
    assert (body["Status"], body["Reason"]) == ("FAILED", TIMED_OUT)
    outcomes = [getattr(record, "outcome", None) for record in caplog.records]
    assert "APPLIED" not in outcomes
    assert outcomes[-1] == "LATE"


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (cfn_event("Bogus", ON_DEMAND), "RequestType 'Bogus' is not one of Create, Update, Delete"),
        ({**cfn_event("Create", ON_DEMAND), "ResourceProperties": None}, "no ResourceProperties object"),
        (cfn_event("Update", ON_DEMAND, PhysicalResourceId=OLD_ID), "an Update event has no OldResourceProperties"),
        (cfn_event("Delete", ON_DEMAND), "a Delete event has no PhysicalResourceId"),
        ({**cfn_event("Create", ON_DEMAND), "RequestId": 7}, "the event has no RequestId"),
    ],
)
def test_malformed_events_get_one_failed_answer(
    stubber: AppIntegrationsStub, sent: Recorder, event: dict[str, Any], problem: str
) -> None:
    run_handler(event)
    body = only(sent)
    assert body["Status"] == "FAILED"
    assert problem in body["Reason"]
    assert body["PhysicalResourceId"]


def test_event_without_a_response_url_is_logged_not_answered(sent: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    event = cfn_event("Create", ON_DEMAND)
    del event["ResponseURL"]
    with caplog.at_level(logging.ERROR):
        run_handler(event)
    assert sent.bodies == []
    assert "no https ResponseURL" in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        RESPONSE_URL.replace("https://", "http://", 1),
        RESPONSE_URL.replace("https://", "HTTP://", 1),
        RESPONSE_URL.replace("https://", "httpx://", 1),
        RESPONSE_URL.replace("https://", "", 1),
        "",
    ],
)
def test_a_response_url_that_is_not_https_is_never_answered(
    stubber: AppIntegrationsStub, sent: Recorder, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    """The PUT carries the outcome (and Data) in clear: only CloudFormation's https URL may get it."""
    with caplog.at_level(logging.ERROR):
        run_handler(cfn_event("Create", ON_DEMAND, ResponseURL=url))
    assert sent.bodies == []
    assert "no https ResponseURL" in caplog.text


def test_logs_are_json_with_the_outcome_and_never_the_response_url(
    stubber: AppIntegrationsStub, sent: Recorder, runtime_log: RuntimeLogFactory
) -> None:
    log = runtime_log("JSON", "DEBUG")
    expect_update(stubber, ON_DEMAND)
    run_handler(cfn_event("Create", ON_DEMAND))
    lines = log.lines()
    records = [json.loads(line) for line in lines]  # every line is one object
    assert any(r["logger"].startswith("crhelper") and r["level"] == "DEBUG" for r in records)
    [applied] = [r for r in records if r.get("outcome") == "APPLIED"]
    assert applied["requestId"] == LAMBDA_REQUEST_ID
    assert applied["data_integration_identifier"] == "di-1"
    assert applied["data_integration_association_identifier"] == "assoc-1"
    assert applied["request_type"] == "Create"
    assert applied["logical_resource_id"] == "Sync"
    assert applied["cfn_request_id"] == "req-create"
    assert not any(SIGNATURE in line for line in lines)


def test_every_failed_answer_has_one_record_with_the_reason_cloudformation_shows(
    stubber: AppIntegrationsStub, sent: Recorder, runtime_log: RuntimeLogFactory
) -> None:
    log = runtime_log("JSON", "INFO")
    bad = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1")
    run_handler(cfn_event("Create", bad))
    run_handler({**cfn_event("Create", ON_DEMAND), "RequestType": "Bogus"})
    bodies = sent.bodies
    failed = [r for r in log.records() if r.get("outcome") == "FAILED"]
    assert [r["reason"] for r in failed] == [b["Reason"] for b in bodies]
    assert [r["level"] for r in failed] == ["ERROR", "ERROR"]
    assert [r["physical_resource_id"] for r in failed] == [f"{FAILED_CREATE_PREFIX}Sync"] * 2
    assert [r.get("request_type") for r in failed] == ["Create", "Bogus"]


def test_an_unreachable_endpoint_answers_failed_naming_it_and_logs_the_failure(
    stubber: AppIntegrationsStub, sent: Recorder, monkeypatch: pytest.MonkeyPatch, runtime_log: RuntimeLogFactory
) -> None:
    """No route from the subnets: FAILED in seconds with the endpoint and the route to check, not a timeout."""
    log = runtime_log("JSON", "INFO")
    stubber.add_unanswered(
        "update_data_integration_association", connect_timeout, times=constants.MAX_UNREACHABLE_ATTEMPTS
    )
    monkeypatch.setattr(provider, "update_association", functools.partial(update_association, sleep=FakeClock().sleep))
    run_handler(cfn_event("Create", ON_DEMAND))
    body = only(sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Could not reach the AppIntegrations endpoint https://app-integrations.us-east-1.amazonaws.com "
        "(no connection within the 3 s connect timeout; 2 attempt(s)). If the provider runs in a VPC"
    )
    [failed] = [r for r in log.records() if r.get("outcome") == "FAILED"]
    assert (failed["message"], failed["reason"]) == ("answering CloudFormation FAILED", body["Reason"])
