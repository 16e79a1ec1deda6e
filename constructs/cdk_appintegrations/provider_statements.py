"""The IAM statements the provider's function needs for each option, and how to show them to a person.

CDK adds some of these itself when a ``lambda.Function`` gets a DLQ, tracing or a VPC,
but only to a role it may change, and never the network-interface permissions to a
role that is passed in. The provider always hands its function a role it may not
change and writes every statement here instead, so the same list serves a role it
creates, a platform role it attaches a policy to, and the warning for a role it may
not touch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from .intrinsics import as_text

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sqs as sqs

#: AWSLambdaVPCAccessExecutionRole's actions, split by what IAM can scope.
ENI_SCOPED_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
ENI_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")

DESCRIBE_REASON = (
    "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets have no resource type in the Service Authorization "
    "Reference, so IAM matches them only with Resource '*'. Lambda needs them to attach the provider function to "
    "its VPC; the statement allows only those read-only actions."
)
ENI_REASON = (
    "Lambda creates and deletes the function's network interfaces itself, so their ids are unknown at synth: "
    "the statement names network-interface/* in the stack's account and Region only, with the exact subnets and "
    "security groups, and allows only the network-interface actions of AWSLambdaVPCAccessExecutionRole."
)
XRAY_REASON = (
    "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource type in the Service Authorization "
    "Reference, so IAM matches them only with Resource '*'. The statement allows only sending the provider "
    "function's own traces."
)


@dataclass(frozen=True)
class Wildcard:
    """A ``Resource`` entry that holds a wildcard, and why, for cdk-nag's AwsSolutions-IAM5 acknowledgement."""

    resource: str
    reason: str


@dataclass
class OptionStatements:
    """The statements that the provider's options add, and the wildcards among their resources."""

    statements: list[iam.PolicyStatement]
    wildcards: list[Wildcard]


def option_statements(
    stack: Stack,
    *,
    subnet_ids: Sequence[str] | None,
    security_group_ids: Sequence[str],
    dead_letter_queue: sqs.IQueue | None,
    tracing_on: bool,
    environment_encryption: kms.IKey | None,
) -> OptionStatements:
    """What the function needs beyond its logs and the AppIntegrations calls."""
    statements: list[iam.PolicyStatement] = []
    wildcards: list[Wildcard] = []
    if subnet_ids is not None:
        interfaces = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
        statements.append(
            iam.PolicyStatement(
                sid="ManageNetworkInterfaces",
                actions=list(ENI_SCOPED_ACTIONS),
                resources=[
                    interfaces,
                    *(stack.format_arn(service="ec2", resource="subnet", resource_name=s) for s in subnet_ids),
                    *(
                        stack.format_arn(service="ec2", resource="security-group", resource_name=g)
                        for g in security_group_ids
                    ),
                ],
            )
        )
        wildcards.append(Wildcard(interfaces, ENI_REASON))
        statements.append(
            iam.PolicyStatement(sid="DescribeNetworkInterfaces", actions=list(ENI_DESCRIBE_ACTIONS), resources=["*"])
        )
        wildcards.append(Wildcard("*", DESCRIBE_REASON))
    if dead_letter_queue is not None:
        statements.append(
            iam.PolicyStatement(
                sid="SendToDeadLetterQueue", actions=["sqs:SendMessage"], resources=[dead_letter_queue.queue_arn]
            )
        )
        queue_key = dead_letter_queue.encryption_master_key
        if queue_key is not None:  # SSE-KMS: sending encrypts with a data key of the queue's key
            statements.append(
                iam.PolicyStatement(
                    sid="EncryptDeadLetters",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[queue_key.key_arn],
                )
            )
    if tracing_on:
        statements.append(iam.PolicyStatement(sid="WriteTraces", actions=list(XRAY_ACTIONS), resources=["*"]))
        wildcards.append(Wildcard("*", XRAY_REASON))
    if environment_encryption is not None:
        statements.append(
            iam.PolicyStatement(
                sid="DecryptEnvironment", actions=["kms:Decrypt"], resources=[environment_encryption.key_arn]
            )
        )
    return OptionStatements(statements, wildcards)


def log_key_statement(stack: Stack) -> iam.PolicyStatement:
    """The key policy statement that lets CloudWatch Logs encrypt the stack's log groups with a key.

    Without it the log group fails to create (CDK does not add it). The encryption
    context names ``log-group:*`` in the stack's account and Region rather than the
    group's own ARN: naming the group would make the key depend on the group, which
    already depends on the key.
    """
    return iam.PolicyStatement(
        sid="CloudWatchLogsOfThisStacksAccountAndRegion",
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        },
    )


def readable_statements(
    statements: Sequence[iam.PolicyStatement], resolve: Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """The statements as JSON whose every resource is text: for the warning and the IAM policy report."""
    return [readable_statement(resolve(statement.to_statement_json())) for statement in statements]


def readable_statement(rendered: dict[str, Any]) -> dict[str, Any]:
    """A resolved statement whose every action and resource is text (intrinsics in ``Fn::Sub`` notation)."""
    for key in ("Action", "Resource"):
        if key in rendered:
            values = rendered[key] if isinstance(rendered[key], list) else [rendered[key]]
            rendered[key] = [as_text(value) for value in values]
    return rendered
