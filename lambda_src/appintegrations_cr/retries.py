"""The retry engine: one AppIntegrations call retried in time, never past the Lambda deadline.

botocore's own retries are switched off (see ``appintegrations.CLIENT_CONFIG``): they do
not know how long the function has left, and a provider that is killed mid-retry leaves
CloudFormation waiting for its ServiceTimeout. Here every attempt first checks that it
can finish, and answer, before the function's deadline, and runs within a wall-clock
bound (``attempt_bound``): botocore's timeouts bound each read, not the call.

What heals is what botocore's *standard* retry mode retries (``botocore.retries.standard``;
``tests/unit/test_retries.py`` holds these lists against botocore's own), sorted by what a
failure says about the request:

- throttled (``THROTTLING_CODES``, or HTTP 429): the service asks for a slower pace.
  Retried until the deadline, with capped exponential backoff and full jitter,
  remembered across the executions a warm container serves (``Backoff``);
- not sent (``ConnectTimeoutError``, ``EndpointConnectionError``: refused, no route, a
  name that does not resolve): ``MAX_UNREACHABLE_ATTEMPTS``, after a short pause. A missing
  route (a VPC without NAT or endpoint) is not fixed by waiting, so the deployer hears
  about it in seconds;
- sent, and no answer in time (``ReadTimeoutError``, or the attempt's wall-clock bound
  passed): the service may have acted on it. An Update re-runs the association's job each
  time it lands, so an unanswered Update is sent at most ``MAX_UNANSWERED_UPDATES`` times;
  a List, which changes nothing, is retried like the next kind;
- transient (``TRANSIENT_CODES``, ``TRANSIENT_STATUS_CODES``, and every other
  ``ConnectionError`` or ``HTTPClientError``, such as a connection closed or reset after
  the request was sent): ``MAX_FAILED_ATTEMPTS`` in all, with the kind above;
- anything else fails at once: a service error as the service said it, an SDK error
  (no credentials, a parameter the model refuses) as botocore said it.
How each failure is worded is the caller's (``appintegrations``), except the generic part
of a reason that gives up.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

from .attempt_bound import AttemptExpiredError, bounded
from .constants import (
    ATTEMPT_BUDGET_S,
    ATTEMPT_TIMEOUT_S,
    BASE_BACKOFF_S,
    MAX_BACKOFF_S,
    MAX_FAILED_ATTEMPTS,
    MAX_UNREACHABLE_ATTEMPTS,
    READ_TIMEOUT_S,
    RESPONSE_RESERVE_S,
    STATUS_CHECK_S,
)
from .errors import (
    DeadlineError,
    EndpointUnreachableError,
    NotAppliedError,
    OutcomeUnknownError,
    SdkError,
    ServiceError,
    error_code,
)

# botocore.retries.standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES and
# ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
THROTTLING_STATUS_CODES = frozenset({429})
# botocore.retries.standard.TransientRetryableChecker's three lists.
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
TRANSIENT_STATUS_CODES = frozenset({500, 502, 503, 504})
TRANSIENT_EXCEPTIONS: tuple[type[Exception], ...] = (ConnectionError, HTTPClientError)
# An Update that was sent and got no answer may have landed (and re-run the job): one retry at most.
MAX_UNANSWERED_UPDATES = 2


class Kind(Enum):
    """What a failed attempt says about the request (see the module docstring)."""

    THROTTLED = "throttled"
    NOT_SENT = "not sent"
    UNANSWERED = "sent, no answer in time"
    TRANSIENT = "transient"
    FINAL = "final"


def status_code(error: ClientError) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def classify(error: Exception) -> Kind:
    """The kind of a failed attempt's error, as botocore's standard retry mode sorts it."""
    if isinstance(error, ClientError):
        code, status = error_code(error), status_code(error)
        if code in THROTTLING_CODES or status in THROTTLING_STATUS_CODES:
            return Kind.THROTTLED
        if code in TRANSIENT_CODES or status in TRANSIENT_STATUS_CODES:
            return Kind.TRANSIENT
        return Kind.FINAL
    if isinstance(error, (ConnectTimeoutError, EndpointConnectionError)):
        return Kind.NOT_SENT
    if isinstance(error, ReadTimeoutError):
        return Kind.UNANSWERED
    if isinstance(error, TRANSIENT_EXCEPTIONS):
        return Kind.TRANSIENT
    return Kind.FINAL


def what_happened(error: Exception, bound_s: float | None = None) -> str:
    """A failed attempt in words: whether the request was sent, and what came back (for a reason)."""
    if bound_s is not None:
        return (
            f"the request was sent and the answer did not complete within {bound_s:.0f} s, so the attempt was "
            f"abandoned (its connection closed)"
        )
    if isinstance(error, ReadTimeoutError):
        return f"the request was sent and no answer came within the {READ_TIMEOUT_S:.0f} s read timeout"
    if isinstance(error, ConnectionClosedError):
        return "the request was sent and the connection was closed (or reset) before an answer came"
    if isinstance(error, ClientError):
        return f"{error_code(error)} (HTTP {status_code(error)})"
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class Outcome:
    attempts: int
    throttled: int = 0


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter, remembering where the last call settled.

    Full jitter keeps executions that were throttled together from retrying in
    lockstep. The memory matters under a sustained rate limit: a warm container
    serves one execution after another, and each would otherwise start again at the
    shortest delay and spend attempts rediscovering how busy the account is. The
    level decays by one with each call, so the pace recovers when the limit lifts.
    """

    base_s: float = BASE_BACKOFF_S
    cap_s: float = MAX_BACKOFF_S
    level: int = 1

    def delay(self, level: int, rng: Callable[[], float] = random.random) -> float:
        return float(min(self.cap_s, self.base_s * 2 ** (level - 1)) * rng())

    def settle(self, level: int) -> None:
        """Remember the level reached by a call that got through (one below it)."""
        self.level = max(1, level - 1)


