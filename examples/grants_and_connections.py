from datetime import datetime, timezone

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ExecutionProvider

app = cdk.App()
stack = cdk.Stack(app, "GrantsAndConnections")
vpc = ec2.Vpc.from_vpc_attributes(
    stack,
    "Vpc",
    vpc_id="vpc-0a1b2c3d4e5f60789",
    availability_zones=["us-east-1a", "us-east-1b"],
    private_subnet_ids=["subnet-0a1b2c3d4e5f60781", "subnet-0a1b2c3d4e5f60782"],
)
provider = ExecutionProvider(stack, "Provider", vpc=vpc)
sync = DataIntegrationAssociationExecution(
    stack,
    "Sync",
    data_integration_identifier="0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b",
    data_integration_association_identifier="5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a",
    execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
)

# Every way CDK grants lands in the provider's one customer-managed policy.
bucket = s3.Bucket(stack, "Reports", enforce_ssl=True)
bucket.grant_read(provider)
provider.add_to_role_policy(
    iam.PolicyStatement(actions=["sns:Publish"], resources=["arn:aws:sns:us-east-1:111122223333:sync-events"])
)
sync.provider_function.add_to_role_policy(
    iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["arn:aws:sqs:us-east-1:111122223333:sync-audit"])
)

# In a VPC the provider is connectable: open a database's security group to it.
database = ec2.SecurityGroup(stack, "Database", vpc=vpc, allow_all_outbound=False)
database.connections.allow_from(provider, ec2.Port.tcp(5432), "the provider reads the catalog")

app.synth()
