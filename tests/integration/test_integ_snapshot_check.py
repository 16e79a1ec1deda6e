"""The snapshot check catches a provider change: a copy of the code with another memory size must not pass.

Why: ``scripts/integ.sh`` (run by ``scripts/test.sh``) passing proves little unless it
fails when the synthesized template changes. The copy holds only what the snapshot check
synthesizes (the construct package, the handler, ``tests/integ`` with one test and its
committed snapshot), with the provider's ``MEMORY_MB`` changed; integ-runner from
``.venv-integ`` checks it, as ``scripts/integ.sh`` does, and must fail naming ``MemorySize``.
Slow (one synth through integ-runner, about half a minute): marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from testkit.synth_env import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-integ"
RUNNER = REPO / "tests" / "integ" / "node_modules" / ".bin" / "integ-runner"
TEST = "integ_knowledge_base_sync.py"
MEMORY_LINE = "MEMORY_MB = 256"


def copy_of_what_the_check_synthesizes(root: Path) -> Path:
    shutil.copytree(REPO / "lambda_src", root / "lambda_src")
    shutil.copytree(REPO / "constructs", root / "constructs")
    shutil.copy2(REPO / "app.py", root / "app.py")  # the knowledge-base stack's builders live there
    integ = root / "tests" / "integ"
    integ.mkdir(parents=True)
    (root / "tests" / "__init__.py").write_text("")
    for name in ("__init__.py", "regions.py", "knowledge_base_stack.py", TEST):
        shutil.copy2(REPO / "tests" / "integ" / name, integ / name)
    shutil.copytree(REPO / "tests" / "integ" / f"{TEST}.snapshot", integ / f"{TEST}.snapshot")
    return integ


def test_a_changed_memory_size_fails_the_snapshot_check(tmp_path: Path) -> None:
    if not (VENV / "bin" / "python").exists() or not RUNNER.exists():
        pytest.fail(f"{VENV} or integ-runner is missing: run scripts/setup.sh")
    integ = copy_of_what_the_check_synthesizes(tmp_path)
    provider = tmp_path / "constructs" / "cdk_appintegrations" / "provider.py"
    source = provider.read_text()
    assert source.count(MEMORY_LINE) == 1, "the provider's memory size moved: update this test"
    provider.write_text(source.replace(MEMORY_LINE, "MEMORY_MB = 512"))

    env = {
        **os.environ,
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        # The copy first: it shadows the editable install of the real package.
        "PYTHONPATH": os.pathsep.join(str(p) for p in (tmp_path, tmp_path / "constructs", tmp_path / "lambda_src")),
        "AWS_REGION": "us-east-1",
    }
    returncode, output = run_cli(
        [str(RUNNER), "--language", "python", "--directory", ".", "--parallel-regions", "us-east-1", TEST],
        cwd=integ,
        env=env,
    )
    assert returncode != 0, output[-3000:]
    assert "MemorySize" in output, output[-3000:]
    assert "512" in output, output[-3000:]