#: One per container: the Lambda runtime keeps module state while the container is warm.
WARM_BACKOFF = Backoff()


def fits_before_deadline(remaining_s: float, delay_s: float) -> bool:
    """Whether sleeping ``delay_s`` still leaves one whole attempt and the response."""
    return remaining_s - delay_s >= ATTEMPT_BUDGET_S


def attempt_bound_s(remaining_s: float) -> float:
    """How long one attempt may take, wall clock: its timeouts' sum, and never into the response's reserve."""
    return min(ATTEMPT_TIMEOUT_S, remaining_s - RESPONSE_RESERVE_S)


@dataclass(frozen=True)
class CallPolicy:
    """How a caller's failures are worded, and whether its call changes anything (an Update does)."""

    explain_error: Callable[[ClientError], str]
    explain_unreachable: Callable[[ConnectionError, int], str]
    # For a call that changes the association: what to check when an attempt may have landed unanswered.
    explain_unknown_outcome: Callable[[], str] | None = None
    # Run before every attempt, the first included; it raises ``NotAppliedError`` to send nothing more
    # (a forward update whose stack is rolling back, see ``stack_status``). It may take up to
    # ``STATUS_CHECK_S``, which every retry keeps in hand before the deadline (a first attempt that
    # has time for itself but not for the check is made unchecked, as it would be without one).
    before_attempt: Callable[[], None] | None = None


_T = TypeVar("_T")


def _attempt(call: Callable[[], _T], remaining_s: float) -> tuple[_T | None, Exception | None, float | None]:
    """One attempt within its wall-clock bound: the answer, or the error and (if the bound passed) the bound.

    An attempt whose bound passed has failed even if the call returned: the closed socket
    ends the answer early, and an answer cut short can look whole (http.client takes an
    end of stream in the headers for their end, and botocore an empty body for ``{}``).
    """
    bound = attempt_bound_s(remaining_s)
    with bounded(bound) as attempt:
        try:
            answer = call()
        except (ClientError, BotoCoreError) as error:
            return None, error, bound if attempt.expired else None
    if attempt.expired:
        return None, AttemptExpiredError(f"no whole answer within {bound:.0f} s"), bound
    return answer, None, None


