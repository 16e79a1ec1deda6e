"""Deploy under a rate limit: N executions created, rolled back and updated by a CloudFormation-like driver.

``python -m benchmarks.rate_limit --n 10 50 --rate 2 --burst 5 --latency 0 5 [--peer] [--json FILE]``

Why: CloudFormation starts every ready resource at once, so a stack of N executions
invokes the provider N times at once, and every invocation calls AppIntegrations, whose
account is throttled (here ``rate`` requests/s with ``burst``; 2/s burst 5 is Amazon
Connect's documented default). This runs, for each N and each per-resource CloudFormation
latency, with :class:`testkit.cfn_driver.CloudFormationDriver` (the synthesized
asset's handler in Lambda-like processes, the rate-limited emulator, the HTTPS receiver):

1. **create**: the stack of N executions, throttled;
2. **rollback**: from the created stack, an update that changes every execution's RerunToken
   and StartTime, one of which targets a missing association: it must end
   ``UPDATE_ROLLBACK_COMPLETE`` with every execution's old configuration applied;
3. **update**: from there, the same update without the missing association: N/N SUCCESS.

When a step leaves the stack where the next cannot start (a failed create, a failed
rollback), the stack is re-created *without* the throttle first, so every step is
measured. Each measured step starts with a full token bucket (a quiet account).

The floor is the least time N requests can take through the bucket, ``(N - burst) / rate``;
``wall/floor`` compares the executions' wall time (first execution started to last one
answered) with it. Memory: every container is a process (~35-50 MB); an N whose containers
would not fit in the machine's available memory (less a floor left to others) is skipped
and reported as such.

``--peer`` adds the peer (``AwsCustomResource``, its Node.js handler, one cold process per
event) on the create step, side by side. A real deploy of the peer fails on IAM past N = 26
(see ``benchmarks/peer``); the driver does not model IAM, so it shows what the throttle
alone would do to it.

:func:`measure` is the entry point for :mod:`benchmarks.run` (a results dict);
:func:`markdown` renders it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from cdk_appintegrations.stack_executions import DEFAULT_MAX_CONCURRENT_EXECUTIONS

from benchmarks.peer.synth_runner import synth_in_subprocess
from testkit import deploy_stacks
from testkit.cfn_driver import CloudFormationDriver, DeployReport, PhaseReport
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly
from testkit.emulator import AppIntegrationsEmulator, RateLimit
from testkit.lambda_pool import DEFAULT_MEMORY_FLOOR_BYTES, mem_available_bytes

CONTAINER_BYTES_ESTIMATE: Final = 30 * 2**20
"""One more of our containers, with margin: at N = 490 the machine's used memory grew ~24 MiB per container
(PSS ~33 MiB, RSS ~45 MiB each: both count shared pages of the interpreter and libraries)."""
PEER_CONTAINER_BYTES_ESTIMATE: Final = 75 * 2**20
"""One peer container, a ``node`` process with the SDK loaded (measured: ~69 MiB RSS)."""
QUICK_NS: Final = (10,)
PEER_STACK_NAME: Final = "PeerAppIntegrationsStack"


def log(message: str) -> None:
    """Progress on stderr, timestamped."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFigures:
    """One measured deploy step."""

    final_state: str
    executions: int
    successes: int
    failures: int
    cancelled: int
    wall_s: float
    """The forward phase, start to end (non-custom resources and latency included)."""
    executions_wall_s: float
    """First execution started to last one answered."""
    api_attempts: int
    """The forward phase's AppIntegrations requests (what the ≤ 2 x N target bounds)."""
    throttled: int
    """Of which throttled."""
    step_api_attempts: int
    """Over the whole step, a rollback's calls included."""
    step_throttled: int
    exactly_one_answer: bool
    answers_not_one: int
    containers: int
    peak_concurrency: int
    peak_rss_mb: float
    pss_per_container_mb: float | None
    memory_guard_tripped: bool
    slowest_start_s: float | None = None
    """Slowest time from an event to its handler starting (process start and init): far above
    Lambda's ~0.3 s means this machine's cores, not Lambda, spread the invocations out."""
    rollback_failures: int = 0
    rollback_wall_s: float | None = None
    old_configuration_missing: int | None = None
    """Rollback step: executions whose association does not end with its old configuration."""
    first_reasons: list[str] = field(default_factory=list)


