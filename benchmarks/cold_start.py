"""Cold start of the provider handler next to a bare boto3 client, in fresh Lambda-like processes.

Lambda bills and waits for init, and crhelper's constructor normally builds three
boto3 clients for a polling mode this provider never uses. Each sample is a new
``python -S`` process whose ``sys.path`` is the code directory, then only boto3
and its dependencies (``testkit.lambda_process.package_shim``), as the
Lambda Python runtime provides; the figure is the median. The code directory
is ``lambda_src/`` by default (crhelper then comes from a shim as well), or a
synthesized asset (``--code-dir cdk.out/asset.<hash>``), which ships crhelper.

Usage: python -m benchmarks.cold_start [--runs 15] [--code-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from testkit.lambda_process import RUNTIME_PACKAGES, lambda_environment, package_shim

ROOT: Final = Path(__file__).resolve().parent.parent

BARE: Final = "bare boto3: import + appintegrations client"
HANDLER_CLIENT: Final = "handler: import + init + appintegrations client (Create path)"
EMPTY: Final = "python -S start (empty program)"
PROBES: Final = {
    BARE: "import boto3; boto3.client('appintegrations')",
    "handler: import + init (Delete path, no client)": "import index",
    HANDLER_CLIENT: "import index; from appintegrations_cr import handler; handler._appintegrations()",
    "crhelper as shipped: import + CfnResource() (3 polling clients)": (
        "from crhelper import CfnResource; CfnResource(sleep_on_delete=0)"
    ),
    EMPTY: "pass",
}

TIMER: Final = """
import time, json
started = time.perf_counter()
exec({code!r})
print(json.dumps(time.perf_counter() - started))
"""


def sandbox_env(code_dir: Path) -> dict[str, str]:
    """Lambda's variables, ``PYTHONPATH`` = ``code_dir`` + crhelper (only if not shipped) + boto3."""
    shims = [package_shim(*RUNTIME_PACKAGES)]
    if not (code_dir / "crhelper").is_dir():
        shims.insert(0, package_shim("crhelper", exclude=RUNTIME_PACKAGES))
    return lambda_environment(code_dir, handler="index.handler", python_path=[code_dir, *shims])


def sample(code: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """One fresh ``python -S`` process: (seconds ``code`` took inside it, wall seconds of the process)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-S", "-c", TIMER.format(code=code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - started
    return float(json.loads(out.strip().splitlines()[-1])), wall


def measure(runs: int, code_dir: Path = ROOT / "lambda_src") -> dict[str, dict[str, float]]:
    """Per probe: median in-process seconds (``inner_s``), median process wall seconds (``wall_s``) and
    ``paired_ratio``, the median over rounds of the probe's time / the bare boto3 probe's in the same round
    (the rounds are interleaved, so this cancels drift across the run).
    """
    code_dir = code_dir.resolve()
    env = sandbox_env(code_dir)
    inner: dict[str, list[float]] = {name: [] for name in PROBES}
    wall: dict[str, list[float]] = {name: [] for name in PROBES}
    for _ in range(runs):  # interleaved, so drift hits every probe alike
        for name, code in PROBES.items():
            seconds, process_seconds = sample(code, env, code_dir)
            inner[name].append(seconds)
            wall[name].append(process_seconds)
    return {
        name: {
            "inner_s": statistics.median(inner[name]),
            "wall_s": statistics.median(wall[name]),
            "paired_ratio": statistics.median(a / b for a, b in zip(inner[name], inner[BARE], strict=True)),
            "min_s": min(inner[name]),
            "max_s": max(inner[name]),
            "runs": runs,
        }
        for name in PROBES
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: print each probe's median and its ratio to the bare boto3 client."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--code-dir", type=Path, default=ROOT / "lambda_src")
    args = parser.parse_args(argv)
    medians = measure(args.runs, args.code_dir)
    bare = medians[BARE]["inner_s"]
    print(f"median of {args.runs} fresh processes, python {sys.version.split()[0]}, code {args.code_dir}")
    for name, figures in medians.items():
        seconds, process = figures["inner_s"], figures["wall_s"]
        print(f"{seconds * 1000:8.1f} ms  {seconds / bare:5.2f}x bare  (process {process * 1000:6.1f} ms)  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
