from datetime import datetime, timezone

import aws_cdk as cdk
from aws_cdk import aws_appintegrations as appintegrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wisdom as wisdom
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "AppIntegrationsExample")
# An existing bucket that lets app-integrations.amazonaws.com list and read it: cdk deploy -c documentsBucket=<name>
bucket = app.node.try_get_context("documentsBucket") or "amzn-s3-demo-bucket"
# --8<-- [start:rerun]
# Any new value (cdk deploy -c rerunToken=2025-07-02) pulls the same window again.
rerun_token = app.node.try_get_context("rerunToken")
# --8<-- [end:rerun]

# The key of the data integration and the knowledge base.
key = kms.Key(stack, "Key", description="Knowledge base documents", enable_key_rotation=True)
key.add_to_resource_policy(  # only AWS services may create grants on it (Control Tower's CT.KMS.PR.3)
    iam.PolicyStatement(
        sid="GrantsOnlyForAwsResources",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["kms:CreateGrant"],
        resources=["*"],
        conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
    )
)
key.add_to_resource_policy(
    iam.PolicyStatement(
        sid="KnowledgeBaseServices",
        principals=[
            iam.ServicePrincipal("app-integrations.amazonaws.com"),
            iam.ServicePrincipal("wisdom.amazonaws.com"),
        ],
        actions=["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
        resources=["*"],
        conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
    )
)

# The data integration on the bucket, and the Amazon Q in Connect knowledge base on it.
documents = appintegrations.CfnDataIntegration(
    stack,
    "Documents",
    name="AppIntegrationsExample-documents",
    description="Knowledge base documents in S3",
    kms_key=key.key_arn,
    source_uri=f"s3://{bucket}",
)
knowledge_base = wisdom.CfnKnowledgeBase(
    stack,
    "KnowledgeBase",
    name="AppIntegrationsExample-knowledge-base",
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

# The knowledge base creates the association and CloudFormation returns no id for it, so none is
# given: the provider lists the data integration's associations at deploy and configures its only one.
sync = DataIntegrationAssociationExecution(
    stack,
    "KnowledgeBaseSync",
    data_integration_identifier=documents,
    execution_configuration=ExecutionConfiguration.on_demand(
        start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
        end_time=datetime(2025, 7, 1, tzinfo=timezone.utc),
    ),
    rerun_token=None if rerun_token is None else str(rerun_token),
)
sync.node.add_dependency(knowledge_base)  # the association must exist before the provider looks for it
cdk.CfnOutput(
    stack,
    "KnowledgeBaseAssociationArn",
    description="The association the knowledge base created, as the provider found it",
    value=sync.attr_data_integration_association_arn,
)

app.synth()
