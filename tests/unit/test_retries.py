"""The retry engine: what is retried and how often, the backoff and its memory, the deadline."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from appintegrations_cr import constants
from appintegrations_cr.appintegrations import list_associations_page, update_association
from appintegrations_cr.contract import AssociationRequest, ContractError, parse_properties
from appintegrations_cr.errors import (
    DeadlineError,
    EndpointUnreachableError,
    OutcomeUnknownError,
    ProviderError,
    ResolutionError,
    SdkError,
    ServiceError,
    TargetError,
)
from appintegrations_cr.retries import (
    MAX_UNANSWERED_UPDATES,
    THROTTLING_CODES,
    THROTTLING_STATUS_CODES,
    TRANSIENT_CODES,
    TRANSIENT_EXCEPTIONS,
    TRANSIENT_STATUS_CODES,
    Backoff,
    Kind,
    classify,
    fits_before_deadline,
)
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
)

from testkit.appintegrations_stub import AppIntegrationsStub, NetworkError, connect_timeout, connection_failed
from testkit.association_properties import ON_DEMAND
from testkit.clock import FakeClock

pytestmark = pytest.mark.unit

UPDATE = "update_data_integration_association"
LIST = "list_data_integration_associations"


def service_error(code: str, status: int) -> ClientError:
    """A ClientError as botocore makes one from an answer with ``code`` and HTTP ``status``."""
    answer: Any = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(answer, "UpdateDataIntegrationAssociation")


def request(properties: dict[str, Any] = ON_DEMAND) -> AssociationRequest:
    return parse_properties(properties)


def always(value: float) -> Any:
    return lambda: value


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 429), ("InternalServiceError", 500)])
def test_transient_errors_are_retried_with_backoff(
    client: Any, stubber: AppIntegrationsStub, code: str, status: int
) -> None:
    stubber.add_client_errors(UPDATE, code, status, times=2)
    stubber.add_response(UPDATE, {})
    clock = FakeClock(600.0)
    outcome = update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff())
    assert outcome.attempts == 3
    assert outcome.throttled == (2 if code == "ThrottlingException" else 0)
    assert len(clock.sleeps) == 2
    assert all(0 <= s <= constants.MAX_BACKOFF_S for s in clock.sleeps)


def test_throttling_is_retried_past_any_attempt_count_while_time_remains(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429, times=25)
    stubber.add_response(UPDATE, {})
    clock = FakeClock(3600.0)
    outcome = update_association(
        client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.5)
    )
    assert (outcome.attempts, outcome.throttled) == (26, 25)
    assert len(clock.sleeps) == 25


def test_throttling_stops_before_the_deadline_and_says_why_with_code_and_request_id() -> None:
    clock = FakeClock(constants.FUNCTION_TIMEOUT_S - 1.0)
    with AppIntegrationsStub() as stub:
        stub.add_client_errors(UPDATE, "ThrottlingException", 429, times=1000)
        with pytest.raises(ServiceError) as caught:
            update_association(
                stub.client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(1.0)
            )
    # Never slept into the last attempt's budget: one attempt and the response still fit.
    assert clock.remaining() >= constants.ATTEMPT_BUDGET_S
    assert clock.remaining() - constants.MAX_BACKOFF_S < constants.ATTEMPT_BUDGET_S  # and did not give up early
    message, calls = str(caught.value), len(stub.calls)
    assert f"Gave up after {calls} attempt(s), {calls} throttled, to stay within the deadline" in message
    assert message.endswith(f"[ThrottlingException; request id req-{calls}]")


def test_server_errors_are_retried_a_few_times_only() -> None:
    clock = FakeClock(600.0)
    with AppIntegrationsStub() as stub:
        stub.add_client_errors(UPDATE, "InternalServiceError", 500, times=10)
        with pytest.raises(ServiceError) as caught:
            update_association(
                stub.client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.0)
            )
    assert len(stub.calls) == constants.MAX_FAILED_ATTEMPTS
    assert f"Gave up after {constants.MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures" in str(
        caught.value
    )
    assert "[InternalServiceError; request id req-4]" in str(caught.value)


def test_stops_retrying_when_the_deadline_is_near() -> None:
    # time for the first attempt, and then (the attempt took it) no more
    clock = FakeClock(constants.ATTEMPT_BUDGET_S + 0.5)
    with AppIntegrationsStub(clock=clock, call_s=0.6) as stub:
        stub.add_client_errors(UPDATE, "InternalServiceError", 500)
        with pytest.raises(ServiceError, match=r"Gave up after 1 attempt\(s\)"):
            update_association(stub.client, request(), clock.remaining, sleep=clock.sleep)
        stub.assert_no_pending_responses()


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


def test_a_warm_container_resumes_backoff_one_level_below_where_it_last_got_through(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    memory = Backoff()
    clock = FakeClock(600.0)
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429, times=4)
    stubber.add_response(UPDATE, {})
    update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory, rng=always(1.0))
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert memory.level == 4  # got through after the level-4 delay; resume one below
    clock.sleeps.clear()
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429)
    stubber.add_response(UPDATE, {})
    update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory, rng=always(1.0))
    assert clock.sleeps == [8.0]  # the next execution's first retry starts at level 4
    assert memory.level == 4
    stubber.add_response(UPDATE, {})
    update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory)
    assert memory.level == 3  # a call that is not throttled lets the pace recover
    for _ in range(5):
        stubber.add_response(UPDATE, {})
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory)
    assert memory.level == 1


def test_an_unreachable_endpoint_fails_in_seconds_not_minutes() -> None:
    """The worst case for a name with one address: two connect timeouts and one short pause (docs/locked-down.md)."""
    clock = FakeClock(constants.FUNCTION_TIMEOUT_S)
    with AppIntegrationsStub(clock=clock, call_s=constants.CONNECT_TIMEOUT_S) as stub:
        stub.add_unanswered(UPDATE, connect_timeout, times=10)
        with pytest.raises(EndpointUnreachableError):
            update_association(
                stub.client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(level=8), rng=always(1.0)
            )
    assert len(stub.calls) == constants.MAX_UNREACHABLE_ATTEMPTS
    assert (
        clock.now == constants.MAX_UNREACHABLE_ATTEMPTS * constants.CONNECT_TIMEOUT_S + constants.BASE_BACKOFF_S == 7.0
    )


def test_a_passing_connect_failure_is_retried_once_and_leaves_the_backoff_level_alone(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    clock = FakeClock(600.0)
    memory = Backoff(level=5)
    stubber.add_unanswered(UPDATE, connection_failed("[Errno 111] Connection refused"))
    stubber.add_response(UPDATE, {})
    outcome = update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=memory, rng=always(1.0))
    assert (outcome.attempts, outcome.throttled) == (2, 0)
    assert clock.sleeps == [constants.BASE_BACKOFF_S]
    assert memory.level == 4  # the usual decay of a call that got through, nothing more


def test_throttling_before_a_lost_connection_still_ends_with_the_endpoint_named(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    clock = FakeClock(600.0)
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429, times=2)
    stubber.add_unanswered(UPDATE, connect_timeout, times=2)
    with pytest.raises(EndpointUnreachableError, match=r"^Could not reach the AppIntegrations endpoint https://app-"):
        update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.5))
    assert len(stubber.calls) == 4


def never_answered(error: NetworkError, raises: type[ProviderError]) -> tuple[int, str]:
    """An Update whose every attempt ends in ``error``: how many calls were made, and the reason given."""
    clock = FakeClock(600.0)
    with AppIntegrationsStub() as stub:
        stub.add_unanswered(UPDATE, error, times=10)
        with pytest.raises(raises) as caught:
            update_association(
                stub.client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.0)
            )
    return len(stub.calls), str(caught.value)


def test_an_update_that_may_have_landed_unanswered_is_sent_at_most_twice() -> None:
    """A read timeout means the request was sent: the update may have landed, and each one re-runs the job."""
    calls, message = never_answered(lambda url: ReadTimeoutError(endpoint_url=url), OutcomeUnknownError)
    assert calls == MAX_UNANSWERED_UPDATES == 2
    assert message.startswith(
        "Gave up after 2 attempt(s), 0 throttled, not sending it again: each update that lands re-runs the "
        "association's job: the request was sent and no answer came within the 10 s read timeout "
        "(2 of them sent without an answer). The update of association "
    )
    assert "may have been applied" in message
    assert "list-data-integration-associations --data-integration-identifier" in message


def test_a_list_that_times_out_is_retried_like_a_server_error(client: Any, stubber: AppIntegrationsStub) -> None:
    """Listing changes nothing, so an unanswered page is simply asked for again."""
    stubber.add_unanswered(LIST, lambda url: ReadTimeoutError(endpoint_url=url), times=3)
    stubber.add_response(LIST, {"NextToken": "t"})
    clock = FakeClock(600.0)
    _, outcome = list_associations_page(
        client, "di", None, clock.remaining, sleep=clock.sleep, backoff=Backoff(), rng=always(0.0)
    )
    assert outcome.attempts == 4


@pytest.mark.parametrize(
    "error",
    [
        lambda url: ConnectionClosedError(endpoint_url=url),
        lambda url: ConnectionClosedError(endpoint_url=url, error=ConnectionResetError(104, "reset by peer")),
        lambda url: HTTPClientError(error=OSError("stream ended")),
    ],
)
def test_a_connection_closed_after_the_request_is_retried_like_a_server_error(
    client: Any, stubber: AppIntegrationsStub, error: Any
) -> None:
    """What botocore's standard retry mode retries (an HTTPClientError): idle NATs and load balancers do this."""
    stubber.add_unanswered(UPDATE, error, times=2)
    stubber.add_response(UPDATE, {})
    clock = FakeClock(600.0)
    outcome = update_association(client, request(), clock.remaining, sleep=clock.sleep, backoff=Backoff())
    assert (outcome.attempts, len(stubber.calls)) == (3, 3)


