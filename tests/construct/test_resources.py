"""What the construct synthesizes: the custom resources' exact properties, the provider and its IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from appintegrations_cr import contract
from appintegrations_cr.constants import LIST_ACTION, RESOURCE_TYPE, UPDATE_ACTION
from aws_cdk import aws_lambda as lambda_

from testkit.cfn_template import (
    agnostic_arn,
    evaluate,
    executions,
    inline_policy_documents,
    only,
    provider_policy,
    resources_of_type,
    scalars,
    update_resources,
    update_statement,
)
from tests.construct import stacks
from tests.construct.synthesized import Synthesized

pytestmark = pytest.mark.construct

CONTRACT_KEYS = {
    "DataIntegrationIdentifier",
    "DataIntegrationAssociationIdentifier",
    "DestinationURI",
    "ExecutionConfiguration",
    "RerunToken",
}
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": stacks.REGION, "AWS::AccountId": stacks.ACCOUNT}
LOCAL = f"arn:aws:app-integrations:{stacks.REGION}:{stacks.ACCOUNT}"


def properties(main_app: Synthesized, stack: str, construct_id: str) -> dict[str, Any]:
    found: dict[str, Any] = executions(main_app.template(stack))[construct_id]["Properties"]
    return found


def contract_properties(main_app: Synthesized, stack: str, construct_id: str) -> dict[str, Any]:
    """The properties the handler's contract reads (CloudFormation adds ServiceToken and ServiceTimeout)."""
    return {k: v for k, v in properties(main_app, stack, construct_id).items() if k in CONTRACT_KEYS}


def test_on_demand_properties_are_the_api_request_as_strings(main_app: Synthesized) -> None:
    assert contract_properties(main_app, stacks.LITERAL, "PlainIds") == {
        "DataIntegrationIdentifier": stacks.PLAIN_DI,
        "DataIntegrationAssociationIdentifier": stacks.ASSOC_PLAIN,
        "ExecutionConfiguration": {
            "ExecutionMode": "ON_DEMAND",
            "OnDemandConfiguration": {"StartTime": stacks.JAN_1_MS, "EndTime": stacks.JAN_2_MS},
        },
    }


