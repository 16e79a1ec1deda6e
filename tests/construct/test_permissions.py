"""The IAM aggregation: ARNs derived from ids, ARNs and tokens, and the collapse under the budget."""

from __future__ import annotations

import json
import random

import aws_cdk as cdk
import pytest
from appintegrations_cr.arns import Environment
from cdk_appintegrations.intrinsics import deployed_bound_characters, is_unresolved, nag_name
from cdk_appintegrations.permissions import (
    PSEUDO_ACCOUNT,
    PSEUDO_PARTITION,
    PSEUDO_REGION,
    AssociationScope,
    PolicyResource,
    Sizes,
    plan_resources,
    scope_of,
)

from tests.construct import stacks

pytestmark = pytest.mark.construct

AGNOSTIC = Environment(PSEUDO_PARTITION, PSEUDO_REGION, PSEUDO_ACCOUNT)
PINNED = Environment("aws", stacks.REGION, stacks.ACCOUNT)
FOREIGN = Environment("aws", "eu-west-1", "444455556666")
#: A budget for the association list alone (the provider passes what its policy leaves).
BUDGET = 6000
TOKEN = cdk.Token.as_string(cdk.Aws.ACCOUNT_ID)
STACK = cdk.Stack(cdk.App(), "Resolver")


def scope(
    di: str, association: str | None, environment: Environment = AGNOSTIC, *, is_id: bool = False
) -> AssociationScope:
    return scope_of(di, association, environment, is_unresolved, data_integration_is_id=is_id)


def texts(resources: list[PolicyResource]) -> list[str]:
    return [r.text for r in resources]


def test_plain_ids_take_the_stack_environment() -> None:
    assert scope("di", "assoc") == AssociationScope(AGNOSTIC, "di", "assoc")
    assert scope("di", "assoc", PINNED) == AssociationScope(PINNED, "di", "assoc")


def test_a_data_integration_arn_gives_the_environment() -> None:
    assert scope(stacks.DI_ARN, "assoc") == AssociationScope(PINNED, stacks.DI, "assoc")


def test_an_association_arn_gives_both_ids_and_the_environment() -> None:
    assert scope(stacks.OTHER_DI, stacks.FOREIGN_ASSOCIATION_ARN) == AssociationScope(
        FOREIGN, stacks.OTHER_DI, stacks.ASSOC_FOREIGN
    )
    # even when the data integration is known only at deploy
    assert scope(TOKEN, stacks.FOREIGN_ASSOCIATION_ARN) == AssociationScope(
        FOREIGN, stacks.OTHER_DI, stacks.ASSOC_FOREIGN
    )


def test_tokens_are_reduced_to_the_id_they_hold_unless_known_to_be_one() -> None:
    by_token = scope("di", TOKEN)
    assert (by_token.environment, by_token.data_integration_id) == (AGNOSTIC, "di")
    assert STACK.resolve(by_token.association_id) == {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::Join": ["/", [{"Ref": "AWS::AccountId"}] * 3]}]}]
    }
    di_token = scope(TOKEN, "assoc")
    assert STACK.resolve(di_token.data_integration_id) == {
        "Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Join": ["/", [{"Ref": "AWS::AccountId"}] * 2]}]}]
    }
    assert scope(TOKEN, "assoc", is_id=True) == AssociationScope(AGNOSTIC, TOKEN, "assoc")
    assert scope(TOKEN, TOKEN, PINNED, is_id=True).has_tokens


def test_a_lookup_grants_any_association_of_its_data_integration() -> None:
    assert scope(stacks.DI_ARN, None) == AssociationScope(PINNED, stacks.DI, None)
    assert scope(TOKEN, None, is_id=True).is_lookup


def test_exact_arns_are_deduplicated_and_sorted_whatever_the_order() -> None:
    grants = [AssociationScope(PINNED, f"di-{i % 3}", f"assoc-{i}") for i in range(9)] * 2
    shuffled = list(grants)
    random.Random(7).shuffle(shuffled)
    plan = plan_resources(grants, BUDGET)
    assert plan.resources == plan_resources(shuffled, BUDGET).resources
    assert texts(plan.resources) == sorted(texts(plan.resources))
    assert len(plan.resources) == 9  # associations only: data-integration/ ARNs grant nothing for the action
    assert plan.wildcard_reasons == {}


