"""The benchmark's deploy verdicts: how it counts resources and a provider role's inline and managed policies."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.peer.peer_stack import (
    MAX_MANAGED_POLICY_BYTES,
    MAX_ROLE_INLINE_POLICY_BYTES,
    deployable,
    measure_template,
    minified_bytes,
    resolve_pseudo,
)
from testkit.account import arn

pytestmark = [pytest.mark.unit, pytest.mark.harness]


def statement(resource: object) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "app-integrations:UpdateDataIntegrationAssociation", "Resource": resource}


def template(policy_resources: list[object], extra: int = 0) -> dict[str, Any]:
    """A provider (function + role) with an inline policy, one attached Policy, and `extra` filler resources."""
    resources: dict[str, Any] = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement("a")]}}]},
        },
        "Attached": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [statement(policy_resources)]}},
        },
        "Unrelated": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "OtherRole"}], "PolicyDocument": {"Statement": [statement("z" * 20_000)]}},
        },
    }
    resources.update({f"Filler{i}": {"Type": "Custom::X"} for i in range(extra)})
    return {"Resources": resources}


def test_counts_only_the_provider_roles_policies_resolved_as_iam_sees_them() -> None:
    joined = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":app-integrations:::x"]]}
    measured = measure_template(template([joined]))
    expected_attached = minified_bytes({"Statement": [statement(["arn:aws:app-integrations:::x"])]})
    expected_inline = minified_bytes({"Statement": [statement("a")]})
    assert measured["provider_roles"] == ["Role"]
    assert measured["provider_role_policies"] == 2
    assert measured["provider_role_inline_policy_bytes_resolved"] == expected_attached + expected_inline
    assert measured["provider_role_inline_policy_bytes"] > measured["provider_role_inline_policy_bytes_resolved"]
    assert deployable(measured)


def test_a_policy_over_iams_limit_is_not_deployable_even_though_it_synthesizes() -> None:
    arns = [arn("app-integrations", f"data-integration/{i:040d}") for i in range(200)]
    measured = measure_template(template(list(arns)))
    assert measured["provider_role_inline_policy_bytes_resolved"] > MAX_ROLE_INLINE_POLICY_BYTES
    assert measured["over_role_inline_policy_limit"]
    assert not deployable(measured)


def test_more_than_500_resources_is_not_deployable() -> None:
    assert measure_template(template(["a"], extra=496))["over_resource_limit"] is False
    measured = measure_template(template(["a"], extra=497))
    assert measured["resources"] == 501
    assert measured["over_resource_limit"]
    assert not deployable(measured)


def test_resolve_pseudo_leaves_unknown_intrinsics_alone() -> None:
    assert resolve_pseudo({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}"}) == "arn:aws:x:us-east-1"
    assert resolve_pseudo({"Fn::ImportValue": "x"}) == {"Fn::ImportValue": "x"}


def test_a_customer_managed_policy_counts_against_its_own_limit_and_in_the_total() -> None:
    """Our provider's statements are in one customer-managed policy: 6,144 characters, not the role's 10,240."""
    measured = template(["a"])
    measured["Resources"]["Managed"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [statement("m" * 7_000)]}},
    }
    result = measure_template(measured)
    managed = minified_bytes({"Statement": [statement("m" * 7_000)]})
    assert result["provider_role_managed_policies"] == 1
    assert result["provider_role_managed_policy_bytes_resolved"] == managed > MAX_MANAGED_POLICY_BYTES
    assert (
        result["provider_role_policy_bytes_resolved"] == result["provider_role_inline_policy_bytes_resolved"] + managed
    )
    assert result["over_managed_policy_limit"]
    assert not result["over_role_inline_policy_limit"]  # the managed policy is not inline
    assert not deployable(result)
