"""The AppIntegrations calls the handler makes, and how their failures are worded.

Two calls: UpdateDataIntegrationAssociation (what an execution is for) and one page of
ListDataIntegrationAssociations (the lookup's, see ``lookup``). Both go through the
retry engine (``retries``); what this module adds is the client's configuration and
reasons that say what to check, naming the identifiers, the IAM action or the
endpoint involved, and ending with the code and request id a support case needs.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, ConnectTimeoutError

from .attempt_bound import track_connections
from .constants import CONNECT_TIMEOUT_S, LIST_ACTION, READ_TIMEOUT_S, UPDATE_ACTION
from .errors import check_the_association, error_code, service_message, support_tag
from .fields import ASSOCIATION_IDENTIFIER, DATA_INTEGRATION_IDENTIFIER
from .logs import log
from .request import AssociationRequest
from .retries import WARM_BACKOFF, Backoff, CallPolicy, Outcome, call_with_retries

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient
    from mypy_boto3_appintegrations.type_defs import ListDataIntegrationAssociationsResponseTypeDef

PAGE_SIZE = 50  # ListDataIntegrationAssociations' maximum

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"total_max_attempts": 1},
    user_agent_extra="cdk-appintegrations",
)

# "[Errno 111] Connection refused", "[Errno -2] Name or service not known", ...
_OS_ERROR = re.compile(r"\[Errno -?\d+\] ([^'\"\n]+)")


def new_client() -> AppIntegrationsClient:
    """Created on first use: a Delete, the common rollback path, never needs one.

    Its connections are tracked, so that an attempt can be abandoned when its wall-clock
    bound passes (see ``attempt_bound``).
    """
    import boto3
    import botocore

    client = boto3.client("appintegrations", config=CLIENT_CONFIG)
    if not track_connections(client):
        log(
            logging.WARNING,
            "AppIntegrations attempts are bounded by botocore's timeouts only: this botocore's HTTP session "
            "cannot be tracked, so a slow answer is not abandoned at its wall-clock bound",
            botocore_version=botocore.__version__,
        )
    return client


def explain_update_error(error: ClientError, request: AssociationRequest) -> str:
    """An Update failure: what to check, naming the identifiers involved, then the support tag."""
    code, said = error_code(error), service_message(error)
    di, assoc = request.data_integration_identifier, request.association_identifier
    if code == "ResourceNotFoundException":
        advice = (
            f"AppIntegrations found no association {ASSOCIATION_IDENTIFIER} {assoc!r} "
            f"under {DATA_INTEGRATION_IDENTIFIER} {di!r} (service said: {said}). Check that both exist "
            f"in this account and region, and that each is an id or ARN, not a name."
        )
    elif code == "AccessDeniedException":
        advice = (
            f"Access denied for {UPDATE_ACTION} on {DATA_INTEGRATION_IDENTIFIER} {di!r}, "
            f"{ASSOCIATION_IDENTIFIER} {assoc!r} (service said: {said}). Check the provider "
            f"role's policy, permission boundaries and SCPs."
        )
    elif code == "InvalidRequestException":
        advice = (
            f"AppIntegrations rejected ExecutionConfiguration "
            f"{json.dumps(request.execution_configuration, sort_keys=True)} for association {assoc!r} "
            f"(service said: {said}). Check ExecutionMode against what the data integration supports "
            f"and the ScheduleExpression syntax."
        )
    else:
        advice = f"AppIntegrations {code} for association {assoc!r} under {di!r}: {said}"
    return f"{advice} {support_tag(error)}"


def explain_unknown_update(request: AssociationRequest) -> str:
    """What to check when an Update may have landed without an answer, naming the identifiers."""
    di, assoc = request.data_integration_identifier, request.association_identifier
    return (
        f"The update of association {assoc!r} may have been applied, and its job may be running: "
        f"{check_the_association(di)}"
    )


def explain_list_error(error: ClientError, data_integration: str) -> str:
    """A List failure: what to check, naming the data integration, then the support tag."""
    code, said = error_code(error), service_message(error)
    where = f"{DATA_INTEGRATION_IDENTIFIER} {data_integration!r}"
    if code == "ResourceNotFoundException":
        advice = (
            f"AppIntegrations found no data integration {where} (service said: {said}). Check that it exists in "
            f"this account and region, and that it is an id or ARN, not a name."
        )
    elif code == "AccessDeniedException":
        advice = (
            f"Access denied for {LIST_ACTION} on {where} (service said: {said}). The provider needs it to find the "
            f"association when {ASSOCIATION_IDENTIFIER} is not given; check the provider role's policy, "
            f"permission boundaries and SCPs."
        )
    else:
        advice = f"AppIntegrations {code} listing the associations of {where}: {said}"
    return f"{advice} {support_tag(error)}"


def endpoint_of(error: ConnectionError) -> str:
    """``scheme://host[:port]`` that botocore tried: the regional endpoint or the configured endpoint URL."""
    url = str(error.kwargs.get("endpoint_url") or "")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url or "(unknown endpoint)"


