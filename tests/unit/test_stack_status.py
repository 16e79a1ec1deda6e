"""A forward request overtaken by its rollback: the handler reads the stack's status and never lands after it.

CloudFormation cancels the executions still running when another fails, and sends each its
rollback at once, while the provider still runs the forward request (aws/aws-cdk#31541).
The stack's status (``StackStatusStub``) tells the forward request that it was overtaken.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from appintegrations_cr import handler as provider
from appintegrations_cr.appintegrations import update_association
from botocore.exceptions import ReadTimeoutError

from testkit.appintegrations_stub import AppIntegrationsStub
from testkit.association_properties import ON_DEMAND, changed
from testkit.cfn_events import STACK_ID, cfn_event
from testkit.clock import FakeClock
from testkit.stack_status_stub import StackStatusStub
from tests.unit.lambda_doubles import Recorder, run_handler
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit
OLD_ID = "di-1|assoc-1"
NEW = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1735862400000")
UPDATE = "update_data_integration_association"
ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"


@pytest.fixture
def stubber(stubber: AppIntegrationsStub, monkeypatch: pytest.MonkeyPatch) -> AppIntegrationsStub:
    monkeypatch.setattr(provider, "_client", stubber.client)
    monkeypatch.setattr(provider, "update_association", functools.partial(update_association, sleep=FakeClock().sleep))
    return stubber


def expect_update(stubber: AppIntegrationsStub, properties: dict[str, Any]) -> None:
    stubber.add_response(
        UPDATE,
        {},
        {
            "DataIntegrationIdentifier": "di-1",
            "DataIntegrationAssociationIdentifier": "assoc-1",
            "ExecutionConfiguration": properties["ExecutionConfiguration"],
        },
    )


def forward_update() -> dict[str, Any]:
    return cfn_event("Update", NEW, OldResourceProperties=ON_DEMAND, PhysicalResourceId=OLD_ID)


def answer(sent: Recorder) -> dict[str, Any]:
    [body] = sent.bodies
    return body


def test_a_forward_update_reads_the_status_before_and_after_it_applies(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder
) -> None:
    expect_update(stubber, NEW)
    run_handler(forward_update())
    assert answer(sent)["Status"] == "SUCCESS"
    assert stack.stack_names == [STACK_ID] * 3  # at the start, before the one attempt, after it


def test_a_rollback_seen_before_a_retry_applies_nothing_and_says_so_once(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder, runtime_log: RuntimeLogFactory
) -> None:
    log = runtime_log("JSON", "INFO")
    stack.then("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ROLLING_BACK)
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429)
    run_handler(forward_update())
    body = answer(sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"Not applied: the stack is rolling back ({ROLLING_BACK}), so CloudFormation cancelled this update; "
        "its rollback applies the old configuration."
    )
    assert stubber.calls == ["UpdateDataIntegrationAssociation"]  # the throttled one only
    records = log.records()
    assert [r["reason"] for r in records if r.get("outcome") == "FAILED"] == [body["Reason"]]
    assert not [r for r in records if r.get("outcome") in ("APPLIED", "RESTORED")]


def test_a_rollback_seen_after_the_update_applied_applies_the_old_configuration_once_more(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder, runtime_log: RuntimeLogFactory
) -> None:
    log = runtime_log("JSON", "INFO")
    stack.then("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ROLLING_BACK)
    expect_update(stubber, NEW)
    expect_update(stubber, ON_DEMAND)  # what the rollback applies too: whichever lands last, the old one stays
    run_handler(forward_update())
    body = answer(sent)
    assert body["Status"] == "FAILED"  # CloudFormation ignores a cancelled resource's answer; the log keeps it
    assert "the old configuration was applied again (its job runs once more)" in body["Reason"]
    assert [r["outcome"] for r in log.records() if r.get("outcome")] == ["APPLIED", "RESTORED", "FAILED"]


def test_the_rollback_itself_applies_as_before_reading_the_status_once(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder
) -> None:
    stack.status = ROLLING_BACK
    expect_update(stubber, ON_DEMAND)
    run_handler(cfn_event("Update", ON_DEMAND, OldResourceProperties=NEW, PhysicalResourceId=OLD_ID))
    assert answer(sent)["Status"] == "SUCCESS"
    assert len(stack.stack_names) == 1


def test_a_role_without_describe_stacks_applies_as_before_with_one_warning(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder, runtime_log: RuntimeLogFactory
) -> None:
    log = runtime_log("JSON", "INFO")
    stack.then(("AccessDenied", 403))
    expect_update(stubber, NEW)
    run_handler(forward_update())
    assert answer(sent)["Status"] == "SUCCESS"
    assert len(stack.stack_names) == 1  # not asked again for this request
    [warning] = [r for r in log.records() if r["level"] == "WARNING"]
    assert warning["required_permission"] == "cloudformation:DescribeStacks"
    assert "lacks cloudformation:DescribeStacks on this stack (AccessDenied" in warning["message"]


def test_a_create_is_never_compensated(stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder) -> None:
    """A create's rollback is a Delete; the status is not read after it applied."""
    stack.then("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS")
    expect_update(stubber, ON_DEMAND)
    run_handler(cfn_event("Create", ON_DEMAND))
    assert answer(sent)["Status"] == "SUCCESS"
    assert len(stack.stack_names) == 2


def test_a_create_overtaken_by_its_rollback_is_not_applied(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder
) -> None:
    stack.then("CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS")
    run_handler(cfn_event("Create", ON_DEMAND))
    assert answer(sent)["Reason"] == (
        "Not applied: the stack is rolling back (ROLLBACK_IN_PROGRESS), so CloudFormation cancelled this create; "
        "its rollback deletes this resource."
    )
    assert stubber.calls == []


def test_an_unanswered_attempt_then_a_rollback_restores_the_old_configuration(
    stubber: AppIntegrationsStub, stack: StackStatusStub, sent: Recorder
) -> None:
    """The first attempt may have landed (no answer came): the retry is not sent, the old configuration is."""
    stack.then("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ROLLING_BACK)
    stubber.add_unanswered(UPDATE, lambda url: ReadTimeoutError(endpoint_url=url))
    expect_update(stubber, ON_DEMAND)
    run_handler(forward_update())
    reason = answer(sent)["Reason"]
    assert "an earlier attempt, sent without an answer, may have applied it" in reason
    assert "the old configuration was applied again" in reason
    assert stubber.calls == ["UpdateDataIntegrationAssociation"] * 2
