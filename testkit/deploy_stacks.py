"""Stacks of N executions for the deploy driver, synthesized once, and an emulator holding their associations.

Why a module of its own: the deploy-under-throttling tests and the benchmark drive the
same shape of stack: N ``DataIntegrationAssociationExecution``s, each on its own
association, spread over data integrations of at most 10 associations each (AppIntegrations'
default quotas are 20 data integrations x 10 associations per account and Region), all
ON_DEMAND. A *variant* changes what a second deploy changes: the rerun token (every
execution re-runs), the start time (a configuration change that a rollback must undo), and
which executions point at an association that does not exist (the failure that triggers a
rollback).

Synthesis costs seconds of jsii start-up, so :func:`synthesize_in_subprocess` builds every
variant in one fresh interpreter (one jsii session), leaving the caller's process free of
jsii (``python -m testkit.deploy_stacks --root DIR --variants JSON``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from testkit.account import ACCOUNT, REGION
from testkit.emulator import AppIntegrationsEmulator
from testkit.synth_env import REPO_ROOT, cdk_context, synth_env

if TYPE_CHECKING:
    import aws_cdk as cdk

__all__ = [
    "ACCOUNT",
    "ASSOCIATIONS_PER_DATA_INTEGRATION",
    "REGION",
    "STACK_NAME",
    "START_TIME_MS",
    "UPDATED_START_TIME_MS",
    "ScenarioStacks",
    "StackVariant",
    "association_id",
    "configurations_not_at",
    "data_integration_id",
    "execution_configuration",
    "missing_association_id",
    "populate",
    "scenario_stacks",
    "scenario_variants",
    "synthesize",
    "synthesize_in_subprocess",
]

STACK_NAME: Final = "DeployUnderThrottling"
ASSOCIATIONS_PER_DATA_INTEGRATION: Final = 10
START_TIME_MS: Final = 1735689600000  # 2025-01-01T00:00:00Z
"""The first deploy's ON_DEMAND StartTime; a variant may move it (a configuration change)."""


def data_integration_id(index: int) -> str:
    """Execution ``index``'s data integration: ten executions share one, as the default quota allows."""
    return f"00000000-0000-4000-8000-{index // ASSOCIATIONS_PER_DATA_INTEGRATION:012d}"


def association_id(index: int) -> str:
    """Execution ``index``'s association (one each)."""
    return f"11111111-1111-4111-8111-{index:012d}"


def missing_association_id(index: int) -> str:
    """An association id that :func:`populate` never creates (for failure variants)."""
    return f"99999999-9999-4999-8999-{index:012d}"


