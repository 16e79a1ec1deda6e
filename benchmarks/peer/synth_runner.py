"""Run synths (the peer's or ours) in fresh interpreters, time them, and search for the largest deployable N.

Why subprocesses: jsii start-up (a Node.js child loading aws-cdk-lib) is part of
what a user pays per ``cdk synth``, and one interpreter re-synthesizing would
hide it. Only one synth runs at a time: the target machine has 2 cores and a
synth of a few hundred constructs saturates them.

This module does not import ``aws_cdk`` itself, so importing it is cheap.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from testkit.synth_env import REPO_ROOT, synth_env

DEFAULT_GRID: Final = (1, 10, 25, 50, 100, 250, 490)
# approach -> (module, its synth(n, outdir) function); each module also has STACK_NAME.
STACK_BUILDERS: Final[Mapping[str, tuple[str, str]]] = {
    "ours": ("benchmarks.ours_stack", "synth_ours"),
    "peer": ("benchmarks.peer.peer_stack", "synth_peer"),
}
APPROACHES: Final = tuple(STACK_BUILDERS)


def synth_in_subprocess(n: int, outdir: str | Path, timeout: float = 1800.0, approach: str = "peer") -> dict[str, Any]:
    """Run ``python -m benchmarks.peer.synth_once`` for ``approach`` and return its JSON plus ``wall_s``.

    ``wall_s`` spans interpreter start to exit: what a user waits for. ``cpu_s`` is the
    user + system CPU time of the child and its descendants (jsii's node), which
    other load on the machine disturbs less; valid when this process reaps no other
    children meanwhile (synths run one at a time).
    """
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.peer.synth_once",
        "--n",
        str(n),
        "--outdir",
        str(outdir),
        "--approach",
        approach,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=synth_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {
            "n": n,
            "approach": approach,
            "ok": False,
            "error": f"exit {proc.returncode}: {proc.stderr[-4000:]}",
            "wall_s": wall,
            "cpu_s": cpu,
        }
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = wall
    result["cpu_s"] = cpu
    return result


def synth_seconds(n: int, outdir: str | Path | None = None, approach: str = "peer") -> float:
    """Wall seconds for one build+synth of ``n`` instances in a fresh interpreter.

    The caller takes the median of several runs. A failed synth still returns
    its time (CDK fails late, after building the tree).
    """
    if outdir is not None:
        return float(synth_in_subprocess(n, outdir, approach=approach)["wall_s"])
    with tempfile.TemporaryDirectory(prefix=f"{approach}-synth-") as tmp:
        return float(synth_in_subprocess(n, tmp, approach=approach)["wall_s"])


def _passes(result: Mapping[str, Any], criterion: str) -> bool:
    """``criterion`` "synth": synth succeeded; "deploy": that and no hard deploy limit hit."""
    if criterion == "synth":
        return bool(result.get("ok"))
    return bool(result.get("ok")) and bool(result.get("deployable"))


def search_largest(
    grid: Iterable[int] = DEFAULT_GRID,
    criterion: str = "deploy",
    *,
    workdir: str | Path | None = None,
    bisect: bool = True,
    max_bisect_steps: int = 8,
    points: dict[int, dict[str, Any]] | None = None,
    approach: str = "peer",
) -> dict[str, Any]:
    """Evaluate ``grid`` then bisect between the last passing and first failing N.

    ``criterion`` is "deploy" (synth passes and no deploy limit is hit) or
    "synth" (synth alone passes). Both are monotone in N here: every instance
    adds the same resources and policy bytes (the peer: two resources, one
    policy), which is what makes bisection valid. ``points`` may carry results
    from an earlier search (of the same ``approach``) so no N is synthesized
    twice. Returns every evaluated point (keyed by N), ``largest`` passing and
    ``first_failing``.
    """
    if criterion not in ("deploy", "synth"):
        raise ValueError(f"criterion must be 'deploy' or 'synth', not {criterion!r}")
    points = {} if points is None else points
    with tempfile.TemporaryDirectory(prefix=f"{approach}-search-", dir=workdir) as tmp:

        def evaluate(n: int) -> bool:
            if n not in points:
                points[n] = synth_in_subprocess(n, Path(tmp) / f"n{n}", approach=approach)
            return _passes(points[n], criterion)

        ordered = sorted(set(grid))
        last_pass: int | None = None
        first_fail: int | None = None
        for n in ordered:
            if evaluate(n):
                last_pass = n
            else:
                first_fail = n
                break
        steps = 0
        while (
            bisect
            and last_pass is not None
            and first_fail is not None
            and first_fail - last_pass > 1
            and steps < max_bisect_steps
        ):
            mid = (last_pass + first_fail) // 2
            if evaluate(mid):
                last_pass = mid
            else:
                first_fail = mid
            steps += 1
    return {
        "approach": approach,
        "criterion": criterion,
        "points": {n: points[n] for n in sorted(points)},
        "largest": last_pass,
        "first_failing": first_fail,
    }
