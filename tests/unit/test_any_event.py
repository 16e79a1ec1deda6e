"""Property: whatever arrives, the handler answers exactly once, well-formed, and never raises."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from appintegrations_cr import handler as provider
from appintegrations_cr import service
from appintegrations_cr.contract import ContractError, parse_properties
from appintegrations_cr.resource import MAX_BODY_BYTES, MAX_PHYSICAL_ID_BYTES
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.lambda_doubles import LambdaContext, Recorder, cfn_event
from tests.unit.test_contract import ON_DEMAND, SCHEDULED

pytestmark = pytest.mark.unit

ERROR_CODES = ["ResourceNotFoundException", "AccessDeniedException", "InvalidRequestException", "ThrottlingException"]

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


@st.composite
def events(draw: st.DrawFn) -> Any:
    request_type = draw(st.sampled_from(["Create", "Update", "Delete", "Delete", "Nonsense"]))
    event: dict[str, Any] = cfn_event(request_type, {})
    event["ResourceProperties"] = draw(properties())
    if request_type != "Create" or draw(st.booleans()):
        event["PhysicalResourceId"] = draw(st.one_of(st.just("di-1|assoc-1"), st.text(min_size=1, max_size=40)))
    if request_type == "Update" or draw(st.booleans()):
        event["OldResourceProperties"] = draw(properties())
    for field in draw(
        st.lists(st.sampled_from(["StackId", "RequestId", "LogicalResourceId", "RequestType"]), max_size=2)
    ):
        event[field] = draw(st.one_of(st.none(), st.integers(), st.text(max_size=5)))
    return event


class FlakyClient:
    """Answers each call from a drawn script: success or a service error."""

    def __init__(self, outcomes: list[str | None]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, Any]] = []

    def update_data_integration_association(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        code = self.outcomes[len(self.calls) - 1] if len(self.calls) <= len(self.outcomes) else None
        if code is None:
            return {}
        raise ClientError({"Error": {"Code": code, "Message": "m" * 500}}, "UpdateDataIntegrationAssociation")


def valid(props: Any) -> bool:
    try:
        parse_properties(props)
    except ContractError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events(), outcomes=st.lists(st.one_of(st.none(), st.sampled_from(ERROR_CODES)), max_size=5))
def test_exactly_one_well_formed_answer(
    monkeypatch: pytest.MonkeyPatch, event: Any, outcomes: list[str | None]
) -> None:
    sent, client = Recorder(), FlakyClient(outcomes)
    monkeypatch.setattr(provider.helper, "_transport", sent)
    monkeypatch.setattr(provider, "_client", client)
    monkeypatch.setattr(provider, "apply", functools.partial(service.apply, sleep=lambda _s: None))

    provider.handler(event, LambdaContext())

    assert len(sent.bodies) == 1
    body = sent.bodies[0]
    assert body["bytes"] <= MAX_BODY_BYTES
    assert body["Status"] in {"SUCCESS", "FAILED"}
    assert isinstance(body["PhysicalResourceId"], str)
    assert 0 < len(body["PhysicalResourceId"].encode()) <= MAX_PHYSICAL_ID_BYTES
    if body["Status"] == "FAILED":
        assert body["Reason"]
    request_type = event.get("RequestType")
    if request_type == "Delete" or not valid(event.get("ResourceProperties")):
        assert client.calls == []
    if request_type == "Delete" and body["Status"] == "SUCCESS":
        assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    for field in ("StackId", "RequestId", "LogicalResourceId"):
        if isinstance(event.get(field), str) and event[field]:
            assert body[field] == event[field]