def test_a_lookup_subsumes_the_exact_arns_of_its_data_integration_in_its_environment_only() -> None:
    plan = plan_resources(
        [
            AssociationScope(AGNOSTIC, "di-1", None),
            AssociationScope(AGNOSTIC, "di-1", "assoc-1"),
            AssociationScope(PINNED, "di-1", "assoc-1"),
            AssociationScope(PINNED, "di-2", "assoc-2"),
        ],
        BUDGET,
    )
    assert [(r.environment, r.resource) for r in plan.resources] == sorted(
        [
            (AGNOSTIC, "data-integration-association/di-1/*"),
            (PINNED, "data-integration-association/di-1/assoc-1"),
            (PINNED, "data-integration-association/di-2/assoc-2"),
        ],
        key=lambda pair: PolicyResource(*pair).text,
    )
    assert list(plan.wildcard_reasons.values()) == [
        "A DataIntegrationAssociationExecution in this stack gives no association identifier: the provider finds "
        "the association at deploy (ListDataIntegrationAssociations), so its id is unknown at synth and the provider "
        "may update any association of data integration 'di-1'. The statement allows only "
        "app-integrations:UpdateDataIntegrationAssociation."
    ]


def test_over_budget_the_biggest_data_integrations_collapse_first_and_only_as_needed() -> None:
    big = [AssociationScope(PINNED, "di-big", f"assoc-{i}") for i in range(70)]
    small = [AssociationScope(PINNED, f"di-small-{i}", f"assoc-{i}") for i in range(5)]
    plan = plan_resources(big + small, BUDGET)
    assert plan.sizes.total(plan.resources) <= BUDGET
    assert PolicyResource(PINNED, "data-integration-association/di-big/*") in plan.resources
    assert all(
        PolicyResource(PINNED, f"data-integration-association/di-small-{i}/assoc-{i}") in plan.resources
        for i in range(5)
    )
    assert list(plan.wildcard_reasons) == [PolicyResource(PINNED, "data-integration-association/di-big/*")]
    assert (
        "more DataIntegrationAssociationExecutions than an explicit ARN list"
        in plan.wildcard_reasons[PolicyResource(PINNED, "data-integration-association/di-big/*")]
    )


def test_when_per_data_integration_is_not_enough_one_wildcard_per_environment() -> None:
    plan = plan_resources(
        [AssociationScope(env, f"di-{i}", f"assoc-{i}") for i in range(300) for env in (AGNOSTIC, FOREIGN)], BUDGET
    )
    assert [(r.environment, r.resource) for r in plan.resources] == [
        (AGNOSTIC, "data-integration-association/*"),
        (FOREIGN, "data-integration-association/*"),
    ]


def test_too_many_environments_is_an_error_not_a_silent_global_wildcard() -> None:
    environments = [Environment("aws", "us-east-1", f"{i:012d}") for i in range(120)]
    with pytest.raises(ValueError, match=r"each of the 120 partitions, accounts and Regions they span"):
        plan_resources([AssociationScope(env, "di", "assoc") for env in environments], BUDGET)


def test_template_bytes_are_what_the_template_holds_and_bound_what_iam_counts() -> None:
    for resource in (
        PolicyResource(AGNOSTIC, "data-integration-association/di/assoc"),
        PolicyResource(PINNED, "data-integration-association/di/assoc"),
        PolicyResource(Environment(PSEUDO_PARTITION, stacks.REGION, stacks.ACCOUNT), "data-integration-association/*"),
    ):
        rendered = STACK.resolve(resource.render())
        assert resource.template_bytes == len(json.dumps(rendered, separators=(",", ":")))
        deployed = (
            resource.text.replace(PSEUDO_PARTITION, "aws-us-gov")  # the longest partition names
            .replace(PSEUDO_REGION, "ap-southeast-5")  # and Region names
            .replace(PSEUDO_ACCOUNT, stacks.ACCOUNT)
        )
        assert len(json.dumps(deployed)) <= resource.template_bytes


