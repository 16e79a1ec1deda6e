"""Synth cost side by side: ours, ``AwsCustomResource`` and bare ``CfnResource``s, in CPU per whole process.

``python -m benchmarks.synth_cost [--n 249 490] [--rounds 4] [--before DIR] [--json FILE]``

Each synth runs in a fresh interpreter (``python -m benchmarks.synth_cost --child ...``), one
at a time, and is measured as the CPU time (user + system) of the whole process and its
Node.js child, the jsii kernel: what ``cdk synth`` costs, and less disturbed by other load
on a shared machine than wall time. The approaches, the N and the preload setting are
interleaved within each round, in an order that rotates from round to round, and the
medians over the rounds are reported.

* **ours**: N ``DataIntegrationAssociationExecution`` (:mod:`benchmarks.ours_stack`).
* **peer**: N ``AwsCustomResource`` (:mod:`benchmarks.peer.peer_stack`); past N = 249 it
  cannot synthesize (two resources each, over 500), so its process stops at CDK's error.
* **bare**: N ``CfnResource`` of type ``Custom::DataIntegrationAssociationExecution`` with the
  same properties and a literal service token, and no provider: the floor, what the
  template costs CDK to build and write without any construct around it.
* **bare+provider**: the same N ``CfnResource``, served by one ``ExecutionProvider`` (its
  service token) and nothing else of the library: the provider's fixed cost over bare, so
  that ours over it is what the executions themselves add, whatever N.
* **ours@before** (with ``--before DIR``): ours, from another checkout's library (its
  ``constructs/`` and ``lambda_src/``), to compare two versions in the same run.

"Preloaded" processes first import what a real app imports anyway (``aws_lambda``,
``aws_ec2``, ``aws_iam``, ``aws_s3``, ``aws_logs``, ``custom_resources``), so the library's own
imports cost nothing there; the others start from ``aws_cdk`` alone. Each child also
reports its jsii round trips (requests to the Node.js process) while it builds and
synthesizes, and the library's import time (ours only: CPU of this interpreter, the jsii
assembly being loaded by then).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from testkit.synth_env import REPO_ROOT, synth_env

APPROACHES: Final = ("ours", "peer", "bare", "bare+provider")
BEFORE: Final = "ours@before"
#: What a real app imports anyway (the issue's list).
PRELOADED_MODULES: Final = (
    "aws_cdk.aws_lambda",
    "aws_cdk.aws_ec2",
    "aws_cdk.aws_iam",
    "aws_cdk.aws_s3",
    "aws_cdk.aws_logs",
    "aws_cdk.custom_resources",
)
DEFAULT_NS: Final = (249, 490)
DEFAULT_ROUNDS: Final = 4
STACK_NAME: Final = "BareAppIntegrationsStack"
#: A literal provider ARN for the bare resources (no provider is built for them).
BARE_SERVICE_TOKEN: Final = "arn:aws:lambda:us-east-1:123456789012:function:provider"
#: The issue's targets (a realistic app: preloaded).
TARGET_OURS_OVER_BARE: Final = 1.10
TARGET_ADDED_VS_PEER: Final = 0.5


# -- the child: one synth --------------------------------------------------------------------


def _build_bare(n: int, outdir: str, *, provider: bool = False) -> None:
    import aws_cdk as cdk

    from benchmarks.peer.ids import START_TIME, association_id, data_integration_id
    from testkit.account import ACCOUNT, REGION

    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, STACK_NAME, env=cdk.Environment(account=ACCOUNT, region=REGION))
    token = BARE_SERVICE_TOKEN
    if provider:
        from cdk_appintegrations import ExecutionProvider

        token = ExecutionProvider(stack, "Provider").service_token
    for i in range(n):
        cdk.CfnResource(
            stack,
            f"Assoc{i}",
            type="Custom::DataIntegrationAssociationExecution",
            properties={
                "ServiceToken": token,
                "ServiceTimeout": "1260",
                "DataIntegrationIdentifier": data_integration_id(i),
                "DataIntegrationAssociationIdentifier": association_id(i),
                "ExecutionConfiguration": {
                    "ExecutionMode": "ON_DEMAND",
                    "OnDemandConfiguration": {"StartTime": START_TIME},
                },
            },
        )
    app.synth()


def child(approach: str, n: int, outdir: str, *, preload: bool) -> dict[str, Any]:
    """Build and synthesize one stack in this process; the figures as a dict (never raises on synth errors)."""
    import importlib

    import aws_cdk  # noqa: F401  (jsii start-up: the Node.js process loads aws-cdk-lib)

    for module in PRELOADED_MODULES if preload else ():
        importlib.import_module(module)
    result: dict[str, Any] = {"approach": approach, "n": n, "preload": preload}
    if approach.startswith("ours"):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        import cdk_appintegrations

        result["import_cpu_s"] = time.process_time() - cpu0
        result["import_wall_s"] = time.perf_counter() - wall0
        result["library"] = str(Path(cdk_appintegrations.__file__).parent)
    from testkit.jsii_round_trips import counted_round_trips

    with counted_round_trips() as counter:
        try:
            if approach.startswith("ours"):
                from benchmarks.ours_stack import synth_ours

                synth_ours(n, outdir)
            elif approach == "peer":
                from benchmarks.peer.peer_stack import synth_peer

                synth_peer(n, outdir)
            else:
                _build_bare(n, outdir, provider=approach == "bare+provider")
            result.update(ok=True, error=None)
        except Exception as exc:  # jsii surfaces CDK's validation errors as RuntimeError
            result.update(ok=False, error=str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
    result["round_trips"] = counter.requests
    result["jsii_s"] = counter.seconds
    return result


# -- the driver ------------------------------------------------------------------------------


def _env(library: Path | None) -> dict[str, str]:
    """A synth child's environment (this checkout's library, see ``synth_env``), or ``library``'s ahead of it."""
    env = synth_env()
    if library is not None:
        paths = [str(library / "constructs"), str(library / "lambda_src")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env["PYTHONPATH"]])
    return env


