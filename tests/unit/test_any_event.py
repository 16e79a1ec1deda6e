"""Property: whatever arrives, the handler answers exactly once, well-formed, and never raises."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from appintegrations_cr import handler as provider
from appintegrations_cr.appintegrations import update_association
from appintegrations_cr.constants import MAX_PHYSICAL_ID_BYTES
from appintegrations_cr.contract import ContractError, parse_properties
from appintegrations_cr.resource import MAX_BODY_BYTES
from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from hypothesis import given
from hypothesis import strategies as st

from testkit.appintegrations_stub import AppIntegrationsStub
from testkit.association_properties import ON_DEMAND, SCHEDULED
from testkit.cfn_events import RESPONSE_URL, cfn_event
from testkit.clock import FakeClock
from tests.unit.lambda_doubles import Recorder, run_handler

pytestmark = pytest.mark.unit

UPDATE = "update_data_integration_association"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.text(max_size=300),
    st.sampled_from(["ON_DEMAND", "SCHEDULED", "1735689600000", "2025-01-01T00:00:00Z", "rate(1 hour)", ""]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "ExecutionMode",
                    "OnDemandConfiguration",
                    "ScheduleConfiguration",
                    "StartTime",
                    "EndTime",
                    "ScheduleExpression",
                    "Object",
                    "FirstExecutionFrom",
                    "Typo",
                ]
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@st.composite
def properties(draw: st.DrawFn) -> Any:
    base = draw(st.sampled_from([ON_DEMAND, SCHEDULED]))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return json.loads(json.dumps(base))
    if choice == 1:  # a valid base with one field replaced by anything
        mutated = json.loads(json.dumps(base))
        key = draw(st.sampled_from([*mutated.keys(), "RerunToken", "Extra"]))
        mutated[key] = draw(json_values)
        return mutated
    if choice == 2:  # a valid base whose configuration block is replaced by anything
        mutated = json.loads(json.dumps(base))
        mutated["ExecutionConfiguration"] = draw(json_values)
        return mutated
    return draw(json_values)


# What CloudFormation really sends in the envelope: an ARN-shaped StackId, a UUID
# RequestId and an alphanumeric LogicalResourceId. The main property draws these, so
# its verdict never hinges on a rare string; hostile envelopes have their own property.
REGIONS = ["us-east-1", "eu-west-2", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
stack_ids = st.builds(
    "arn:{}:cloudformation:{}:{}:stack/{}/{}".format,
    st.sampled_from(["aws", "aws-cn", "aws-us-gov"]),
    st.sampled_from(REGIONS),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
    st.from_regex(r"[A-Za-z][-A-Za-z0-9]{0,40}", fullmatch=True),
    st.uuids().map(str),
)
request_ids = st.uuids().map(str)
logical_ids = st.from_regex(r"[A-Za-z0-9]{1,64}", fullmatch=True)
# Anything a hand-made or fuzzed event may carry instead, '%' formats included: crhelper
# %-formats these fields into every log record.
hostile_strings = st.one_of(
    st.sampled_from(["%", "%*", "%s", "%(message)s", "%d%%", "100%", "%(", "{}", "\\x00"]),
    st.text(max_size=8),
    st.text(alphabet="%*(s)d", max_size=6),
)
hostile_values = st.one_of(st.none(), st.integers(), hostile_strings)


def upper_or_mixed(mode: str) -> st.SearchStrategy[str]:
    """The mode as the API spells it, or in another case (which the API refuses)."""
    return st.sampled_from([mode, mode, mode.lower(), mode.title(), f" {mode}"])


@st.composite
def events(draw: st.DrawFn, envelope: st.SearchStrategy[dict[str, Any]] | None = None) -> Any:
    request_type = draw(st.sampled_from(["Create", "Update", "Delete", "Delete", "Nonsense"]))
    event: dict[str, Any] = cfn_event(request_type, {})
    event.update(StackId=draw(stack_ids), RequestId=draw(request_ids), LogicalResourceId=draw(logical_ids))
    event["ResourceProperties"] = draw(properties())
    props = event["ResourceProperties"]
    configuration = props.get("ExecutionConfiguration") if isinstance(props, dict) else None
    if isinstance(configuration, dict) and configuration.get("ExecutionMode") in ("ON_DEMAND", "SCHEDULED"):
        configuration["ExecutionMode"] = draw(upper_or_mixed(configuration["ExecutionMode"]))
    if request_type != "Create" or draw(st.booleans()):
        event["PhysicalResourceId"] = draw(st.one_of(st.just("di-1|assoc-1"), st.text(min_size=1, max_size=40)))
    if request_type == "Update" or draw(st.booleans()):
        event["OldResourceProperties"] = draw(properties())
    if envelope is not None:
        event.update(draw(envelope))
    return event


@st.composite
def hostile_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """One to four envelope fields replaced by anything, the ResponseURL by another scheme at times."""
    fields = draw(
        st.lists(
            st.sampled_from(["StackId", "RequestId", "LogicalResourceId", "RequestType"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    replaced: dict[str, Any] = {field: draw(hostile_values) for field in fields}
    replaced["ResponseURL"] = draw(
        st.sampled_from([RESPONSE_URL, RESPONSE_URL, RESPONSE_URL.replace("https://", "http://", 1), None])
    )
    return replaced


#: Each service error with the HTTP status AppIntegrations answers it with.
ERROR_STATUS = {
    "ResourceNotFoundException": 404,
    "AccessDeniedException": 403,
    "InvalidRequestException": 400,
    "ThrottlingException": 429,
}
ERROR_CODES = list(ERROR_STATUS)


def valid(props: Any) -> bool:
    try:
        parse_properties(props)
    except ContractError:
        return False
    return True


def answer_checks(event: Any, sent: Recorder, appintegrations: AppIntegrationsStub) -> None:
    """What every answer must satisfy, whatever the event."""
    assert len(sent.bodies) == 1
    body = sent.bodies[0]
    assert body["url"] == event["ResponseURL"]
    assert body["bytes"] <= MAX_BODY_BYTES
    assert body["Status"] in {"SUCCESS", "FAILED"}
    assert isinstance(body["PhysicalResourceId"], str)
    assert 0 < len(body["PhysicalResourceId"].encode()) <= MAX_PHYSICAL_ID_BYTES
    if body["Status"] == "FAILED":
        assert body["Reason"]
    request_type = event.get("RequestType")
    if request_type == "Delete" or not valid(event.get("ResourceProperties")):
        assert appintegrations.calls == []
    if request_type == "Delete" and body["Status"] == "SUCCESS":
        assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    for field in ("StackId", "RequestId", "LogicalResourceId"):
        if isinstance(event.get(field), str) and event[field]:
            assert body[field] == event[field]


class StrictHandler(logging.Handler):
    """A root handler with the Lambda runtime's JSON formatter that lets no logging error pass silently.

    The stock ``Handler.handleError`` prints to stderr and carries on; in Lambda that
    means a lost log line. Raising here makes such an error fail the property.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def handleError(self, record: logging.LogRecord) -> None:
        raise AssertionError(f"logging error for {record.msg!r}")


