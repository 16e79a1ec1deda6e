"""Stacks of N executions: the one builder the construct tier, the deploy driver's stacks and the benchmark share.

Each caller picks what is its own: the identifiers of execution ``i`` (the scale tests spread
them over a few data integrations, the driver's failure variants point some at associations
that do not exist, the benchmark mirrors the peer's), the construct ids, the configuration
and the rerun token. What they share, and so what a change here changes for all three, is
the shape: one ``DataIntegrationAssociationExecution`` per index, in order, all in one stack.

Importing this module imports ``aws_cdk`` (jsii start-up): import it only where a synth runs.
"""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

from testkit.account import ACCOUNT, REGION

Target = Callable[[int], tuple[str, str]]
"""Execution ``i``'s data integration identifier and association identifier."""

PINNED: cdk.Environment = cdk.Environment(account=ACCOUNT, region=REGION)
"""The test account and Region: every ARN in the template is literal."""


def add_executions(
    stack: cdk.Stack,
    n: int,
    *,
    target: Target,
    configuration: ExecutionConfiguration,
    id_prefix: str = "Assoc",
    rerun_token: str | None = None,
) -> list[DataIntegrationAssociationExecution]:
    """Add executions ``0..n-1`` to ``stack``, execution ``i`` as ``{id_prefix}{i}`` on ``target(i)``."""
    executions = []
    for i in range(n):
        data_integration, association = target(i)
        executions.append(
            DataIntegrationAssociationExecution(
                stack,
                f"{id_prefix}{i}",
                data_integration_identifier=data_integration,
                data_integration_association_identifier=association,
                execution_configuration=configuration,
                rerun_token=rerun_token,
            )
        )
    return executions
