"""How the deploy driver reads a template: dependencies, conditions, intrinsics, stringification."""

from __future__ import annotations

from typing import Any

import pytest

from testkit.account import ACCOUNT
from testkit.cfn_template import (
    NO_VALUE,
    StaticResolver,
    Template,
    TemplateError,
    as_delivered,
    referenced_names,
    resolve,
)

pytestmark = [pytest.mark.unit, pytest.mark.harness]

BODY: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InUsEast1"}]},
        "Never": {"Fn::Not": [{"Condition": "Both"}]},
    },
    "Mappings": {"Sizes": {"prod": {"Memory": 256}}},
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Log": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "Custom": {
            "Type": "Custom::Thing",
            "DependsOn": "Log",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": "Fn.Arn"},
                "Joined": {"Fn::Join": [":", ["a", {"Ref": "AWS::AccountId"}, 3]]},
                "Subbed": {"Fn::Sub": "${AWS::StackName}-${Role}-${Fn.Arn}-${!Literal}"},
                "SubVars": {"Fn::Sub": ["${Name}/${Stage}", {"Name": {"Ref": "Role"}}]},
                "Chosen": {"Fn::If": ["Both", "yes", "no"]},
                "Dropped": {"Fn::If": ["Never", "kept", {"Ref": "AWS::NoValue"}]},
                "List": ["x", {"Ref": "AWS::NoValue"}, {"Fn::Select": [1, {"Fn::Split": [",", "p,q,r"]}]}],
                "Memory": {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]},
                "Flag": True,
                "Count": 7,
            },
        },
        "Only": {"Type": "Custom::Thing", "Condition": "Never", "Properties": {"ServiceToken": "x"}},
    },
}


def resolver() -> StaticResolver:
    return StaticResolver(
        refs={"Role": "role-1", "Fn": "fn-1", "Log": "log-1"},
        attributes={("Role", "Arn"): "arn:role", ("Fn", "Arn"): "arn:fn"},
        stack_name="S",
    )


def test_dependencies_come_from_depends_on_ref_getatt_and_sub() -> None:
    template = Template(BODY)
    assert template.dependencies("Custom") == {"Fn", "Role", "Log"}
    assert template.dependencies("Fn") == {"Role"}
    assert template.dependents("Role") == {"Fn", "Custom"}
    order = template.order()
    assert order.index("Role") < order.index("Fn") < order.index("Custom")
    assert referenced_names({"Fn::Sub": ["${A}${B.Attr}${!C}", {"A": "shadowed"}]}) == {"B"}


def test_intrinsics_resolve_and_scalars_arrive_as_strings() -> None:
    template = Template(BODY)
    properties = as_delivered(resolve(template.resources["Custom"].properties, resolver(), template))
    assert properties == {
        "ServiceToken": "arn:fn",
        "Joined": f"a:{ACCOUNT}:3",  # the resolver's AWS::AccountId
        "Subbed": "S-role-1-arn:fn-${Literal}",
        "SubVars": "role-1/prod",
        "Chosen": "yes",
        "List": ["x", "q"],
        "Memory": "256",
        "Flag": "true",
        "Count": "7",
    }


def test_conditions_decide_which_resources_exist() -> None:
    template = Template(BODY)
    assert "Only" not in template.active(resolver())
    other_region = StaticResolver(region="eu-west-1")
    assert not template.condition_holds("Both", other_region)
    with_parameter = StaticResolver(parameters={"Stage": "dev"})
    assert not template.condition_holds("IsProd", with_parameter)


def test_unmodelled_or_unknown_things_fail_loudly() -> None:
    template = Template(BODY)
    with pytest.raises(TemplateError, match="not modelled"):
        resolve({"Fn::ImportValue": "x"}, resolver(), template)
    with pytest.raises(TemplateError, match="no value given"):
        resolve({"Fn::GetAtt": ["Role", "RoleId"]}, resolver(), template)
    with pytest.raises(TemplateError):
        as_delivered({"A": [None]})
    assert resolve({"Ref": "AWS::NoValue"}, resolver(), template) is NO_VALUE
