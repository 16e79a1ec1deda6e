"""The emulator's ListDataIntegrationAssociations answer has the shape of botocore's model, member for member.

Why: the integration tests' assertions (``tests/integ``) and the provider's lookup read
``ExecutionConfiguration`` and ``LastExecutionStatus`` from this answer; an emulator that
dropped or misnamed a member would let the local deploy-and-assert pass where AWS differs.
The model is the contract: every member of ``DataIntegrationAssociationSummary`` is
answered, and the raw JSON validates against the output shape (types, enums, patterns).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import StructureShape

from testkit.emulator import AppIntegrationsEmulator, validate_shape

pytestmark = pytest.mark.integration

ON_DEMAND = {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": "1735689600000"}}


def raw_list(endpoint: str, data_integration: str) -> dict[str, Any]:
    """The answer's JSON body as sent on the wire (a signed GET, as botocore would send it)."""
    request = AWSRequest(method="GET", url=f"{endpoint}/dataIntegrations/{data_integration}/associations")
    SigV4Auth(
        Credentials("AKIATESTTESTTESTTEST", "test-secret-key-not-real"), "app-integrations", "us-east-1"
    ).add_auth(request)
    with urllib.request.urlopen(
        urllib.request.Request(str(request.url), headers=dict(request.headers), method="GET"), timeout=10
    ) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def test_every_summary_member_of_the_model_is_answered_and_valid(fresh_emulator: AppIntegrationsEmulator) -> None:
    model = botocore.session.get_session().get_service_model("appintegrations")
    output = model.operation_model("ListDataIntegrationAssociations").output_shape
    summary = model.shape_for("DataIntegrationAssociationSummary")
    assert isinstance(output, StructureShape)
    assert isinstance(summary, StructureShape)
    fresh_emulator.add_association("di-shape", "assoc-shape", execution_configuration=ON_DEMAND)

    body = raw_list(fresh_emulator.endpoint_url, "di-shape")

    assert validate_shape(output, body, "ListDataIntegrationAssociationsResponse") == []
    [item] = body["DataIntegrationAssociations"]
    assert set(item) == set(summary.members)  # nothing missing, nothing extra
    assert item["ExecutionConfiguration"] == ON_DEMAND
    status_shape = model.shape_for("ExecutionStatus")
    assert item["LastExecutionStatus"]["ExecutionStatus"] in status_shape.metadata["enum"]

    # And boto3 parses it into the same members.
    client = boto3.client(
        "appintegrations",
        region_name="us-east-1",
        endpoint_url=fresh_emulator.endpoint_url,
        aws_access_key_id="AKIATESTTESTTESTTEST",
        aws_secret_access_key="test-secret-key-not-real",
    )
    [parsed] = client.list_data_integration_associations(DataIntegrationIdentifier="di-shape")[
        "DataIntegrationAssociations"
    ]
    assert parsed == item
