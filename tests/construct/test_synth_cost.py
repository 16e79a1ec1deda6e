"""Synth cost: each execution costs a handful of jsii round trips, whatever N.

Why count round trips and not seconds: the construct's own share of a synth is its
requests to the jsii Node.js process (each one a JSON message both ways, and a new
Python proxy when it returns an object), and a count is exact on a shared, noisy
machine where seconds are not. Reading ``node.path`` or searching the tree per execution
once took 18 round trips per execution (4,550 at N = 249, against the peer's 1,497) and
made the construct slower to synthesize than ``AwsCustomResource``; see
``jsii_identity`` in ``cdk_appintegrations.stack_executions``.

Today's seven per execution: the execution's ``Construct``, the ``CustomResource``,
``node``, ``find_all`` to reach its ``CfnResource`` and ``default_child`` to make that the
escape hatch, and at validation ``obtain_dependencies`` and ``add_resource_dependency`` for
its chain (``Stack.of`` only when the execution's scope is not the stack).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from jsii._kernel.providers import process

from tests.construct import stacks

pytestmark = pytest.mark.construct

SMALL, LARGE = 5, 45
#: Seven today (see the module docstring); one spare for a property a new option may need.
MAX_ROUND_TRIPS_PER_EXECUTION = 8


class _Counter:
    """Counts the requests sent to the jsii kernel while installed."""

    def __init__(self) -> None:
        self.requests = 0

    def wrap(self, send: Any) -> Any:
        def counting(provider: Any, request: Any, response_type: Any) -> Any:
            self.requests += 1
            return send(provider, request, response_type)

        return counting


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    counted = _Counter()
    monkeypatch.setattr(process._NodeProcess, "send", counted.wrap(process._NodeProcess.send))
    return counted


def _round_trips(counter: _Counter, outdir: Path, n: int) -> int:
    """Round trips to build and synthesize a stack of ``n`` executions (the jsii kernel already running)."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, f"SynthCost{n}", env=stacks.ENV)
    before = counter.requests
    for i in range(n):
        stacks.add_execution(stack, f"Execution{i}", stacks.data_integration_id(i // 10), stacks.association_id(i))
    app.synth()
    return counter.requests - before


def test_each_execution_costs_a_bounded_number_of_round_trips(counter: _Counter, tmp_path: Path) -> None:
    small = _round_trips(counter, tmp_path / "small", SMALL)
    large = _round_trips(counter, tmp_path / "large", LARGE)
    per_execution = (large - small) / (LARGE - SMALL)
    assert per_execution <= MAX_ROUND_TRIPS_PER_EXECUTION, (
        f"{per_execution:.1f} jsii round trips per execution ({small} at N = {SMALL}, {large} at N = {LARGE}); "
        f"at most {MAX_ROUND_TRIPS_PER_EXECUTION}: do not read node.path, search the tree or re-read a property "
        f"per execution"
    )
