"""Render the benchmark's results (the dict :mod:`benchmarks.run` builds) as markdown and a PNG.

Kept apart from the measuring so the docs can be re-rendered from ``docs/benchmarks.json``
(``python -m benchmarks.report docs/benchmarks.json``) without measuring again.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from benchmarks import synth_cost
from benchmarks.peer.peer_stack import (
    MAX_MANAGED_POLICY_BYTES,
    MAX_RESOURCES,
    MAX_ROLE_INLINE_POLICY_BYTES,
    MAX_TEMPLATE_BYTES_S3,
)

LABELS: Final = {"ours": "ours (DataIntegrationAssociationExecution)", "peer": "peer (AwsCustomResource)"}
COLORS: Final = {"ours": "tab:blue", "peer": "tab:orange"}


# -- formatting ------------------------------------------------------------------------------


def num(value: float | None, digits: int = 0) -> str:
    """``1,234`` / ``1.23``; a dash for a missing figure."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def side(point: Mapping[str, Any], approach: str) -> dict[str, Any]:
    """One approach's results at one N."""
    result: dict[str, Any] = point[approach]
    return result


def verdict(result: Mapping[str, Any]) -> str:
    """What a deploy of this synth result would do, in a few words."""
    if not result.get("ok"):
        return f"**synth fails**: {short_error(str(result.get('error') or ''))}"
    m = result["measure"]
    problems = []
    if m["over_resource_limit"]:
        problems.append(f"{m['resources']} resources > {MAX_RESOURCES}")
    if m["over_template_limit"]:
        problems.append(f"template {num(m['template_bytes_minified'])} B > {num(MAX_TEMPLATE_BYTES_S3)} B")
    if m["over_role_inline_policy_limit"]:
        problems.append(
            f"IAM: role inline policies {num(m['provider_role_inline_policy_bytes_resolved'])} B"
            f" > {num(MAX_ROLE_INLINE_POLICY_BYTES)} B"
        )
    if m.get("over_managed_policy_limit"):
        problems.append(
            f"IAM: a managed policy of {num(m['provider_role_managed_policy_bytes_resolved'])} B"
            f" > {num(MAX_MANAGED_POLICY_BYTES)} B"
        )
    if problems:
        return "**deploy fails** (synth passes): " + "; ".join(problems)
    return "ok (template via S3)" if m["needs_s3_template_upload"] else "ok"


def short_error(error: str) -> str:
    """The first line of CDK's message, trimmed (the 500-resource one before its per-type counts)."""
    for line in error.splitlines():
        text = line.strip()
        if text and not text.startswith(("at ", "File ", "Traceback", "jsii.errors")):
            head, sep, _counts = text.partition(" is greater than allowed maximum of 500")
            return head + sep if sep else text[:160]
    return error[:160]


def ratio_text(value: float | None) -> str:
    """``0.62x``, or a dash."""
    return "-" if value is None else f"{value:.2f}x"


# -- markdown --------------------------------------------------------------------------------