def figures(report: DeployReport) -> StepFigures:
    """Reduce a deploy report to the benchmark's figures."""
    forward = report.first
    custom = [op for op in forward.operations if op.custom and op.status != "CANCELLED"]
    executions_wall = max((op.ended_s for op in custom), default=0.0) - min(
        (op.started_s for op in custom), default=0.0
    )
    rollback: PhaseReport | None = report.phase("UPDATE_ROLLBACK") or report.phase("ROLLBACK")
    pss = report.pool.median_pss_bytes
    return StepFigures(
        final_state=report.final_state,
        executions=forward.executions,
        successes=forward.successes,
        failures=forward.failures,
        cancelled=forward.cancelled,
        wall_s=forward.wall_s,
        executions_wall_s=executions_wall,
        api_attempts=forward.api.attempts,
        throttled=forward.api.throttled,
        step_api_attempts=sum(p.api.attempts for p in report.phases),
        step_throttled=sum(p.api.throttled for p in report.phases),
        exactly_one_answer=report.exactly_one_answer,
        answers_not_one=len(report.not_answered_once),
        containers=report.pool.containers_started,
        peak_concurrency=report.pool.peak_busy,
        peak_rss_mb=report.pool.peak_rss_total_bytes / 2**20,
        pss_per_container_mb=None if pss is None else pss / 2**20,
        memory_guard_tripped=report.pool.memory_guard_tripped,
        slowest_start_s=report.pool.max_start_delay_s,
        rollback_failures=rollback.failures if rollback is not None else 0,
        rollback_wall_s=rollback.wall_s if rollback is not None else None,
        first_reasons=forward.failure_reasons(width=200),
    )


# -- running ---------------------------------------------------------------------------------


def drivable(
    n: int, per_container: int = CONTAINER_BYTES_ESTIMATE, floor_bytes: int = DEFAULT_MEMORY_FLOOR_BYTES
) -> tuple[bool, str]:
    """Whether N containers fit in this machine's available memory now, leaving ``floor_bytes`` to others.

    Lambda has no such limit: all N run at once, each a process here. The pool's own guard
    (:class:`~testkit.lambda_pool.MemoryGuardError`) still stops a run that misjudged it.
    """
    available = mem_available_bytes()
    if available is None:
        return True, "no /proc/meminfo: not checked"
    needed = n * per_container
    budget = available - floor_bytes
    note = (
        f"{n} containers x ~{per_container / 2**20:.0f} MiB = {needed / 2**30:.1f} GiB;"
        f" available {available / 2**30:.1f} GiB less a {floor_bytes / 2**30:.1f} GiB floor"
        f" = {budget / 2**30:.1f} GiB; largest N here ~{max(0, budget // per_container)}"
    )
    return needed <= budget, note


def _new_driver(
    emulator: AppIntegrationsEmulator,
    receiver: CfnResponseReceiver,
    latency: float,
    stack_name: str = deploy_stacks.STACK_NAME,
) -> CloudFormationDriver:
    """A driver with a fresh Lambda pool (cold containers); the caller closes it."""
    factories = {}
    if stack_name == PEER_STACK_NAME:
        from benchmarks.peer.node_container import node_container

        factories["nodejs"] = node_container
    return CloudFormationDriver(
        emulator, receiver, stack_name=stack_name, latency_s=latency, container_factories=factories
    )


def _fresh(emulator: AppIntegrationsEmulator, receiver: CfnResponseReceiver, n: int) -> None:
    emulator.reset()
    receiver.reset()
    deploy_stacks.populate(emulator, n)


def _recreate_without_throttle(
    emulator: AppIntegrationsEmulator,
    receiver: CfnResponseReceiver,
    stacks: deploy_stacks.ScenarioStacks,
    latency: float,
) -> CloudFormationDriver:
    """A created stack to start the next step from, deployed with no rate limit and no latency (not measured).

    Tried up to three times: at large N on a loaded shared machine even an unthrottled create
    can lose a few executions to local read timeouts, and this step only has to get the stack
    to where the measured one starts.
    """
    for attempt in range(1, 4):
        _fresh(emulator, receiver, stacks.n)
        driver = _new_driver(emulator, receiver, 0.0)
        report = driver.create(stacks.create)
        if report.final_state == "CREATE_COMPLETE":
            driver.latency_s = latency
            return driver
        driver.close()
        log(f"re-creating without the rate limit failed (attempt {attempt}):\n{report.summary()}")
    raise RuntimeError(f"even without a rate limit the stack does not create:\n{report.summary()}")


