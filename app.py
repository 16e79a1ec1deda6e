#!/usr/bin/env python3
"""Example app: a Q in Connect knowledge base on an S3 data integration, and when its data is pulled.

The stack creates what a user of this library typically has: a KMS key, an
``AWS::AppIntegrations::DataIntegration`` reading an S3 bucket, and an Amazon Q in
Connect (Wisdom) knowledge base on it. The knowledge base creates the association
itself and CloudFormation returns no id for it, so the execution gives none: the
provider finds the association at deploy. The execution depends on the knowledge base,
and the association's ARN is an output.

It is a complete CDK app: run it with the CLI (``cdk.json`` says ``python3 app.py``), or as
``python app.py``. It needs no AWS account to synthesize: the stack is environment-agnostic
unless ``account`` and ``region`` are given as context. The bucket must exist and allow
AppIntegrations to read it (see the Amazon Q in Connect administrator guide).

    npx cdk synth [-c documentsBucket=<bucket name>] [-c rerunToken=<any>] [-c account=... -c region=...]

An association created outside this stack can be configured by id too:

    npx cdk synth -c dataIntegrationId=<id or ARN> -c scheduledAssociationId=<id or ARN>

``-c lockedDown=true`` adds ``AppIntegrationsLockedDownExample``: the same knowledge base
served by an ``ExecutionProvider`` that uses every guardrail option (an imported VPC, a
customer-managed key for logs, environment and dead letters, a DLQ, tracing, reserved
concurrency), under a permissions boundary and tags. Give it your network with
``-c vpcId=vpc-... -c privateSubnetIds=subnet-a,subnet-b -c availabilityZones=az-a,az-b
-c routeTableIds=rtb-a,rtb-b`` and the boundary with ``-c permissionsBoundary=<policy name>``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_appintegrations as appintegrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wisdom as wisdom
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ExecutionProvider
from constructs import Construct

DEFAULT_DOCUMENTS_BUCKET = "amzn-s3-demo-bucket"
#: The services that read the data integration's data with the key.
KEY_USERS = ("app-integrations.amazonaws.com", "wisdom.amazonaws.com")


# --8<-- [start:knowledge-base]
def customer_managed_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating key that only AWS services may create grants on (Control Tower's CT.KMS.PR.3)."""
    key = kms.Key(scope, construct_id, description=description, enable_key_rotation=True)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="GrantsOnlyForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
        )
    )
    return key


def documents_on(scope: Construct, prefix: str, key_arn: str, source_uri: str) -> appintegrations.CfnDataIntegration:
    """``<prefix>-documents``: an AppIntegrations data integration on S3 documents, encrypted with ``key_arn``."""
    return appintegrations.CfnDataIntegration(
        scope,
        "Documents",
        name=f"{prefix}-documents",
        description="Knowledge base documents in S3",
        kms_key=key_arn,
        source_uri=source_uri,
    )


def knowledge_base_on(
    scope: Construct, documents: appintegrations.CfnDataIntegration, key_arn: str | None = None, name: str = "kb"
) -> wisdom.CfnKnowledgeBase:
    """A Q in Connect (Wisdom) knowledge base on a data integration: it creates the association itself."""
    return wisdom.CfnKnowledgeBase(
        scope,
        "KnowledgeBase",
        name=name,
        knowledge_base_type="EXTERNAL",
        source_configuration=wisdom.CfnKnowledgeBase.SourceConfigurationProperty(
            app_integrations=wisdom.CfnKnowledgeBase.AppIntegrationsConfigurationProperty(
                app_integration_arn=documents.attr_data_integration_arn
            )
        ),
        server_side_encryption_configuration=None
        if key_arn is None
        else wisdom.CfnKnowledgeBase.ServerSideEncryptionConfigurationProperty(kms_key_id=key_arn),
    )