def table(headers: Sequence[str], aligns: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table; ``aligns`` has one letter per column, ``l`` or ``r``."""
    rule = {"l": "---", "r": "---:"}
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(rule[a] for a in aligns) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


Cell = Callable[[Mapping[str, Any]], str]


def _both(cell: Cell) -> Cell:
    """A column showing ``cell`` of ours, then of the peer, at one N."""
    return lambda p: f"{cell(side(p, 'ours'))} / {cell(side(p, 'peer'))}"


def _point_table(points: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str, Cell]]) -> list[str]:
    """One row per N, one column per ``(header, align, cell)``."""
    return table([c[0] for c in columns], "".join(c[1] for c in columns), ([c[2](p) for c in columns] for p in points))


def _shape_table(points: Sequence[Mapping[str, Any]]) -> list[str]:
    return _point_table(
        points,
        [
            ("N", "r", lambda p: str(p["n"])),
            ("resources ours / peer", "r", _both(lambda r: _fig(r, "resources"))),
            ("template bytes ours / peer", "r", _both(lambda r: _fig(r, "template_bytes_minified"))),
            (
                "role policy bytes (inline + managed) ours / peer",
                "r",
                _both(lambda r: _fig(r, "provider_role_policy_bytes_resolved")),
            ),
            ("ARNs in the policy ours / peer", "r", _both(_scope)),
            ("synth s ours / peer (median)", "r", _both(_synth)),
            ("ratio ours/peer", "r", lambda p: ratio_text(p.get("synth_ratio"))),
            ("deploy: ours", "l", lambda p: verdict(side(p, "ours"))),
            ("deploy: peer", "l", lambda p: verdict(side(p, "peer"))),
        ],
    )


def _synth_detail_table(points: Sequence[Mapping[str, Any]]) -> list[str]:
    return _point_table(
        points,
        [
            ("N", "r", lambda p: str(p["n"])),
            ("wall s, every run: ours", "l", lambda p: _samples(side(p, "ours"))),
            ("wall s, every run: peer", "l", lambda p: _samples(side(p, "peer"))),
            ("CPU s ours / peer (median)", "r", _both(lambda r: num(r.get("synth_cpu_median_s"), 2))),
            ("wall: median of per-round ratios", "r", lambda p: ratio_text(p.get("synth_paired_ratio"))),
            ("CPU ratio (of medians)", "r", lambda p: ratio_text(p.get("synth_cpu_ratio"))),
        ],
    )


def _samples(result: Mapping[str, Any]) -> str:
    text = ", ".join(f"{s:.2f}" for s in result.get("synth_s", []))
    return text if result.get("ok") else f"{text} (fails)"


def _slope_lines(slope: Mapping[str, Any]) -> list[str]:
    if slope.get("ours") is None:
        return []
    return [
        f"Synth time per extra association (slope of the medians from N = {slope['from_n']} to"
        f" N = {slope['to_n']}): ours {num(slope['ours'], 1)} ms, peer {num(slope['peer'], 1)} ms. The rest is"
        " fixed cost: interpreter and jsii start-up, importing the construct library, writing `cdk.out`."
    ]


def _fig(result: Mapping[str, Any], key: str) -> str:
    """A template measure, or a dash when synth failed."""
    return num(result["measure"][key]) if result.get("ok") else "-"


def _scope(result: Mapping[str, Any]) -> str:
    """AppIntegrations ARNs the policies name, with how many of them are wildcards."""
    scope = result.get("policy_scope")
    if not scope:
        return "-"
    return f"{scope['arns']}" + (f" ({scope['wildcards']} wildcards)" if scope["wildcards"] else "")


def _synth(result: Mapping[str, Any]) -> str:
    """Median synth seconds; a failing synth's time in parentheses."""
    text = num(result.get("synth_median_s"), 2)
    if result.get("ok"):
        return text
    return f"({text}, fails)" if result.get("synth_s") else "-"


def _limits_table(search: Mapping[str, Any]) -> list[str]:
    rows = []
    for approach in ("ours", "peer"):
        s = search.get(approach)
        if not s:
            rows.append([LABELS[approach], "not searched (quick mode)", "", "", ""])
            continue
        first_bad = s.get("first_undeployable")
        why = verdict(s["points"][str(first_bad)]) if first_bad is not None else "none in the grid"
        rows.append(
            [
                LABELS[approach],
                f"**{s.get('largest_deployable')}**",
                f"{first_bad}: {why}",
                str(s.get("largest_synthesizable")),
                str(s.get("first_unsynthesizable")),
            ]
        )
    headers = ["", "largest N that deploys", "first N that does not, and why", "largest N that synthesizes"]
    return table([*headers, "first N that does not"], "lrlrr", rows)


def _handler_table(handlers: Mapping[str, Any], runtime: Mapping[str, Any]) -> list[str]:
    ours, peer = handlers["ours"], handlers["peer"]

    def row(label: str, key: str) -> list[str]:
        return [label, num(ours[key], 1), num(peer[key], 1)]

    rows = [
        ["runtime start: empty program, process wall time", num(runtime["python_ms"], 1), num(runtime["node_ms"], 1)],
        row("handler import (Lambda init)", "import_ms"),
        row("first (cold) Create", "cold_create_ms"),
        [f"**{c}**" for c in row("cold init = import + (cold Create - warm Create)", "cold_init_ms")],
        *(row(f"warm {t}", f"warm_{t.lower()}_ms") for t in ("Create", "Update", "Delete")),
        row("cold Delete (first event of a fresh process, after the import)", "cold_delete_ms"),
        row("slowest Delete seen", "delete_max_ms"),
    ]
    return table(["ms (median)", "ours (Python, boto3)", "peer (Node.js, SDK v3)"], "lrr", rows)


def _cold_init_table(probes: Mapping[str, Any], bare_key: str) -> list[str]:
    bare = probes[bare_key]["inner_s"]
    rows = [
        [
            name,
            num(figures["inner_s"] * 1000, 1),
            f"{figures['inner_s'] / bare:.2f}x",
            f"{figures['paired_ratio']:.2f}x" if "paired_ratio" in figures else "-",
        ]
        for name, figures in probes.items()
        if figures["inner_s"] >= 0.001  # the empty program is reported as runtime start
    ]
    headers = ["fresh `python -S` process, only boto3 besides the asset", "ms (median)", "vs bare boto3"]
    return table([*headers, "median of per-round ratios"], "lrrr", rows)


def _targets_table(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    marks = {True: "**met**", False: "**missed**", None: "not measured"}
    return table(["target", "measured", ""], "lll", ([t["target"], t["figure"], marks[t["met"]]] for t in targets))


def _versions_lines(meta: Mapping[str, Any]) -> list[str]:
    m, v = meta["machine"], meta["versions"]
    return [
        f"* Date: {meta['date']} (UTC); run took {num(meta['wall_s'] / 60, 1)} min; mode: {meta['mode']}"
        f"; repository at {meta.get('git', '?')}; 1-minute load average {meta['load_average_1m']['start']:.2f}"
        f" at the start, {meta['load_average_1m']['end']:.2f} at the end.",
        f"* Machine: {m['uname_m']}, {m['cores']} cores ({m['cpu']}), {m['os']}; {m['python']}; node {m['node']}.",
        f"* aws-cdk-lib {v['aws-cdk-lib']}, constructs {v['constructs']}, jsii {v['jsii']} (CDK CLI not used:"
        " synth is `App.synth()` in a fresh interpreter, which is what `cdk synth` runs).",
        f"* Ours: crhelper {v['crhelper']} (shipped in the asset), boto3 {v['boto3']} / botocore {v['botocore']}"
        " (the runtime's, not shipped).",
        f"* Peer: `@aws-sdk/client-appintegrations` {v['client-appintegrations']} from npm, with one command"
        " shimmed (see *Caveats*).",
        f"* Plot: matplotlib {v['matplotlib']}.",
    ]


def markdown(data: Mapping[str, Any]) -> str:
    """The whole of ``docs/benchmarks.md``."""
    meta = data["meta"]
    assets = data["assets"]
    lines = [
        "# Benchmarks: this construct vs `AwsCustomResource`",
        "",
        "<!-- generated by `python -m benchmarks.run`; edit benchmarks/report.py, not this file -->",
        "",
        "One command runs both approaches in the same run, on the same N associations (same ids,"
        " same ON_DEMAND configuration, same account and region):",
        "",
        "```sh",
        ". .venv/bin/activate",
        meta["command"],
        "```",
        "",
        "It writes this file, `docs/benchmarks.png` and `docs/benchmarks.json` (all figures)."
        " `--quick` is a smoke run (N = 1 and 10, one run each, no limit search) that writes to a"
        " temporary directory unless `--out` is given.",
        "",
        "The peer is what a CDK user writes today: per association one `AwsCustomResource` with"
        " `AwsSdkCall(service='AppIntegrations', action='updateDataIntegrationAssociation')` on create and"
        " update, `install_latest_aws_sdk=False`, and `AwsCustomResourcePolicy.from_sdk_calls` scoped to the"
        " same association ARNs our provider's policy allows (`benchmarks/peer/`).",
        "",
        *_versions_lines(meta),
        "",
        "## Targets",
        "",
        *_targets_table(data["targets"]),
        "",
        *(f"* {note}" for note in data.get("target_notes", [])),
        "",
        *([*synth_cost.markdown_section(data["synth_cost"]), ""] if "synth_cost" in data else []),
        "## Shape at scale",
        "",
        "Resources = `len(Resources)`; template bytes = the template as compact JSON (what"
        " CloudFormation counts; CDK's indented file is larger, see the JSON); role inline policy bytes ="
        " every inline policy on the provider function's role, compact, with `Fn::Join`, `Fn::Sub` and pseudo"
        " parameters resolved, and the log group's ARN at its deployed length, as IAM receives them"
        " (IAM's quota: 10,240 for all of a role's inline policies together)."
        " Limits: 500 resources, 1,000,000 template bytes (above 51,200 the template goes via S3, which"
        " CDK does by itself), 10,240 policy bytes. Synth time = wall time of a fresh interpreter that"
        " imports CDK, builds the app and synthesizes it (jsii start-up included, as in `cdk synth`);"
        f" median of {meta['runs']['synth']} run(s) per point ({meta['runs']['synth_large']} at N ≥"
        f" {meta['runs']['large_n']}), the two approaches alternating. A synth that fails is timed once"
        " (in parentheses).",
        "",
        *_shape_table(data["points"]),
        "",
        *_slope_lines(data.get("synth_slope_ms", {})),
        "",
        "Every synth, and CPU time (user + system of the interpreter and jsii's node; less disturbed by other"
        " load on the machine than wall time):",
        "",
        *_synth_detail_table(data["points"]),
        "",
        f"Largest N per stack (bisection between the grid points {', '.join(str(n) for n in data['search_grid'])}):"
        if data.get("search_grid")
        else "Largest N per stack: not searched in quick mode.",
        "",
        *_limits_table(data.get("search", {})),
        "",
        "![resources, template bytes, policy bytes and synth time against N](benchmarks.png)",
        "",
        "## Lambda asset",
        "",
        *table(
            ["", "files", "raw bytes", "zipped bytes (deterministic DEFLATE)", "function"],
            "llrrl",
            (
                [
                    LABELS[a],
                    assets[a]["files"],
                    num(assets[a]["raw_bytes"]),
                    f"**{num(assets[a]['zipped_bytes'])}**",
                    _function(assets[a]["function"]),
                ]
                for a in ("ours", "peer")
            ),
        ),
        "",
        "## Handler cost",
        "",
        *_handler_section(data),
        "",
        *_rate_limit_section(data),
        "## Caveats",
        "",
        *data["caveats"],
        "",
    ]
    return "\n".join(lines)


RATE_LIMIT_PNG: Final = "benchmarks-rate-limit.png"


def _rate_limit_section(data: Mapping[str, Any]) -> list[str]:
    """ "Deploy under a rate limit", when the run measured it (``data["rate_limit"]``)."""
    if "rate_limit" not in data:
        return []
    from benchmarks import rate_limit

    return [
        "## Deploy under a rate limit",
        "",
        *rate_limit.report_section(dict(data["rate_limit"])),
        f"![executions' wall time and SUCCESS out of N under a rate limit]({RATE_LIMIT_PNG})",
        "",
    ]


def _function(f: Mapping[str, Any]) -> str:
    return f"`{f['runtime']}`, {f['architecture']}, {f['memory_mb']} MB, timeout {f['timeout_s']} s"


def _handler_section(data: Mapping[str, Any]) -> list[str]:
    h = data["handlers"]
    cold = data["cold_init"]
    return [
        "Against the local AppIntegrations emulator (`testkit/emulator.py`) and an HTTPS stand-in for"
        " CloudFormation's ResponseURL (`testkit/cfn_receiver.py`); every answer is checked (SUCCESS,"
        " one PUT, the expected number of API calls). Ours runs the synthesized asset from `cdk.out` in a"
        " Lambda-like `python -S` process that sees the asset and boto3 only"
        " (`testkit/lambda_process.py`); the peer runs the bundled `index.js` of AwsCustomResource"
        " under Node (`benchmarks/node_peer/`). Each process handles Create, Update, Delete for each of"
        f" {h['resources_per_process']} resources, the first event being the cold one; {h['ours']['processes']}"
        " processes per provider, interleaved; plus as many single-Delete processes (cold Delete). Our Update"
        " changes `RerunToken`, so it calls the API like the peer's Update. Times are the handler's own"
        " (CloudFormation PUT included), as Lambda bills them.",
        "",
        *_handler_table(h, data["runtime_start"]),
        "",
        "Cold init, the figure the target is about: import of our asset's `index` plus creating the"
        " AppIntegrations client (what the first Create adds), next to a bare `import boto3;"
        f" boto3.client('appintegrations')`, each in {cold['runs']} fresh processes (interleaved), same"
        " sandbox:",
        "",
        *_cold_init_table(cold["probes"], cold["bare_key"]),
    ]


# -- plot ------------------------------------------------------------------------------------


def _series(points: Sequence[Mapping[str, Any]], approach: str, key: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for p in points:
        res = side(p, approach)
        if res.get("ok"):
            xs.append(int(p["n"]))
            ys.append(float(res["measure"][key]))
    return xs, ys


def plot(data: Mapping[str, Any], path: Path) -> None:
    """Four panels against N: resources, template bytes, role inline policy bytes, synth seconds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = data["points"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    panels = [
        (axes[0][0], "resources", "CloudFormation resources", MAX_RESOURCES, "500-resource limit"),
        (axes[0][1], "template_bytes_minified", "template bytes (compact JSON)", MAX_TEMPLATE_BYTES_S3, "1 MB limit"),
        (
            axes[1][0],
            "provider_role_policy_bytes_resolved",
            "provider role policy bytes (inline + customer-managed)",
            MAX_ROLE_INLINE_POLICY_BYTES,
            "IAM 10,240 inline limit (the peer's)",
        ),
    ]
    for ax, key, title, limit, limit_label in panels:
        for approach in ("ours", "peer"):
            xs, ys = _series(points, approach, key)
            ax.plot(xs, ys, "o-", color=COLORS[approach], label=LABELS[approach])
            bad = [(x, y) for x, y, p in zip(xs, ys, _ok_points(points, approach), strict=True) if not p["deployable"]]
            if bad:
                ax.scatter(*zip(*bad, strict=True), s=120, facecolors="none", edgecolors="red", zorder=5)
        ax.axhline(limit, color="red", linestyle="--", linewidth=1, label=limit_label)
        ax.set_title(title)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N associations")
        ax.grid(True, which="both", alpha=0.3)
    axes[1][0].scatter([], [], s=120, facecolors="none", edgecolors="red", label="synth passes, deploy fails")
    first_wildcard = next((p for p in points if (side(p, "ours").get("policy_scope") or {}).get("wildcards")), None)
    if first_wildcard is not None:
        ours = side(first_wildcard, "ours")
        axes[1][0].annotate(
            "ours: per-data-integration\nwildcards from here",
            xy=(first_wildcard["n"], ours["measure"]["provider_role_policy_bytes_resolved"]),
            xytext=(0.55, 0.12),
            textcoords="axes fraction",
            fontsize=7,
            arrowprops={"arrowstyle": "->", "color": COLORS["ours"]},
        )
    for ax, *_ in panels:
        ax.legend(fontsize=7, loc="upper left")
    ax = axes[1][1]
    for approach in ("ours", "peer"):
        ok = [(p["n"], side(p, approach)["synth_median_s"]) for p in points if side(p, approach).get("ok")]
        failed = [
            (p["n"], side(p, approach)["synth_median_s"])
            for p in points
            if not side(p, approach).get("ok") and side(p, approach).get("synth_median_s") is not None
        ]
        if ok:
            ax.plot(*zip(*ok, strict=True), "o-", color=COLORS[approach], label=LABELS[approach])
        if failed:
            ax.scatter(*zip(*failed, strict=True), marker="x", color=COLORS[approach], label=f"{approach}: synth fails")
    ax.set_title("synth wall time, fresh interpreter (median)")
    ax.set_xscale("log")
    ax.set_xlabel("N associations")
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    meta = data["meta"]
    fig.suptitle(
        f"cdk-appintegrations vs AwsCustomResource — {meta['date'][:10]}, {meta['machine']['uname_m']},"
        f" {meta['machine']['cores']} cores, aws-cdk-lib {meta['versions']['aws-cdk-lib']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ok_points(points: Sequence[Mapping[str, Any]], approach: str) -> list[dict[str, Any]]:
    return [side(p, approach) for p in points if side(p, approach).get("ok")]


def with_policy_totals(data: dict[str, Any]) -> dict[str, Any]:
    """Results recorded before 0.4.0, whose measures know only inline policies (all there was), made current."""
    for point in data.get("points", []):
        for result in (value for value in point.values() if isinstance(value, dict)):
            measure = result.get("measure")
            if isinstance(measure, dict) and "provider_role_policy_bytes_resolved" not in measure:
                measure["provider_role_policy_bytes_resolved"] = measure["provider_role_inline_policy_bytes_resolved"]
                measure.setdefault("over_managed_policy_limit", False)
    return data


def write(data: Mapping[str, Any], out: Path) -> list[Path]:
    """``benchmarks.md``, ``benchmarks.png`` and ``benchmarks.json`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    md, png, js = out / "benchmarks.md", out / "benchmarks.png", out / "benchmarks.json"
    js.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md.write_text(markdown(data), encoding="utf-8")
    plot(data, png)
    written = [md, png, js]
    if "synth_cost" in data:
        synth_cost.plot(data["synth_cost"], out / synth_cost.PNG)
        written.insert(2, out / synth_cost.PNG)
    if "rate_limit" in data:
        from benchmarks import rate_limit

        rate_limit.plot(dict(data["rate_limit"]), out / RATE_LIMIT_PNG)
        written.insert(2, out / RATE_LIMIT_PNG)
    return written


def main(argv: list[str] | None = None) -> int:
    """CLI: re-render markdown and PNG from a results JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    data = with_policy_totals(json.loads(args.results.read_text(encoding="utf-8")))
    for path in write(data, args.out or args.results.parent):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
