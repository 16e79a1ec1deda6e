"""One acknowledgement, written both ways: for cdk-nag 3 (``Validations``) and cdk-nag 2 (the L1's metadata).

cdk-nag 2's side is checked here against what its ``NagSuppressions.add_resource_suppressions``
writes (``rules_to_suppress`` entries of ``reason``, ``id`` and ``applies_to``, merged with
what is there); that cdk-nag 2 itself honours it is the guardrail tier's (``test_guardrails``).
"""

from __future__ import annotations

import base64
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from cdk_appintegrations.acknowledgments import NAG2_METADATA_KEY, acknowledge, add_nag_suppressions, nag2_rule
from constructs import Construct

pytestmark = pytest.mark.construct

REASON = "The action has no resource type, so only '*' matches it."
FINDING = "AwsSolutions-IAM5[Resource::*]"


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Acknowledgments")


def rules(resource: cdk.CfnResource) -> list[dict[str, Any]]:
    metadata: dict[str, Any] = resource.get_metadata(NAG2_METADATA_KEY)
    found: list[dict[str, Any]] = metadata["rules_to_suppress"]
    return found


def policy_with_l1(stack: cdk.Stack) -> tuple[iam.ManagedPolicy, cdk.CfnResource]:
    policy = iam.ManagedPolicy(
        stack, "Policy", statements=[iam.PolicyStatement(actions=["app-integrations:List*"], resources=["*"])]
    )
    return policy, cast("cdk.CfnResource", policy.node.default_child)


def test_a_finding_on_an_l2_lands_on_its_l1_as_cdk_nag_2_writes_it(stack: cdk.Stack) -> None:
    policy, resource = policy_with_l1(stack)
    add_nag_suppressions(policy, {FINDING: REASON})
    assert rules(resource) == [{"reason": REASON, "id": "AwsSolutions-IAM5", "applies_to": ["Resource::*"]}]
    assert list(rules(resource)[0]) == ["reason", "id", "applies_to"]  # cdk-nag 2's own key order


def test_the_apps_own_suppressions_are_kept_and_an_equal_one_is_not_added_twice(stack: cdk.Stack) -> None:
    policy, resource = policy_with_l1(stack)
    theirs = {"reason": "Reviewed by the platform team.", "id": "AwsSolutions-IAM4"}
    resource.add_metadata(NAG2_METADATA_KEY, {"rules_to_suppress": [theirs], "note": "kept"})
    add_nag_suppressions(policy, {FINDING: REASON})
    add_nag_suppressions(resource, {FINDING: REASON, "AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]": REASON})
    assert rules(resource) == [
        theirs,
        nag2_rule(FINDING, REASON),
        nag2_rule("AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]", REASON),
    ]
    assert resource.get_metadata(NAG2_METADATA_KEY)["note"] == "kept"


def test_a_rule_without_a_finding_applies_to_the_whole_rule() -> None:
    assert nag2_rule("Serverless-SQSRedrivePolicy", REASON) == {"reason": REASON, "id": "Serverless-SQSRedrivePolicy"}


def test_a_finding_holds_brackets_and_colons_whole() -> None:
    finding = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:app-integrations:<AWS::Region>:x/<Documents.Id>/*]"
    assert nag2_rule(finding, REASON)["applies_to"] == [finding.split("[", 1)[1][:-1]]
    with pytest.raises(ValueError, match="no closing bracket"):
        nag2_rule("AwsSolutions-IAM5[Resource::*", REASON)


def test_a_reason_beyond_latin_1_is_stored_encoded_as_cdk_nag_2_stores_it() -> None:
    reason = "A lookup\u2019s scope \u2014 the association is unknown until deploy."
    rule = nag2_rule(FINDING, reason)
    assert rule["is_reason_encoded"] is True
    assert base64.b64decode(rule["reason"]).decode() == reason
    assert "is_reason_encoded" not in nag2_rule(FINDING, "Latin-1 only: café, naïve.")


def test_a_construct_without_an_l1_is_refused(stack: cdk.Stack) -> None:
    with pytest.raises(TypeError, match="cdk-nag 2 reads suppressions from an L1"):
        add_nag_suppressions(Construct(stack, "Plain"), {FINDING: REASON})


def test_acknowledge_writes_both_ways(stack: cdk.Stack) -> None:
    queue = sqs.Queue(stack, "Queue")
    acknowledge(queue, "Serverless", {"Serverless-SQSRedrivePolicy": REASON})
    resource = cast("cdk.CfnResource", queue.node.default_child)
    assert rules(resource) == [{"reason": REASON, "id": "Serverless-SQSRedrivePolicy"}]
    entries = [e.data for e in queue.node.metadata if e.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    assert entries
    assert any("Serverless-SQSRedrivePolicy" in str(data) for data in entries)