def run_point(
    stacks: deploy_stacks.ScenarioStacks,
    limit: RateLimit,
    latency: float,
    emulator: AppIntegrationsEmulator,
    receiver: CfnResponseReceiver,
) -> dict[str, Any]:
    """Create, failing update (rollback), update, for one N and latency; one dict of figures."""
    n = stacks.n
    point: dict[str, Any] = {"n": n, "rate": limit.rate, "burst": limit.burst, "latency_s": latency}
    point["floor_s"] = limit.floor_seconds(n)
    _fresh(emulator, receiver, n)
    driver = _new_driver(emulator, receiver, latency)
    try:
        log(f"N={n} latency={latency:g}s: create")
        emulator.set_rate_limit(limit.rate, limit.burst)
        created = driver.create(stacks.create)
        point["create"] = asdict(figures(created))
        log(created.summary())
        if created.final_state != "CREATE_COMPLETE":
            driver.close()
            driver = _recreate_without_throttle(emulator, receiver, stacks, latency)

        log(f"N={n} latency={latency:g}s: failing update (rollback)")
        emulator.set_rate_limit(limit.rate, limit.burst)
        failing = driver.update(stacks.failing_update)
        rollback = figures(failing)
        point["rollback"] = asdict(rollback) | {
            "old_configuration_missing": len(
                deploy_stacks.configurations_not_at(emulator, n, deploy_stacks.START_TIME_MS)
            )
        }
        log(failing.summary())
        if failing.final_state not in ("UPDATE_ROLLBACK_COMPLETE",):
            driver.close()
            driver = _recreate_without_throttle(emulator, receiver, stacks, latency)

        log(f"N={n} latency={latency:g}s: update (every RerunToken)")
        emulator.set_rate_limit(limit.rate, limit.burst)
        updated = driver.update(stacks.update)
        point["update"] = asdict(figures(updated)) | {
            "not_updated": len(deploy_stacks.configurations_not_at(emulator, n, deploy_stacks.UPDATED_START_TIME_MS))
        }
        log(updated.summary())
    finally:
        driver.close()
        emulator.set_rate_limit(None)
    for step in ("create", "update"):
        wall = point[step]["executions_wall_s"]
        point[step]["wall_over_floor"] = wall / point["floor_s"] if point["floor_s"] > 0 else None
    return point


def run_peer_point(
    outdir: Path,
    n: int,
    limit: RateLimit,
    latency: float,
    *,
    emulator: AppIntegrationsEmulator,
    receiver: CfnResponseReceiver,
) -> dict[str, Any]:
    """The peer's create under the same throttle: how many of N succeed."""
    emulator.reset()
    receiver.reset()
    template = CloudAssembly(outdir).template(PEER_STACK_NAME)
    for resource in template.custom_resources():
        parameters = json.loads(resource.properties["Create"])["parameters"]
        emulator.add_association(
            parameters["DataIntegrationIdentifier"], parameters["DataIntegrationAssociationIdentifier"]
        )
    emulator.set_rate_limit(limit.rate, limit.burst)
    driver = _new_driver(emulator, receiver, latency, PEER_STACK_NAME)
    try:
        log(f"peer N={n} latency={latency:g}s: create")
        report = driver.create(outdir)
        log(report.summary())
    finally:
        driver.close()
        emulator.set_rate_limit(None)
    return asdict(figures(report))


def _synthesize_peer(ns: Sequence[int], root: Path, skipped: list[dict[str, Any]]) -> dict[int, Path]:
    """The peer's stack for each N whose containers fit in memory (each skip noted in ``skipped``)."""
    from benchmarks.peer.node_container import ensure_peer_sdk

    ensure_peer_sdk()
    outdirs = {}
    for n in ns:
        fits, note = drivable(n, PEER_CONTAINER_BYTES_ESTIMATE)
        if not fits:
            log(f"peer N={n}: skipped, not enough memory here: {note}")
            skipped.append({"n": n, "why": f"peer: {note}"})
            continue
        synthesized = synth_in_subprocess(n, root / f"peer-n{n}", approach="peer")
        if synthesized.get("ok"):
            outdirs[n] = Path(synthesized["outdir"])
        else:
            skipped.append({"n": n, "why": f"peer synth fails: {str(synthesized.get('error'))[:300]}"})
    return outdirs


