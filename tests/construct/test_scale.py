"""Scale: one CloudFormation resource per execution, and one IAM statement that stays small.

CloudFormation allows 500 resources per stack (CDKMetadata counts); a customer-managed
policy may hold 6,144 characters. The figures are printed at the end of the run. Past
500, the library says how many executions fit, before CDK's ``TooManyResourcesInStack``.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_appintegrations import ExecutionConfiguration, ValidationError
from cdk_appintegrations.intrinsics import deployed_bound_characters
from cdk_appintegrations.provider_policy import MANAGED_POLICY_CHARACTERS
from cdk_appintegrations.stack_executions import StackExecutions

from testkit.cfn_template import executions, inline_policy_documents, policy_bytes, provider_policy, update_resources
from testkit.execution_stacks import add_executions
from tests.construct import stacks
from tests.construct.fresh_python import run_fresh_python
from tests.construct.synthesized import FIGURES, SCALE_CASES, Synthesized

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


def _spread(stack: cdk.Stack, n: int) -> None:
    """``n`` executions of distinct associations over ten data integrations."""
    add_executions(
        stack,
        n,
        target=lambda i: (stacks.data_integration_id(i % 10), stacks.association_id(i)),
        configuration=ExecutionConfiguration.on_demand(start_time=stacks.JAN_1),
    )


def _queues(stack: cdk.Stack, n: int, prefix: str = "Queue") -> None:
    """``n`` other resources of the stack: one ``AWS::SQS::Queue`` each."""
    for i in range(n):
        sqs.CfnQueue(stack, f"{prefix}{i}")


def test_the_execution_that_passes_the_stack_limit_is_refused_saying_how_many_fit(tmp_path: Path) -> None:
    """The library's own message, at the line that adds the execution, long before CDK's TooManyResourcesInStack."""
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "Full")
    _queues(stack, 10)
    with pytest.raises(ValidationError) as caught:
        _spread(stack, CLOUDFORMATION_LIMIT)
    assert caught.value.construct_path == "Full/Assoc490"  # the tree is counted once, at the 491st
    assert caught.value.problems == [
        "stack 'Full' would hold 491 DataIntegrationAssociationExecutions and 14 other resources, 505 in all, over "
        "CloudFormation's limit of 500 resources per stack; beside those other resources it has room for 486 "
        "executions. Spread the executions over stacks: give each group its own cdk.Stack (a stack of executions "
        "alone, with its default provider, holds 490); an association is still configured by one execution only"
    ]


def test_resources_added_after_the_executions_are_counted_at_synth(tmp_path: Path) -> None:
    """Before CDK's own check: the same numbers, as a validation error of the stack."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Late")
    _spread(stack, 480)
    _queues(stack, 20)
    with pytest.raises(RuntimeError) as caught:
        app.synth()
    assert "TooManyResourcesInStack" not in str(caught.value)
    assert (
        "[Late/AppIntegrationsExecutions] Stack 'Late': it would hold 480 DataIntegrationAssociationExecutions and "
        "24 other resources, 504 in all, over CloudFormation's limit of 500 resources per stack; beside those other "
        "resources it has room for 476 executions."
    ) in str(caught.value)


def test_the_count_is_the_templates_without_a_nested_stacks_resources(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=True)
    stack = cdk.Stack(app, "Parent", env=stacks.ENV)
    _spread(stack, 3)
    _queues(cdk.NestedStack(stack, "Nested"), 5)
    _queues(stack, 2, "Own")
    app.synth()
    counted = StackExecutions.of_stack(stack).resources_in_stack()
    assert counted == len(json.loads((tmp_path / "Parent.template.json").read_text())["Resources"]) == 3 + 4 + 1 + 2 + 1


LIMIT_APP = """
from datetime import datetime, timezone
import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "Stack")
for i in range(500):
    DataIntegrationAssociationExecution(
        stack,
        f"Sync{i}",
        data_integration_identifier=f"a1b2c3d4-5678-90ab-cdef-{i // 10:012d}",
        data_integration_association_identifier=f"b2c3d4e5-6789-01ab-cdef-{i:012d}",
        execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )
app.synth()
"""


def test_a_stack_over_the_limit_is_said_once_before_cdks_own_error(tmp_path: Path) -> None:
    """The synth a user runs: before, CDK's TooManyResourcesInStack, twice, at app.synth()."""
    result = run_fresh_python(LIMIT_APP, stacks.REPO_ROOT, {"CDK_OUTDIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("over CloudFormation's limit of 500 resources per stack") == 1, result.stderr
    assert "TooManyResourcesInStack" not in result.stderr
    assert "JavaScriptError" not in result.stderr
    assert result.stderr.count("Traceback (most recent call last)") == 1
    assert result.stderr.rstrip().splitlines()[-1] == (
        "cdk_appintegrations.errors.ValidationError: DataIntegrationAssociationExecution 'Stack/Sync496': stack "
        "'Stack' would hold 497 DataIntegrationAssociationExecutions and 4 other resources, 501 in all, over "
        "CloudFormation's limit of 500 resources per stack; beside those other resources it has room for 496 "
        "executions. Spread the executions over stacks: give each group its own cdk.Stack (a stack of executions "
        "alone, with its default provider, holds 490); an association is still configured by one execution only"
    )
