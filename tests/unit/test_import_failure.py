"""The handler installed when the provider's code cannot be imported: every event answered once, at once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from appintegrations_cr import delivery, import_failure, resource
from appintegrations_cr.constants import DELIVERY_ATTEMPTS, DELIVERY_TIMEOUT_S, FAILED_CREATE_PREFIX
from appintegrations_cr.import_failure import answer_for, answering_handler, reason_for

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
    """Stands in for ``delivery.deliver`` in the import-failure handler: records each body; says whether it arrived."""

    def __init__(self, arrives: bool = True) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.remaining: list[float] = []
        self.arrives = arrives

    def __call__(self, url: str, body: dict[str, Any], *, remaining_s: Any) -> bool:
        assert url == RESPONSE_URL
        self.bodies.append(body)
        self.remaining.append(remaining_s())
        return self.arrives


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> Puts:
    """Every answer the import-failure handler sends, recorded instead of PUT."""
    recorder = Puts()
    monkeypatch.setattr(import_failure, "deliver", recorder)
    return recorder


def test_the_id_of_a_failed_create_is_the_regular_handlers() -> None:
    """So that, once the asset is fixed, the regular handler's Delete knows the id for a no-op."""
    for logical_id in ("Sync", "L" * 2000):
        body = answer_for(cfn_event("Create", ON_DEMAND, LogicalResourceId=logical_id), "why")
        assert body["PhysicalResourceId"] == resource.failed_create_id(logical_id)


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


class Statuses:
    """Stands in for the HTTPS PUT of ``delivery.deliver``: answers each try with the next status."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.timeouts: list[float] = []

    def __call__(self, url: str, payload: bytes, _context: Any, timeout_s: float) -> tuple[int, str]:
        assert url == RESPONSE_URL
        assert json.loads(payload)["Status"] == "FAILED"
        self.timeouts.append(timeout_s)
        return self.statuses.pop(0), ""


def put_through_delivery(monkeypatch: pytest.MonkeyPatch, puts: Statuses, clock: FakeClock) -> None:
    """``delivery.deliver`` as the import-failure handler calls it, with only its clock and its PUT replaced."""
    real = delivery.deliver

    def deliver(url: str, body: dict[str, Any], **options: Any) -> bool:
        assert set(options) == {"remaining_s"}  # the policy itself (tries, pauses, timeouts) is delivery's
        return real(url, body, sleep=clock.sleep, put=puts, **options)

    monkeypatch.setattr(import_failure, "deliver", deliver)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((200,), (True, 1, [])),
        ((503, 429, 200), (True, 3, [1.0, 2.0])),
        ((500, 500, 500, 500, 200), (False, DELIVERY_ATTEMPTS, [1.0, 2.0, 4.0])),  # 4 tries, then it gives up
        ((403, 200), (False, 1, [])),  # a final 4xx: no retry changes it
    ],
)
def test_the_answer_is_delivered_with_the_policy_of_every_answer(
    runtime_log: RuntimeLogFactory,
    monkeypatch: pytest.MonkeyPatch,
    statuses: tuple[int, ...],
    expected: tuple[bool, int, list[float]],
) -> None:
    """Through the handler: whether it got through (its log line), the tries and the pauses between them."""
    delivered, tries, pauses = expected
    out = runtime_log("JSON", "INFO")
    clock = FakeClock(100.0)
    puts = Statuses(*statuses)
    put_through_delivery(monkeypatch, puts, clock)
    answering_handler(import_error())(cfn_event("Create", ON_DEMAND), clock.lambda_context())
    assert out.records()[-1]["delivered"] is delivered
    assert clock.sleeps == pauses
    assert len(puts.timeouts) == tries
    assert all(timeout == DELIVERY_TIMEOUT_S for timeout in puts.timeouts)


def test_no_try_is_made_without_time_left_before_the_deadline(
    runtime_log: RuntimeLogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = runtime_log("JSON", "INFO")
    clock = FakeClock(0.15)
    puts = Statuses(200)
    put_through_delivery(monkeypatch, puts, clock)
    answering_handler(import_error())(cfn_event("Create", ON_DEMAND), clock.lambda_context())
    assert out.records()[-1]["delivered"] is False
    assert puts.timeouts == []


def test_the_handler_records_whether_delivery_got_through(
    runtime_log: RuntimeLogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = runtime_log("JSON", "INFO")
    clock = FakeClock(30.0)
    put_through_delivery(monkeypatch, Statuses(403), clock)
    answering_handler(import_error())(cfn_event("Create", ON_DEMAND), LambdaContext(timeout_ms=30_000))
    refused, answered = out.records()[1:]
    assert refused["level"] == "ERROR"
    assert refused["message"].startswith("Could not deliver the response to CloudFormation:")
    assert (answered["outcome"], answered["delivered"]) == ("FAILED", False)
