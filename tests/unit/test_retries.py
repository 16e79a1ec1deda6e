"""The retry engine: what is retried and how often, the backoff and its memory, the deadline."""

from __future__ import annotations

from typing import Any

import pytest
from appintegrations_cr import constants
from appintegrations_cr.appintegrations import update_association
from appintegrations_cr.contract import AssociationRequest, parse_properties
from appintegrations_cr.errors import ServiceError
from appintegrations_cr.retries import Backoff, fits_before_deadline
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.unit.test_contract import ON_DEMAND

pytestmark = pytest.mark.unit


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def request(properties: dict[str, Any] = ON_DEMAND) -> AssociationRequest:
    return parse_properties(properties)


class ScriptedClient:
    """Answers each call with the next scripted error code (None: success), with a request id."""

    def __init__(self, codes: list[str | None]) -> None:
        self.codes = list(codes)
        self.calls = 0

    def update_data_integration_association(self, **_kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        code = self.codes.pop(0) if self.codes else None
        if code is None:
            return {}
        response: Any = {
            "Error": {"Code": code, "Message": "Rate exceeded"},
            "ResponseMetadata": {"RequestId": f"req-{self.calls}", "HTTPStatusCode": 429},
        }
        raise ClientError(response, "UpdateDataIntegrationAssociation")


class FakeClock:
    """Remaining time that shrinks by every sleep, as the Lambda context's does."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s
        self.sleeps: list[float] = []

    def remaining(self) -> float:
        return self.remaining_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.remaining_s -= seconds


def scripted(codes: list[str | None]) -> Any:
    """A ScriptedClient typed as the boto3 client it stands in for."""
    return ScriptedClient(codes)


def always(value: float) -> Any:
    return lambda: value


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServiceError"])
def test_transient_errors_are_retried_with_backoff(client: Any, stubber: Stubber, code: str) -> None:
    stubber.add_client_error("update_data_integration_association", code, "slow down", 429)
    stubber.add_client_error("update_data_integration_association", code, "slow down", 429)
    stubber.add_response("update_data_integration_association", {})
    sleeps = Sleeps()
    outcome = update_association(client, request(), lambda: 60.0, sleep=sleeps, backoff=Backoff())
    assert outcome.attempts == 3
    assert outcome.throttled == (2 if code == "ThrottlingException" else 0)
    assert len(sleeps) == 2
    assert all(0 <= s <= constants.MAX_BACKOFF_S for s in sleeps)


def test_throttling_is_retried_past_any_attempt_count_while_time_remains() -> None:
    client = scripted(["ThrottlingException"] * 25)
    clock = FakeClock(3600.0)
    outcome = update_association(
        client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.5)
    )
    assert (outcome.attempts, outcome.throttled) == (26, 25)
    assert len(clock.sleeps) == 25


def test_throttling_stops_before_the_deadline_and_says_why_with_code_and_request_id() -> None:
    client = scripted(["ThrottlingException"] * 1000)
    clock = FakeClock(constants.FUNCTION_TIMEOUT_S - 1.0)
    with pytest.raises(ServiceError) as caught:
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(1.0))
    # Never slept into the last attempt's budget: one attempt and the response still fit.
    assert clock.remaining_s >= constants.ATTEMPT_BUDGET_S
    assert clock.remaining_s - constants.MAX_BACKOFF_S < constants.ATTEMPT_BUDGET_S  # and did not give up early
    message = str(caught.value)
    assert f"Gave up after {client.calls} attempt(s), {client.calls} throttled, to stay within the deadline" in message
    assert message.endswith(f"[ThrottlingException; request id req-{client.calls}]")


def test_server_errors_are_retried_a_few_times_only() -> None:
    client = scripted(["InternalServiceError"] * 10)
    clock = FakeClock(600.0)
    with pytest.raises(ServiceError) as caught:
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.0))
    assert client.calls == constants.MAX_FAILED_ATTEMPTS
    assert f"Gave up after {constants.MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures" in str(
        caught.value
    )
    assert "[InternalServiceError; request id req-4]" in str(caught.value)


def test_stops_retrying_when_the_deadline_is_near(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("update_data_integration_association", "InternalServiceError", "oops", 500)
    left = iter([constants.ATTEMPT_BUDGET_S + 0.5, constants.ATTEMPT_BUDGET_S - 0.1])
    with pytest.raises(ServiceError, match=r"Gave up after 1 attempt\(s\)"):
        update_association(client, request(), lambda: next(left), sleep=Sleeps())


@pytest.mark.parametrize(
    ("remaining", "delay", "fits"),
    [
        (constants.ATTEMPT_BUDGET_S + 5.0, 5.0, True),
        (constants.ATTEMPT_BUDGET_S + 5.0, 5.01, False),
        (constants.ATTEMPT_BUDGET_S, 0.0, True),
        (constants.ATTEMPT_BUDGET_S - 0.01, 0.0, False),
    ],
)
def test_deadline_arithmetic(remaining: float, delay: float, fits: bool) -> None:
    assert fits_before_deadline(remaining, delay) is fits


def test_backoff_schedule_doubles_from_the_base_up_to_the_cap() -> None:
    schedule = Backoff()
    assert [schedule.delay(level, rng=always(1.0)) for level in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert schedule.delay(3, rng=always(0.25)) == 1.0  # full jitter scales the whole delay
    assert schedule.delay(3, rng=always(0.0)) == 0.0


def test_a_warm_container_resumes_backoff_one_level_below_where_it_last_got_through() -> None:
    memory = Backoff()
    clock = FakeClock(600.0)
    update_association(
        scripted(["ThrottlingException"] * 4),
        request(),
        clock.remaining,
        sleep=clock.sleep,
        backoff=memory,
        rng=always(1.0),
    )
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert memory.level == 4  # got through after the level-4 delay; resume one below
    clock.sleeps.clear()
    update_association(
        scripted(["ThrottlingException"]),
        request(),
        clock.remaining,
        sleep=clock.sleep,
        backoff=memory,
        rng=always(1.0),
    )
    assert clock.sleeps == [8.0]  # the next execution's first retry starts at level 4
    assert memory.level == 4
    update_association(scripted([]), request(), clock.remaining, sleep=clock.sleep, backoff=memory)
    assert memory.level == 3  # a call that is not throttled lets the pace recover
    for _ in range(5):
        update_association(scripted([]), request(), clock.remaining, sleep=clock.sleep, backoff=memory)
    assert memory.level == 1