@pytest.fixture
def strict_root_handler() -> Iterator[StrictHandler]:
    handler = StrictHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@dataclass
class WiredHandler:
    """The handler module answering into a recorder, its AppIntegrations calls answered by the stub."""

    appintegrations: AppIntegrationsStub
    monkeypatch: pytest.MonkeyPatch

    def run(self, event: Any, outcomes: list[str | None]) -> Recorder:
        """``event`` through the handler, its calls answered from ``outcomes`` (None: success), then success."""
        self.appintegrations.reset()
        for code in [*outcomes, None]:
            if code is None:
                self.appintegrations.add_response(UPDATE, {})
            else:
                self.appintegrations.add_client_errors(UPDATE, code, ERROR_STATUS[code], message="m" * 500)
        sent = Recorder()
        self.monkeypatch.setattr(provider.helper, "_transport", sent)
        self.monkeypatch.setattr(provider, "_client", self.appintegrations.client)
        self.monkeypatch.setattr(
            provider, "update_association", functools.partial(update_association, sleep=FakeClock().sleep)
        )
        run_handler(event)
        return sent


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[WiredHandler]:
    """One stub (and client) for every example of a property: each example scripts it afresh."""
    with AppIntegrationsStub() as stub:
        yield WiredHandler(stub, monkeypatch)


outcome_scripts = st.lists(st.one_of(st.none(), st.sampled_from(ERROR_CODES)), max_size=5)


@given(event=events(), outcomes=outcome_scripts)
def test_exactly_one_well_formed_answer(
    handler: WiredHandler, strict_root_handler: StrictHandler, event: Any, outcomes: list[str | None]
) -> None:
    sent = handler.run(event, outcomes)

    answer_checks(event, sent, handler.appintegrations)


@given(event=events(envelope=hostile_envelopes()), outcomes=outcome_scripts)
def test_hostile_envelopes_get_one_answer_and_no_logging_error(
    handler: WiredHandler, strict_root_handler: StrictHandler, event: Any, outcomes: list[str | None]
) -> None:
    strict_root_handler.lines.clear()

    sent = handler.run(event, outcomes)  # a logging error would raise through StrictHandler

    if not (isinstance(event["ResponseURL"], str) and event["ResponseURL"].startswith("https://")):
        assert sent.bodies == []  # nowhere safe to answer: CloudFormation never sends such an event
        assert handler.appintegrations.calls == []
        return
    answer_checks(event, sent, handler.appintegrations)
    # A FAILED answer has one record, which shows each envelope value as it came ('%' and all).
    records = [json.loads(line) for line in strict_root_handler.lines]
    failed = [record for record in records if record.get("outcome") == "FAILED"]
    assert len(failed) == (sent.bodies[0]["Status"] == "FAILED")
    for record in failed:
        assert record["reason"] == sent.bodies[0]["Reason"]
        for field, key in (("StackId", "stack_id"), ("RequestId", "cfn_request_id")):
            assert record[key] == sent.bodies[0][field], field
