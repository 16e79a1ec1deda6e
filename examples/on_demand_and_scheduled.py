from datetime import datetime, timezone

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

app = cdk.App()
stack = cdk.Stack(app, "AccountsSync")
data_integration = (
    "arn:aws:app-integrations:us-east-1:111122223333:data-integration/6e2b8a4c-1d3f-4a5b-9c7d-8e9f0a1b2c3d"
)

# Once, for a fixed window: every deploy that changes the window (or rerun_token) pulls it again.
DataIntegrationAssociationExecution(
    stack,
    "Backfill2025",
    data_integration_identifier=data_integration,
    data_integration_association_identifier="3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",  # an id, or the association's ARN
    execution_configuration=ExecutionConfiguration.on_demand(
        start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
        end_time=1751328000000,  # epoch milliseconds work too: 2025-07-01T00:00:00Z
    ),
    rerun_token="2025-07-02",  # change it to pull the same window again
)

# Repeatedly, on the service's schedule.
DataIntegrationAssociationExecution(
    stack,
    "HourlyAccounts",
    data_integration_identifier=data_integration,
    data_integration_association_identifier=(
        "arn:aws:app-integrations:us-east-1:111122223333:data-integration-association/"
        "6e2b8a4c-1d3f-4a5b-9c7d-8e9f0a1b2c3d/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    ),
    execution_configuration=ExecutionConfiguration.scheduled(
        schedule_expression="rate(1 hour)",
        object="Account",
        first_execution_from="2025-01-01T00:00:00+00:00",  # or a datetime, or epoch milliseconds
    ),
)

app.synth()
