"""What the construct synthesizes: the custom resources' exact properties, the provider and its IAM."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_
from cdk_appintegrations._lambda.appintegrations_cr.limits import ACTION as UPDATE_ACTION

from tests.construct import stacks
from tests.construct.conftest import Synthesized
from tests.construct.templates import (
    RESOURCE_TYPE,
    agnostic_arn,
    executions,
    only,
    resources_of_type,
    role_policy_documents,
    scalars,
    update_resources,
    update_statement,
)

pytestmark = pytest.mark.construct

CONTRACT_KEYS = {
    "DataIntegrationIdentifier",
    "DataIntegrationAssociationIdentifier",
    "ExecutionConfiguration",
    "RerunToken",
}


def properties(main_app: Synthesized, stack: str, construct_id: str) -> dict[str, Any]:
    found: dict[str, Any] = executions(main_app.template(stack))[construct_id]["Properties"]
    return found


def contract_properties(main_app: Synthesized, stack: str, construct_id: str) -> dict[str, Any]:
    """The properties the handler's contract reads (CloudFormation adds ServiceToken and ServiceTimeout)."""
    return {k: v for k, v in properties(main_app, stack, construct_id).items() if k in CONTRACT_KEYS}


def test_on_demand_properties_are_the_api_request_as_strings(main_app: Synthesized) -> None:
    assert contract_properties(main_app, stacks.LITERAL, "PlainIds") == {
        "DataIntegrationIdentifier": "di-plain",
        "DataIntegrationAssociationIdentifier": "assoc-plain",
        "ExecutionConfiguration": {
            "ExecutionMode": "ON_DEMAND",
            "OnDemandConfiguration": {"StartTime": stacks.JAN_1_MS, "EndTime": stacks.JAN_2_MS},
        },
    }


