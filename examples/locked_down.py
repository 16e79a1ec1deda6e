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

app = cdk.App()
stack = cdk.Stack(app, "AppIntegrationsLockedDownExample")
bucket = app.node.try_get_context("documentsBucket") or "amzn-s3-demo-bucket"


def customer_managed_key(construct_id: str, description: str) -> kms.Key:
    """A rotating key that only AWS services may create grants on (Control Tower's CT.KMS.PR.3)."""
    key = kms.Key(stack, construct_id, description=description, enable_key_rotation=True)
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


# --8<-- [start:provider]
# The provider comes first: the executions created after it use it.
# Your network. Replace the ids with yours: from_vpc_attributes needs no AWS credentials at synth
# (Vpc.from_lookup would, and a stack with an explicit env).
vpc = ec2.Vpc.from_vpc_attributes(
    stack,
    "Vpc",
    vpc_id="vpc-0a1b2c3d4e5f60789",
    availability_zones=["us-east-1a", "us-east-1b"],
    private_subnet_ids=["subnet-0a1b2c3d4e5f60781", "subnet-0a1b2c3d4e5f60782"],
    private_subnet_route_table_ids=["rtb-0a1b2c3d4e5f60781", "rtb-0a1b2c3d4e5f60782"],
)
# The platform's permissions boundary and tags reach the provider's role, function and log group.
iam.PermissionsBoundary.of(stack).apply(
    iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", "platform-application-boundary")
)
cdk.Tags.of(stack).add("data-classification", "confidential")
cdk.Tags.of(stack).add("owner", "contact-center-platform")

provider_key = customer_managed_key("ProviderKey", "cdk-appintegrations provider: logs, environment, dead letters")
dead_letters = sqs.Queue(
    stack,
    "ProviderDeadLetters",
    encryption=sqs.QueueEncryption.KMS,
    encryption_master_key=provider_key,
    enforce_ssl=True,
    retention_period=cdk.Duration.days(14),
    # It is a dead-letter queue: say so, which is what Control Tower's CT.SQS.PR.1 reads.
    redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.ALLOW_ALL),
)
# "Needs a redrive policy" (cfn-lint-serverless ES6000, cdk-nag Serverless-SQSRedrivePolicy): not the last
# queue of the chain, where what failed everywhere else ends up.
cast("sqs.CfnQueue", dead_letters.node.default_child).add_metadata(
    "cfn-lint", {"config": {"ignore_checks": ["ES6000"]}}
)
cdk.Validations.of(dead_letters).acknowledge(
    cdk.Acknowledgment(
        id="Serverless-SQSRedrivePolicy",  # no pack prefix: cdk-nag then finds it on every aws-cdk-lib
        reason="This is a dead-letter queue, the end of the chain: it has no dead-letter queue of its own.",
    )
)
provider = ExecutionProvider(
    stack,
    "Provider",
    vpc=vpc,
    vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
    log_encryption_key=provider_key,
    environment_encryption=provider_key,
    dead_letter_queue=dead_letters,
    tracing=lambda_.Tracing.ACTIVE,
    reserved_concurrent_executions=5,
)
# --8<-- [end:provider]

# The same knowledge base as in the first stack.
key = customer_managed_key("Key", "Knowledge base documents")
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
documents = appintegrations.CfnDataIntegration(
    stack,
    "Documents",
    name="AppIntegrationsLockedDownExample-documents",
    description="Knowledge base documents in S3",
    kms_key=key.key_arn,
    source_uri=f"s3://{bucket}",
)
knowledge_base = wisdom.CfnKnowledgeBase(
    stack,
    "KnowledgeBase",
    name="AppIntegrationsLockedDownExample-knowledge-base",
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

sync = DataIntegrationAssociationExecution(
    stack,
    "KnowledgeBaseSync",
    data_integration_identifier=documents,
    execution_configuration=ExecutionConfiguration.on_demand(
        start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
        end_time=datetime(2025, 7, 1, tzinfo=timezone.utc),
    ),
    provider=provider,  # optional: the stack's only ExecutionProvider is used anyway
)
sync.node.add_dependency(knowledge_base)
cdk.CfnOutput(
    stack,
    "KnowledgeBaseAssociationArn",
    description="The association the knowledge base created, as the provider found it",
    value=sync.attr_data_integration_association_arn,
)

app.synth()