def measure(
    ns: Sequence[int],
    rate: float,
    burst: int,
    latencies: Sequence[float],
    *,
    peer: bool = False,
    workdir: Path | None = None,
    on_point: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Every (N, latency) point, synthesized once per N; the results dict :func:`markdown` renders.

    ``on_point`` is called with the results so far after each point, so that a long run
    that dies (the machine is shared) keeps what it measured.
    """
    limit = RateLimit(rate, burst)
    root = Path(workdir or tempfile.mkdtemp(prefix="rate-limit-"))
    results: dict[str, Any] = {"rate": rate, "burst": burst, "latencies": list(latencies), "points": [], "skipped": []}
    runnable = []
    for n in ns:
        # The provider holds CloudFormation to DEFAULT_MAX_CONCURRENT_EXECUTIONS executions at once, so the
        # pool needs about that many containers (one more while a chain hands over), not N.
        ok, note = drivable(min(n, DEFAULT_MAX_CONCURRENT_EXECUTIONS + 1))
        if ok:
            runnable.append(n)
        else:
            log(f"N={n}: skipped, not enough memory here: {note}")
            results["skipped"].append({"n": n, "why": note})
    log(f"synthesizing N = {runnable} (3 variants each, one jsii session)")
    scenarios = deploy_stacks.synthesize_scenarios(runnable, root / "ours") if runnable else {}
    peer_outdirs = _synthesize_peer(runnable, root, results["skipped"]) if peer else {}
    with AppIntegrationsEmulator() as emulator, CfnResponseReceiver() as receiver:
        for n in runnable:
            stacks = scenarios[n]
            for latency in latencies:
                started = time.monotonic()
                point = run_point(stacks, limit, latency, emulator, receiver)
                if n in peer_outdirs:
                    point["peer_create"] = run_peer_point(
                        peer_outdirs[n], n, limit, latency, emulator=emulator, receiver=receiver
                    )
                point["bench_s"] = time.monotonic() - started
                results["points"].append(point)
                if on_point is not None:
                    on_point(results)
    if workdir is None:
        shutil.rmtree(root, ignore_errors=True)
    return results


# -- rendering -------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(results: dict[str, Any]) -> list[str]:
    """The table: one row per (N, latency)."""
    lines = [
        f"Rate limit {results['rate']:g} requests/s, burst {results['burst']}; floor = (N - burst) / rate;"
        " wall = first execution started to last answered; attempts and throttled: the forward phase"
        " (the JSON also has each step's total, rollback included).",
        "",
        "| N | rate | latency | create SUCCESS | create wall | attempts | throttled | floor | wall/floor"
        " | update SUCCESS | update wall | attempts | throttled | wall/floor | rollback scenario | old config"
        " restored | one answer each | containers | slowest start | peak RSS | PSS/container |"
        + (" peer create SUCCESS |" if any("peer_create" in p for p in results["points"]) else ""),
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---:"
        " | --- | ---: | ---: | ---: | ---: |"
        + (" ---: |" if any("peer_create" in p for p in results["points"]) else ""),
    ]
    for p in results["points"]:
        c, u, r = p["create"], p["update"], p["rollback"]
        one = all(step["exactly_one_answer"] for step in (c, u, r))
        row = (
            f"| {p['n']} | {p['rate']:g} | {p['latency_s']:g} s | {c['successes']}/{p['n']}"
            f" | {_num(c['executions_wall_s'])} s | {c['api_attempts']} | {c['throttled']} | {_num(p['floor_s'])} s"
            f" | {_num(c['wall_over_floor'], 2)} | {u['successes']}/{p['n']} | {_num(u['executions_wall_s'])} s"
            f" | {u['api_attempts']} | {u['throttled']} | {_num(u['wall_over_floor'], 2)} | {r['final_state']}"
            f" | {p['n'] - r['old_configuration_missing']}/{p['n']} | {'yes' if one else 'NO'} | {c['containers']}"
            f" | {_num(c.get('slowest_start_s'))} s"
            f" | {_num(c['peak_rss_mb'], 0)} MiB | {_num(c['pss_per_container_mb'])} MiB |"
        )
        if "peer_create" in p:
            row += f" {p['peer_create']['successes']}/{p['n']} |"
        lines.append(row)
    for skipped in results["skipped"]:
        lines.append(f"\nN = {skipped['n']} not run: {skipped['why']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """CLI: measure, print the table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0])
    parser.add_argument("--peer", action="store_true", help="also the peer (AwsCustomResource) create, side by side")
    parser.add_argument("--quick", action="store_true", help=f"N = {list(QUICK_NS)}, latency 0")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", type=Path, help="keep the synthesized assemblies in this directory")
    parser.add_argument("--plot", type=Path, help="write the two-panel PNG here")
    args = parser.parse_args(argv)
    ns, latencies = (list(QUICK_NS), [0.0]) if args.quick else (args.n, args.latency)

    def save(results: dict[str, Any]) -> None:
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    results = measure(ns, args.rate, args.burst, latencies, peer=args.peer, workdir=args.keep, on_point=save)
    save(results)
    if args.plot:
        plot({"runs": [results]}, args.plot)
    print("\n".join(markdown(results)))
    return 0


