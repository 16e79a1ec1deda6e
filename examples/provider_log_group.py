from datetime import datetime, timezone

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "KnowledgeBaseSync")

sync = DataIntegrationAssociationExecution(
    stack,
    "Sync",
    data_integration_identifier="0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b",
    execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
)
# Where the provider logs: its log group's name is generated, so put it in the stack's outputs.
cdk.CfnOutput(stack, "ProviderLogGroup", value=sync.provider.log_group.log_group_name)
cdk.CfnOutput(stack, "ProviderFunction", value=sync.provider_function.function_name)

app.synth()