def test_entries_with_tokens_are_measured_resolved_and_never_below_a_255_character_value() -> None:
    sizes = Sizes(STACK.resolve)
    # {"Ref": "AWS::AccountId"} in the template is shorter than the id it may stand for at deploy.
    [short] = plan_resources([scope(TOKEN, "assoc", is_id=True)], BUDGET, sizes=sizes).resources
    in_template = len(json.dumps(STACK.resolve(short.render()), separators=(",", ":")))
    deployed = len(json.dumps(short.text.replace(TOKEN, "d" * 255)))
    assert in_template < deployed == short.deployed_bound_bytes == sizes.of(short)
    # The Fn::Select/Fn::Split expressions: measured as the template holds them, whichever is larger.
    [reduced] = plan_resources([scope(TOKEN, TOKEN)], BUDGET, sizes=sizes).resources
    in_template = len(json.dumps(STACK.resolve(reduced.render()), separators=(",", ":")))
    assert sizes.of(reduced) == max(in_template, reduced.deployed_bound_bytes)
    with pytest.raises(ValueError, match="holds tokens"):
        plan_resources([scope(TOKEN, "assoc", is_id=True)], BUDGET)  # no resolver: a token entry cannot be measured


def test_the_total_counts_every_entry_and_the_commas_between_them() -> None:
    """The budget is spent on the Resource list as the template holds it, separators included."""
    resources = [PolicyResource(PINNED, f"data-integration-association/di-1/assoc-{i}") for i in range(5)]
    listed = len(json.dumps(texts(resources), separators=(",", ":")))
    assert Sizes().total(resources) >= listed - len("[]")


def test_sub_text_escapes_literal_dollar_braces() -> None:
    weird = PolicyResource(Environment(PSEUDO_PARTITION, "${x}", "1"), "data-integration-association/di/a")
    assert weird.text == "arn:${AWS::Partition}:app-integrations:${!x}:1:data-integration-association/di/a"


def test_nag_findings_are_named_as_cdk_nag_flattens_them() -> None:
    sizes = Sizes(STACK.resolve)
    assert sizes.nag_finding(PolicyResource(AGNOSTIC, "data-integration-association/*")) == (
        "Resource::arn:<AWS::Partition>:app-integrations:<AWS::Region>:<AWS::AccountId>:data-integration-association/*"
    )
    assert sizes.nag_finding(PolicyResource(PINNED, "data-integration-association/*")) == (
        f"Resource::arn:aws:app-integrations:{stacks.REGION}:{stacks.ACCOUNT}:data-integration-association/*"
    )
    [lookup] = plan_resources([scope(TOKEN, None, is_id=True)], BUDGET, sizes=sizes).resources
    assert sizes.nag_finding(lookup) == (
        "Resource::arn:<AWS::Partition>:app-integrations:<AWS::Region>:<AWS::AccountId>:"
        "data-integration-association/<AWS::AccountId>/*"
    )
    assert nag_name({"Fn::Select": [1, ["a", "b"]]}) == '{"Fn::Select":[1,["a","b"]]}'
    assert nag_name({"Fn::GetAtt": ["Documents", "Id"]}) == "<Documents.Id>"


def test_a_stack_id_is_bounded_by_the_longest_stack_arn_not_by_its_reference_text() -> None:
    """``${AWS::StackId}`` is 16 characters; the ARN it becomes can pass 200 (a 128-character stack name)."""
    longest = f"arn:aws-us-gov:cloudformation:us-gov-west-1:999988887777:stack/{'s' * 128}/{'0' * 36}"
    for name, value in (("AWS::StackId", longest), ("AWS::StackName", "s" * 128)):
        assert deployed_bound_characters({"Resource": {"Ref": name}}) >= len(
            json.dumps({"Resource": value}, separators=(",", ":"))
        )
    assert deployed_bound_characters({"Resource": {"Ref": "AWS::Region"}}) == len('{"Resource":"${AWS::Region}"}')