def test_datetimes_become_epoch_milliseconds_whatever_their_zone(main_app: Synthesized) -> None:
    # 01:00 at UTC+1 is 2025-01-01T00:00:00Z
    scheduled = contract_properties(main_app, stacks.LITERAL, "DataIntegrationArn")["ExecutionConfiguration"]
    assert scheduled == {
        "ExecutionMode": "SCHEDULED",
        "ScheduleConfiguration": {
            "ScheduleExpression": "rate(1 hour)",
            "Object": "Account",
            "FirstExecutionFrom": stacks.JAN_1_MS,
        },
    }
    configuration = contract_properties(main_app, stacks.LITERAL, "AssociationArn")["ExecutionConfiguration"]
    assert configuration == {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": stacks.JAN_1_MS}}


def test_identifiers_are_sent_as_written_ids_or_arns(main_app: Synthesized) -> None:
    sent = {
        construct_id: (props["DataIntegrationIdentifier"], props["DataIntegrationAssociationIdentifier"])
        for construct_id in ("PlainIds", "DataIntegrationArn", "AssociationArn")
        for props in [contract_properties(main_app, stacks.LITERAL, construct_id)]
    }
    assert sent == {
        "PlainIds": (stacks.PLAIN_DI, stacks.ASSOC_PLAIN),
        "DataIntegrationArn": (stacks.DI_ARN, stacks.ASSOC_2),
        "AssociationArn": (stacks.OTHER_DI, stacks.FOREIGN_ASSOCIATION_ARN),
    }


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
    only(template, "AWS::IAM::ManagedPolicy")
    only(template, "AWS::Logs::LogGroup")
    assert not resources_of_type(template, "AWS::IAM::Policy")
    found = executions(template)
    assert len(found) == 4
    for resource in found.values():
        assert resource["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_name, "Arn"]}
    # one execution resource each, plus role, managed policy, log group, function and CDKMetadata
    assert len(template["Resources"]) == len(found) + 5


def test_provider_function_configuration(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    _, function = only(template, "AWS::Lambda::Function")
    log_group_name, _ = only(template, "AWS::Logs::LogGroup")
    role_name, _ = only(template, "AWS::IAM::Role")
    policy_name, _ = only(template, "AWS::IAM::ManagedPolicy")
    props = function["Properties"]
    newest_python = max(
        (r.name for r in lambda_.Runtime.ALL if r.name.startswith("python")),
        key=lambda name: tuple(int(part) for part in name.removeprefix("python").split(".")),
    )
    assert props["Runtime"] == newest_python == "python3.14"  # what cdk-nag's AwsSolutions-L1 asks for
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "index.handler"
    assert props["MemorySize"] == 256
    assert "Environment" not in props  # no variable is needed, so none is set (checkov CKV_AWS_173 passes)
    assert not {"KmsKeyArn", "VpcConfig", "ReservedConcurrentExecutions", "TracingConfig"} & props.keys()
    # Lambda's JSON format: one object per record, filtered by level, with no environment variable
    assert props["LoggingConfig"] == {
        "LogGroup": {"Ref": log_group_name},
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "WARN",
    }
    assert props["Role"] == {"Fn::GetAtt": [role_name, "Arn"]}
    assert function["DependsOn"] == [policy_name]  # its permissions are in place before it is created
    # ten minutes to wait for a turn under a rate limit; a throttled call is retried until then
    assert props["Timeout"] == 600


def test_service_timeout_fails_a_silent_provider_in_minutes(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    _, function = only(template, "AWS::Lambda::Function")
    for resource in executions(template).values():
        service_timeout = int(resource["Properties"]["ServiceTimeout"])
        assert service_timeout == 21 * 60  # the function's 10 minutes, Lambda's retry a minute later, its 10
        assert function["Properties"]["Timeout"] <= service_timeout < 3600


def test_log_group_keeps_a_year_and_outlives_a_rollback(main_app: Synthesized) -> None:
    _, log_group = only(main_app.template(stacks.EXAMPLE), "AWS::Logs::LogGroup")
    assert log_group["Properties"] == {"RetentionInDays": 365}  # Control Tower's CT.CLOUDWATCH.PR.2 minimum
    assert log_group["DeletionPolicy"] == log_group["UpdateReplacePolicy"] == "Retain"


def test_role_has_only_the_providers_managed_policy_which_writes_only_its_own_log_group(
    main_app: Synthesized,
) -> None:
    """No inline policy (HIPAA, NIST 800-53 and PCI DSS refuse them) and no AWS-managed one (AwsSolutions-IAM4)."""
    template = main_app.template(stacks.LITERAL)
    role_name, role = only(template, "AWS::IAM::Role")
    _, policy = only(template, "AWS::IAM::ManagedPolicy")
    log_group_name, _ = only(template, "AWS::Logs::LogGroup")
    assert role["Properties"].keys() == {"AssumeRolePolicyDocument", "Description"}
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert inline_policy_documents(template) == []
    assert policy["Properties"]["Roles"] == [{"Ref": role_name}]
    document = provider_policy(template)
    assert document["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_name, "Arn"]},
            "Sid": "WriteOwnLogs",
        },
        {
            "Action": "cloudformation:DescribeStacks",
            "Effect": "Allow",
            "Resource": {"Ref": "AWS::StackId"},  # its own stack only: a provider serves its stack's executions
            "Sid": "ReadOwnStackStatus",
        },
        update_statement(template),
    ]
    assert update_statement(template)["Action"] == UPDATE_ACTION
    assert update_statement(template)["Effect"] == "Allow"


def test_literal_ids_and_arns_give_exact_association_arns_only(main_app: Synthesized) -> None:
    """UpdateDataIntegrationAssociation is authorized on the association alone: no data-integration/ ARNs."""
    foreign = "arn:aws:app-integrations:eu-west-1:444455556666"
    assert update_resources(main_app.template(stacks.LITERAL)) == [
        f"{foreign}:data-integration-association/{stacks.OTHER_DI}/{stacks.ASSOC_FOREIGN}",
        f"{LOCAL}:data-integration-association/{stacks.DI}/{stacks.ASSOC_2}",
        f"{LOCAL}:data-integration-association/{stacks.DI}/{stacks.ASSOC_4}",
        f"{LOCAL}:data-integration-association/{stacks.PLAIN_DI}/{stacks.ASSOC_PLAIN}",
    ]


def test_env_agnostic_ids_use_the_deploy_time_environment(main_app: Synthesized) -> None:
    assert update_resources(main_app.template(stacks.AGNOSTIC)) == [
        agnostic_arn(f"data-integration-association/{stacks.AGNOSTIC_DI}/{stacks.ASSOC_AGNOSTIC}"),
    ]


@pytest.mark.parametrize("form", ["id", "arn"])
def test_a_token_association_gets_its_exact_arn_whether_it_holds_an_id_or_an_arn(
    main_app: Synthesized, form: str
) -> None:
    [resource] = update_resources(main_app.template(stacks.TOKEN_ASSOCIATION))
    value = "assoc-9" if form == "id" else f"{LOCAL}:data-integration-association/{stacks.LITERAL_DI}/assoc-9"
    assert evaluate(resource, {**PSEUDO, "AssociationId": value}) == (
        f"{LOCAL}:data-integration-association/{stacks.LITERAL_DI}/assoc-9"
    )


@pytest.mark.parametrize(("di_form", "association_form"), [("id", "id"), ("arn", "id"), ("id", "arn"), ("arn", "arn")])
def test_token_identifiers_get_exact_arns_built_with_intrinsics(
    main_app: Synthesized, di_form: str, association_form: str
) -> None:
    parameters = {
        "DataIntegrationId": "di-9" if di_form == "id" else f"{LOCAL}:data-integration/di-9",
        "AssociationId": "assoc-9"
        if association_form == "id"
        else f"{LOCAL}:data-integration-association/di-9/assoc-9",
    }
    resources = [evaluate(r, {**PSEUDO, **parameters}) for r in update_resources(main_app.template(stacks.TOKENS))]
    assert (
        resources
        == [
            f"{LOCAL}:data-integration-association/di-9/assoc-9",
            f"{LOCAL}:data-integration-association/{stacks.LITERAL_DI}/{stacks.ASSOC_LITERAL}",  # the stack's literal execution
        ]
    )
    assert not any("*" in resource for resource in resources)


def test_a_cfn_data_integration_gives_the_exact_arn_over_its_id(main_app: Synthesized) -> None:
    template = main_app.template(stacks.OBJECTS)
    known = executions(template)["GivenAssociation"]["Properties"]
    assert known["DataIntegrationIdentifier"] == {"Fn::GetAtt": ["Known", "Id"]}
    exact = [r for r in update_resources(template) if stacks.ASSOC_KNOWN in json.dumps(r)]
    assert exact == [
        {
            "Fn::Join": [
                "",
                [f"{LOCAL}:data-integration-association/", {"Fn::GetAtt": ["Known", "Id"]}, f"/{stacks.ASSOC_KNOWN}"],
            ]
        }
    ]
    assert (
        evaluate(exact[0], PSEUDO, {("Known", "Id"): "di-7"})
        == f"{LOCAL}:data-integration-association/di-7/{stacks.ASSOC_KNOWN}"
    )


def test_a_lookup_is_granted_any_association_of_its_data_integration_only(main_app: Synthesized) -> None:
    """The association id is found at deploy, so the honest scope is the data integration's associations."""
    assert evaluate(update_resources(main_app.template(stacks.EXAMPLE)), PSEUDO, {("Documents", "Id"): "di-7"}) == [
        f"{LOCAL}:data-integration-association/di-7/*"
    ]
    objects = evaluate(
        update_resources(main_app.template(stacks.OBJECTS)),
        PSEUDO,
        {("Documents", "Id"): "di-7", ("Known", "Id"): "di-8"},
    )
    assert objects == [
        f"{LOCAL}:data-integration-association/di-7/*",
        f"{LOCAL}:data-integration-association/di-8/{stacks.ASSOC_KNOWN}",
    ]


def test_the_list_statement_exists_only_where_an_execution_resolves_by_lookup(main_app: Synthesized) -> None:
    for stack in main_app.stack_names:
        document = provider_policy(main_app.template(stack))
        lists = [s for s in document["Statement"] if LIST_ACTION in str(s["Action"])]
        if stack in (stacks.EXAMPLE, stacks.OBJECTS):
            assert lists == [
                {"Action": LIST_ACTION, "Effect": "Allow", "Resource": "*", "Sid": "FindDataIntegrationAssociations"}
            ], stack
        else:
            assert lists == [], stack
            assert len(document["Statement"]) == 3  # logs, the stack's status, the associations


def test_a_lookup_execution_sends_no_identifier_and_waits_for_the_consumer(main_app: Synthesized) -> None:
    template = main_app.template(stacks.OBJECTS)
    found = executions(template)["FoundAssociation"]
    assert "DataIntegrationAssociationIdentifier" not in found["Properties"]
    # the filter's GetAtt orders it after the knowledge base; the example, with no filter, says DependsOn
    assert found["Properties"]["DestinationURI"] == {"Fn::GetAtt": ["KnowledgeBase", "KnowledgeBaseArn"]}
    example = executions(main_app.template(stacks.EXAMPLE))["KnowledgeBaseSync"]
    assert example["Properties"]["DataIntegrationIdentifier"] == {"Fn::GetAtt": ["Documents", "Id"]}
    assert any(name.startswith("KnowledgeBase") for name in example["DependsOn"])


def test_the_attributes_are_usable_in_outputs_under_the_handlers_names(main_app: Synthesized) -> None:
    template = main_app.template(stacks.OBJECTS)
    [logical_id] = [
        name
        for name, r in template["Resources"].items()
        if r.get("Metadata", {}).get("aws:cdk:path", "").startswith(f"{stacks.OBJECTS}/FoundAssociation/")
    ]
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert outputs == {
        "DataIntegrationArn": {"Fn::GetAtt": [logical_id, contract.DATA_INTEGRATION_ARN_ATTRIBUTE]},
        "AssociationArn": {"Fn::GetAtt": [logical_id, contract.ASSOCIATION_ARN_ATTRIBUTE]},
        "AssociationId": {"Fn::GetAtt": [logical_id, contract.ASSOCIATION_ID_ATTRIBUTE]},
    }
    assert (
        contract.DATA_INTEGRATION_ARN_ATTRIBUTE,
        contract.ASSOCIATION_ARN_ATTRIBUTE,
        contract.ASSOCIATION_ID_ATTRIBUTE,
    ) == ("DataIntegrationArn", "DataIntegrationAssociationArn", "DataIntegrationAssociationId")
    example = main_app.template(stacks.EXAMPLE)["Outputs"]["KnowledgeBaseAssociationArn"]["Value"]
    assert example["Fn::GetAtt"][1] == "DataIntegrationAssociationArn"


def test_node_default_child_is_the_cfn_resource_the_escape_hatch(tmp_path: Path) -> None:
    """As on CDK's L2s, ``node.default_child`` is the L1, and what it is given lands on the same logical id."""
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, "EscapeHatch", env=stacks.ENV)
    execution = stacks.add_execution(stack, "Sync", stacks.PLAIN_DI, stacks.ASSOC_PLAIN)
    resource = execution.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    assert resource.cfn_resource_type == RESOURCE_TYPE
    resource.add_property_override("ServiceTimeout", "600")
    resource.add_override("Metadata.Owner", "data-team")
    resource.cfn_options.condition = cdk.CfnCondition(
        stack, "Enabled", expression=cdk.Fn.condition_equals(cdk.Aws.REGION, stacks.REGION)
    )
    template = app.synth().get_stack_by_name("EscapeHatch").template
    [(logical_id, custom)] = resources_of_type(template, RESOURCE_TYPE).items()
    assert logical_id == stack.resolve(resource.logical_id)
    # The execution's child "Resource" itself (up to 0.5.0, the "Default" child of a CustomResource of that id:
    # the same logical id, as "Default" takes no part in it).
    assert execution.node.find_child("Resource") is resource
    assert resource.node.scope is execution
    assert custom["Properties"]["ServiceTimeout"] == "600"
    assert custom["Metadata"]["Owner"] == "data-team"
    assert custom["Condition"] == "Enabled"


def test_executions_are_destroyed_with_the_stack_unless_given_another_removal_policy(tmp_path: Path) -> None:
    """DESTROY, as a CustomResource has by default (set for the whole stack at synth), unless the L1 has its own."""
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, "RemovalPolicies", env=stacks.ENV)
    default = stacks.add_execution(stack, "Default", stacks.PLAIN_DI, stacks.ASSOC_PLAIN)
    kept = stacks.add_execution(stack, "Kept", stacks.PLAIN_DI, stacks.association_id(7))
    cast("cdk.CfnResource", kept.node.default_child).apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    template = app.synth().get_stack_by_name("RemovalPolicies").template
    for execution, policy in ((default, "Delete"), (kept, "Retain")):
        resource = template["Resources"][
            stack.resolve(cast("cdk.CfnResource", execution.node.default_child).logical_id)
        ]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, policy)
