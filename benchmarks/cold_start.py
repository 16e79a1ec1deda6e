"""Cold start of the provider handler next to a bare boto3 client, in fresh processes.

Lambda bills and waits for init, and crhelper's constructor normally builds three
boto3 clients for a polling mode this provider never uses. Each sample is a new
Python process, as in a new Lambda sandbox; the figure is the median.

Usage: python -m benchmarks.cold_start [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBES = {
    "bare boto3: import + appintegrations client": ("import boto3; boto3.client('appintegrations')",),
    "handler: import + init (Delete path, no client)": ("import index",),
    "handler: import + init + appintegrations client (Create path)": (
        "import index; from appintegrations_cr import handler; handler._appintegrations()",
    ),
    "crhelper as shipped: import + CfnResource() (3 polling clients)": (
        "from crhelper import CfnResource; CfnResource(sleep_on_delete=0)",
    ),
}

TIMER = """
import time, json
started = time.perf_counter()
exec({code!r})
print(json.dumps(time.perf_counter() - started))
"""


def sample(code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(code=code)],
        cwd=ROOT / "lambda_src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


def measure(runs: int) -> dict[str, float]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "lambda_src"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    results: dict[str, list[float]] = {name: [] for name in PROBES}
    for _ in range(runs):  # interleaved, so drift hits every probe alike
        for name, (code,) in PROBES.items():
            results[name].append(sample(code, env))
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    medians = measure(args.runs)
    bare = medians["bare boto3: import + appintegrations client"]
    print(f"median of {args.runs} fresh processes, python {sys.version.split()[0]}")
    for name, seconds in medians.items():
        print(f"{seconds * 1000:8.1f} ms  {seconds / bare:5.2f}x bare  {name}")


if __name__ == "__main__":
    main()
