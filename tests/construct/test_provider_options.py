"""ExecutionProvider's options, each as it renders, and the rules that choose an execution's provider.

Two apps, each synthesized once per module: one stack per option case, and one app
whose stacks run under ``Role.customize_roles`` in each of its modes (CDK writes one
policy report per app). Templates are read with ``aws_cdk.assertions``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from appintegrations_cr.constants import RESOURCE_TYPE, UPDATE_ACTION
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template
from cdk_appintegrations import (
    DataIntegrationAssociationExecution,
    ExecutionConfiguration,
    ExecutionProvider,
    ValidationError,
)

from app import PLACEHOLDER_NETWORK, LockedDownExampleStack, locked_down_vpc
from tests.construct import stacks

pytestmark = pytest.mark.construct

HARDENED = "AppIntegrationsLockedDownExample"
MUTABLE = "MutableRole"
IMMUTABLE = "ImmutableRole"
OWN_LOGS = "OwnLogGroup"
IMPORTED_KEY = "ImportedKey"
TWO = "TwoProviders"
BOUNDARY_CONTEXT = "BoundaryContext"
#: Where an ARN of the stack's Region and account follows its service, whatever the partition.
HERE = f":{stacks.REGION}:{stacks.ACCOUNT}:"
ASSOCIATION_ARN = f":app-integrations{HERE}data-integration-association/di-1/a-0"
SUBNETS = PLACEHOLDER_NETWORK["privateSubnetIds"].split(",")


def _execute(
    stack: cdk.Stack, count: int = 1, *, providers: Sequence[ExecutionProvider | None] = (None,)
) -> list[DataIntegrationAssociationExecution]:
    """``count`` executions of distinct associations; the i-th names ``providers[i % len(providers)]``."""
    return [
        stacks.add_execution(stack, f"Execution{i}", "di-1", f"a-{i}", provider=providers[i % len(providers)])
        for i in range(count)
    ]


def _build(outdir: Path) -> cdk.App:
    app = stacks.new_app(outdir, nag=False)
    LockedDownExampleStack(app, HARDENED, env=stacks.ENV)

    mutable = cdk.Stack(app, MUTABLE, env=stacks.ENV)
    ExecutionProvider(mutable, "Provider", role=iam.Role.from_role_arn(mutable, "Platform", stacks.PLATFORM_ROLE_ARN))
    _execute(mutable)

    immutable = cdk.Stack(app, IMMUTABLE, env=stacks.ENV)
    role = iam.Role.from_role_arn(immutable, "Platform", stacks.PLATFORM_ROLE_ARN, mutable=False)
    ExecutionProvider(immutable, "Provider", role=role, vpc=locked_down_vpc(immutable), tracing=lambda_.Tracing.ACTIVE)
    _execute(immutable)
    stacks.add_execution(immutable, "Lookup", "di-2", None)

    own_logs = cdk.Stack(app, OWN_LOGS, env=stacks.ENV)
    group = logs.LogGroup.from_log_group_name(own_logs, "Central", "/platform/appintegrations")
    ExecutionProvider(own_logs, "Provider", log_group=group)
    _execute(own_logs)

    imported_key = cdk.Stack(app, IMPORTED_KEY, env=stacks.ENV)
    key = kms.Key.from_key_arn(imported_key, "Key", stacks.KMS_KEY_ARN)
    ExecutionProvider(imported_key, "Provider", log_encryption_key=key)
    _execute(imported_key)

    two = cdk.Stack(app, TWO, env=stacks.ENV)
    traced = ExecutionProvider(two, "Traced", tracing=lambda_.Tracing.ACTIVE)
    plain = ExecutionProvider(two, "Plain")
    _execute(two, 12, providers=(plain, traced))

    return app


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    return _build(tmp_path_factory.mktemp("options")).synth()


def template_of(assembly: cdk.cx_api.CloudAssembly, name: str) -> Template:
    return Template.from_json(assembly.get_stack_by_name(name).template)


def warnings_of(assembly: cdk.cx_api.CloudAssembly, name: str) -> dict[str, str]:
    """Warning text by construct path."""
    return {
        message.id: str(message.entry.data)
        for message in assembly.get_stack_by_name(name).messages
        if message.level == cdk.cx_api.SynthesisMessageLevel.WARNING
    }


def policy_statements(template: Template) -> list[dict[str, Any]]:
    """The statements of the provider's customer-managed policy (the stack has no other policy)."""
    template.resource_count_is("AWS::IAM::Policy", 0)
    [policy] = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in statements}


