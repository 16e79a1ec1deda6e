#!/usr/bin/env python3
"""Example app: one stack that sets two associations' execution configurations.

It needs no AWS account: the stack is environment-agnostic unless ``account`` and
``region`` are given as context, and the identifiers have example defaults.

    npx cdk synth -c dataIntegrationId=<id or ARN> -c onDemandAssociationId=<id or ARN>
        -c scheduledAssociationId=<id or ARN> [-c rerunToken=<any>] [-c account=... -c region=...]
"""

from __future__ import annotations

from datetime import datetime, timezone

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration
from constructs import Construct

DEFAULT_DATA_INTEGRATION_ID = (
    "arn:aws:app-integrations:us-east-1:111122223333:data-integration/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
)
DEFAULT_ON_DEMAND_ASSOCIATION_ID = "b2c3d4e5-6789-01ab-cdef-EXAMPLE22222"
DEFAULT_SCHEDULED_ASSOCIATION_ID = "c3d4e5f6-7890-12ab-cdef-EXAMPLE33333"


class AppIntegrationsExampleStack(cdk.Stack):
    """Both execution modes: a one-off on-demand pull and an hourly scheduled pull."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment | None = None) -> None:
        super().__init__(scope, construct_id, env=env)

        def context(key: str, default: str) -> str:
            return str(self.node.try_get_context(key) or default)

        rerun_token = self.node.try_get_context("rerunToken")

        data_integration = context("dataIntegrationId", DEFAULT_DATA_INTEGRATION_ID)

        DataIntegrationAssociationExecution(
            self,
            "KnowledgeBaseSync",
            data_integration_identifier=data_integration,
            data_integration_association_identifier=context("onDemandAssociationId", DEFAULT_ON_DEMAND_ASSOCIATION_ID),
            execution_configuration=ExecutionConfiguration.on_demand(
                start_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
                end_time=datetime(2025, 7, 1, tzinfo=timezone.utc),
            ),
            # Change it (e.g. to today's date) to pull the same window again.
            rerun_token=None if rerun_token is None else str(rerun_token),
        )

        DataIntegrationAssociationExecution(
            self,
            "HourlyAccounts",
            data_integration_identifier=data_integration,
            data_integration_association_identifier=context("scheduledAssociationId", DEFAULT_SCHEDULED_ASSOCIATION_ID),
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