def test_a_connection_closed_every_time_gives_up_saying_the_request_was_sent() -> None:
    calls, message = never_answered(lambda url: ConnectionClosedError(endpoint_url=url), ServiceError)
    assert calls == constants.MAX_FAILED_ATTEMPTS
    assert message == (
        f"Gave up after {constants.MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures: the "
        "request was sent and the connection was closed (or reset) before an answer came"
    )
    assert "before any" not in message


def test_the_retried_kinds_are_botocores_standard_retry_modes() -> None:
    """What heals is what AWS's SDKs retry: these lists must follow botocore's own."""
    standard: Any = importlib.import_module("botocore.retries.standard")  # its private lists are the source
    assert set(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == THROTTLING_CODES
    assert set(standard.ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES) == THROTTLING_STATUS_CODES
    assert set(standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES) == TRANSIENT_CODES
    assert set(standard.TransientRetryableChecker._TRANSIENT_STATUS_CODES) == TRANSIENT_STATUS_CODES
    assert standard.TransientRetryableChecker._TRANSIENT_EXCEPTION_CLS == TRANSIENT_EXCEPTIONS


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConnectTimeoutError(endpoint_url="u"), Kind.NOT_SENT),
        (EndpointConnectionError(endpoint_url="u"), Kind.NOT_SENT),
        (ReadTimeoutError(endpoint_url="u"), Kind.UNANSWERED),
        (ConnectionClosedError(endpoint_url="u"), Kind.TRANSIENT),
        (HTTPClientError(error=OSError("x")), Kind.TRANSIENT),
        (NoCredentialsError(), Kind.FINAL),
        (
            service_error("SlowDown", 503),
            Kind.THROTTLED,
        ),
        (
            service_error("Unmodeled", 429),
            Kind.THROTTLED,
        ),
        (
            service_error("Whatever", 502),
            Kind.TRANSIENT,
        ),
        (
            service_error("RequestTimeout", 400),
            Kind.TRANSIENT,
        ),
        (
            service_error("AccessDeniedException", 403),
            Kind.FINAL,
        ),
    ],
)
def test_each_failure_is_sorted_by_what_it_says_about_the_request(error: Exception, kind: Kind) -> None:
    assert classify(error) is kind


