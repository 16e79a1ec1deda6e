"""The three stacks of N executions that the deploy-under-throttling tests and the rate-limit benchmark deploy.

Why one module: both drive the same shape, N ``DataIntegrationAssociationExecution``s (ON_DEMAND), each
on its own association, ten to a data integration (AppIntegrations' default quota): a create, an update
of every RerunToken and StartTime (every execution re-runs; a change a rollback must undo), and that
update with execution N // 2 on an association that does not exist (a rollback). Synthesis costs
seconds of jsii start-up, so every N is synthesized in one fresh interpreter, which leaves the caller's
process free of jsii (``python -m testkit.deploy_stacks ROOT N... [--reserved R]``).
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from testkit.emulator import AppIntegrationsEmulator
from testkit.synth_env import REPO_ROOT, cdk_context, synth_env

STACK_NAME: Final = "DeployUnderThrottling"
START_TIME_MS: Final = 1735689600000  # 2025-01-01T00:00:00Z
UPDATED_START_TIME_MS: Final = START_TIME_MS + 86_400_000  # a day later
# Each stack's RerunToken and StartTime, and whether execution N // 2 targets a missing association.
_STEPS: Final = {
    "create": ("1", START_TIME_MS, False),
    "update": ("2", UPDATED_START_TIME_MS, False),
    "failing": ("3", UPDATED_START_TIME_MS, True),
}


def _target(missing: int, index: int) -> tuple[str, str]:
    """Execution ``index``'s data integration (ten to one) and association (one that does not exist if ``missing``)."""
    association = f"{'99999999-9999-4999-8999' if index == missing else '11111111-1111-4111-8111'}-{index:012d}"
    return f"00000000-0000-4000-8000-{index // 10:012d}", association


@dataclass(frozen=True)
class ScenarioStacks:
    """The cloud assemblies of one N: ``create``, ``update`` (every execution re-runs), ``failing_update``."""

    n: int
    missing: int  # the execution whose association does not exist in failing_update
    create: Path
    update: Path
    failing_update: Path


def _outdir(root: Path, n: int, reserved: int | None, step: str) -> Path:
    return Path(root) / (f"n{n}-{step}" if reserved is None else f"n{n}-locked-down-r{reserved}-{step}")


def synthesize_scenarios(
    ns: list[int], root: Path, *, reserved: int | None = None, timeout: float = 1200.0
) -> dict[int, ScenarioStacks]:
    """Each N's stacks, synthesized in one fresh interpreter; ``reserved``: the locked-down provider's reservation."""
    command = [sys.executable, "-m", "testkit.deploy_stacks", str(root), *map(str, ns)]
    command += [] if reserved is None else ["--reserved", str(reserved)]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=synth_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"synthesis failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return {n: ScenarioStacks(n, n // 2, *(_outdir(root, n, reserved, s) for s in _STEPS)) for n in ns}


def _synthesize(root: Path, n: int, reserved: int | None) -> None:
    """The three stacks of ``n``, literal account and Region (so every ARN is literal); this process's jsii."""
    import aws_cdk as cdk
    from cdk_appintegrations import ExecutionConfiguration

    from testkit.execution_stacks import PINNED, add_executions

    for step, (rerun_token, start_time_ms, failing) in _STEPS.items():
        app = cdk.App(outdir=str(_outdir(root, n, reserved, step)), context=cdk_context())
        stack = cdk.Stack(app, STACK_NAME, env=PINNED)
        if reserved is not None:
            from app import locked_down_provider

            locked_down_provider(stack, reserved_concurrent_executions=reserved)
        add_executions(
            stack,
            n,
            target=functools.partial(_target, n // 2 if failing else -1),
            configuration=ExecutionConfiguration.on_demand(start_time=start_time_ms),
            id_prefix="Execution",
            rerun_token=rerun_token,
        )
        app.synth()


def populate(emulator: AppIntegrationsEmulator, n: int) -> None:
    """Create the associations of executions ``0..n-1`` (none configured yet)."""
    for index in range(n):
        emulator.add_association(*_target(-1, index))


def configurations_not_at(emulator: AppIntegrationsEmulator, n: int, start_time_ms: int) -> dict[int, Any]:
    """Executions whose association's configuration is not the one with ``start_time_ms`` (index -> what it is)."""
    expected = {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": str(start_time_ms)}}
    found = {index: emulator.get_association(*_target(-1, index)).execution_configuration for index in range(n)}
    return {index: current for index, current in found.items() if current != expected}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("ns", type=int, nargs="+")
    parser.add_argument("--reserved", type=int)
    args = parser.parse_args()
    for n in args.ns:
        _synthesize(args.root, n, args.reserved)