def explain_unreachable(error: ConnectionError, attempts: int, region: str | None) -> str:
    """No connection to AppIntegrations: the endpoint, what happened, and the route the subnets need.

    Lambda does not tell a function whether it runs in a VPC, so the advice is
    conditional; in a VPC, a missing route is by far the likeliest cause.
    """
    if isinstance(error, ConnectTimeoutError):
        what = f"no connection within the {CONNECT_TIMEOUT_S:.0f} s connect timeout"
    else:
        cause = _OS_ERROR.search(str(error.kwargs.get("error", "")))
        what = f"connection failed: {cause.group(1).strip()}" if cause else "connection failed"
    service_name = f"com.amazonaws.{region or '<region>'}.app-integrations"
    return (
        f"Could not reach the AppIntegrations endpoint {endpoint_of(error)} ({what}; {attempts} attempt(s)). "
        f"If the provider runs in a VPC, check that its subnets have a route to that endpoint: a NAT gateway, "
        f"or an AppIntegrations interface VPC endpoint ({service_name}) with private DNS; and that its "
        f"security groups allow outbound HTTPS (443)."
    )


_T = TypeVar("_T")
#: How a call waits between attempts: the sleep, the remembered backoff and the jitter's source (tests inject them).
_Pacing = tuple[Callable[[float], None], Backoff, Callable[[], float]]


def _retried(
    client: AppIntegrationsClient,
    call: Callable[[], _T],
    explain_error: Callable[[ClientError], str],
    remaining_s: Callable[[], float],
    pacing: _Pacing,
    *,
    explain_unknown_outcome: Callable[[], str] | None = None,
    before_attempt: Callable[[], None] | None = None,
) -> tuple[_T, Outcome]:
    """One AppIntegrations call through the retry engine, a failed connection worded for the client's Region."""
    sleep, backoff, rng = pacing
    policy = CallPolicy(
        explain_error=explain_error,
        explain_unreachable=lambda error, attempts: explain_unreachable(error, attempts, client.meta.region_name),
        explain_unknown_outcome=explain_unknown_outcome,
        before_attempt=before_attempt,
    )
    return call_with_retries(call, remaining_s, policy, sleep=sleep, backoff=backoff, rng=rng)


def update_association(
    client: AppIntegrationsClient,
    request: AssociationRequest,
    remaining_s: Callable[[], float],
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
    before_attempt: Callable[[], None] | None = None,
) -> Outcome:
    """Call UpdateDataIntegrationAssociation once, retrying in time (see ``retries``).

    ``before_attempt`` runs before each attempt and may stop the call (``retries.CallPolicy``).
    """
    _, outcome = _retried(
        client,
        lambda: client.update_data_integration_association(**request.api_arguments()),
        lambda error: explain_update_error(error, request),
        remaining_s,
        (sleep, backoff, rng),
        explain_unknown_outcome=lambda: explain_unknown_update(request),
        before_attempt=before_attempt,
    )
    return outcome


def list_associations_page(
    client: AppIntegrationsClient,
    data_integration: str,
    token: str | None,
    remaining_s: Callable[[], float],
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = WARM_BACKOFF,
    rng: Callable[[], float] = random.random,
) -> tuple[ListDataIntegrationAssociationsResponseTypeDef, Outcome]:
    """One page of the data integration's associations (``token``: the previous page's NextToken)."""
    arguments: dict[str, Any] = {DATA_INTEGRATION_IDENTIFIER: data_integration, "MaxResults": PAGE_SIZE}
    if token is not None:
        arguments["NextToken"] = token
    return _retried(
        client,
        lambda: client.list_data_integration_associations(**arguments),
        lambda error: explain_list_error(error, data_integration),
        remaining_s,
        (sleep, backoff, rng),
    )
