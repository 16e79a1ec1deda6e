"""The handler installed when the provider's code cannot be imported: every event answered once, at once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from appintegrations_cr import import_failure, resource
from appintegrations_cr.import_failure import FAILED_CREATE_PREFIX, answer_for, answering_handler, reason_for

from testkit.association_properties import ON_DEMAND
from testkit.cfn_events import RESPONSE_URL, SIGNATURE, cfn_event
from testkit.clock import FakeClock, LambdaContext
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit


def import_error() -> ModuleNotFoundError:
    try:
        import crhelper_not_in_this_asset  # type: ignore[import-not-found]  # noqa: F401
    except ModuleNotFoundError as error:
        return error
    raise AssertionError("the module exists")


class Puts:
    """Stands in for ``import_failure._put``: records each body; says whether it arrived."""

    def __init__(self, arrives: bool = True) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.remaining: list[float] = []
        self.arrives = arrives

    def __call__(self, url: str, body: dict[str, Any], remaining_s: Any) -> bool:
        assert url == RESPONSE_URL
        self.bodies.append(body)
        self.remaining.append(remaining_s())
        return self.arrives


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> Puts:
    """Every answer the import-failure handler sends, recorded instead of PUT."""
    recorder = Puts()
    monkeypatch.setattr(import_failure, "_put", recorder)
    return recorder


def test_the_prefix_of_a_failed_create_is_the_regular_handlers() -> None:
    """So that, once the asset is fixed, the regular handler's Delete knows the id for a no-op."""
    assert FAILED_CREATE_PREFIX == resource.FAILED_CREATE_PREFIX


def test_the_reason_names_the_import_error_and_what_to_check() -> None:
    reason = reason_for(import_error())
    assert reason.startswith(
        "The provider could not load its code (ModuleNotFoundError: No module named 'crhelper_not_in_this_asset'),"
        " so it applied nothing."
    )
    assert len(reason_for(ImportError("x" * 5000))) < 1300  # CloudFormation's body holds 4096 bytes


@pytest.mark.parametrize(
    ("request_type", "extra", "status", "physical_id"),
    [
        ("Create", {}, "FAILED", f"{FAILED_CREATE_PREFIX}Sync"),
        ("Update", {"PhysicalResourceId": "di|assoc", "OldResourceProperties": ON_DEMAND}, "FAILED", "di|assoc"),
        ("Delete", {"PhysicalResourceId": "di|assoc"}, "SUCCESS", "di|assoc"),
        ("Delete", {"PhysicalResourceId": f"{FAILED_CREATE_PREFIX}Sync"}, "SUCCESS", f"{FAILED_CREATE_PREFIX}Sync"),
    ],
)
def test_create_and_update_fail_and_delete_succeeds_with_the_resources_id(
    request_type: str, extra: dict[str, Any], status: str, physical_id: str
) -> None:
    event = cfn_event(request_type, ON_DEMAND, **extra)
    body = answer_for(event, "why")
    assert (body["Status"], body["PhysicalResourceId"]) == (status, physical_id)
    assert body["Reason"] == ("why" if status == "FAILED" else "")
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        event["StackId"],
        event["RequestId"],
        event["LogicalResourceId"],
    )


def test_a_malformed_event_still_gets_an_answer_cloudformation_accepts() -> None:
    body = answer_for({"RequestType": 5, "ResponseURL": RESPONSE_URL}, "why")
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == f"{FAILED_CREATE_PREFIX}unknown"


def test_the_handler_logs_the_import_error_once_then_answers_each_event_once(
    runtime_log: RuntimeLogFactory, puts: Puts
) -> None:
    out = runtime_log("JSON", "INFO")
    handler = answering_handler(import_error())
    [init] = out.records()
    assert (init["level"], init["errorType"]) == ("ERROR", "ModuleNotFoundError")
    assert init["stackTrace"]

    for request_type in ("Create", "Delete"):
        extra: dict[str, Any] = {"PhysicalResourceId": "di|assoc"} if request_type == "Delete" else {}
        assert handler(cfn_event(request_type, ON_DEMAND, **extra), LambdaContext(timeout_ms=30_000)) is None

    assert [b["Status"] for b in puts.bodies] == ["FAILED", "SUCCESS"]
    assert all(0 < remaining <= 30 for remaining in puts.remaining)
    created, deleted = out.records()
    assert (created["outcome"], created["level"], created["request_type"]) == ("FAILED", "ERROR", "Create")
    assert created["reason"] == puts.bodies[0]["Reason"]
    assert (deleted["outcome"], deleted["level"], deleted["delivered"]) == ("DELETED", "WARNING", True)


def test_an_event_without_an_https_url_is_logged_not_answered(runtime_log: RuntimeLogFactory, puts: Puts) -> None:
    out = runtime_log("JSON", "INFO")
    handler = answering_handler(import_error())
    out.lines()
    handler({**cfn_event("Create", ON_DEMAND), "ResponseURL": "http://insecure"}, LambdaContext())
    handler("not an event", LambdaContext())
    assert puts.bodies == []
    assert [r["outcome"] for r in out.records()] == ["UNANSWERED", "UNANSWERED"]


def test_the_records_never_carry_the_event_or_its_signature(runtime_log: RuntimeLogFactory, puts: Puts) -> None:
    out = runtime_log("Text", None)
    puts.arrives = False
    answering_handler(import_error())(cfn_event("Update", ON_DEMAND, PhysicalResourceId="x"), LambdaContext())
    lines = out.lines()
    assert len(lines) == 2  # the import error (its traceback on its line) and the answer
    assert not any(SIGNATURE in line or "ResponseURL" in line for line in lines)
    fields = json.loads(lines[1].split("\t")[3].split(" without the provider's code ", 1)[1])
    assert (fields["outcome"], fields["delivered"]) == ("FAILED", False)


def test_the_put_gives_up_after_a_few_bounded_tries(monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts: list[float] = []
    clock = FakeClock(100.0)

    class Unreachable:
        def __init__(self, _host: str, *, timeout: float, context: Any) -> None:
            timeouts.append(timeout)

        def request(self, *_args: Any, **_kwargs: Any) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

        def close(self) -> None:
            pass

    monkeypatch.setattr(import_failure, "HTTPSConnection", Unreachable)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    assert import_failure._put(RESPONSE_URL, {"Status": "FAILED"}, clock.remaining) is False
    assert timeouts == [import_failure.ATTEMPT_TIMEOUT_S] * import_failure.ATTEMPTS
    assert clock.sleeps == [import_failure.PAUSE_S] * (import_failure.ATTEMPTS - 1)
    timeouts.clear()
    assert import_failure._put(RESPONSE_URL, {"Status": "FAILED"}, FakeClock(0.4).remaining) is False
    assert timeouts == []  # no time left before the deadline: no try