def test_datetimes_become_epoch_milliseconds_whatever_their_zone(main_app: Synthesized) -> None:
    # 01:00 at UTC+1 is 2025-01-01T00:00:00Z
    assert contract_properties(main_app, stacks.LITERAL, "DataIntegrationArn") == {
        "DataIntegrationIdentifier": stacks.DI_ARN,
        "DataIntegrationAssociationIdentifier": "assoc-2",
        "ExecutionConfiguration": {
            "ExecutionMode": "SCHEDULED",
            "ScheduleConfiguration": {
                "ScheduleExpression": "rate(1 hour)",
                "Object": "Account",
                "FirstExecutionFrom": stacks.JAN_1_MS,
            },
        },
    }
    configuration = contract_properties(main_app, stacks.LITERAL, "AssociationArn")["ExecutionConfiguration"]
    assert configuration == {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": stacks.JAN_1_MS}}


def test_absent_optionals_are_omitted_not_null(main_app: Synthesized) -> None:
    plain = properties(main_app, stacks.LITERAL, "PlainIds")
    rerun = properties(main_app, stacks.LITERAL, "Rerun")
    assert "RerunToken" not in plain
    assert rerun["RerunToken"] == "2025-06-01"
    assert rerun["ExecutionConfiguration"] == {
        "ExecutionMode": "SCHEDULED",
        "ScheduleConfiguration": {"ScheduleExpression": "rate(1 day)"},
    }
    on_demand_only_start = properties(main_app, stacks.LITERAL, "AssociationArn")["ExecutionConfiguration"]
    assert "EndTime" not in on_demand_only_start["OnDemandConfiguration"]
    for stack in (stacks.LITERAL, stacks.EXAMPLE, stacks.AGNOSTIC):
        for resource in executions(main_app.template(stack)).values():
            assert None not in scalars(resource["Properties"])


def test_every_literal_scalar_is_a_string(main_app: Synthesized) -> None:
    for stack in (stacks.LITERAL, stacks.EXAMPLE, stacks.AGNOSTIC):
        for resource in executions(main_app.template(stack)).values():
            props = {k: v for k, v in resource["Properties"].items() if k != "ServiceToken"}
            assert all(isinstance(value, str) for value in scalars(props)), props


def test_properties_are_exactly_the_contract_plus_cloudformation_keys(main_app: Synthesized) -> None:
    for stack in (stacks.LITERAL, stacks.EXAMPLE, stacks.TOKENS):
        for resource in executions(main_app.template(stack)).values():
            assert resource["Type"] == RESOURCE_TYPE
            assert set(resource["Properties"]) - CONTRACT_KEYS == {"ServiceToken", "ServiceTimeout"}


def test_token_values_pass_through_unchanged(main_app: Synthesized) -> None:
    on_demand = properties(main_app, stacks.TOKENS, "OnDemand")
    assert on_demand["DataIntegrationIdentifier"] == {"Ref": "DataIntegrationId"}
    assert on_demand["DataIntegrationAssociationIdentifier"] == {"Ref": "AssociationId"}
    assert on_demand["ExecutionConfiguration"]["OnDemandConfiguration"] == {
        "StartTime": {"Ref": "StartTime"},
        "EndTime": {"Ref": "EndTime"},  # a number token, rendered as the string CloudFormation delivers anyway
    }
    assert on_demand["RerunToken"] == {"Ref": "AWS::StackId"}
    scheduled = properties(main_app, stacks.TOKENS, "Scheduled")["ExecutionConfiguration"]["ScheduleConfiguration"]
    assert scheduled == {
        "ScheduleExpression": {"Ref": "Schedule"},
        "Object": {"Ref": "Object"},
        "FirstExecutionFrom": {"Ref": "StartTime"},
    }


def test_one_provider_per_stack_serves_every_execution(main_app: Synthesized) -> None:
    template = main_app.template(stacks.LITERAL)
    function_name, _ = only(template, "AWS::Lambda::Function")
    only(template, "AWS::IAM::Role")
    only(template, "AWS::Logs::LogGroup")
    assert not resources_of_type(template, "AWS::IAM::Policy")
    found = executions(template)
    assert len(found) == 4
    for resource in found.values():
        assert resource["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_name, "Arn"]}
    # one execution resource each, plus role, log group, function and CDKMetadata
    assert len(template["Resources"]) == len(found) + 4


def test_provider_function_configuration(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    _, function = only(template, "AWS::Lambda::Function")
    log_group_name, _ = only(template, "AWS::Logs::LogGroup")
    role_name, _ = only(template, "AWS::IAM::Role")
    props = function["Properties"]
    newest_python = max(
        (r.name for r in lambda_.Runtime.ALL if r.name.startswith("python")),
        key=lambda name: tuple(int(part) for part in name.removeprefix("python").split(".")),
    )
    assert props["Runtime"] == newest_python == "python3.14"  # what cdk-nag's AwsSolutions-L1 asks for
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "index.handler"
    assert props["MemorySize"] == 256
    assert props["Environment"] == {"Variables": {"LOG_LEVEL": "INFO"}}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": log_group_name}}
    assert props["Role"] == {"Fn::GetAtt": [role_name, "Arn"]}
    assert "DependsOn" not in function  # the GetAtt already orders it after the role
    # ten minutes to wait for a turn under a rate limit; a throttled call is retried until then
    assert props["Timeout"] == 600


def test_service_timeout_fails_a_silent_provider_in_minutes(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    _, function = only(template, "AWS::Lambda::Function")
    for resource in executions(template).values():
        service_timeout = int(resource["Properties"]["ServiceTimeout"])
        assert service_timeout == 21 * 60  # the function's 10 minutes, Lambda's retry a minute later, its 10
        assert function["Properties"]["Timeout"] <= service_timeout < 3600


def test_log_group_has_finite_retention_and_outlives_a_rollback(main_app: Synthesized) -> None:
    _, log_group = only(main_app.template(stacks.EXAMPLE), "AWS::Logs::LogGroup")
    assert log_group["Properties"] == {"RetentionInDays": 30}
    assert log_group["DeletionPolicy"] == log_group["UpdateReplacePolicy"] == "Retain"


def test_role_has_no_managed_policies_and_writes_only_its_own_log_group(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    _, role = only(template, "AWS::IAM::Role")
    log_group_name, _ = only(template, "AWS::Logs::LogGroup")
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    [document] = role_policy_documents(template)
    assert document["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_name, "Arn"]},
            "Sid": "WriteOwnLogs",
        },
        update_statement(template),
    ]
    assert update_statement(template)["Action"] == UPDATE_ACTION
    assert update_statement(template)["Effect"] == "Allow"


def test_literal_ids_and_arns_give_exact_arns(main_app: Synthesized) -> None:
    local = f"arn:aws:app-integrations:{stacks.REGION}:{stacks.ACCOUNT}"
    foreign = "arn:aws:app-integrations:eu-west-1:444455556666"
    assert update_resources(main_app.template(stacks.LITERAL)) == [
        f"{foreign}:data-integration-association/{stacks.OTHER_DI}/assoc-foreign",
        f"{foreign}:data-integration/{stacks.OTHER_DI}",
        f"{local}:data-integration-association/{stacks.DI}/assoc-2",
        f"{local}:data-integration-association/{stacks.DI}/assoc-4",
        f"{local}:data-integration-association/di-plain/assoc-plain",
        f"{local}:data-integration/{stacks.DI}",
        f"{local}:data-integration/di-plain",
    ]


def test_example_app_grants_exactly_its_two_associations(main_app: Synthesized) -> None:
    local = f"arn:aws:app-integrations:{stacks.REGION}:{stacks.ACCOUNT}"
    di = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    assert update_resources(main_app.template(stacks.EXAMPLE)) == [
        f"{local}:data-integration-association/{di}/b2c3d4e5-6789-01ab-cdef-EXAMPLE22222",
        f"{local}:data-integration-association/{di}/c3d4e5f6-7890-12ab-cdef-EXAMPLE33333",
        f"{local}:data-integration/{di}",
    ]


def test_env_agnostic_ids_use_the_deploy_time_environment(main_app: Synthesized) -> None:
    assert update_resources(main_app.template(stacks.AGNOSTIC)) == [
        agnostic_arn("data-integration-association/di-a/assoc-a"),
        agnostic_arn("data-integration/di-a"),
    ]


def test_a_token_association_widens_to_its_data_integration_only(main_app: Synthesized) -> None:
    assert update_resources(main_app.template(stacks.TOKEN_ASSOCIATION)) == [
        agnostic_arn("data-integration-association/di-literal/*"),
        agnostic_arn("data-integration/di-literal"),
    ]


def test_a_token_data_integration_widens_to_the_account_and_region(main_app: Synthesized) -> None:
    # the literal execution in the same stack is covered by (and so folded into) the wildcard pair
    assert update_resources(main_app.template(stacks.TOKENS)) == [
        agnostic_arn("data-integration-association/*"),
        agnostic_arn("data-integration/*"),
    ]
