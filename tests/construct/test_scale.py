"""Scale: one CloudFormation resource per execution, and one IAM statement that stays small.

CloudFormation allows 500 resources per stack (CDKMetadata counts); a customer-managed
policy may hold 6,144 characters. The figures are printed at the end of the run.
"""

from __future__ import annotations

import pytest
from cdk_appintegrations.intrinsics import deployed_bound_characters
from cdk_appintegrations.provider import MANAGED_POLICY_CHARACTERS

from tests.construct.synthesized import FIGURES, SCALE_CASES, Synthesized
from tests.construct.templates import (
    executions,
    inline_policy_documents,
    policy_bytes,
    provider_policy,
    update_resources,
)

pytestmark = pytest.mark.construct

CONSTANT_RESOURCES = 5  # role, managed policy, log group, function, CDKMetadata
CLOUDFORMATION_LIMIT = 500


def arn_of(entry: object) -> str:
    return entry["Fn::Sub"] if isinstance(entry, dict) else str(entry)


@pytest.mark.parametrize("name", list(SCALE_CASES))
def test_resources_and_policy_size(scale_apps: dict[str, Synthesized], name: str) -> None:
    executions_wanted, data_integrations = SCALE_CASES[name]
    synthesized = scale_apps[name]
    template = synthesized.template(name)
    resources = len(template["Resources"])
    size = policy_bytes(template)
    deployed = deployed_bound_characters(provider_policy(template))
    entries = [arn_of(entry) for entry in update_resources(template)]
    wildcards = sum(entry.endswith("*") for entry in entries)
    FIGURES.append(
        f"N={executions_wanted:>3} over {data_integrations:>3} data integrations: {resources} resources, "
        f"IAM policy {size} characters, at most {deployed} deployed ({len(entries)} ARNs, {wildcards} wildcards), "
        f"build {synthesized.build_seconds:.1f}s + synth {synthesized.synth_seconds:.1f}s"
    )
    assert len(executions(template)) == executions_wanted
    assert resources == executions_wanted + CONSTANT_RESOURCES
    assert resources <= CLOUDFORMATION_LIMIT
    assert inline_policy_documents(template) == []
    assert deployed <= MANAGED_POLICY_CHARACTERS  # what IAM counts, each reference at its longest


def test_few_executions_get_exact_arns(scale_apps: dict[str, Synthesized]) -> None:
    entries = [arn_of(entry) for entry in update_resources(scale_apps["Scale1"].template("Scale1"))]
    assert len(entries) == 1
    assert not any("*" in entry for entry in entries)


def test_fifty_executions_collapse_only_some_data_integrations(scale_apps: dict[str, Synthesized]) -> None:
    entries = [arn_of(entry) for entry in update_resources(scale_apps["Scale50"].template("Scale50"))]
    collapsed = [entry for entry in entries if entry.endswith("/*")]
    exact = [entry for entry in entries if "association/" in entry and not entry.endswith("*")]
    assert collapsed
    assert exact
    assert not any(":data-integration/" in entry for entry in entries)  # it grants nothing for the action
    assert not any(entry.endswith(":data-integration-association/*") for entry in entries)


def test_490_over_ten_data_integrations_is_one_wildcard_each(scale_apps: dict[str, Synthesized]) -> None:
    entries = [arn_of(entry) for entry in update_resources(scale_apps["Scale490"].template("Scale490"))]
    assert len(entries) == 10
    assert all(entry.endswith("/*") for entry in entries)
    assert not any(entry.endswith(":data-integration-association/*") for entry in entries)


def test_490_distinct_data_integrations_fall_back_to_the_account_and_region(
    scale_apps: dict[str, Synthesized],
) -> None:
    entries = [arn_of(entry) for entry in update_resources(scale_apps["Scale490Distinct"].template("Scale490Distinct"))]
    assert [entry.rsplit(":", 1)[1] for entry in entries] == ["data-integration-association/*"]
