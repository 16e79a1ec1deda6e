"""The AppIntegrations calls: exact request shape (Stubber) and how each failure is worded."""

from __future__ import annotations

from typing import Any

import pytest
from appintegrations_cr.appintegrations import update_association
from appintegrations_cr.errors import ServiceError
from botocore.stub import Stubber

from tests.unit.test_contract import SCHEDULED
from tests.unit.test_retries import Sleeps, request

pytestmark = pytest.mark.unit


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
    assert update_association(client, request(), lambda: 60.0).attempts == 1


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
    update_association(client, request(SCHEDULED), lambda: 60.0)


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
