"""Build our side of the benchmark: N ``DataIntegrationAssociationExecution`` in one stack.

The same account, region, construct ids (``Assoc{i}``), identifiers and ON_DEMAND
start time as the peer (:mod:`benchmarks.peer.peer_stack`), and a stack name of
the same length, so the two templates differ only by what each approach emits. The
executions come from the builder the tests use (:mod:`testkit.execution_stacks`).
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from cdk_appintegrations import ExecutionConfiguration

from benchmarks.peer.ids import START_TIME, association_id, data_integration_id
from testkit.execution_stacks import PINNED, add_executions

STACK_NAME: Final = "OursAppIntegrationsStack"  # as long as "PeerAppIntegrationsStack"


def build_ours_stack(app: cdk.App, n: int) -> cdk.Stack:
    """Add our stack with ``n`` construct instances (one provider for all) to ``app``."""
    stack = cdk.Stack(app, STACK_NAME, env=PINNED)
    add_executions(
        stack,
        n,
        target=lambda i: (data_integration_id(i), association_id(i)),
        configuration=ExecutionConfiguration.on_demand(start_time=int(START_TIME)),
    )
    return stack


def synth_ours(n: int, outdir: str) -> cdk.cx_api.CloudAssembly:
    """Build our stack with ``n`` instances in an App writing to ``outdir`` and synthesize it."""
    app = cdk.App(outdir=outdir)
    build_ours_stack(app, n)
    return app.synth()