def call_with_retries(
    call: Callable[[], _T],
    remaining_s: Callable[[], float],
    policy: CallPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
) -> tuple[_T, Outcome]:
    """Make one AppIntegrations call, retrying in time; return its answer and how it went.

    Every attempt, the first included, starts only if it and the response still fit
    before the function's deadline, and is abandoned when its wall-clock bound passes:
    an attempt that could still be under way when crhelper's timer answers FAILED might
    land anyway, and run the job the rollback then runs again.
    """
    failures: Counter[Kind] = Counter()  # every attempt but a last one that got through
    level = backoff.level
    check_s = STATUS_CHECK_S if policy.before_attempt is not None else 0.0
    left = remaining_s()
    if not fits_before_deadline(left, 0.0):
        raise DeadlineError(
            f"Not calling AppIntegrations: {left:.1f} s are left before the function's deadline, less than "
            f"one attempt and the response take ({ATTEMPT_BUDGET_S:.0f} s)"
        )
    while True:
        # A retry keeps the check's time in hand (below); a first attempt with too little time for both goes unchecked.
        if policy.before_attempt is not None and fits_before_deadline(remaining_s(), check_s):
            try:
                policy.before_attempt()
            except NotAppliedError as cancelled:
                cancelled.maybe_applied = failures[Kind.UNANSWERED] > 0  # an earlier attempt may have landed unanswered
                raise
        answer, error, expired_after = _attempt(call, remaining_s())
        if error is None:
            backoff.settle(level)
            attempts = failures.total() + 1
            return answer, Outcome(attempts=attempts, throttled=failures[Kind.THROTTLED])  # type: ignore[return-value]
        kind = Kind.UNANSWERED if expired_after is not None else classify(error)
        if kind is Kind.FINAL:
            if isinstance(error, ClientError):
                raise ServiceError(policy.explain_error(error)) from error
            raise SdkError(f"Calling AppIntegrations failed before the request was sent: {error}") from error
        stop = _count(failures, kind, changes=policy.explain_unknown_outcome is not None)
        if kind is Kind.NOT_SENT:
            # Says nothing about the account's rate: a short pause, and the level stays.
            delay = backoff.delay(1, rng)
        else:
            delay = backoff.delay(level, rng)
            level += 1
        if stop is None and not fits_before_deadline(remaining_s(), delay + check_s):
            stop = "to stay within the deadline"
        if stop is not None:
            raise _giving_up(error, failures, stop, policy, expired_after) from error
        sleep(delay)


def _count(failures: Counter[Kind], kind: Kind, *, changes: bool) -> str | None:
    """Count a failed attempt of ``kind``; why the call must stop now, if it must."""
    failures[kind] += 1
    if kind is Kind.THROTTLED:
        return None
    if changes and failures[Kind.UNANSWERED] >= MAX_UNANSWERED_UPDATES:
        return "not sending it again: each update that lands re-runs the association's job"
    failed = failures.total() - failures[Kind.THROTTLED]
    if failures[Kind.NOT_SENT] >= MAX_UNREACHABLE_ATTEMPTS or failed >= MAX_FAILED_ATTEMPTS:
        return "after repeated failures"
    return None


def _giving_up(
    error: Exception, failures: Counter[Kind], why: str, policy: CallPolicy, expired_after: float | None
) -> ServiceError:
    """The failure that ends the retries (every attempt failed): the last error, worded by its kind."""
    attempts, throttled, unanswered = failures.total(), failures[Kind.THROTTLED], failures[Kind.UNANSWERED]
    if isinstance(error, ConnectionError) and classify(error) is Kind.NOT_SENT and not unanswered:
        return EndpointUnreachableError(policy.explain_unreachable(error, attempts))
    last = policy.explain_error(error) if isinstance(error, ClientError) else what_happened(error, expired_after)
    head = f"Gave up after {attempts} attempt(s), {throttled} throttled, {why}: {last}"
    if unanswered and policy.explain_unknown_outcome is not None:
        sent = f"{unanswered} of them sent without an answer"
        return OutcomeUnknownError(f"{head} ({sent}). {policy.explain_unknown_outcome()}")
    return ServiceError(head)
