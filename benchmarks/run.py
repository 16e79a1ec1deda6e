"""The benchmark: this construct and ``AwsCustomResource``, same run, same N, side by side.

``python -m benchmarks.run [--quick] [--out DIR]``

Measures, for both approaches:

* shape at scale: CloudFormation resources, template bytes and the provider role's
  inline policy bytes at N = 1, 10, 100, 250, 490 and at each approach's limits (found by
  bisection), with the points where a deploy would fail although synth passes;
* synth wall time per N (fresh interpreter each, median of several runs, alternating);
* the zipped size of each provider's Lambda asset;
* handler cost against the local AppIntegrations emulator: cold init and per-event
  Create/Update/Delete (ours in a Lambda-like Python process with only boto3 besides the
  asset; the peer's bundled Node.js handler under Node with the npm SDK);

then checks the issue's targets and writes ``benchmarks.md``, ``benchmarks.png`` and
``benchmarks.json`` to ``docs/`` (``--quick``: N = 1 and 10, one run, no limit search,
written to a temporary directory unless ``--out`` is given). Synths run one at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks import cold_start, handlers, rate_limit, report, synth_cost
from benchmarks.peer import search as limit_search
from benchmarks.peer.asset import find_provider_asset, measure_asset
from benchmarks.peer.node_handler import NODE_PEER_DIR
from benchmarks.peer.synth_runner import synth_in_subprocess
from benchmarks.rate_limit import log  # one progress format for the whole run
from testkit.synth_env import REPO_ROOT, npm_command, synth_env

SHAPE_GRID: Final = (1, 10, 100, 250, 490)
SEARCH_GRID: Final = (1, 10, 100, 250, 490, 500)
QUICK_GRID: Final = (1, 10)
HANDLER_N: Final = 10  # the synthesized N whose assets and templates the handler runs use
APPROACHES: Final = ("ours", "peer")
# displayName of our provider's code asset: cdk_appintegrations.provider.PROVIDER_ID + "/Function/Code"
# (not imported: that would start jsii in this process while it times others).
OURS_PROVIDER_PREFIX: Final = "AppIntegrationsExecutionProvider/"


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``Plan()`` is the full run, :data:`QUICK` the smoke run."""

    quick: bool = False
    """The smoke run: no search for each approach's largest deployable and synthesizable N, and
    the rate-limit part's quick runs."""
    shape_grid: tuple[int, ...] = SHAPE_GRID
    """The N always measured (the limits found by the search are added)."""
    synth_runs: int = 5
    """Synths timed per N and approach (medians reported)."""
    synth_runs_large: int = 3
    """The same from ``large_n`` up, where one synth takes long."""
    large_n: int = 400
    """Where ``synth_runs_large`` takes over."""
    handler_processes: int = 7
    """Fresh handler processes per approach (the first event of each is a cold start)."""
    handler_resources: int = 5
    """Resources (events) per handler process."""
    cold_init_runs: int = 41
    """Runs of each cold-init probe (``benchmarks.cold_start``)."""
    synth_cost_rounds: int = synth_cost.DEFAULT_ROUNDS
    """Interleaved rounds of the synth cost against the floor (``benchmarks.synth_cost``), at N = 249 and 490."""


FULL: Final = Plan()
QUICK: Final = Plan(
    quick=True,
    shape_grid=QUICK_GRID,
    synth_runs=1,
    synth_runs_large=1,
    handler_processes=1,
    handler_resources=2,
    cold_init_runs=3,
    synth_cost_rounds=1,
)


# -- set-up ----------------------------------------------------------------------------------


