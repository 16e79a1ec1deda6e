"""The retry engine: what is retried and how often, the backoff and its memory, the deadline."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from appintegrations_cr import constants
from appintegrations_cr.appintegrations import update_association
from appintegrations_cr.contract import AssociationRequest, ContractError, parse_properties
from appintegrations_cr.errors import (
    DeadlineError,
    EndpointUnreachableError,
    ProviderError,
    ResolutionError,
    SdkError,
    ServiceError,
    TargetError,
)
from appintegrations_cr.retries import Backoff, fits_before_deadline
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.stub import Stubber

from tests.unit.lambda_doubles import FakeClock
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


class NetworkClient:
    """Each call fails with the next scripted botocore error (None: success), taking ``cost_s`` off the clock."""

    def __init__(self, clock: FakeClock, errors: list[Exception | None], cost_s: float = 0.0) -> None:
        self.clock = clock
        self.errors = list(errors)
        self.cost_s = cost_s
        self.calls = 0
        self.meta = boto3.client("appintegrations", region_name="us-east-1").meta

    def update_data_integration_association(self, **_kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        error = self.errors.pop(0) if self.errors else None
        if error is None:
            return {}
        self.clock.remaining_s -= self.cost_s
        raise error


def network(clock: FakeClock, errors: list[Exception | None], cost_s: float = 0.0) -> Any:
    """A NetworkClient typed as the boto3 client it stands in for."""
    return NetworkClient(clock, errors, cost_s)


URL = "https://app-integrations.us-east-1.amazonaws.com/dataIntegrations/di-1/associations/assoc-1"


def connect_timeout() -> ConnectTimeoutError:
    return ConnectTimeoutError(endpoint_url=URL)


def test_an_unreachable_endpoint_fails_in_seconds_not_minutes() -> None:
    """The worst case for a name with one address: two connect timeouts and one short pause (docs/locked-down.md)."""
    clock = FakeClock(constants.FUNCTION_TIMEOUT_S)
    client = network(clock, [connect_timeout()] * 10, cost_s=constants.CONNECT_TIMEOUT_S)
    with pytest.raises(EndpointUnreachableError):
        update_association(
            client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(level=8), rng=always(1.0)
        )
    spent = constants.FUNCTION_TIMEOUT_S - clock.remaining_s
    assert client.calls == constants.MAX_UNREACHABLE_ATTEMPTS
    assert spent == constants.MAX_UNREACHABLE_ATTEMPTS * constants.CONNECT_TIMEOUT_S + constants.BASE_BACKOFF_S == 7.0


def test_a_passing_connect_failure_is_retried_once_and_leaves_the_backoff_level_alone() -> None:
    clock = FakeClock(600.0)
    memory = Backoff(level=5)
    client = network(
        clock, [EndpointConnectionError(endpoint_url=URL, error=OSError("[Errno 111] Connection refused"))]
    )
    outcome = update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory, rng=always(1.0))
    assert (outcome.attempts, outcome.throttled) == (2, 0)
    assert clock.sleeps == [constants.BASE_BACKOFF_S]
    assert memory.level == 4  # the usual decay of a call that got through, nothing more


def test_throttling_before_a_lost_connection_still_ends_with_the_endpoint_named() -> None:
    clock = FakeClock(600.0)
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "UpdateDataIntegrationAssociation"
    )
    client = network(clock, [throttled, throttled, connect_timeout(), connect_timeout()])
    with pytest.raises(EndpointUnreachableError, match=r"^Could not reach the AppIntegrations endpoint https://app-"):
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.5))
    assert client.calls == 4


def test_read_timeouts_are_retried_like_server_errors() -> None:
    """A read timeout means the connection was made: the service may be slow, not out of reach."""
    clock = FakeClock(600.0)
    client = network(clock, [ReadTimeoutError(endpoint_url=URL)] * 10)
    with pytest.raises(ServiceError) as caught:
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.0))
    assert not isinstance(caught.value, EndpointUnreachableError)
    assert client.calls == constants.MAX_FAILED_ATTEMPTS
    assert str(caught.value).startswith(
        f"Gave up after {constants.MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures: "
        "ReadTimeoutError: Read timeout on endpoint URL"
    )


def test_a_connect_failure_with_no_time_for_a_retry_is_worded_as_unreachable() -> None:
    left = iter([constants.ATTEMPT_BUDGET_S + 0.5, constants.ATTEMPT_BUDGET_S - 0.1])
    client = network(FakeClock(0), [connect_timeout()])
    with pytest.raises(EndpointUnreachableError, match=r"; 1 attempt\(s\)\)\. If the provider runs in a VPC"):
        update_association(client, request(), lambda: next(left), sleep=Sleeps())


def test_an_sdk_failure_before_any_answer_fails_at_once_and_is_not_a_service_error() -> None:
    client = network(FakeClock(600.0), [NoCredentialsError()])
    with pytest.raises(SdkError, match=r"^Calling AppIntegrations failed: Unable to locate credentials$") as caught:
        update_association(client, request(), lambda: 600.0, sleep=Sleeps())
    assert not isinstance(caught.value, ServiceError)
    assert client.calls == 1


def test_every_failure_raised_on_purpose_is_a_provider_error() -> None:
    """The handler catches the base class, so nothing raised on purpose may escape it."""
    for error in (EndpointUnreachableError, SdkError, ServiceError, DeadlineError, ResolutionError, TargetError):
        assert issubclass(error, ProviderError)
    assert issubclass(ContractError, ProviderError)
    assert issubclass(ContractError, ValueError)  # what the construct, which runs the same rules, raises