def run_one(approach: str, n: int, outdir: Path, *, preload: bool, before: Path | None = None) -> dict[str, Any]:
    """One synth in a fresh interpreter: its JSON, plus ``cpu_s`` (the whole process) and ``wall_s``."""
    cmd = [sys.executable, "-m", "benchmarks.synth_cost", "--child", approach, "--n", str(n), "--outdir", str(outdir)]
    if preload:
        cmd.append("--preload")
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=_env(before if approach == BEFORE else None),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    wall = time.perf_counter() - wall0
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result: dict[str, Any] = (
        json.loads(lines[-1])
        if proc.returncode == 0 and lines
        else {"approach": approach, "n": n, "preload": preload, "ok": False, "error": proc.stderr[-1000:]}
    )
    result["cpu_s"] = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    result["wall_s"] = wall
    return result


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def measure(
    ns: Sequence[int] = DEFAULT_NS,
    rounds: int = DEFAULT_ROUNDS,
    *,
    before: Path | None = None,
    preloads: Sequence[bool] = (False, True),
    log: Any = None,
) -> dict[str, Any]:
    """Every (N, preload, approach) ``rounds`` times, interleaved and rotated; medians and ratios."""
    approaches = [*APPROACHES, *([BEFORE] if before is not None else [])]
    cells = list(itertools.product(ns, preloads, approaches))
    samples: dict[tuple[int, bool, str], list[dict[str, Any]]] = {cell: [] for cell in cells}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="synth-cost-") as tmp:
        for r in range(rounds):
            shift = r % len(cells)
            for n, preload, approach in cells[shift:] + cells[:shift]:
                outdir = Path(tmp) / f"{approach}-{n}-{preload}-{r}"
                samples[(n, preload, approach)].append(run_one(approach, n, outdir, preload=preload, before=before))
            if log is not None:
                log(f"synth cost: round {r + 1}/{rounds} done")
    rows = []
    for n, preload in itertools.product(ns, preloads):
        row: dict[str, Any] = {"n": n, "preload": preload}
        for approach in approaches:
            runs = samples[(n, preload, approach)]
            ok = all(run.get("ok") for run in runs)
            row[approach] = {
                "ok": ok,
                "error": next((run.get("error") for run in runs if not run.get("ok")), None),
                "cpu_s": [run["cpu_s"] for run in runs],
                "cpu_median_s": _median(run["cpu_s"] for run in runs),
                "round_trips_per_execution": _median(
                    run["round_trips"] / n for run in runs if run.get("round_trips") is not None
                ),
                "jsii_median_s": _median(run.get("jsii_s") for run in runs),
                "import_cpu_median_s": _median(run.get("import_cpu_s") for run in runs),
                "import_wall_median_s": _median(run.get("import_wall_s") for run in runs),
            }
        row.update(_ratios(row, approaches))
        rows.append(row)
    return {
        "ns": list(ns),
        "rounds": rounds,
        "preloaded_modules": list(PRELOADED_MODULES),
        "before": str(before) if before is not None else None,
        "load_average": os.getloadavg()[0],
        "elapsed_s": time.perf_counter() - started,
        "rows": rows,
    }


