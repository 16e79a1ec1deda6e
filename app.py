#!/usr/bin/env python3
"""Example app: a Q in Connect knowledge base on an S3 data integration, and when its data is pulled.

The stack creates what a user of this library typically has: a KMS key, an
``AWS::AppIntegrations::DataIntegration`` reading an S3 bucket, and an Amazon Q in
Connect (Wisdom) knowledge base on it. The knowledge base creates the association
itself and CloudFormation returns no id for it, so the execution gives none: the
provider finds the association at deploy. The execution depends on the knowledge base,
and the association's ARN is an output.

It needs no AWS account to synthesize: the stack is environment-agnostic unless
``account`` and ``region`` are given as context. The bucket must exist and allow
AppIntegrations to read it (see the Amazon Q in Connect administrator guide).

    npx cdk synth [-c documentsBucket=<bucket name>] [-c rerunToken=<any>] [-c account=... -c region=...]

An association created outside this stack can be configured by id too:

    npx cdk synth -c dataIntegrationId=<id or ARN> -c scheduledAssociationId=<id or ARN>
"""

from __future__ import annotations

from datetime import datetime, timezone

import aws_cdk as cdk
from aws_cdk import aws_appintegrations as appintegrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wisdom as wisdom
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration
from constructs import Construct

DEFAULT_DOCUMENTS_BUCKET = "amzn-s3-demo-bucket"
#: The services that read the data integration's data with the key.
KEY_USERS = ("app-integrations.amazonaws.com", "wisdom.amazonaws.com")


class AppIntegrationsExampleStack(cdk.Stack):
    """A knowledge base whose association is found at deploy, plus (with context) an existing association by id."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment | None = None) -> None:
        super().__init__(scope, construct_id, env=env)
        rerun_token = self.node.try_get_context("rerunToken")

        key = kms.Key(self, "Key", description="Knowledge base documents", enable_key_rotation=True)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="KnowledgeBaseServices",
                principals=[iam.ServicePrincipal(service) for service in KEY_USERS],
                actions=["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        documents = appintegrations.CfnDataIntegration(
            self,
            "Documents",
            name=f"{construct_id}-documents",
            description="Knowledge base documents in S3",
            kms_key=key.key_arn,
            source_uri=f"s3://{self.node.try_get_context('documentsBucket') or DEFAULT_DOCUMENTS_BUCKET}",
        )
        knowledge_base = wisdom.CfnKnowledgeBase(
            self,
            "KnowledgeBase",
            name=f"{construct_id}-knowledge-base",
            knowledge_base_type="EXTERNAL",
            source_configuration=wisdom.CfnKnowledgeBase.SourceConfigurationProperty(
                app_integrations=wisdom.CfnKnowledgeBase.AppIntegrationsConfigurationProperty(
                    app_integration_arn=documents.attr_data_integration_arn
                )
            ),
            server_side_encryption_configuration=wisdom.CfnKnowledgeBase.ServerSideEncryptionConfigurationProperty(
                kms_key_id=key.key_arn
            ),
        )

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
            # Change it (e.g. to today's date) to pull the same window again.
            rerun_token=None if rerun_token is None else str(rerun_token),
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
            )


def environment(app: cdk.App) -> cdk.Environment | None:
    """``-c account=... -c region=...`` pins the stack; without them it deploys anywhere."""
    account, region = app.node.try_get_context("account"), app.node.try_get_context("region")
    if account is None and region is None:
        return None
    return cdk.Environment(account=account, region=region)


if __name__ == "__main__":
    app = cdk.App()
    AppIntegrationsExampleStack(app, "AppIntegrationsExample", env=environment(app))
    app.synth()