def test_a_connect_failure_with_no_time_for_a_retry_is_worded_as_unreachable() -> None:
    clock = FakeClock(constants.ATTEMPT_BUDGET_S + 0.5)
    with AppIntegrationsStub(clock=clock, call_s=0.6) as stub:
        stub.add_unanswered(UPDATE, connect_timeout)
        with pytest.raises(EndpointUnreachableError, match=r"; 1 attempt\(s\)\)\. If the provider runs in a VPC"):
            update_association(stub.client, request(), clock.remaining, sleep=clock.sleep)
        stub.assert_no_pending_responses()


def test_an_sdk_failure_before_any_answer_fails_at_once_and_is_not_a_service_error(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    clock = FakeClock(600.0)
    stubber.add_unanswered(UPDATE, lambda _url: NoCredentialsError())
    with pytest.raises(
        SdkError, match=r"^Calling AppIntegrations failed before the request was sent: Unable to locate credentials$"
    ) as caught:
        update_association(client, request(), clock.remaining, sleep=clock.sleep)
    assert not isinstance(caught.value, ServiceError)
    assert len(stubber.calls) == 1


def test_every_failure_raised_on_purpose_is_a_provider_error() -> None:
    """The handler catches the base class, so nothing raised on purpose may escape it."""
    for error in (
        EndpointUnreachableError,
        OutcomeUnknownError,
        SdkError,
        ServiceError,
        DeadlineError,
        ResolutionError,
        TargetError,
    ):
        assert issubclass(error, ProviderError)
    assert issubclass(ContractError, ProviderError)
    assert issubclass(ContractError, ValueError)  # what the construct, which runs the same rules, raises


def test_a_check_before_each_attempt_runs_first_and_keeps_its_time_before_the_deadline(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    """``before_attempt`` (the stack's status, see ``stack_status``) runs before every attempt, the first included,
    and the throttled retries stop early enough that it, one attempt and the response still fit; a first attempt
    with time for itself only is made unchecked."""
    stubber.add_client_errors(UPDATE, "ThrottlingException", 429, times=1000)
    clock = FakeClock(constants.FUNCTION_TIMEOUT_S - 1.0)
    checks: list[float] = []
    with pytest.raises(ServiceError):
        update_association(
            client,
            request(),
            clock.remaining,
            sleep=clock.sleep,
            backoff=Backoff(),
            rng=always(1.0),
            before_attempt=lambda: checks.append(clock.remaining()),
        )
    assert len(checks) == len(stubber.calls)
    assert min(checks) >= constants.ATTEMPT_BUDGET_S + constants.STATUS_CHECK_S
    stubber.reset()
    stubber.add_response(UPDATE, {})
    late = FakeClock(constants.ATTEMPT_BUDGET_S + constants.STATUS_CHECK_S - 0.1)
    unchecked: list[float] = []
    update_association(client, request(), late.remaining, before_attempt=lambda: unchecked.append(late.remaining()))
    assert unchecked == []  # time for the attempt but not for the check too: made as without a check