def _ratios(row: Mapping[str, Any], approaches: Sequence[str]) -> dict[str, Any]:
    """ours/bare, ours/peer, ours/(bare+provider), and what ours adds over bare against what the peer adds.

    For ours and ours@before; also the provider's fixed cost, bare+provider less bare, in seconds.
    """
    bare = row["bare"]["cpu_median_s"]
    peer = row["peer"]["cpu_median_s"] if row["peer"]["ok"] else None
    with_provider = row["bare+provider"]["cpu_median_s"] if row["bare+provider"]["ok"] else None
    ratios: dict[str, Any] = {}
    for approach in (a for a in approaches if a.startswith("ours")):
        ours = row[approach]["cpu_median_s"]
        ratios[approach] = {
            "over_bare": ours / bare if ours and bare else None,
            "over_peer": ours / peer if ours and peer else None,
            "over_bare_with_provider": ours / with_provider if ours and with_provider else None,
            "added_vs_peer_added": (ours - bare) / (peer - bare) if ours and bare and peer and peer > bare else None,
        }
    fixed = with_provider - bare if with_provider and bare else None
    # The executions' own requests beyond a bare CfnResource: bare + provider makes the same CfnResources
    # and the same provider, so what ours spends in jsii over it is the executions' Construct, DependsOn
    # and dependency check.
    ours_jsii, provider_jsii = row["ours"].get("jsii_median_s"), row["bare+provider"].get("jsii_median_s")
    executions_jsii = ours_jsii - provider_jsii if ours_jsii is not None and provider_jsii is not None else None
    return {"ratios": ratios, "provider_fixed_s": fixed, "executions_jsii_s": executions_jsii}