def execution_configuration(start_time_ms: int = START_TIME_MS) -> dict[str, Any]:
    """The ExecutionConfiguration every execution of a variant sends, as the handler sends it."""
    return {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": str(start_time_ms)}}


@dataclass(frozen=True)
class StackVariant:
    """One synthesis of the stack: ``n`` executions and what differs from other variants."""

    name: str
    """Directory name under the synthesis root (and the key of the result)."""
    n: int
    rerun_token: str | None = None
    start_time_ms: int = START_TIME_MS
    missing: tuple[int, ...] = ()
    """Indices of executions that target :func:`missing_association_id` instead of their own."""
    reserved: int | None = None
    """With a value: the executions' provider is the locked-down example's (VPC, KMS, DLQ, tracing),
    with this reserved concurrency (``app.locked_down_provider``)."""


def build_stack(app: cdk.App, variant: StackVariant) -> cdk.Stack:
    """Add the variant's stack to ``app`` (literal account and Region, so every ARN is literal)."""
    import aws_cdk as cdk
    from cdk_appintegrations import ExecutionConfiguration

    from testkit.execution_stacks import PINNED, add_executions

    def target(index: int) -> tuple[str, str]:
        missing = index in variant.missing
        return data_integration_id(index), missing_association_id(index) if missing else association_id(index)

    stack = cdk.Stack(app, STACK_NAME, env=PINNED)
    if variant.reserved is not None:
        from app import locked_down_provider

        locked_down_provider(stack, reserved_concurrent_executions=variant.reserved)
    add_executions(
        stack,
        variant.n,
        target=target,
        configuration=ExecutionConfiguration.on_demand(start_time=variant.start_time_ms),
        id_prefix="Execution",
        rerun_token=variant.rerun_token,
    )
    return stack


def synthesize(variants: Sequence[StackVariant], root: Path) -> dict[str, Path]:
    """Synthesize each variant into ``root/<name>`` in this process (starts jsii if not yet started)."""
    import aws_cdk as cdk

    context = cdk_context()
    outdirs = {}
    for variant in variants:
        outdir = Path(root) / variant.name
        app = cdk.App(outdir=str(outdir), context=context)
        build_stack(app, variant)
        app.synth()
        outdirs[variant.name] = outdir
    return outdirs


def synthesize_in_subprocess(variants: Sequence[StackVariant], root: Path, timeout: float = 1200.0) -> dict[str, Path]:
    """:func:`synthesize` in a fresh interpreter (one jsii session for all variants); raises on failure."""
    command = [
        sys.executable,
        "-m",
        "testkit.deploy_stacks",
        "--root",
        str(root),
        "--variants",
        json.dumps([asdict(v) for v in variants]),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=synth_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"synthesis failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return {name: Path(path) for name, path in json.loads(done.stdout.splitlines()[-1]).items()}


def populate(
    emulator: AppIntegrationsEmulator, n: int, *, start_time_ms: int | None = None, skip: Sequence[int] = ()
) -> None:
    """Create the associations of executions ``0..n-1`` (except ``skip``), optionally already configured."""
    configuration = None if start_time_ms is None else execution_configuration(start_time_ms)
    for index in range(n):
        if index not in skip:
            emulator.add_association(
                data_integration_id(index), association_id(index), execution_configuration=configuration
            )


def main(argv: list[str] | None = None) -> int:
    """CLI for :func:`synthesize_in_subprocess`: prints ``{name: outdir}`` as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--variants", required=True, help="JSON list of StackVariant fields")
    args = parser.parse_args(argv)
    variants = [StackVariant(**{**raw, "missing": tuple(raw.get("missing", ()))}) for raw in json.loads(args.variants)]
    outdirs = synthesize(variants, args.root)
    print(json.dumps({name: str(path) for name, path in outdirs.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- the three deploys of a rate-limited stack: create, update, failing update ---------------

UPDATED_START_TIME_MS: Final = START_TIME_MS + 86_400_000
"""The updates' StartTime (a day later): a configuration change a rollback must undo."""


@dataclass(frozen=True)
class ScenarioStacks:
    """The three cloud assemblies of one N: the first deploy, an update of every execution, a failing update."""

    n: int
    create: Path
    """Every execution on its association, StartTime :data:`START_TIME_MS`, RerunToken ``1``."""
    update: Path
    """Every RerunToken changed and the StartTime moved: every execution re-runs."""
    failing_update: Path
    """As :attr:`update`, but execution :attr:`missing` targets an association that does not exist."""
    missing: int


def scenario_variants(n: int, *, reserved: int | None = None) -> list[StackVariant]:
    """The variants :func:`scenario_stacks` needs for ``n``, to synthesize in one go."""
    missing = n // 2
    prefix = _prefix(n, reserved)
    return [
        StackVariant(f"{prefix}-create", n, rerun_token="1", reserved=reserved),
        StackVariant(f"{prefix}-update", n, rerun_token="2", start_time_ms=UPDATED_START_TIME_MS, reserved=reserved),
        StackVariant(
            f"{prefix}-failing",
            n,
            rerun_token="3",
            start_time_ms=UPDATED_START_TIME_MS,
            missing=(missing,),
            reserved=reserved,
        ),
    ]


def _prefix(n: int, reserved: int | None) -> str:
    return f"n{n}" if reserved is None else f"n{n}-locked-down-r{reserved}"


def scenario_stacks(n: int, outdirs: dict[str, Path], *, reserved: int | None = None) -> ScenarioStacks:
    """Pick ``n``'s assemblies out of what :func:`synthesize` returned for :func:`scenario_variants`."""
    prefix = _prefix(n, reserved)
    return ScenarioStacks(
        n=n,
        create=outdirs[f"{prefix}-create"],
        update=outdirs[f"{prefix}-update"],
        failing_update=outdirs[f"{prefix}-failing"],
        missing=n // 2,
    )


def configurations_not_at(emulator: AppIntegrationsEmulator, n: int, start_time_ms: int) -> dict[int, Any]:
    """Executions whose association's configuration is not the one with ``start_time_ms`` (index -> what it is)."""
    expected = execution_configuration(start_time_ms)
    found = {}
    for index in range(n):
        current = emulator.get_association(data_integration_id(index), association_id(index)).execution_configuration
        if current != expected:
            found[index] = current
    return found
