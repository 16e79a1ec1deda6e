"""The one AppIntegrations call, with retries that respect the Lambda deadline.

botocore's own retries are switched off: they do not know how long the function has
left, and a provider that is killed mid-retry leaves CloudFormation waiting for its
ServiceTimeout. Here every attempt first checks that it can finish, and answer,
before the function's deadline.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from .constants import (
    ATTEMPT_BUDGET_S,
    BASE_BACKOFF_S,
    CONNECT_TIMEOUT_S,
    MAX_BACKOFF_S,
    MAX_FAILED_ATTEMPTS,
    READ_TIMEOUT_S,
    UPDATE_ACTION,
)
from .contract import AssociationRequest

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})
SERVER_ERROR_CODES = frozenset({"InternalServiceError", "ServiceUnavailableException"})

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"total_max_attempts": 1},
    user_agent_extra="cdk-appintegrations",
)


class ServiceError(RuntimeError):
    """A failure worth showing in the stack events, already phrased for the deployer."""


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


def fits_before_deadline(remaining_s: float, delay_s: float) -> bool:
    """Whether sleeping ``delay_s`` still leaves one whole attempt and the response."""
    return remaining_s - delay_s >= ATTEMPT_BUDGET_S


def new_client() -> AppIntegrationsClient:
    """Created on first use: a Delete, the common rollback path, never needs one."""
    import boto3

    return boto3.client("appintegrations", config=CLIENT_CONFIG)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _service_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or "no message"


def _request_id(error: ClientError) -> str:
    metadata = error.response.get("ResponseMetadata", {})
    return str(metadata.get("RequestId") or "none")


def support_tag(error: ClientError) -> str:
    """The error code and AWS request id, which a support case needs to find the call."""
    return f"[{_code(error)}; request id {_request_id(error)}]"


def explain(error: ClientError, request: AssociationRequest) -> str:
    """Turn a service error into what to check, naming the identifiers involved."""
    return f"{_explain(error, request)} {support_tag(error)}"


def _explain(error: ClientError, request: AssociationRequest) -> str:
    code, said = _code(error), _service_message(error)
    di, assoc = request.data_integration_identifier, request.association_identifier
    if code == "ResourceNotFoundException":
        return (
            f"AppIntegrations found no association DataIntegrationAssociationIdentifier {assoc!r} "
            f"under DataIntegrationIdentifier {di!r} (service said: {said}). Check that both exist "
            f"in this account and region, and that each is an id or ARN, not a name."
        )
    if code == "AccessDeniedException":
        return (
            f"Access denied for {UPDATE_ACTION} on DataIntegrationIdentifier {di!r}, "
            f"DataIntegrationAssociationIdentifier {assoc!r} (service said: {said}). Check the provider "
            f"role's policy, permission boundaries and SCPs."
        )
    if code == "InvalidRequestException":
        return (
            f"AppIntegrations rejected ExecutionConfiguration "
            f"{json.dumps(request.execution_configuration, sort_keys=True)} for association {assoc!r} "
            f"(service said: {said}). Check ExecutionMode against what the data integration supports "
            f"and the ScheduleExpression syntax."
        )
    return f"AppIntegrations {code} for association {assoc!r} under {di!r}: {said}"


def _throttled(error: Exception) -> bool:
    return isinstance(error, ClientError) and _code(error) in THROTTLING_CODES


def _transient(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return _code(error) in SERVER_ERROR_CODES
    return isinstance(error, (ConnectionError, ReadTimeoutError))


_T = TypeVar("_T")

#: One per container: the Lambda runtime keeps module state while the container is warm.
WARM_BACKOFF = Backoff()


def call_with_retries(
    call: Callable[[], _T],
    explain_error: Callable[[ClientError], str],
    remaining_s: Callable[[], float],
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
) -> tuple[_T, Outcome]:
    """Make one AppIntegrations call, retrying in time; return its answer and how it went.

    Throttling is retried until the deadline, never past it; server and network
    errors at most MAX_FAILED_ATTEMPTS times; anything else fails at once, phrased by
    ``explain_error``. Every attempt, the first included, starts only if it and the
    response still fit before the function's deadline: an attempt that could still be
    under way when crhelper's timer answers FAILED might land anyway, and run the job
    the rollback then runs again.
    """
    attempts = throttled = failed = 0
    level = backoff.level
    left = remaining_s()
    if not fits_before_deadline(left, 0.0):
        raise ServiceError(
            f"Not calling AppIntegrations: {left:.1f} s are left before the function's deadline, less than "
            f"one attempt and the response take ({ATTEMPT_BUDGET_S:.0f} s)"
        )
    while True:
        attempts += 1
        try:
            answer = call()
        except (ClientError, BotoCoreError) as error:
            if _throttled(error):
                throttled += 1
            elif _transient(error):
                failed += 1
            elif isinstance(error, ClientError):
                raise ServiceError(explain_error(error)) from error
            else:
                raise ServiceError(f"Calling AppIntegrations failed: {error}") from error
            last = explain_error(error) if isinstance(error, ClientError) else f"{type(error).__name__}: {error}"
            delay = backoff.delay(level, rng)
            level += 1
            if failed >= MAX_FAILED_ATTEMPTS or not fits_before_deadline(remaining_s(), delay):
                why = "after repeated failures" if failed >= MAX_FAILED_ATTEMPTS else "to stay within the deadline"
                raise ServiceError(
                    f"Gave up after {attempts} attempt(s), {throttled} throttled, {why}: {last}"
                ) from error
            sleep(delay)
        else:
            backoff.settle(level)
            return answer, Outcome(attempts=attempts, throttled=throttled)


def apply(
    client: AppIntegrationsClient,
    request: AssociationRequest,
    remaining_s: Callable[[], float],
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
) -> Outcome:
    """Call UpdateDataIntegrationAssociation once, retrying in time (see ``call_with_retries``)."""
    _, outcome = call_with_retries(
        lambda: client.update_data_integration_association(**request.api_arguments()),
        lambda error: explain(error, request),
        remaining_s,
        sleep=sleep,
        backoff=backoff,
        rng=rng,
    )
    return outcome