# -- rendering -------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def table(data: Mapping[str, Any]) -> list[str]:
    """The markdown table: one row per (N, preloaded), ours (and ours@before) against the peer and the floor."""
    befores = data.get("before") is not None
    versions = ["ours", *([BEFORE] if befores else [])]
    head = ["N", "app's modules preloaded", "CPU s ours", *(["CPU s ours (before)"] if befores else [])]
    head += ["CPU s AwsCustomResource", "CPU s bare CfnResources", "CPU s bare + provider"]
    head += ["ours / bare", "ours / (bare + provider)", "ours / AwsCustomResource"]
    head += ["ours adds / peer adds (over bare)"]
    head += ["round trips per execution: ours", *(["ours (before)"] if befores else []), "peer", "bare"]
    head += ["library import CPU ms", *(["before"] if befores else [])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in data["rows"]:
        peer = row["peer"]
        peer_cpu = _f(peer["cpu_median_s"]) if peer["ok"] else f"({_f(peer['cpu_median_s'])}, synth fails)"

        def both(key: str, row: Mapping[str, Any] = row) -> str:
            return " → ".join(_f(row["ratios"][v][key], suffix="x") for v in reversed(versions))

        cells = [str(row["n"]), "yes" if row["preload"] else "no"]
        cells += [_f(row[v]["cpu_median_s"]) for v in versions]
        cells += [peer_cpu, _f(row["bare"]["cpu_median_s"]), _f(row["bare+provider"]["cpu_median_s"])]
        cells += [both("over_bare"), both("over_bare_with_provider"), both("over_peer")]
        cells += [both("added_vs_peer_added")]
        cells += [_f(row[v]["round_trips_per_execution"], 1) for v in versions]
        cells += [_f(peer["round_trips_per_execution"], 1), _f(row["bare"]["round_trips_per_execution"], 1)]
        cells += [_f((row[v]["import_cpu_median_s"] or 0) * 1000, 0) for v in versions]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def targets(data: Mapping[str, Any]) -> list[str]:
    """The issue's targets against this run (preloaded rows)."""
    out = []
    for row in data["rows"]:
        if not row["preload"]:
            continue
        ratios = row["ratios"]["ours"]
        over = ratios["over_bare"]
        met = over is not None and over <= TARGET_OURS_OVER_BARE
        out.append(
            f"N = {row['n']}, preloaded: ours/bare {_f(over, suffix='x')} "
            f"(target ≤ {TARGET_OURS_OVER_BARE:.2f}x: {'met' if met else '**missed**'}); of what ours adds, "
            f"{_f(row['provider_fixed_s'], suffix=' s')} is the provider alone, and ours over bare + provider "
            f"is {_f(ratios['over_bare_with_provider'], suffix='x')}"
        )
        extra, fixed, bare = row.get("executions_jsii_s"), row["provider_fixed_s"], row["bare"]["cpu_median_s"]
        if extra is not None and fixed is not None and bare:
            requests = row["ours"]["round_trips_per_execution"] - row["bare"]["round_trips_per_execution"]
            out.append(
                f"N = {row['n']}, preloaded: ours/bare is at least {1 + (fixed + extra) / bare:.2f}x: the "
                f"provider alone is {fixed / bare:.0%} of bare, and the executions' requests beyond a bare "
                f"CfnResource ({_f(requests, 1)} each) take {_f(extra, suffix=' s')} of jsii time, "
                f"{extra / bare:.0%} of bare"
            )
        added = ratios["added_vs_peer_added"]
        if added is not None:
            met = added <= TARGET_ADDED_VS_PEER
            out.append(
                f"N = {row['n']}, preloaded: what ours adds over bare is {_f(added, suffix='x')} what the peer adds "
                f"(target ≤ {TARGET_ADDED_VS_PEER:.2f}x: {'met' if met else '**missed**'})"
            )
    return out


def markdown_section(data: Mapping[str, Any]) -> list[str]:
    """The section of ``docs/benchmarks.md`` (see :func:`benchmarks.report.markdown`)."""
    befores = data.get("before")
    modules = ", ".join(f"`{m.removeprefix('aws_cdk.')}`" for m in data["preloaded_modules"])
    return [
        "## Synth cost against the floor",
        "",
        f"`python -m benchmarks.synth_cost` (`benchmarks/synth_cost.py`): CPU time (user + system) of the whole"
        f" process and its Node.js child per synth, fresh interpreters, median of {data['rounds']} interleaved"
        f" rounds (load average {data['load_average']:.1f} at the end). Bare = N `CfnResource`s of the same type"
        " and properties, no provider: the floor. Bare + provider = the same, served by one `ExecutionProvider`:"
        " its fixed cost. Preloaded = the process first imports what a real app imports"
        f" anyway ({modules}). Round trips ="
        " requests to the jsii process while the app is built and synthesized, over N. Library import ="
        " `import cdk_appintegrations`, CPU of the interpreter, after `aws_cdk` (and the preloads)."
        + (" Before → after: the library of the previous version (`--before`), in the same rounds." if befores else ""),
        "",
        *table(data),
        "",
        f"![CPU per synth: ours, AwsCustomResource, bare + provider and bare, at each N]({PNG})",
        "",
        *(f"* {line}" for line in targets(data)),
        *(f"* {note}" for note in data.get("notes", [])),
    ]


#: The plot beside ``docs/benchmarks.md`` (written by :func:`benchmarks.report.write`).
PNG: Final = "benchmarks-synth-cost.png"
_BARS: Final = (
    ("ours", "ours", "tab:blue"),
    (BEFORE, "ours, before", "lightsteelblue"),
    ("peer", "AwsCustomResource", "tab:orange"),
    ("bare+provider", "bare + provider", "tab:gray"),
    ("bare", "bare CfnResources (floor)", "silver"),
)


def plot(data: Mapping[str, Any], path: Path) -> None:
    """CPU per whole process for each (N, preloaded): one bar per approach, the target's line on the preloaded rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = data["rows"]
    handles: list[Any] = []
    bars = [bar for bar in _BARS if all(bar[0] in row for row in rows)]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(bars)
    for k, (approach, label, color) in enumerate(bars):
        xs = [i + (k - (len(bars) - 1) / 2) * width for i in range(len(rows))]
        heights = [row[approach]["cpu_median_s"] or 0.0 for row in rows]
        hatches = ["" if row[approach]["ok"] else "//" for row in rows]
        for x, h, hatch in zip(xs, heights, hatches, strict=True):
            ax.bar(x, h, width, color=color, hatch=hatch, edgecolor="black", linewidth=0.4)
        handles.append(Patch(facecolor=color, edgecolor="black", linewidth=0.4, label=label))
    for i, row in enumerate(rows):
        bare = row["bare"]["cpu_median_s"]
        if row["preload"] and bare:
            ax.hlines(bare * TARGET_OURS_OVER_BARE, i - 0.45, i + 0.45, colors="red", linestyles="--", linewidth=1)
    handles.append(
        Line2D([], [], color="red", linestyle="--", linewidth=1, label=f"target: {TARGET_OURS_OVER_BARE:.2f} x bare")
    )
    ax.set_xticks(range(len(rows)), [f"N = {r['n']}\n{'preloaded' if r['preload'] else 'not preloaded'}" for r in rows])
    ax.set_ylabel("CPU seconds, whole process (median)")
    ax.set_title("synth cost per process; hatched: synth fails (the peer past 249)")
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``--child`` runs one synth and prints its JSON; otherwise measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=[*APPROACHES, BEFORE], help=argparse.SUPPRESS)
    parser.add_argument("--outdir", help=argparse.SUPPRESS)
    parser.add_argument("--preload", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, nargs="+", default=list(DEFAULT_NS))
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version, measured as ours@before")
    parser.add_argument("--json", type=Path, help="merge the results into this JSON file (key synth_cost)")
    args = parser.parse_args(argv)
    if args.child:
        outdir = args.outdir or tempfile.mkdtemp(prefix="synth-cost-child-")
        print(json.dumps(child(args.child, args.n[0], outdir, preload=args.preload)))
        return 0
    data = measure(args.n, args.rounds, before=args.before, log=lambda text: print(text, file=sys.stderr))
    if args.json is not None:
        merged = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() else {}
        merged["synth_cost"] = data
        args.json.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    print("\n".join(markdown_section(data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
