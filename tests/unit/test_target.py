"""The target's PhysicalResourceId and attributes, and that the response body always fits with them."""

from __future__ import annotations

import json

import pytest
from appintegrations_cr.arns import Environment
from appintegrations_cr.contract import parse_properties
from appintegrations_cr.errors import TargetError
from appintegrations_cr.resource import MAX_BODY_BYTES, fit_body
from appintegrations_cr.target import environment_of_stack, from_lookup, from_request

from testkit.account import ACCOUNT, REGION, arn
from testkit.association_properties import ON_DEMAND, changed
from testkit.cfn_events import STACK_ID

pytestmark = pytest.mark.unit

LOCAL = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}"
FOREIGN = "arn:aws-cn:app-integrations:cn-north-1:444455556666"


def test_plain_ids_take_the_partition_region_and_account_of_the_stack() -> None:
    target = from_request(parse_properties(ON_DEMAND), STACK_ID)
    assert target.physical_resource_id == "di-1|assoc-1"
    assert target.attributes() == {
        "DataIntegrationArn": f"{LOCAL}:data-integration/di-1",
        "DataIntegrationAssociationArn": f"{LOCAL}:data-integration-association/di-1/assoc-1",
        "DataIntegrationAssociationId": "assoc-1",
    }


def test_an_arn_names_its_own_environment_and_the_id_stays_as_given_in_the_physical_id() -> None:
    di_arn = f"{FOREIGN}:data-integration/di-9"
    by_di = from_request(parse_properties(changed(ON_DEMAND, "DataIntegrationIdentifier", di_arn)), STACK_ID)
    assert by_di.physical_resource_id == f"{di_arn}|assoc-1"
    assert by_di.attributes()["DataIntegrationArn"] == di_arn
    assert by_di.attributes()["DataIntegrationAssociationArn"] == f"{FOREIGN}:data-integration-association/di-9/assoc-1"

    association_arn = f"{FOREIGN}:data-integration-association/di-9/assoc-9"
    by_association = from_request(
        parse_properties(
            changed(
                changed(ON_DEMAND, "DataIntegrationIdentifier", "di-9"),
                "DataIntegrationAssociationIdentifier",
                association_arn,
            )
        ),
        STACK_ID,
    )
    assert by_association.attributes() == {
        "DataIntegrationArn": f"{FOREIGN}:data-integration/di-9",
        "DataIntegrationAssociationArn": association_arn,
        "DataIntegrationAssociationId": "assoc-9",
    }


def test_a_lookup_answer_gives_the_services_arn_and_the_id_for_the_call() -> None:
    lookup = parse_properties(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...))
    target = from_lookup(lookup, f"{LOCAL}:data-integration-association/di-1/found-7")
    assert (target.association_identifier, target.physical_resource_id) == ("found-7", "di-1|found-7")
    assert target.attributes()["DataIntegrationArn"] == f"{LOCAL}:data-integration/di-1"
    with pytest.raises(TargetError, match="is not a data integration association ARN"):
        from_lookup(lookup, f"{LOCAL}:data-integration/di-1")
    with pytest.raises(TargetError, match="parts of at most 255"):
        from_lookup(lookup, f"{LOCAL}:data-integration-association/di-1/{'x' * 256}")
    with pytest.raises(ValueError, match="no target until the lookup has run"):
        from_request(lookup, STACK_ID)


def test_a_stack_id_that_is_not_a_stack_arn_is_refused() -> None:
    assert environment_of_stack(STACK_ID) == Environment("aws", REGION, ACCOUNT)
    with pytest.raises(TargetError, match="is not a CloudFormation stack ARN"):
        environment_of_stack("my-stack")


def test_the_largest_success_body_fits_with_its_attributes_intact() -> None:
    """Identifiers of 255 characters, the longest partition and Region, a 128-character stack name."""
    longest = parse_properties(
        changed(
            changed(ON_DEMAND, "DataIntegrationIdentifier", "d" * 255),
            "DataIntegrationAssociationIdentifier",
            "a" * 255,
        )
    )
    stack_id = arn("cloudformation", f"stack/{'s' * 128}/{'0' * 36}", partition="aws-iso-b", region="us-isob-east-1")
    target = from_request(longest, stack_id)
    assert len(target.physical_resource_id.encode()) <= 1024
    body = {
        "Status": "SUCCESS",
        "PhysicalResourceId": target.physical_resource_id,
        "StackId": stack_id,
        "RequestId": "r" * 36,
        "LogicalResourceId": "L" * 255,
        "Reason": "",
        "Data": target.attributes(),
        "NoEcho": False,
    }
    assert fit_body(body) == body
    assert len(json.dumps(body).encode()) <= MAX_BODY_BYTES


def test_data_that_cannot_fit_fails_loudly_instead_of_being_dropped() -> None:
    body = {"Status": "SUCCESS", "PhysicalResourceId": "p", "Reason": "", "Data": {"Huge": "x" * 5000}}
    fitted = fit_body(body)
    assert (fitted["Status"], fitted["Data"]) == ("FAILED", {})
    assert fitted["Reason"].startswith("The response Data (")
    assert len(json.dumps(fitted).encode()) <= MAX_BODY_BYTES