# -- in the full benchmark (benchmarks.run / benchmarks.report) ------------------------------


@dataclass(frozen=True)
class ReportRun:
    """One rate limit and the points measured under it."""

    rate: float
    burst: int
    ns: tuple[int, ...]
    latencies: tuple[float, ...]


REPORT_RUNS: Final = (
    ReportRun(2.0, 5, (10, 50, 200, 490), (0.0, 5.0)),
    ReportRun(1.0, 5, (200,), (0.0,)),
)
"""The issue's targets: N = 10, 50, 200, 490 at 2/s (latency 0 and 5 s), and N = 200 at 1/s."""
REPORT_RUNS_QUICK: Final = (ReportRun(2.0, 5, QUICK_NS, (0.0,)),)


def measure_for_report(*, quick: bool, workdir: Path | None = None) -> dict[str, Any]:
    """What :mod:`benchmarks.run` stores under ``data["rate_limit"]``: one :func:`measure` per rate, peer included."""
    runs = []
    for spec in REPORT_RUNS_QUICK if quick else REPORT_RUNS:
        log(f"deploy under a rate limit: {spec.rate:g}/s burst {spec.burst}, N = {list(spec.ns)}")
        runs.append(measure(spec.ns, spec.rate, spec.burst, spec.latencies, peer=True, workdir=workdir))
    return {"runs": runs}


def report_section(data: dict[str, Any]) -> list[str]:
    """The "Deploy under a rate limit" section of ``docs/benchmarks.md`` (tables only; see :func:`plot`)."""
    lines = [
        "With the CloudFormation-like driver (`testkit/cfn_driver.py`): every ready resource starts at"
        " once, the synthesized asset's handler runs in Lambda-like processes (warm ones reused, no cap),"
        " answers go to the HTTPS receiver, failures roll back as CloudFormation does. AppIntegrations is the"
        " emulator behind an account-wide token bucket. Each measured step starts with a full bucket. The"
        " rollback scenario is an update of every execution where one targets a missing association; it must"
        " end `UPDATE_ROLLBACK_COMPLETE` with every old configuration applied. `python -m benchmarks.rate_limit`"
        " runs any other point.",
        "",
    ]
    for results in data["runs"]:
        lines.extend(markdown(results))
        lines.append("")
    return lines


def plot(data: dict[str, Any], path: Path) -> None:
    """Two panels against N: executions' wall time with the rate's floor; SUCCESS out of N (ours and the peer)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (wall_ax, ok_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for results in data["runs"]:
        rate = results["rate"]
        for latency in results["latencies"]:
            points = [p for p in results["points"] if p["latency_s"] == latency]
            if not points:
                continue
            label = f"{rate:g}/s, latency {latency:g} s"
            ns = [p["n"] for p in points]
            for step, marker in (("create", "o-"), ("update", "s--")):
                wall_ax.plot(ns, [p[step]["executions_wall_s"] for p in points], marker, label=f"{step}, {label}")
                ok_ax.plot(ns, [p[step]["successes"] / p["n"] for p in points], marker, label=f"ours {step}, {label}")
            peer = [(p["n"], p["peer_create"]["successes"] / p["n"]) for p in points if "peer_create" in p]
            if peer:
                ok_ax.plot(*zip(*peer, strict=True), "x:", label=f"peer create, {label}")
        floor_ns = sorted({p["n"] for p in results["points"]})
        wall_ax.plot(
            floor_ns, [max(0.0, (n - results["burst"]) / rate) for n in floor_ns], "k:", label=f"floor at {rate:g}/s"
        )
    wall_ax.set_title("executions' wall time (first started to last answered)")
    wall_ax.set_xlabel("N executions")
    wall_ax.set_ylabel("seconds")
    ok_ax.set_title("SUCCESS out of N")
    ok_ax.set_xlabel("N executions")
    ok_ax.set_ylim(-0.05, 1.05)
    for ax in (wall_ax, ok_ax):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle("Deploy under a rate limit (AppIntegrations emulator, token bucket)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
