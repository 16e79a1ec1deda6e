"""The packaging tier's shared, expensive things: the built distributions, and one consumer virtualenv.

Building takes seconds and installing the wheel with its dependencies (aws-cdk-lib is
about 70 MB) takes most of a minute, so both are done once per session and shared by
the tests of the artifacts (``test_wheel.py``) and of the documented examples
(``test_doc_examples.py``). The figures (how long the install and each synth took) are
printed at the end of the run, not asserted: a speed target lives in a benchmark.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.packaging.consumer import FIGURES, NODE_BIN, REPO_ROOT, Consumer, run


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel, built from this checkout as a release would build them."""
    outdir = tmp_path_factory.mktemp("dist")
    # setuptools leaves build/ (whose stale copies of deleted modules would ship in a later
    # wheel) and an egg-info at the repository's root (the packages map to constructs/ and
    # lambda_src/); remove what this build created.
    leftovers = [REPO_ROOT / "build", REPO_ROOT / "cdk_appintegrations.egg-info"]
    existed = {path: path.exists() for path in leftovers}
    try:
        run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(outdir)], cwd=REPO_ROOT)
    finally:
        for path in leftovers:
            if not existed[path]:
                shutil.rmtree(path, ignore_errors=True)
    [sdist] = outdir.glob("*.tar.gz")
    [wheel] = outdir.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="session")
def consumer(artifacts: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Consumer:
    """The wheel installed from PyPI's dependencies into a new virtualenv that cannot see this repository."""
    _, wheel = artifacts
    workdir = tmp_path_factory.mktemp("consumer")
    assert REPO_ROOT not in workdir.parents
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(workdir / "venv")
    python = workdir / "venv" / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CDK_OUTDIR", "CDK_CONTEXT_JSON"}
    }
    env["PATH"] = os.pathsep.join([str(python.parent), str(NODE_BIN), "/usr/bin", "/bin"])
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=workdir, env=env, timeout=1800)
    FIGURES.append(f"fresh virtualenv + pip install of the wheel: {time.perf_counter() - started:.1f} s")
    return Consumer(workdir, python, env)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("cdk_appintegrations packaging figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
