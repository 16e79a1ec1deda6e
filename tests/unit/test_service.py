"""The API call: exact request shape (Stubber), retries, deadline and error wording."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from appintegrations_cr import limits, service
from appintegrations_cr.contract import AssociationRequest, parse_properties
from botocore.stub import Stubber

from tests.unit.test_contract import ON_DEMAND, SCHEDULED

pytestmark = pytest.mark.unit


@pytest.fixture
def client() -> Any:
    return boto3.client("appintegrations", region_name="us-east-1", config=service.CLIENT_CONFIG)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def request(properties: dict[str, Any] = ON_DEMAND) -> AssociationRequest:
    return parse_properties(properties)


def test_sends_exactly_the_documented_request(client: Any, stubber: Stubber) -> None:
    stubber.add_response(
        "update_data_integration_association",
        {},
        {
            "DataIntegrationIdentifier": "di-1",
            "DataIntegrationAssociationIdentifier": "assoc-1",
            "ExecutionConfiguration": {
                "ExecutionMode": "ON_DEMAND",
                "OnDemandConfiguration": {"StartTime": "1735689600000", "EndTime": "1735776000000"},
            },
        },
    )
    assert service.apply(client, request(), lambda: 60.0).attempts == 1


def test_scheduled_request_omits_the_on_demand_block(client: Any, stubber: Stubber) -> None:
    stubber.add_response(
        "update_data_integration_association",
        {},
        {
            "DataIntegrationIdentifier": "di-1",
            "DataIntegrationAssociationIdentifier": "assoc-1",
            "ExecutionConfiguration": {
                "ExecutionMode": "SCHEDULED",
                "ScheduleConfiguration": {
                    "ScheduleExpression": "rate(1 hour)",
                    "Object": "Account",
                    "FirstExecutionFrom": "2025-01-01T00:00:00Z",
                },
            },
        },
    )
    service.apply(client, request(SCHEDULED), lambda: 60.0)


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServiceError"])
def test_transient_errors_are_retried_with_backoff(client: Any, stubber: Stubber, code: str) -> None:
    stubber.add_client_error("update_data_integration_association", code, "slow down", 429)
    stubber.add_client_error("update_data_integration_association", code, "slow down", 429)
    stubber.add_response("update_data_integration_association", {})
    sleeps = Sleeps()
    assert service.apply(client, request(), lambda: 60.0, sleep=sleeps).attempts == 3
    assert len(sleeps) == 2
    assert all(0 <= s <= limits.MAX_BACKOFF_S for s in sleeps)


def test_gives_up_after_the_attempt_limit_with_the_last_error(client: Any, stubber: Stubber) -> None:
    for _ in range(limits.MAX_ATTEMPTS):
        stubber.add_client_error("update_data_integration_association", "ThrottlingException", "Rate exceeded", 429)
    sleeps = Sleeps()
    with pytest.raises(service.ServiceError) as caught:
        service.apply(client, request(), lambda: 600.0, sleep=sleeps)
    assert f"Gave up after {limits.MAX_ATTEMPTS} attempt(s)" in str(caught.value)
    assert "Rate exceeded" in str(caught.value)
    assert len(sleeps) == limits.MAX_ATTEMPTS - 1


def test_stops_retrying_when_the_deadline_is_near(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("update_data_integration_association", "InternalServiceError", "oops", 500)
    budget = limits.CONNECT_TIMEOUT_S + limits.READ_TIMEOUT_S + limits.RESPONSE_RESERVE_S
    with pytest.raises(service.ServiceError, match=r"Gave up after 1 attempt\(s\)"):
        service.apply(client, request(), lambda: budget - 0.1, sleep=Sleeps())


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
    stubber.add_client_error("update_data_integration_association", code, "no such thing", status)
    sleeps = Sleeps()
    with pytest.raises(service.ServiceError) as caught:
        service.apply(client, request(), lambda: 60.0, sleep=sleeps)
    assert expected in str(caught.value)
    assert sleeps == []


def test_backoff_is_capped_and_jittered() -> None:
    assert service.backoff(1, rng=lambda: 1.0) == limits.BASE_BACKOFF_S
    assert service.backoff(2, rng=lambda: 1.0) == 2 * limits.BASE_BACKOFF_S
    assert service.backoff(20, rng=lambda: 1.0) == limits.MAX_BACKOFF_S
    assert service.backoff(3, rng=lambda: 0.0) == 0.0