class AppIntegrationsExampleStack(cdk.Stack):
    """A knowledge base whose association is found at deploy, plus (with context) an existing association by id."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment | None = None) -> None:
        super().__init__(scope, construct_id, env=env)
        # --8<-- [start:rerun]
        # Any new value (cdk deploy -c rerunToken=2025-07-02) pulls the same window again.
        rerun_token = self.node.try_get_context("rerunToken")
        # --8<-- [end:rerun]
        # The provider comes first: the executions created after it use it.
        provider = self.provider()

        # The key of the data integration and the knowledge base, for these two services of this account.
        key = customer_managed_key(self, "Key", "Knowledge base documents")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="KnowledgeBaseServices",
                principals=[iam.ServicePrincipal(service) for service in KEY_USERS],
                actions=["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        # An existing bucket that AppIntegrations may list and read: cdk deploy -c documentsBucket=<name>
        bucket = self.node.try_get_context("documentsBucket") or DEFAULT_DOCUMENTS_BUCKET
        documents = documents_on(self, construct_id, key.key_arn, f"s3://{bucket}")
        knowledge_base = knowledge_base_on(self, documents, key.key_arn, name=f"{construct_id}-knowledge-base")

        # No association identifier: the provider lists the data integration's associations at
        # deploy and configures its only one, the knowledge base's, which must exist first.
        sync = DataIntegrationAssociationExecution(
            self,
            "KnowledgeBaseSync",
            data_integration_identifier=documents,
            execution_configuration=ExecutionConfiguration.on_demand(
                start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
                end_time=datetime(2025, 7, 1, tzinfo=timezone.utc),
            ),
            rerun_token=None if rerun_token is None else str(rerun_token),
            provider=provider,
        )
        sync.node.add_dependency(knowledge_base)
        cdk.CfnOutput(
            self,
            "KnowledgeBaseAssociationArn",
            description="The association the knowledge base created, as the provider found it",
            value=sync.attr_data_integration_association_arn,
        )

        existing = self.node.try_get_context("scheduledAssociationId")
        if existing is not None:
            DataIntegrationAssociationExecution(
                self,
                "HourlyAccounts",
                data_integration_identifier=str(self.node.try_get_context("dataIntegrationId") or ""),
                data_integration_association_identifier=str(existing),
                execution_configuration=ExecutionConfiguration.scheduled(
                    schedule_expression="rate(1 hour)",
                    object="Account",
                    first_execution_from=datetime(2025, 1, 1, tzinfo=timezone.utc),
                ),
                provider=provider,
            )

    def provider(self) -> ExecutionProvider | None:
        """None: the stack's default provider (no VPC, no reservation; deploys in any account)."""
        return None


# --8<-- [end:knowledge-base]


# --8<-- [start:provider]
class LockedDownExampleStack(AppIntegrationsExampleStack):
    """The same knowledge base, its provider inside the platform's guardrails: every option of ExecutionProvider."""

    def provider(self) -> ExecutionProvider | None:
        return locked_down_provider(self)


#: Placeholders for the locked-down example's network, valid in form: give yours as context.
PLACEHOLDER_NETWORK = {
    "vpcId": "vpc-0a1b2c3d4e5f60789",
    "availabilityZones": "us-east-1a,us-east-1b",
    "privateSubnetIds": "subnet-0a1b2c3d4e5f60781,subnet-0a1b2c3d4e5f60782",
    "routeTableIds": "rtb-0a1b2c3d4e5f60781,rtb-0a1b2c3d4e5f60782",
}
DEFAULT_PERMISSIONS_BOUNDARY = "platform-application-boundary"


def locked_down_vpc(stack: cdk.Stack) -> ec2.IVpc:
    """Your network, from the context (or the placeholders): ``from_vpc_attributes`` needs no credentials at synth.

    ``Vpc.from_lookup`` would look the VPC up in your account, which needs credentials and a
    stack with an explicit ``env``.
    """
    network = {key: str(stack.node.try_get_context(key) or value) for key, value in PLACEHOLDER_NETWORK.items()}
    return ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id=network["vpcId"],
        availability_zones=network["availabilityZones"].split(","),
        private_subnet_ids=network["privateSubnetIds"].split(","),
        private_subnet_route_table_ids=network["routeTableIds"].split(","),
    )


