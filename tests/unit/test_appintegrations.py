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

from testkit.appintegrations_stub import AppIntegrationsStub, connect_timeout, connection_failed
from testkit.association_properties import ON_DEMAND, SCHEDULED, changed
from testkit.clock import FakeClock

pytestmark = pytest.mark.unit


UPDATE = "update_data_integration_association"

#: What UpdateDataIntegrationAssociation takes; ServiceToken and RerunToken are CloudFormation's and the construct's.
API_FIELDS = ("DataIntegrationIdentifier", "DataIntegrationAssociationIdentifier", "ExecutionConfiguration")


@pytest.mark.parametrize(
    "properties",
    [pytest.param(ON_DEMAND, id="on-demand"), pytest.param(SCHEDULED, id="scheduled-omits-the-on-demand-block")],
)
def test_sends_exactly_the_documented_request(
    client: Any, stubber: AppIntegrationsStub, properties: dict[str, Any]
) -> None:
    """The stub fails on any other key or value: the properties' own API fields, exactly, and nothing else."""
    properties = {**properties, "RerunToken": "2025-06-01"}
    stubber.add_response(UPDATE, {}, {key: properties[key] for key in API_FIELDS})
    assert update_association(client, parse_properties(properties), lambda: 60.0).attempts == 1


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
    client: Any, stubber: AppIntegrationsStub, code: str, status: int, expected: str
) -> None:
    stubber.add_client_error(UPDATE, code, "no such thing", status, response_meta={"RequestId": "req-77"})
    clock = FakeClock(600.0)
    with pytest.raises(ServiceError) as caught:
        update_association(client, parse_properties(ON_DEMAND), clock.remaining, sleep=clock.sleep)
    assert expected in str(caught.value)
    assert str(caught.value).endswith(f"[{code}; request id req-77]")
    assert clock.sleeps == []


ROUTE_ADVICE = (
    "If the provider runs in a VPC, check that its subnets have a route to that endpoint: a NAT gateway, or an "
    "AppIntegrations interface VPC endpoint (com.amazonaws.us-east-1.app-integrations) with private DNS; and that "
    "its security groups allow outbound HTTPS (443)."
)


def test_a_connect_timeout_fails_after_two_attempts_naming_the_endpoint_and_the_route(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    stubber.add_unanswered(UPDATE, connect_timeout, times=constants.MAX_UNREACHABLE_ATTEMPTS)
    clock = FakeClock(600.0)
    with pytest.raises(EndpointUnreachableError) as caught:
        update_association(
            client, parse_properties(ON_DEMAND), clock.remaining, sleep=clock.sleep, backoff=Backoff(level=6)
        )
    assert str(caught.value) == (
        "Could not reach the AppIntegrations endpoint https://app-integrations.us-east-1.amazonaws.com "
        "(no connection within the 3 s connect timeout; 2 attempt(s)). " + ROUTE_ADVICE
    )
    assert len(stubber.calls) == constants.MAX_UNREACHABLE_ATTEMPTS == 2
    # One short pause, whatever level throttling left the warm backoff at: waiting does not add a route.
    assert len(clock.sleeps) == 1
    assert 0 <= clock.sleeps[0] <= constants.BASE_BACKOFF_S


REFUSED = "<AWSHTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused"


def test_a_refused_connection_says_so_and_names_the_configured_endpoint_url() -> None:
    local = boto3.client(
        "appintegrations", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", config=CLIENT_CONFIG
    )
    clock = FakeClock(600.0)
    with AppIntegrationsStub(local) as stub:
        stub.add_unanswered(UPDATE, connection_failed(REFUSED), times=constants.MAX_UNREACHABLE_ATTEMPTS)
        with pytest.raises(EndpointUnreachableError) as caught:
            update_association(local, parse_properties(ON_DEMAND), clock.remaining, sleep=clock.sleep)
    assert str(caught.value).startswith(
        "Could not reach the AppIntegrations endpoint http://127.0.0.1:9 "
        "(connection failed: Connection refused; 2 attempt(s)). If the provider runs in a VPC"
    )


def test_an_unresolvable_name_is_a_connection_failure_too(client: Any, stubber: AppIntegrationsStub) -> None:
    unresolved = connection_failed("Failed to resolve 'x' ([Errno -2] Name or service not known)")
    stubber.add_unanswered(UPDATE, unresolved, times=constants.MAX_UNREACHABLE_ATTEMPTS)
    clock = FakeClock(600.0)
    with pytest.raises(EndpointUnreachableError, match=r"\(connection failed: Name or service not known\)?"):
        update_association(client, parse_properties(ON_DEMAND), clock.remaining, sleep=clock.sleep)


def test_the_lookup_words_an_unreachable_endpoint_the_same_way(client: Any, stubber: AppIntegrationsStub) -> None:
    stubber.add_unanswered(
        "list_data_integration_associations", connect_timeout, times=constants.MAX_UNREACHABLE_ATTEMPTS
    )
    lookup = parse_properties(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...))
    clock = FakeClock(600.0)
    with pytest.raises(EndpointUnreachableError) as caught:
        resolve(client, lookup, clock.remaining, clock.sleep)
    assert str(caught.value).endswith(ROUTE_ADVICE)
    assert "https://app-integrations.us-east-1.amazonaws.com (no connection within" in str(caught.value)


def test_the_route_advice_names_the_region_of_the_client() -> None:
    clock = FakeClock(600.0)
    with AppIntegrationsStub(region="eu-west-2") as london:
        london.add_unanswered(UPDATE, connect_timeout, times=constants.MAX_UNREACHABLE_ATTEMPTS)
        with pytest.raises(EndpointUnreachableError) as caught:
            update_association(london.client, parse_properties(ON_DEMAND), clock.remaining, sleep=clock.sleep)
    assert "endpoint https://app-integrations.eu-west-2.amazonaws.com (" in str(caught.value)
    assert "(com.amazonaws.eu-west-2.app-integrations)" in str(caught.value)
