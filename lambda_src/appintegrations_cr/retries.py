"""The retry engine: one AppIntegrations call retried in time, never past the Lambda deadline.

botocore's own retries are switched off (see ``appintegrations.CLIENT_CONFIG``): they do
not know how long the function has left, and a provider that is killed mid-retry leaves
CloudFormation waiting for its ServiceTimeout. Here every attempt first checks that it
can finish, and answer, before the function's deadline.

What is retried, and how often:
- throttling: until the deadline, with capped exponential backoff and full jitter,
  remembered across the executions a warm container serves (``Backoff``);
- server errors, read timeouts and other network failures: ``MAX_FAILED_ATTEMPTS``;
- no connection at all (refused, unreachable, connect timeout):
  ``MAX_UNREACHABLE_ATTEMPTS``, after a short pause. A missing route (a VPC without NAT
  or endpoint) is not fixed by waiting, so the deployer hears about it in seconds;
- anything else fails at once.
How each failure is worded is the caller's (``appintegrations``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from .constants import (
    ATTEMPT_BUDGET_S,
    BASE_BACKOFF_S,
    MAX_BACKOFF_S,
    MAX_FAILED_ATTEMPTS,
    MAX_UNREACHABLE_ATTEMPTS,
)
from .errors import DeadlineError, EndpointUnreachableError, SdkError, ServiceError, error_code

THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})
SERVER_ERROR_CODES = frozenset({"InternalServiceError", "ServiceUnavailableException"})


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


def is_throttled(error: Exception) -> bool:
    return isinstance(error, ClientError) and error_code(error) in THROTTLING_CODES


def is_unreachable(error: Exception) -> bool:
    """No connection was made: refused, no route, a name that does not resolve, or the connect timed out."""
    return isinstance(error, (ConnectTimeoutError, EndpointConnectionError))


def is_transient(error: Exception) -> bool:
    """A server error or a network failure after the connection: worth a few more tries."""
    if isinstance(error, ClientError):
        return error_code(error) in SERVER_ERROR_CODES
    return isinstance(error, (ConnectionError, ReadTimeoutError))


_T = TypeVar("_T")


def call_with_retries(
    call: Callable[[], _T],
    explain_error: Callable[[ClientError], str],
    remaining_s: Callable[[], float],
    *,
    explain_unreachable: Callable[[ConnectionError, int], str],
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
) -> tuple[_T, Outcome]:
    """Make one AppIntegrations call, retrying in time; return its answer and how it went.

    ``explain_error`` phrases a service error, ``explain_unreachable`` a connection that
    could not be made (given the error and the attempts made). Every attempt, the first
    included, starts only if it and the response still fit before the function's
    deadline: an attempt that could still be under way when crhelper's timer answers
    FAILED might land anyway, and run the job the rollback then runs again.
    """
    attempts = throttled = failed = unreachable = 0
    level = backoff.level
    left = remaining_s()
    if not fits_before_deadline(left, 0.0):
        raise DeadlineError(
            f"Not calling AppIntegrations: {left:.1f} s are left before the function's deadline, less than "
            f"one attempt and the response take ({ATTEMPT_BUDGET_S:.0f} s)"
        )
    while True:
        attempts += 1
        try:
            answer = call()
        except (ClientError, BotoCoreError) as error:
            if is_throttled(error):
                throttled += 1
            elif is_unreachable(error):
                unreachable += 1
                failed += 1
            elif is_transient(error):
                failed += 1
            elif isinstance(error, ClientError):
                raise ServiceError(explain_error(error)) from error
            else:
                raise SdkError(f"Calling AppIntegrations failed: {error}") from error
            if is_unreachable(error):
                # Says nothing about the account's rate: a short pause, and the level stays.
                delay = backoff.delay(1, rng)
            else:
                delay = backoff.delay(level, rng)
                level += 1
            out_of_attempts = failed >= MAX_FAILED_ATTEMPTS or unreachable >= MAX_UNREACHABLE_ATTEMPTS
            if out_of_attempts or not fits_before_deadline(remaining_s(), delay):
                why = "after repeated failures" if out_of_attempts else "to stay within the deadline"
                raise _giving_up(
                    error,
                    attempts,
                    throttled,
                    why,
                    explain_error=explain_error,
                    explain_unreachable=explain_unreachable,
                ) from error
            sleep(delay)
        else:
            backoff.settle(level)
            return answer, Outcome(attempts=attempts, throttled=throttled)


def _giving_up(
    error: ClientError | BotoCoreError,
    attempts: int,
    throttled: int,
    why: str,
    *,
    explain_error: Callable[[ClientError], str],
    explain_unreachable: Callable[[ConnectionError, int], str],
) -> ServiceError:
    """The failure that ends the retries: the last error, worded by its kind."""
    if isinstance(error, ConnectionError) and is_unreachable(error):
        return EndpointUnreachableError(explain_unreachable(error, attempts))
    last = explain_error(error) if isinstance(error, ClientError) else f"{type(error).__name__}: {error}"
    return ServiceError(f"Gave up after {attempts} attempt(s), {throttled} throttled, {why}: {last}")
