"""Reading synthesized templates: resources by type, the provider's managed IAM policy and its size."""

from __future__ import annotations

import json
from typing import Any

from appintegrations_cr.constants import RESOURCE_TYPE as RESOURCE_TYPE


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    [(name, resource)] = found.items()
    return name, resource


def executions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The custom resources, by the construct id of their execution (a direct child of the stack)."""
    found = resources_of_type(template, RESOURCE_TYPE)
    return {r["Metadata"]["aws:cdk:path"].split("/")[1]: r for r in found.values()}


def inline_policy_documents(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline policy document of the role: its ``Policies`` and the AWS::IAM::Policy resources attached to it."""
    role_name, role = only(template, "AWS::IAM::Role")
    documents = [policy["PolicyDocument"] for policy in role["Properties"].get("Policies", [])]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_name} in policy["Properties"].get("Roles", []):
            documents.append(policy["Properties"]["PolicyDocument"])
    return documents


def provider_policy(template: dict[str, Any]) -> dict[str, Any]:
    """The provider's customer-managed policy document (the stack's only AWS::IAM::ManagedPolicy)."""
    _, policy = only(template, "AWS::IAM::ManagedPolicy")
    document: dict[str, Any] = policy["Properties"]["PolicyDocument"]
    return document


def policy_bytes(template: dict[str, Any]) -> int:
    """Minified JSON size of the provider's managed policy: what the template holds (IAM counts no whitespace)."""
    return len(json.dumps(provider_policy(template), separators=(",", ":")))


def update_statement(template: dict[str, Any]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = provider_policy(template)["Statement"]
    [statement] = [s for s in statements if s.get("Sid") == "UpdateDataIntegrationAssociations"]
    return statement


def update_resources(template: dict[str, Any]) -> list[Any]:
    resources = update_statement(template)["Resource"]
    return resources if isinstance(resources, list) else [resources]


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def agnostic_arn(resource: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:app-integrations:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def scalars(value: Any) -> list[Any]:
    """Every scalar in a JSON value."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in scalars(item)]
    if isinstance(value, list):
        return [s for item in value for s in scalars(item)]
    return [value]
