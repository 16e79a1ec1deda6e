"""The AppIntegrations calls: exact request shape (Stubber) and how each failure is worded."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from appintegrations_cr import constants
from appintegrations_cr.appintegrations import CLIENT_CONFIG, update_association
from appintegrations_cr.contract import parse_properties
from appintegrations_cr.errors import EndpointUnreachableError, ServiceError
from appintegrations_cr.lookup import resolve
from appintegrations_cr.retries import Backoff
from botocore.exceptions import ConnectionError, ConnectTimeoutError, EndpointConnectionError
from botocore.stub import Stubber

from tests.unit.test_contract import ON_DEMAND, SCHEDULED, changed
from tests.unit.test_retries import Sleeps, request

pytestmark = pytest.mark.unit


#: What UpdateDataIntegrationAssociation takes; ServiceToken and RerunToken are CloudFormation's and the construct's.
API_FIELDS = ("DataIntegrationIdentifier", "DataIntegrationAssociationIdentifier", "ExecutionConfiguration")


@pytest.mark.parametrize(
    "properties",
    [pytest.param(ON_DEMAND, id="on-demand"), pytest.param(SCHEDULED, id="scheduled-omits-the-on-demand-block")],
)
def test_sends_exactly_the_documented_request(client: Any, stubber: Stubber, properties: dict[str, Any]) -> None:
    """The Stubber fails on any other key or value: the properties' own API fields, exactly, and nothing else."""
    properties = {**properties, "RerunToken": "2025-06-01"}
    stubber.add_response("update_data_integration_association", {}, {key: properties[key] for key in API_FIELDS})
    assert update_association(client, request(properties), lambda: 60.0).attempts == 1


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (
            "ResourceNotFoundException",
            404,
            "AppIntegrations found no association DataIntegrationAssociationIdentifier 'assoc-1' under "
            "DataIntegrationIdentifier 'di-1' (service said: no such thing)",
        ),
        (
            "AccessDeniedException",
            403,
            "Access denied for app-integrations:UpdateDataIntegrationAssociation on DataIntegrationIdentifier 'di-1'",
        ),
        (
            "InvalidRequestException",
            400,
            'AppIntegrations rejected ExecutionConfiguration {"ExecutionMode": "ON_DEMAND"',
        ),
    ],
)
def test_permanent_errors_fail_at_once_and_say_what_to_check(
    client: Any, stubber: Stubber, code: str, status: int, expected: str
) -> None:
    stubber.add_client_error(
        "update_data_integration_association", code, "no such thing", status, response_meta={"RequestId": "req-77"}
    )
    sleeps = Sleeps()
    with pytest.raises(ServiceError) as caught:
        update_association(client, request(), lambda: 60.0, sleep=sleeps)
    assert expected in str(caught.value)
    assert str(caught.value).endswith(f"[{code}; request id req-77]")
    assert sleeps == []


class Unreachable:
    """A before-send hook: every attempt fails to connect, as botocore reports it (nothing is sent)."""

    def __init__(self, error: type[ConnectionError], cause: str = "") -> None:
        self.error = error
        self.cause = cause
        self.urls: list[str] = []

    def __call__(self, request: Any, **_kwargs: Any) -> None:
        self.urls.append(request.url)
        if self.error is ConnectTimeoutError:
            raise ConnectTimeoutError(endpoint_url=request.url)
        raise self.error(endpoint_url=request.url, error=OSError(self.cause))


def unreachable(client: Any, error: type[ConnectionError], cause: str = "") -> Unreachable:
    hook = Unreachable(error, cause)
    client.meta.events.register("before-send.appintegrations", hook)
    return hook


ROUTE_ADVICE = (
    "If the provider runs in a VPC, check that its subnets have a route to that endpoint: a NAT gateway, or an "
    "AppIntegrations interface VPC endpoint (com.amazonaws.us-east-1.app-integrations) with private DNS; and that "
    "its security groups allow outbound HTTPS (443)."
)


def test_a_connect_timeout_fails_after_two_attempts_naming_the_endpoint_and_the_route(client: Any) -> None:
    hook = unreachable(client, ConnectTimeoutError)
    sleeps = Sleeps()
    with pytest.raises(EndpointUnreachableError) as caught:
        update_association(client, request(), lambda: 600.0, sleep=sleeps, backoff=Backoff(level=6))
    assert str(caught.value) == (
        "Could not reach the AppIntegrations endpoint https://app-integrations.us-east-1.amazonaws.com "
        "(no connection within the 3 s connect timeout; 2 attempt(s)). " + ROUTE_ADVICE
    )
    assert len(hook.urls) == constants.MAX_UNREACHABLE_ATTEMPTS == 2
    # One short pause, whatever level throttling left the warm backoff at: waiting does not add a route.
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= constants.BASE_BACKOFF_S


def test_a_refused_connection_says_so_and_names_the_configured_endpoint_url() -> None:
    local = boto3.client(
        "appintegrations", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", config=CLIENT_CONFIG
    )
    unreachable(
        local,
        EndpointConnectionError,
        "<AWSHTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused",
    )
    with pytest.raises(EndpointUnreachableError) as caught:
        update_association(local, request(), lambda: 600.0, sleep=Sleeps())
    assert str(caught.value).startswith(
        "Could not reach the AppIntegrations endpoint http://127.0.0.1:9 "
        "(connection failed: Connection refused; 2 attempt(s)). If the provider runs in a VPC"
    )


def test_an_unresolvable_name_is_a_connection_failure_too(client: Any) -> None:
    unreachable(client, EndpointConnectionError, "Failed to resolve 'x' ([Errno -2] Name or service not known)")
    with pytest.raises(EndpointUnreachableError, match=r"\(connection failed: Name or service not known\)?"):
        update_association(client, request(), lambda: 600.0, sleep=Sleeps())


def test_the_lookup_words_an_unreachable_endpoint_the_same_way(client: Any) -> None:
    unreachable(client, ConnectTimeoutError)
    lookup = parse_properties(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...))
    with pytest.raises(EndpointUnreachableError) as caught:
        resolve(client, lookup, lambda: 600.0, lambda _s: None)
    assert str(caught.value).endswith(ROUTE_ADVICE)
    assert "https://app-integrations.us-east-1.amazonaws.com (no connection within" in str(caught.value)


def test_the_route_advice_names_the_region_of_the_client() -> None:
    london = boto3.client("appintegrations", region_name="eu-west-2", config=CLIENT_CONFIG)
    unreachable(london, ConnectTimeoutError)
    with pytest.raises(EndpointUnreachableError) as caught:
        update_association(london, request(), lambda: 600.0, sleep=Sleeps())
    assert "endpoint https://app-integrations.eu-west-2.amazonaws.com (" in str(caught.value)
    assert "(com.amazonaws.eu-west-2.app-integrations)" in str(caught.value)
