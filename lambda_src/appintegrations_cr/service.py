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

from .contract import AssociationRequest
from .limits import (
    ACTION,
    BASE_BACKOFF_S,
    CONNECT_TIMEOUT_S,
    MAX_ATTEMPTS,
    MAX_BACKOFF_S,
    READ_TIMEOUT_S,
    RESPONSE_RESERVE_S,
)

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalServiceError", "ServiceUnavailableException"})

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


def new_client() -> AppIntegrationsClient:
    """Created on first use: a Delete, the common rollback path, never needs one."""
    import boto3

    return boto3.client("appintegrations", config=CLIENT_CONFIG)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _service_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or "no message"


def explain(error: ClientError, request: AssociationRequest) -> str:
    """Turn a service error into what to check, naming the identifiers involved."""
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
            f"Access denied for {ACTION} on DataIntegrationIdentifier {di!r}, "
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


def _retryable(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return _code(error) in RETRYABLE_CODES
    return isinstance(error, (ConnectionError, ReadTimeoutError))


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full jitter, so many stacks throttled together do not retry in lockstep."""
    return float(min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** (attempt - 1)) * rng())


def apply(
    client: AppIntegrationsClient,
    request: AssociationRequest,
    remaining_s: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Call UpdateDataIntegrationAssociation once, retrying transient failures in time."""
    attempt = 0
    while True:
        attempt += 1
        try:
            client.update_data_integration_association(**request.api_arguments())
            return Outcome(attempts=attempt)
        except (ClientError, BotoCoreError) as error:
            if not _retryable(error):
                if isinstance(error, ClientError):
                    raise ServiceError(explain(error, request)) from error
                raise ServiceError(f"Calling AppIntegrations failed: {error}") from error
            last = explain(error, request) if isinstance(error, ClientError) else f"{type(error).__name__}: {error}"
            delay = backoff(attempt)
            attempt_budget = CONNECT_TIMEOUT_S + READ_TIMEOUT_S + RESPONSE_RESERVE_S
            if attempt >= MAX_ATTEMPTS or remaining_s() - delay < attempt_budget:
                raise ServiceError(f"Gave up after {attempt} attempt(s) to stay within the deadline: {last}") from error
            sleep(delay)


# -- any other call, with the same retry rules ---------------------------------------------

_T = TypeVar("_T")


def call_with_retries(
    call: Callable[[], _T],
    explain_error: Callable[[ClientError], str],
    remaining_s: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[_T, int]:
    """Make one read-only AppIntegrations call (e.g. a ListDataIntegrationAssociations page) under apply's rules.

    Transient errors are retried with the same jittered backoff and attempt limit, and
    never past the deadline; anything else fails at once, phrased by ``explain_error``.
    Returns the call's answer and the number of attempts it took.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except (ClientError, BotoCoreError) as error:
            said = explain_error(error) if isinstance(error, ClientError) else f"{type(error).__name__}: {error}"
            if not _retryable(error):
                raise ServiceError(
                    said if isinstance(error, ClientError) else f"Calling AppIntegrations failed: {error}"
                ) from error
            delay = backoff(attempt)
            if (
                attempt >= MAX_ATTEMPTS
                or remaining_s() - delay < CONNECT_TIMEOUT_S + READ_TIMEOUT_S + RESPONSE_RESERVE_S
            ):
                raise ServiceError(f"Gave up after {attempt} attempt(s) to stay within the deadline: {said}") from error
            sleep(delay)
