from datetime import datetime, timezone

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "SupportArticlesSync")

# The data integration has several associations: pick the one whose DestinationURI is this
# knowledge base's ARN. (A token works too, e.g. knowledge_base.attr_knowledge_base_arn.)
DataIntegrationAssociationExecution(
    stack,
    "SupportArticles",
    data_integration_identifier="7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8",
    destination_uri="arn:aws:wisdom:us-east-1:111122223333:knowledge-base/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
)

app.synth()
