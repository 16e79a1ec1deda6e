from datetime import datetime, timezone

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "KnowledgeBaseSync")

# The data integration your knowledge base reads (its ARN or its id). The knowledge base created
# the association, so no association id is given: the provider finds it at deploy.
sync = DataIntegrationAssociationExecution(
    stack,
    "Sync",
    data_integration_identifier=(
        "arn:aws:app-integrations:us-east-1:111122223333:data-integration/0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b"
    ),
    execution_configuration=ExecutionConfiguration.on_demand(
        start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
        end_time=datetime(2025, 7, 1, tzinfo=timezone.utc),
    ),
)
cdk.CfnOutput(stack, "AssociationArn", value=sync.attr_data_integration_association_arn)

app.synth()
