"""The IAM aggregation: ARNs derived from ids, ARNs and tokens, and the collapse under the byte budget."""

from __future__ import annotations

import json
import random

import aws_cdk as cdk
import pytest
from cdk_appintegrations.execution import is_unresolved
from cdk_appintegrations.permissions import (
    PSEUDO_ACCOUNT,
    PSEUDO_PARTITION,
    PSEUDO_REGION,
    RESOURCE_BUDGET_BYTES,
    ArnContext,
    Grant,
    IdentifierError,
    PolicyResource,
    grant_for,
    plan_resources,
)

from tests.construct import stacks

pytestmark = pytest.mark.construct

AGNOSTIC = ArnContext(PSEUDO_PARTITION, PSEUDO_REGION, PSEUDO_ACCOUNT)
PINNED = ArnContext("aws", stacks.REGION, stacks.ACCOUNT)
FOREIGN = ArnContext("aws", "eu-west-1", "444455556666")
TOKEN = cdk.Token.as_string(cdk.Aws.ACCOUNT_ID)


def grant(di: str, association: str, context: ArnContext = AGNOSTIC) -> Grant:
    return grant_for(di, association, context, is_unresolved)


def texts(resources: list[PolicyResource]) -> list[str]:
    return [r.text for r in resources]


def test_plain_ids_take_the_stack_environment() -> None:
    assert grant("di", "assoc") == Grant(AGNOSTIC, "di", "assoc")
    assert grant("di", "assoc", PINNED) == Grant(PINNED, "di", "assoc")


def test_a_data_integration_arn_gives_the_environment() -> None:
    assert grant(stacks.DI_ARN, "assoc") == Grant(PINNED, stacks.DI, "assoc")


def test_an_association_arn_gives_both_ids_and_the_environment() -> None:
    assert grant(stacks.OTHER_DI, stacks.FOREIGN_ASSOCIATION_ARN) == Grant(FOREIGN, stacks.OTHER_DI, "assoc-foreign")
    # even when the data integration is known only at deploy
    assert grant(TOKEN, stacks.FOREIGN_ASSOCIATION_ARN) == Grant(FOREIGN, stacks.OTHER_DI, "assoc-foreign")


def test_tokens_mean_any() -> None:
    assert grant("di", TOKEN) == Grant(AGNOSTIC, "di", None)
    assert grant(TOKEN, "assoc") == Grant(AGNOSTIC, None, None)
    assert grant(TOKEN, TOKEN, PINNED) == Grant(PINNED, None, None)


def test_all_problems_are_collected() -> None:
    with pytest.raises(IdentifierError) as caught:
        grant("arn:aws:iam::111122223333:role/x", "a?b")
    assert len(caught.value.problems) == 2


def test_exact_arns_are_deduplicated_and_sorted_whatever_the_order() -> None:
    grants = [Grant(PINNED, f"di-{i % 3}", f"assoc-{i}") for i in range(9)] * 2
    shuffled = list(grants)
    random.Random(7).shuffle(shuffled)
    plan = plan_resources(grants)
    assert plan.resources == plan_resources(shuffled).resources
    assert texts(plan.resources) == sorted(texts(plan.resources))
    assert len(plan.resources) == 9 + 3
    assert plan.wildcard_reasons == {}


def test_wildcards_subsume_what_they_cover_in_their_environment_only() -> None:
    plan = plan_resources(
        [
            Grant(AGNOSTIC, None, None),
            Grant(AGNOSTIC, "di-1", "assoc-1"),
            Grant(PINNED, "di-2", None),
            Grant(PINNED, "di-2", "assoc-2"),
            Grant(PINNED, "di-3", "assoc-3"),
        ]
    )
    assert [(r.context, r.resource) for r in plan.resources] == sorted(
        [
            (AGNOSTIC, "data-integration/*"),
            (AGNOSTIC, "data-integration-association/*"),
            (PINNED, "data-integration/di-2"),
            (PINNED, "data-integration-association/di-2/*"),
            (PINNED, "data-integration/di-3"),
            (PINNED, "data-integration-association/di-3/assoc-3"),
        ],
        key=lambda pair: PolicyResource(*pair).text,
    )
    assert {r.resource for r in plan.wildcard_reasons} == {
        "data-integration/*",
        "data-integration-association/*",
        "data-integration-association/di-2/*",
    }
    assert all("is a CDK token" in reason for reason in plan.wildcard_reasons.values())


def test_over_budget_the_biggest_data_integrations_collapse_first_and_only_as_needed() -> None:
    big = [Grant(PINNED, "di-big", f"assoc-{i}") for i in range(70)]
    small = [Grant(PINNED, f"di-small-{i}", f"assoc-{i}") for i in range(5)]
    plan = plan_resources(big + small)
    assert plan.resource_bytes <= RESOURCE_BUDGET_BYTES
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


def test_when_per_data_integration_is_not_enough_one_pair_per_environment() -> None:
    plan = plan_resources([Grant(ctx, f"di-{i}", f"assoc-{i}") for i in range(300) for ctx in (AGNOSTIC, FOREIGN)])
    assert [(r.context, r.resource) for r in plan.resources] == [
        (AGNOSTIC, "data-integration-association/*"),
        (AGNOSTIC, "data-integration/*"),
        (FOREIGN, "data-integration-association/*"),
        (FOREIGN, "data-integration/*"),
    ]


def test_too_many_environments_is_an_error_not_a_silent_global_wildcard() -> None:
    contexts = [ArnContext("aws", "us-east-1", f"{i:012d}") for i in range(60)]
    with pytest.raises(ValueError, match=r"span 60 partitions/accounts/Regions"):
        plan_resources([Grant(ctx, "di", "assoc") for ctx in contexts])


def test_template_bytes_are_what_the_template_holds_and_bound_what_iam_counts() -> None:
    stack = cdk.Stack(cdk.App(), "Sizes")
    for resource in (
        PolicyResource(AGNOSTIC, "data-integration-association/di/assoc"),
        PolicyResource(PINNED, "data-integration/di"),
        PolicyResource(ArnContext(PSEUDO_PARTITION, "us-east-1", "111122223333"), "data-integration/*"),
    ):
        rendered = stack.resolve(resource.render())
        assert resource.template_bytes == len(json.dumps(rendered, separators=(",", ":")))
        deployed = (
            resource.text.replace(PSEUDO_PARTITION, "aws-us-gov")  # the longest partition names
            .replace(PSEUDO_REGION, "ap-southeast-5")  # and Region names
            .replace(PSEUDO_ACCOUNT, "111122223333")
        )
        assert len(json.dumps(deployed)) <= resource.template_bytes


def test_sub_text_escapes_literal_dollar_braces() -> None:
    weird = PolicyResource(ArnContext(PSEUDO_PARTITION, "${x}", "1"), "data-integration/di")
    assert weird.text == "arn:${AWS::Partition}:app-integrations:${!x}:1:data-integration/di"


def test_nag_findings_are_named_as_cdk_nag_flattens_them() -> None:
    assert PolicyResource(AGNOSTIC, "data-integration/*").nag_finding == (
        "Resource::arn:<AWS::Partition>:app-integrations:<AWS::Region>:<AWS::AccountId>:data-integration/*"
    )
    assert PolicyResource(PINNED, "data-integration/*").nag_finding == (
        "Resource::arn:aws:app-integrations:us-east-1:111122223333:data-integration/*"
    )
