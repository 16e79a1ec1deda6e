from datetime import datetime, timezone

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ExecutionProvider

app = cdk.App()
stack = cdk.Stack(app, "PlatformRoleSync")

# A role the platform team created and this stack may not change: synth warns on the provider
# with every action and resource the role must allow. Hand that list to the platform team.
platform_role = iam.Role.from_role_arn(
    stack, "PlatformRole", "arn:aws:iam::111122223333:role/platform/appintegrations-provider", mutable=False
)
provider = ExecutionProvider(stack, "Provider", role=platform_role)

DataIntegrationAssociationExecution(
    stack,
    "Sync",
    provider=provider,  # optional with one provider in the stack; needed once there are two
    data_integration_identifier="0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b",
    data_integration_association_identifier="5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a",
    execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
)

app.synth()