def ensure_ready() -> None:
    """Fail early and clearly: the construct must import, the peer's SDK must be installed."""
    check = subprocess.run(
        [sys.executable, "-c", "from cdk_appintegrations import DataIntegrationAssociationExecution"],
        env=synth_env(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise SystemExit(f"cdk_appintegrations does not import:\n{check.stderr[-2000:]}")
    if not (NODE_PEER_DIR / "node_modules" / "@aws-sdk" / "client-appintegrations").is_dir():
        print(f"installing the peer's SDK: npm ci in {NODE_PEER_DIR}", file=sys.stderr)
        subprocess.run(
            [*npm_command(), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_PEER_DIR,
            env=synth_env(),
            check=True,
        )


# -- shape, limits and synth time ------------------------------------------------------------


def search_limits(grid: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Per approach: largest N that deploys and that synthesizes (bisection), every point taken."""
    found: dict[str, dict[str, Any]] = {}
    for approach in APPROACHES:
        log(f"searching the limits of {approach} over {list(grid)}")
        found[approach] = limit_search.run(list(grid), approach)
        log(f"  {approach}: deploys up to {found[approach]['largest_deployable']}")
    return found


def points_to_time(plan: Plan, found: Mapping[str, Mapping[str, Any]]) -> list[int]:
    """The issue's N plus each approach's limits (largest deployable, first undeployable, largest synthesizable)."""
    ns = set(plan.shape_grid)
    for s in found.values():
        for key in ("largest_deployable", "largest_synthesizable"):
            if s.get(key) is not None:
                ns.add(int(s[key]))
        first_bad = s.get("first_undeployable")
        if first_bad is not None and s["points"][str(first_bad)].get("ok"):
            ns.add(int(first_bad))  # synth passes, deploy fails: worth showing
    return sorted(ns)


def time_synths(plan: Plan, ns: Sequence[int], workdir: Path) -> list[dict[str, Any]]:
    """Per N: both approaches synthesized ``runs`` times, alternating which goes first; medians and ratios."""
    points = []
    for n in ns:
        runs = plan.synth_runs_large if n >= plan.large_n else plan.synth_runs
        point: dict[str, Any] = {"n": n}
        samples: dict[str, dict[str, list[float]]] = {
            a: {"wall_s": [], "cpu_s": [], "import_s": []} for a in APPROACHES
        }
        for i in range(runs):
            order = APPROACHES if i % 2 == 0 else APPROACHES[::-1]
            for approach in order:
                if i > 0 and not point[approach]["ok"]:
                    continue  # a failing synth is timed once
                result = synth_in_subprocess(n, workdir / f"{approach}-n{n}-r{i}", approach=approach)
                for key in ("wall_s", "cpu_s", "import_s"):
                    if key in result:
                        samples[approach][key].append(float(result[key]))
                if approach not in point:
                    if result["ok"]:
                        result["policy_scope"] = policy_scope(stack_template(Path(result["outdir"])))
                    point[approach] = result
        for approach in APPROACHES:
            point[approach]["synth_s"] = samples[approach]["wall_s"]
            point[approach]["synth_median_s"] = statistics.median(samples[approach]["wall_s"])
            point[approach]["synth_cpu_s"] = samples[approach]["cpu_s"]
            point[approach]["synth_cpu_median_s"] = statistics.median(samples[approach]["cpu_s"])
            imports = samples[approach]["import_s"]
            point[approach]["import_median_s"] = statistics.median(imports) if imports else None
        ours, peer = point["ours"], point["peer"]
        both = ours["ok"] and peer["ok"]
        point["synth_ratio"] = ours["synth_median_s"] / peer["synth_median_s"] if both else None
        point["synth_cpu_ratio"] = ours["synth_cpu_median_s"] / peer["synth_cpu_median_s"] if both else None
        pairs = zip(samples["ours"]["wall_s"], samples["peer"]["wall_s"], strict=False)
        point["synth_paired_ratio"] = statistics.median(o / q for o, q in pairs) if both else None
        log(
            f"N={n}: ours {ours['synth_median_s']:.2f}s ({'ok' if ours['ok'] else 'fails'}), "
            f"peer {peer['synth_median_s']:.2f}s ({'ok' if peer['ok'] else 'fails'}), {runs} run(s)"
        )
        points.append(point)
    return points


# -- assets and handlers ---------------------------------------------------------------------


def asset_dirs(points: Sequence[Mapping[str, Any]]) -> dict[str, Path]:
    """The cdk.out of each approach at ``HANDLER_N`` (from the synth-time runs)."""
    [point] = [p for p in points if p["n"] == HANDLER_N]
    return {a: Path(point[a]["outdir"]) for a in APPROACHES}


def ours_asset(outdir: Path) -> Path:
    """Our provider's code asset in ``outdir``."""
    return find_provider_asset(outdir, OURS_PROVIDER_PREFIX)


def stack_template(outdir: Path) -> dict[str, Any]:
    """The template of the one stack in the cloud assembly ``outdir`` (found through its manifest)."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    [template_file] = [
        a["properties"]["templateFile"]
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    ]
    template: dict[str, Any] = json.loads((outdir / template_file).read_text(encoding="utf-8"))
    return template


_APPINTEGRATIONS_ARN: Final = re.compile(r'"([^"]*:app-integrations:[^"]*)"')


def policy_scope(template: Mapping[str, Any]) -> dict[str, int]:
    """How the IAM policies in ``template`` name AppIntegrations resources: ARNs in all, and how many are wildcards."""
    docs = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::Role")
    ]
    arns = _APPINTEGRATIONS_ARN.findall(json.dumps(docs))
    return {"arns": len(arns), "wildcards": sum("*" in a for a in arns)}


def provider_function(template: Mapping[str, Any]) -> dict[str, Any]:
    """Runtime, architecture, memory and timeout of the (one) provider function, with Lambda's defaults."""
    [props] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return {
        "runtime": props["Runtime"],
        "architecture": (props.get("Architectures") or ["x86_64"])[0],
        "memory_mb": props.get("MemorySize", 128),
        "timeout_s": props.get("Timeout", 3),
    }


def measure_assets(outdirs: Mapping[str, Path]) -> dict[str, dict[str, Any]]:
    """Raw and zipped bytes of each provider asset, what it holds, and the function that runs it."""
    found = {
        "ours": measure_asset(outdirs["ours"], OURS_PROVIDER_PREFIX),
        "peer": measure_asset(outdirs["peer"]),
    }
    for approach, figures in found.items():
        entries = sorted(Path(figures["asset_dir"]).iterdir())
        figures["files"] = ", ".join(f"`{e.name}{'/' if e.is_dir() else ''}`" for e in entries)
        figures["function"] = provider_function(stack_template(outdirs[approach]))
    return found


def measure_runtime_start(probes: Mapping[str, Any], runs: int) -> dict[str, float]:
    """Wall ms of an empty program: ``python -S`` (from the cold-init probes) and ``node``."""
    return {
        "python_ms": float(probes[cold_start.EMPTY]["wall_s"]) * 1000,
        "node_ms": handlers.node_start_ms(runs),
    }


# -- targets ---------------------------------------------------------------------------------


def synth_slopes(points: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Synth ms per extra association, per approach: between N = 1 and the largest N both synthesize."""
    both = [p for p in points if p["ours"].get("ok") and p["peer"].get("ok")]
    if len(both) < 2:
        return {a: None for a in APPROACHES}
    lo, hi = both[0], both[-1]
    return {a: (hi[a]["synth_median_s"] - lo[a]["synth_median_s"]) * 1000 / (hi["n"] - lo["n"]) for a in APPROACHES} | {
        "from_n": lo["n"],
        "to_n": hi["n"],
    }


def per_association_resources(points: Sequence[Mapping[str, Any]], approach: str) -> float | None:
    """Resources each extra association adds: slope between the smallest and largest N that synthesized."""
    ok = [(p["n"], p[approach]["measure"]["resources"]) for p in points if p[approach].get("ok")]
    if len(ok) < 2:
        return None
    (n0, r0), (n1, r1) = ok[0], ok[-1]
    return float(r1 - r0) / float(n1 - n0)


def _point(points: Sequence[Mapping[str, Any]], n: int | None) -> Mapping[str, Any] | None:
    return next((p for p in points if p["n"] == n), None)


def _synth_target(points: Sequence[Mapping[str, Any]], n: int | None, what: str) -> dict[str, Any]:
    p = _point(points, n)
    ratio = p.get("synth_ratio") if p else None
    figure = (
        f"{ratio:.2f}x at N = {n}, the largest N both can {what}"
        f" ({p['ours']['synth_median_s']:.2f} s vs {p['peer']['synth_median_s']:.2f} s)"
        if p and ratio is not None
        else "not measured"
    )
    return {
        "target": f"synth time ≤ 0.8x the peer's (largest N both {what})",
        "figure": figure,
        "met": None if ratio is None else ratio <= 0.8,
    }


def evaluate_targets(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured figure and met / missed."""
    points, search, h, cold = data["points"], data.get("search", {}), data["handlers"], data["cold_init"]
    slope = {a: per_association_resources(points, a) for a in APPROACHES}
    largest = {a: search.get(a, {}).get("largest_deployable") for a in APPROACHES}
    synthesizable = {a: search.get(a, {}).get("largest_synthesizable") for a in APPROACHES}
    probes = cold["probes"]
    cold_ratio = probes[cold_start.HANDLER_CLIENT]["inner_s"] / probes[cold_start.BARE]["inner_s"]
    paired = probes[cold_start.HANDLER_CLIENT]["paired_ratio"]
    delete_max = h["ours"]["delete_max_ms"]
    both_deploy = min(largest.values()) if all(largest.values()) else None
    both_synth = min(synthesizable.values()) if all(synthesizable.values()) else None
    return [
        {
            "target": "1 CloudFormation resource per association",
            "figure": f"{report.num(slope['ours'], 2)} per association (peer: {report.num(slope['peer'], 2)})",
            "met": None if slope["ours"] is None else abs(slope["ours"] - 1) < 1e-9,
        },
        {
            "target": "≥ 490 associations per stack",
            "figure": f"{largest['ours']} (peer: {largest['peer']})" if largest["ours"] else "not searched",
            "met": None if largest["ours"] is None else largest["ours"] >= 490,
        },
        _synth_target(points, both_deploy, "deploy"),
        _synth_target(points, both_synth, "synthesize"),
        {
            "target": "handler cold init within 1.1x of a bare boto3 client creation",
            "figure": f"{paired:.2f}x, the median of per-round ratios over {cold['runs']} interleaved rounds of fresh"
            f" processes (ratio of the medians: {cold_ratio:.2f}x,"
            f" {probes[cold_start.HANDLER_CLIENT]['inner_s'] * 1000:.1f} ms vs"
            f" {probes[cold_start.BARE]['inner_s'] * 1000:.1f} ms)",
            "met": paired <= 1.1,
        },
        {
            "target": "Delete handler time < 1 s",
            "figure": f"slowest {delete_max:.1f} ms (median warm {h['ours']['warm_delete_ms']:.1f} ms,"
            f" cold {h['ours']['cold_delete_ms']:.1f} ms)",
            "met": delete_max < 1000,
        },
    ]


def target_notes(data: Mapping[str, Any], targets: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why a missed target was missed, from the figures measured."""
    notes = []
    missed = {t["target"] for t in targets if t["met"] is False}
    points, slope = data["points"], data.get("synth_slope_ms", {})
    if any(t.startswith("synth time") for t in missed) and slope.get("ours") is not None:
        first = points[0]
        ratios = ", ".join(
            f"{p['synth_ratio']:.2f}x at N = {p['n']}" for p in points if p.get("synth_ratio") is not None
        )
        notes.append(
            f"Synth: a small stack's synth is mostly fixed cost for both (N = {first['n']}: ours"
            f" {first['ours']['synth_median_s']:.2f} s, peer {first['peer']['synth_median_s']:.2f} s), and the"
            f" difference per extra association is small (slope of the medians: ours {slope['ours']:.1f} ms,"
            f" peer {slope['peer']:.1f} ms), so the ratio stays near 1 until N is large ({ratios}); the peer"
            f" cannot go past N = {slope['to_n']} (synth) or"
            f" {data.get('search', {}).get('peer', {}).get('largest_deployable', '?')} (deploy). Within the fixed"
            f" part, importing CDK and the stack module takes {first['ours']['import_median_s']:.2f} s for ours"
            f" (the construct library pulls in `aws_lambda`, `aws_iam`, `aws_logs`) against"
            f" {first['peer']['import_median_s']:.2f} s for the peer (`aws_cdk.custom_resources`): `import_s` in"
            " the JSON."
        )
    if any(t.startswith("handler cold init") for t in missed):
        probes = data["cold_init"]["probes"]
        bare = probes[cold_start.BARE]["inner_s"]
        import_only = probes["handler: import + init (Delete path, no client)"]["inner_s"]
        client = probes[cold_start.HANDLER_CLIENT]["inner_s"]
        notes.append(
            f"Cold init: the bare reference is `import boto3` + one client ({bare * 1000:.0f} ms). Ours is the same"
            f" client plus importing crhelper, the handler's modules and its logging set-up: `import index` alone"
            f" takes {import_only * 1000:.0f} ms (boto3 included), the client {(client - import_only) * 1000:.0f} ms"
            " more. The asset ships source only, so its modules are compiled on every cold start, as in Lambda."
        )
    return notes


# -- metadata --------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _git_describe() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def metadata(plan: Plan, started: float, load_at_start: float, handler_data: Mapping[str, Any]) -> dict[str, Any]:
    """Date, machine, versions, plan."""
    versions = {
        name: importlib.metadata.version(name)
        for name in ("aws-cdk-lib", "constructs", "jsii", "crhelper", "boto3", "botocore", "matplotlib")
    }
    versions["client-appintegrations"] = handler_data["peer"].get("sdk_version")
    return {
        "command": "python -m benchmarks.run" + (" --quick" if plan.quick else ""),
        "mode": "quick" if plan.quick else "full",
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "wall_s": time.perf_counter() - started,
        "git": _git_describe(),
        "load_average_1m": {"start": load_at_start, "end": os.getloadavg()[0]},
        "machine": {
            "uname_m": platform.machine(),
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "os": f"{platform.system()} {platform.release()}",
            "python": f"Python {platform.python_version()}",
            "node": handlers.node_version(),
        },
        "versions": versions,
        "runs": {
            "synth": plan.synth_runs,
            "synth_large": plan.synth_runs_large,
            "large_n": plan.large_n,
            "handler_processes": plan.handler_processes,
            "cold_init": plan.cold_init_runs,
        },
    }


def caveats(data: Mapping[str, Any]) -> list[str]:
    """What the figures do and do not say."""
    peer = data["handlers"]["peer"]
    bare = data["cold_init"]["probes"][cold_start.BARE]
    return [
        "* **The peer's SDK is shimmed.** `installLatestAwsSdk=false` makes the peer use the SDK the Lambda"
        " Node.js runtime ships. The only `@aws-sdk/client-appintegrations` the npm registry here serves is"
        f" {peer.get('sdk_version')}, which predates UpdateDataIntegrationAssociation; as installed, every"
        " Create/Update answers FAILED (`Unable to find command named: UpdateDataIntegrationAssociationCommand`)."
        " `benchmarks/node_peer/sdk_shim.cjs` adds that one command built like the generated ones (the SDK's own"
        " signing, retries, endpoint and error handling); building it (~1 ms) is left out of the peer's times."
        " The peer's times are therefore those of SDK"
        f" {peer.get('sdk_version')}, not of the runtime's newer SDK, whose load time may differ."
        " Details: `benchmarks/node_peer/README.md`.",
        "* **Runtimes.** Both handlers run on this machine, not in Lambda: ours on the local"
        f" {data['meta']['machine']['python']} (its function: {_function_text(data['assets']['ours'])}), the peer"
        f" on node {peer.get('node_version')} (its function: {_function_text(data['assets']['peer'])}). Lambda"
        " gives a function CPU in proportion to its memory, a fraction of a core at these sizes, so absolute"
        " milliseconds there are larger; compare the two columns, not the numbers with Lambda's.",
        "* **Nagle.** Both local doubles set `TCP_NODELAY`: without it, a Python client's delayed ACK stalls"
        " every response ~40 ms (Nagle's algorithm), which neither S3 nor the AppIntegrations endpoint does and"
        " which Node's client does not suffer.",
        "* **Policy scope at scale.** The peer's policies name exact ARNs, one per association (the only resource"
        " type the action has; here 50 associations share a data integration). Ours names exact ARNs while the list"
        " fits what its customer-managed policy (6,144 characters) leaves; past that it collapses, data integrations"
        " with the most"
        " associations first, to `data-integration-association/<data integration id>/*`, and stays at one action"
        " (`UpdateDataIntegrationAssociation`). That is how its policy stays far under IAM's limit at scale; the"
        " column *ARNs in the policy* shows where it switches.",
        "* **Inline policy at N = 1.** Ours is larger there (it also carries the log-writing statement, scoped to"
        " its own log group); the peer's role gets logging from the AWS managed policy"
        " `AWSLambdaBasicExecutionRole`, which does not count against the inline quota. Each association adds"
        " ~150 bytes to ours (until the wildcards) and ~280 to the peer's (an `AWS::IAM::Policy` each).",
        "* **Host speed drifts.** This is a shared VM: within this run a bare boto3 client took"
        f" {bare['min_s'] * 1000:.0f}-{bare['max_s'] * 1000:.0f} ms across the rounds. So the two sides are always"
        " interleaved, ratios are the figures to read, and the cold-init target uses the median of per-round"
        " ratios (robust to such drift); the synth table also shows that estimator next to the ratio of medians.",
        "* **Cold init** in the handler table is derived the same way for both (import + the cold Create's"
        " excess over a warm one); the target uses the direct measurement below it, against the same"
        " sandbox's bare boto3 client. Runtime start (interpreter boot) is shown apart: Lambda adds it to"
        " Init Duration for both.",
        "* **Deploy verdicts are computed, not deployed** (no AWS account here): from the synthesized template"
        " against CloudFormation's 500-resource and 1 MB limits and IAM's 10,240-byte aggregate of a role's"
        " inline policies (counted without whitespace, after CloudFormation resolved `Fn::Join`, `Fn::Sub` and"
        " pseudo parameters). aws-cdk-lib refuses > 500 resources at synth (`TooManyResourcesInStack`).",
        "* **Synth time** is one process from interpreter start to exit, so it includes Python start-up,"
        " jsii's Node.js child loading aws-cdk-lib, and writing `cdk.out` (our asset copies the handler and"
        " crhelper; the peer's is CDK's prebuilt bundle).",
    ]


def _function_text(asset: Mapping[str, Any]) -> str:
    f = asset["function"]
    return f"`{f['runtime']}`, {f['architecture']}, {f['memory_mb']} MB"


# -- the run ---------------------------------------------------------------------------------


def run(plan: Plan, workdir: Path, *, with_rate_limit: bool = True) -> dict[str, Any]:
    """Measure everything; the results dict the report renders."""
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    data: dict[str, Any] = {}
    if not plan.quick:
        data["search_grid"] = list(SEARCH_GRID)
        data["search"] = search_limits(SEARCH_GRID)
    ns = points_to_time(plan, data.get("search", {}))
    log(f"timing synths at N = {ns}")
    data["points"] = time_synths(plan, ns, workdir)
    data["synth_slope_ms"] = synth_slopes(data["points"])
    log(f"synth cost against the floor: N = {list(synth_cost.DEFAULT_NS)}, {plan.synth_cost_rounds} round(s)")
    data["synth_cost"] = synth_cost.measure(synth_cost.DEFAULT_NS, plan.synth_cost_rounds, log=log)
    outdirs = asset_dirs(data["points"])
    data["assets"] = measure_assets(outdirs)
    ours_code = Path(data["assets"]["ours"]["asset_dir"])
    log(f"cold-init probes ({plan.cold_init_runs} runs) on {ours_code}")
    probes = cold_start.measure(plan.cold_init_runs, ours_code)
    data["cold_init"] = {"runs": plan.cold_init_runs, "bare_key": cold_start.BARE, "probes": probes}
    data["runtime_start"] = measure_runtime_start(probes, plan.cold_init_runs)
    log(f"handlers: {plan.handler_processes} process(es) x {plan.handler_resources} resources each")
    ours_template = stack_template(outdirs["ours"])
    data["handlers"] = handlers.measure_handlers(
        ours_code,
        ours_template,
        outdirs["peer"],
        runs=plan.handler_processes,
        resources=plan.handler_resources,
    )
    if with_rate_limit:
        log("deploy under a rate limit (benchmarks.rate_limit)")
        data["rate_limit"] = rate_limit.measure_for_report(quick=plan.quick)
    data["meta"] = metadata(plan, started, load_at_start, data["handlers"])
    data["targets"] = evaluate_targets(data)
    data["target_notes"] = target_notes(data, data["targets"])
    data["caveats"] = caveats(data)
    return data


def main(argv: list[str] | None = None) -> int:
    """CLI: measure, write the docs, print where."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 1, 10; one run; no limit search")
    parser.add_argument("--out", type=Path, help="where to write (default: docs/, or a temp dir with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the synthesized cloud assemblies")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="skip 'deploy under a rate limit' (benchmarks.rate_limit)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    out = args.out or (Path(tempfile.mkdtemp(prefix="benchmarks-quick-")) if args.quick else REPO_ROOT / "docs")
    ensure_ready()
    workdir = Path(tempfile.mkdtemp(prefix="benchmarks-work-"))
    try:
        data = run(plan, workdir, with_rate_limit=not args.no_rate_limit)
    finally:
        if args.keep:
            log(f"cloud assemblies kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for path in report.write(data, out):
        print(path)
    print("\n".join(synth_cost.markdown_section(data["synth_cost"])))
    for target in data["targets"]:
        print(
            f"{'met' if target['met'] else 'MISSED' if target['met'] is False else 'n/a':6} {target['target']}: "
            f"{target['figure']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
