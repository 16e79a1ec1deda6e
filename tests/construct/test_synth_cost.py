"""Synth cost: each execution costs a handful of jsii round trips, whatever N.

Why count round trips and not seconds: the construct's own share of a synth is its
requests to the jsii Node.js process (each one a JSON message both ways, and a new
Python proxy when it returns an object), and a count is exact on a shared, noisy
machine where seconds are not. Reading ``node.path`` or searching the tree per execution
once took 18 round trips per execution (4,550 at N = 249, against the peer's 1,497) and
made the construct slower to synthesize than ``AwsCustomResource``; see
``jsii_identity`` in ``cdk_appintegrations.stack_executions``.

Today's four per execution: the execution's ``Construct``, its ``CfnResource`` (the
``Custom::DataIntegrationAssociationExecution`` itself, under the id that makes it
``node.default_child``), the ``add_dependency`` that chains it behind the execution k
places before it, and at validation the ``obtain_dependencies`` that checks the chains
against the dependencies the user declared (``Stack.of`` only when the execution's scope is
not the stack). A bare ``CfnResource`` costs one: the execution adds three. Up to 0.5.0 it
was seven (a ``CustomResource``, and three round trips to make its child the default one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest

from testkit.jsii_round_trips import RoundTrips, counted_round_trips
from tests.construct import stacks

pytestmark = pytest.mark.construct

#: Both past the N where the provider's policy stops listing the associations one by one (it
#: lists a wildcard per data integration from there on), so that the difference is the
#: executions' own cost; all on one data integration, whose own entry is not an execution's.
SMALL, LARGE = 60, 100
#: What an execution may cost beyond a bare ``CfnResource``: three today (see the module docstring), no spare.
MAX_ROUND_TRIPS_BEYOND_CFN_RESOURCE = 3


@pytest.fixture
def counter() -> Iterator[RoundTrips]:
    with counted_round_trips() as counted:
        yield counted


def _round_trips(counter: RoundTrips, outdir: Path, n: int, *, bare: bool = False) -> int:
    """Round trips to build and synthesize a stack of ``n`` executions, or ``n`` bare ``CfnResource``s.

    The jsii kernel is already running.
    """
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, f"SynthCost{n}{'Bare' if bare else ''}", env=stacks.ENV)
    before = counter.requests
    for i in range(n):
        if bare:
            cdk.CfnResource(stack, f"Resource{i}", type="Custom::Bare", properties={"Index": str(i)})
        else:
            stacks.add_execution(stack, f"Execution{i}", stacks.data_integration_id(0), stacks.association_id(i))
    app.synth()
    return counter.requests - before


def _per_item(counter: RoundTrips, outdir: Path, *, bare: bool = False) -> tuple[float, int, int]:
    small = _round_trips(counter, outdir / f"small{bare}", SMALL, bare=bare)
    large = _round_trips(counter, outdir / f"large{bare}", LARGE, bare=bare)
    return (large - small) / (LARGE - SMALL), small, large


def test_each_execution_costs_a_bounded_number_of_round_trips(counter: RoundTrips, tmp_path: Path) -> None:
    per_execution, small, large = _per_item(counter, tmp_path)
    per_resource, _, _ = _per_item(counter, tmp_path, bare=True)
    beyond = per_execution - per_resource
    assert beyond <= MAX_ROUND_TRIPS_BEYOND_CFN_RESOURCE, (
        f"{per_execution:.2f} jsii round trips per execution ({small} at N = {SMALL}, {large} at N = {LARGE}), "
        f"{beyond:.2f} more than a bare CfnResource's {per_resource:.2f}; at most "
        f"{MAX_ROUND_TRIPS_BEYOND_CFN_RESOURCE} more: do not read node.path, search the tree or re-read a property "
        f"per execution"
    )