def test_the_hardened_example_renders_every_option(assembly: cdk.cx_api.CloudAssembly) -> None:
    template = template_of(assembly, HARDENED)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "VpcConfig": {"SubnetIds": SUBNETS, "SecurityGroupIds": [{"Fn::GetAtt": [Match.any_value(), "GroupId"]}]},
            "TracingConfig": {"Mode": "Active"},
            "ReservedConcurrentExecutions": 5,
            "DeadLetterConfig": {
                "TargetArn": {"Fn::GetAtt": [Match.string_like_regexp("^ProviderDeadLetters"), "Arn"]}
            },
            "KmsKeyArn": {"Fn::GetAtt": [Match.string_like_regexp("^ProviderKey"), "Arn"]},
            "Environment": Match.absent(),
        },
    )
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^ProviderKey"), "Arn"]},
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Retain",
        },
    )
    # Only outbound HTTPS: no all-traffic egress, no ingress.
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupEgress": [
                {
                    "CidrIp": "0.0.0.0/0",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "Description": Match.any_value(),
                }
            ],
            "SecurityGroupIngress": Match.absent(),
        },
    )
    statements = by_sid(policy_statements(template))
    assert statements["SendToDeadLetterQueue"]["Action"] == "sqs:SendMessage"
    assert statements["EncryptDeadLetters"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert sorted(statements["WriteTraces"]["Action"]) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    assert statements["WriteTraces"]["Resource"] == "*"  # no resource type for these in IAM
    assert statements["DecryptEnvironment"]["Action"] == "kms:Decrypt"


def test_network_interface_grants_are_scoped_and_no_aws_managed_policy_is_attached(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    template = template_of(assembly, HARDENED)
    [role] = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaVPCAccessExecutionRole (AwsSolutions-IAM4)
    statements = by_sid(policy_statements(template))
    manage = statements["ManageNetworkInterfaces"]
    assert sorted(manage["Action"]) == [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
    ]
    rendered = json.dumps(manage["Resource"])
    assert '"*"' not in rendered  # checkov CKV_AWS_111: no write action on every resource
    assert f":ec2{HERE}network-interface/*" in rendered
    for subnet in SUBNETS:
        assert f":ec2{HERE}subnet/{subnet}" in rendered
    assert f":ec2{HERE}security-group/" in rendered
    describe = statements["DescribeNetworkInterfaces"]
    assert sorted(describe["Action"]) == ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    assert describe["Resource"] == "*"  # no resource type for these in IAM


def test_the_log_key_lets_cloudwatch_logs_of_this_account_and_region_use_it(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    template = template_of(assembly, HARDENED)
    keys = template.find_resources(
        "AWS::KMS::Key", {"Properties": {"Description": Match.string_like_regexp("provider")}}
    )
    [key] = keys.values()
    [statement] = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Principal", {}).get("Service")]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert sorted(statement["Action"]) == [
        "kms:Decrypt*",
        "kms:Describe*",
        "kms:Encrypt*",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    ]
    # a pattern, not the group's own ARN: naming the group would make a cycle (group -> key -> group)
    assert json.dumps(statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]).endswith(
        f':logs{HERE}log-group:*"'
    )


def test_an_imported_log_key_is_named_in_a_warning_with_the_statement_it_needs(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    [warning] = [w for path, w in warnings_of(assembly, IMPORTED_KEY).items() if path.endswith("/Provider")]
    assert "log_encryption_key is an imported key" in warning
    assert "logs.us-east-1.amazonaws.com" in warning
    assert f":logs{HERE}log-group:*" in warning


def test_a_mutable_platform_role_gets_the_managed_policy_that_the_function_waits_for(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    template = template_of(assembly, MUTABLE)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.resource_count_is("AWS::IAM::Policy", 0)
    [(policy_id, policy)] = template.find_resources("AWS::IAM::ManagedPolicy").items()
    assert policy["Properties"]["Roles"] == ["appintegrations-provider"]
    assert {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]} == {
        "WriteOwnLogs",
        "ReadOwnStackStatus",
        "UpdateDataIntegrationAssociations",
    }
    [function] = template.find_resources("AWS::Lambda::Function").values()
    assert policy_id in function["DependsOn"]
    assert function["Properties"]["Role"] == stacks.PLATFORM_ROLE_ARN


def test_an_immutable_role_gets_nothing_and_a_warning_with_real_arns(assembly: cdk.cx_api.CloudAssembly) -> None:
    template = template_of(assembly, IMMUTABLE)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    template.has_resource_properties("AWS::Lambda::Function", {"Role": stacks.PLATFORM_ROLE_ARN})
    [warning] = [w for path, w in warnings_of(assembly, IMMUTABLE).items() if path.endswith("/Provider")]
    assert f"the role {stacks.PLATFORM_ROLE_ARN!r} is not this construct's to change" in warning
    for needed in (
        UPDATE_ACTION,
        ASSOCIATION_ARN,
        "app-integrations:ListDataIntegrationAssociations",
        "data-integration-association/di-2/*",  # the lookup's honest scope
        "ec2:CreateNetworkInterface",
        f"subnet/{SUBNETS[0]}",
        "xray:PutTraceSegments",
        "${ProviderLogGroup",  # a token, as the intrinsic it becomes (Fn::GetAtt ... Arn)
    ):
        assert needed in warning, needed
    assert "Token[" not in warning


def test_your_own_log_group_is_used_and_none_is_created(assembly: cdk.cx_api.CloudAssembly) -> None:
    template = template_of(assembly, OWN_LOGS)
    template.resource_count_is("AWS::Logs::LogGroup", 0)
    template.has_resource_properties(
        "AWS::Lambda::Function", {"LoggingConfig": {"LogGroup": "/platform/appintegrations"}}
    )
    logs_statement = by_sid(policy_statements(template))["WriteOwnLogs"]
    assert ":log-group:/platform/appintegrations:*" in json.dumps(logs_statement["Resource"])


def test_two_providers_in_a_stack_each_serve_the_executions_that_name_them(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    template = template_of(assembly, TWO)
    functions = template.find_resources("AWS::Lambda::Function")
    assert len(functions) == 2
    traced = next(name for name, f in functions.items() if "TracingConfig" in f["Properties"])
    for name, execution in template.find_resources(RESOURCE_TYPE).items():
        index = int(execution["Metadata"]["aws:cdk:path"].split("/")[1].removeprefix("Execution"))
        assert (execution["Properties"]["ServiceToken"]["Fn::GetAtt"][0] == traced) == bool(index % 2), name


def test_the_boundary_from_context_reaches_the_providers_role(tmp_path: Path) -> None:
    app = stacks.new_app(tmp_path, nag=False)
    app.node.set_context("@aws-cdk/core:permissionsBoundary", {"name": "platform-boundary"})
    stack = cdk.Stack(app, BOUNDARY_CONTEXT, env=stacks.ENV)
    _execute(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::Role", {"PermissionsBoundary": Match.string_like_regexp(":policy/platform-boundary$")}
    )


def test_boundary_and_tags_of_the_hardened_example_reach_role_function_and_log_group(
    assembly: cdk.cx_api.CloudAssembly,
) -> None:
    template = template_of(assembly, HARDENED)
    template.has_resource_properties(
        "AWS::IAM::Role", {"PermissionsBoundary": Match.string_like_regexp(":policy/platform-application-boundary$")}
    )
    tag = Match.array_with([{"Key": "data-classification", "Value": "confidential"}])
    for resource_type in ("AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::EC2::SecurityGroup"):
        template.has_resource_properties(resource_type, {"Tags": tag})


# --- choosing the provider ----------------------------------------------------------------------------------


def _configuration() -> ExecutionConfiguration:
    return ExecutionConfiguration.on_demand(start_time=stacks.JAN_1_MS)


def test_the_stacks_only_explicit_provider_serves_executions_that_name_none() -> None:
    stack = cdk.Stack(cdk.App(), "One")
    provider = ExecutionProvider(stack, "Provider", reserved_concurrent_executions=2)
    [execution] = _execute(stack)
    assert execution.provider is provider
    assert stack.node.try_find_child("AppIntegrationsExecutionProvider") is None


def test_two_providers_and_an_execution_that_names_neither_is_refused_naming_both() -> None:
    stack = cdk.Stack(cdk.App(), "Two")
    ExecutionProvider(stack, "A")
    ExecutionProvider(stack, "B")
    with pytest.raises(ValidationError) as caught:
        _execute(stack)
    assert caught.value.construct_path == "Two/Execution0"
    assert caught.value.problems == [
        "provider: this stack has 2 ExecutionProviders ('Two/A', 'Two/B'); name the one for this execution with provider="
    ]


def test_a_provider_of_another_stack_is_refused() -> None:
    app = cdk.App()
    other = ExecutionProvider(cdk.Stack(app, "Other"), "Provider")
    stack = cdk.Stack(app, "Mine")
    with pytest.raises(ValidationError) as caught:
        _execute(stack, providers=(other,))
    assert caught.value.problems == [
        "provider: ExecutionProvider 'Other/Provider' is in stack 'Other', not in this execution's stack 'Mine'. "
        "CloudFormation would accept it (a ServiceToken may be any Lambda function of the Region), but this library "
        "refuses it, because a provider's limits hold per stack: maxConcurrentExecutions chains the executions of "
        "one stack, within the reserved concurrency of that stack's providers, and a provider's policy and its "
        "6,144-character budget are written from the executions of its own stack; create an ExecutionProvider in "
        "this stack, or leave provider= out to use this stack's own"
    ]


def test_a_provider_created_after_the_default_one_says_to_create_it_first() -> None:
    stack = cdk.Stack(cdk.App(), "Late")
    _execute(stack)
    with pytest.raises(ValidationError) as caught:
        ExecutionProvider(stack, "Provider")
    assert caught.value.construct_path == "Late/Provider"
    [problem] = caught.value.problems
    assert "already use the default provider 'Late/AppIntegrationsExecutionProvider'" in problem
    assert "create the ExecutionProvider before the executions" in problem
    assert stack.node.try_find_child("Provider") is None


def test_the_stacks_state_lives_in_its_tree_not_in_the_python_object() -> None:
    """The stack's registry is a construct of its tree: what the Python object keeps is only a shortcut to it.

    A stack reached through another proxy (or whose shortcut is gone) finds the same
    registry, so the claims, the providers and which one is the default survive.
    """
    stack = cdk.Stack(cdk.App(), "Tree")
    _execute(stack)
    registry = stack.node.find_child("AppIntegrationsExecutions")
    for name in [n for n in vars(stack) if n.startswith("_cdk_appintegrations")]:
        delattr(stack, name)
    with pytest.raises(
        ValidationError, match="already configured by DataIntegrationAssociationExecution 'Tree/Execution0'"
    ):
        stacks.add_execution(stack, "Again", "di-1", "a-0")
    with pytest.raises(
        ValidationError, match="already use the default provider 'Tree/AppIntegrationsExecutionProvider'"
    ):
        ExecutionProvider(stack, "Late")
    assert stack.node.find_child("AppIntegrationsExecutions") is registry
    assert [c.node.id for c in stack.node.children].count("AppIntegrationsExecutions") == 1


def test_one_association_one_execution_holds_across_providers() -> None:
    stack = cdk.Stack(cdk.App(), "Claims")
    first, second = ExecutionProvider(stack, "First"), ExecutionProvider(stack, "Second")
    _execute(stack, providers=(first,))
    with pytest.raises(
        ValidationError, match="is already configured by DataIntegrationAssociationExecution 'Claims/Execution0'"
    ):
        DataIntegrationAssociationExecution(
            stack,
            "Again",
            data_integration_identifier="di-1",
            data_integration_association_identifier="a-0",
            execution_configuration=_configuration(),
            provider=second,
        )


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"vpc_subnets": ec2.SubnetSelection()}, "vpc_subnets is given without vpc"),
        ({"log_retention": logs.RetentionDays.ONE_DAY, "log_group": "G"}, "log_retention is given with log_group"),
        ({"reserved_concurrent_executions": 0}, "reserved_concurrent_executions: 0 is not allowed"),
        ({"reserved_concurrent_executions": True}, "reserved_concurrent_executions: True is not allowed"),
        ({"function_name": "has space"}, "function_name: 'has space' is not allowed; expected 1-64 letters"),
        ({"function_name": "x" * 65}, "is not allowed; expected 1-64 letters, digits"),
    ],
)
def test_invalid_options_fail_synth_naming_the_option_and_value(options: dict[str, Any], problem: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    if options.get("log_group") == "G":
        options["log_group"] = logs.LogGroup.from_log_group_name(stack, "G", "g")
    with pytest.raises(ValidationError) as caught:
        ExecutionProvider(stack, "Provider", **options)
    assert caught.value.construct_path == "Bad/Provider"
    assert any(p.startswith(problem) or problem in p for p in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith("ExecutionProvider 'Bad/Provider': ")
    assert stack.node.try_find_child("Provider") is None


def test_tokens_for_options_are_left_to_deploy(tmp_path: Path) -> None:
    """A reservation known only at deploy cannot cap maxConcurrentExecutions: the stack synthesizes with the context's."""
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "Tokens")
    reserved = cdk.CfnParameter(stack, "Reserved", type="Number").value_as_number
    name = cdk.CfnParameter(stack, "Name").value_as_string
    provider = ExecutionProvider(
        stack,
        "Provider",
        reserved_concurrent_executions=reserved,  # type: ignore[arg-type]  # a number token is a float in Python
        function_name=name,
    )
    assert provider.function.node.path == "Tokens/Provider/Function"
    _execute(stack, 12)
    template = Template.from_stack(stack)  # synthesizes: 0.3.0 multiplied its chains by the token and failed
    executions = template.find_resources(RESOURCE_TYPE)
    first_of_a_chain = [r for r in executions.values() if not set(r.get("DependsOn", [])) & executions.keys()]
    assert len(first_of_a_chain) == 10  # DEFAULT_MAX_CONCURRENT_EXECUTIONS
