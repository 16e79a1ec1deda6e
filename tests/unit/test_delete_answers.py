"""Property: a Delete answers SUCCESS, at once, whatever its properties hold, in both log formats.

The docs promise that a Delete never fails and never blocks a rollback. Its properties are
never parsed, but they are logged (the record's fields; crhelper's DEBUG dump of the whole
event), so logging is what a hostile value can break: a value nested hundreds deep made
the redaction recurse past Python's limit, and 64,000 characters of ``http://`` made its
regular expression backtrack for seconds. Here such values go to the handler module as
CloudFormation would send them, under the Lambda runtime's own formatter, at DEBUG.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from appintegrations_cr import handler as provider
from appintegrations_cr.logs import MAX_LOGGED_CHARACTERS
from hypothesis import given, settings
from hypothesis import strategies as st

from testkit.appintegrations_stub import AppIntegrationsStub
from testkit.association_properties import ON_DEMAND
from testkit.cfn_events import RESPONSE_URL, SIGNATURE, cfn_event
from tests.unit.lambda_doubles import Recorder, run_handler
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit

# Today's code answers these in well under 0.1 s; before the fix one took 4-20 s (or failed).
# The budget leaves a loaded 2-core CI machine a wide margin while still catching a regression.
BUDGET_S = 2.0
PHYSICAL_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111|b2c3d4e5-6789-01ab-cdef-EXAMPLE22222"


UNITS = ["http://", "https://a?", "a?", "Signature", "Signature ", "?=", "%s", "x", "AKIA", "${", RESPONSE_URL]


@dataclass(frozen=True)
class Hostile:
    """A value described small, built big inside the test: Hypothesis prints the description, not the value."""

    shape: str  # 'long' text, a 'deep' list or dict, a 'wide' list or dict
    size: int
    unit: str
    as_dict: bool

    def build(self) -> Any:
        text = self.unit * (self.size // len(self.unit) + 1)
        if self.shape == "long":
            return text
        if self.shape == "wide":
            return {f"k{i}": self.unit for i in range(self.size)} if self.as_dict else [self.unit] * self.size
        value: Any = text[:64_000]
        for _ in range(self.size // 20):  # 50 to 3,000 levels
            value = {"DestinationURI": value} if self.as_dict else [value]
        return value


hostile = st.builds(
    Hostile,
    st.sampled_from(["long", "deep", "wide"]),
    st.integers(1_000, 60_000),
    st.sampled_from(UNITS),
    st.booleans(),
)

keys = st.sampled_from(
    [
        "DestinationURI",
        "DataIntegrationIdentifier",
        "DataIntegrationAssociationIdentifier",
        "ExecutionConfiguration",
        "X",
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    new=st.dictionaries(keys, hostile, min_size=1, max_size=3),
    old=st.dictionaries(keys, hostile, max_size=3),
    log_format=st.sampled_from(["JSON", "Text"]),
)
def test_a_delete_answers_success_at_once_whatever_its_properties_hold(
    runtime_log: RuntimeLogFactory, new: dict[str, Hostile], old: dict[str, Hostile], log_format: str
) -> None:
    log = runtime_log(log_format, "DEBUG")
    sent = Recorder()
    provider.helper._transport = sent
    event = cfn_event("Delete", ON_DEMAND, PhysicalResourceId=PHYSICAL_ID)  # it copies: built values come after
    event["ResourceProperties"].update({key: value.build() for key, value in new.items()})
    event["OldResourceProperties"] = {key: value.build() for key, value in old.items()}
    with AppIntegrationsStub() as appintegrations:
        provider._client = appintegrations.client
        started = time.monotonic()
        run_handler(event, timeout_ms=30_000)
        took = time.monotonic() - started
        assert appintegrations.calls == []
    assert [(body["Status"], body["PhysicalResourceId"]) for body in sent.bodies] == [("SUCCESS", PHYSICAL_ID)]
    assert took < BUDGET_S
    lines = log.lines()
    assert any("delete is a no-op" in line for line in lines)
    assert all(len(line) < 40 * MAX_LOGGED_CHARACTERS for line in lines)  # bounded, whatever the value
    assert not any(SIGNATURE in line for line in lines)


@pytest.fixture(autouse=True)
def _restore_handler_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property sets the module's transport and client directly (a fixture cannot serve each example)."""
    monkeypatch.setattr(provider.helper, "_transport", provider.helper._transport)
    monkeypatch.setattr(provider, "_client", provider._client)


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
@pytest.mark.parametrize("key", ["CrHelperPoll", "CrHelperPermission", "CrHelperRule", "CrHelperData"])
def test_crhelpers_own_polling_keys_never_skip_the_work(
    runtime_log: RuntimeLogFactory, request_type: str, key: str
) -> None:
    """Anyone who can invoke the function could add them; CloudFormation never does."""
    log = runtime_log("JSON", "INFO")
    sent = Recorder()
    provider.helper._transport = sent
    extra: dict[str, Any] = {key: True if key == "CrHelperPoll" else {"Forged": "yes"}}
    if request_type != "Create":
        extra |= {"PhysicalResourceId": PHYSICAL_ID, "OldResourceProperties": ON_DEMAND}
    event = cfn_event(request_type, {**ON_DEMAND, "RerunToken": "new"}, **extra)
    with AppIntegrationsStub() as appintegrations:
        provider._client = appintegrations.client
        if request_type != "Delete":
            appintegrations.add_response("update_data_integration_association", {})
        run_handler(event, timeout_ms=60_000)
        appintegrations.assert_no_pending_responses()  # the work was done: one update
    [body] = sent.bodies
    assert body["Status"] == "SUCCESS"
    assert "Forged" not in body["Data"]
    warnings = [record for record in log.records() if record["message"] == "ignoring keys CloudFormation never sends"]
    assert [record["ignored_keys"] for record in warnings] == [[key]]