def locked_down_provider(stack: cdk.Stack, *, reserved_concurrent_executions: int = 5) -> ExecutionProvider:
    """An ExecutionProvider with every guardrail option, in ``stack``'s network, under the platform's boundary."""
    vpc = locked_down_vpc(stack)
    # The platform's permissions boundary and tags reach the provider's role, function and log group.
    boundary = str(stack.node.try_get_context("permissionsBoundary") or DEFAULT_PERMISSIONS_BOUNDARY)
    iam.PermissionsBoundary.of(stack).apply(iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", boundary))
    cdk.Tags.of(stack).add("data-classification", "confidential")
    cdk.Tags.of(stack).add("owner", "contact-center-platform")
    return hardened_provider(
        stack,
        vpc,
        ec2.SubnetType.PRIVATE_WITH_EGRESS,
        reserved_concurrent_executions=reserved_concurrent_executions,
    )


def hardened_provider(
    stack: cdk.Stack,
    vpc: ec2.IVpc,
    subnet_type: ec2.SubnetType,
    *,
    reserved_concurrent_executions: int | None = None,
) -> ExecutionProvider:
    """The provider in ``vpc``'s subnets of ``subnet_type``, its logs, environment and dead letters under one key."""
    key = customer_managed_key(stack, "ProviderKey", "cdk-appintegrations provider: logs, environment, dead letters")
    return ExecutionProvider(
        stack,
        "Provider",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=subnet_type),
        log_encryption_key=key,
        environment_encryption=key,
        dead_letter_queue=encrypted_dead_letter_queue(stack, "ProviderDeadLetters", key),
        tracing=lambda_.Tracing.ACTIVE,
        reserved_concurrent_executions=reserved_concurrent_executions,
    )


def encrypted_dead_letter_queue(scope: Construct, construct_id: str, key: kms.IKey) -> sqs.Queue:
    """A KMS-encrypted, TLS-only queue for the provider's failed invocations, marked as a dead-letter queue."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=cdk.Duration.days(14),
        # It is a dead-letter queue: say so, which is what Control Tower's CT.SQS.PR.1 reads.
        redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.ALLOW_ALL),
    )
    # "Needs a redrive policy" (cfn-lint-serverless ES6000, cdk-nag Serverless-SQSRedrivePolicy): not the last
    # queue of the chain, where what failed everywhere else ends up.
    resource = cast("sqs.CfnQueue", queue.node.default_child)
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["ES6000"]}})
    reason = "This is a dead-letter queue, the end of the chain: it has no dead-letter queue of its own."
    # cdk-nag 3 reads the acknowledgement (no pack prefix: cdk-nag then finds it on every aws-cdk-lib) ...
    cdk.Validations.of(queue).acknowledge(cdk.Acknowledgment(id="Serverless-SQSRedrivePolicy", reason=reason))
    # ... and cdk-nag 2 the resource's metadata, what its NagSuppressions.add_resource_suppressions writes.
    resource.add_metadata("cdk_nag", {"rules_to_suppress": [{"reason": reason, "id": "Serverless-SQSRedrivePolicy"}]})
    return queue


# --8<-- [end:provider]


def environment(app: cdk.App) -> cdk.Environment | None:
    """``-c account=... -c region=...`` pins the stack; without them it deploys anywhere."""
    account, region = app.node.try_get_context("account"), app.node.try_get_context("region")
    if account is None and region is None:
        return None
    return cdk.Environment(account=account, region=region)


if __name__ == "__main__":
    app = cdk.App()
    AppIntegrationsExampleStack(app, "AppIntegrationsExample", env=environment(app))
    if str(app.node.try_get_context("lockedDown")).lower() == "true":
        LockedDownExampleStack(app, "AppIntegrationsLockedDownExample", env=environment(app))
    app.synth()
