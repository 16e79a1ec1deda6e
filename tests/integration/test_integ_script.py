"""``scripts/integ.sh`` refuses what it must refuse before it starts anything.

``--deploy`` must never reach integ-runner without a Region where Q in Connect exists (the
deploy would fail late, on the knowledge base, after creating the rest), and an unknown
option must not fall through to a default mode.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "integ.sh"


def run(*args: str, region: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    if region is not None:
        env["AWS_REGION"] = region
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_deploy_refuses_a_region_without_q_in_connect() -> None:
    done = run("--deploy", region="us-east-2")
    assert done.returncode == 2
    assert "Amazon Q in Connect is not in us-east-2" in done.stderr
    assert "us-east-1" in done.stderr  # it names the Regions that would do


def test_deploy_needs_a_region() -> None:
    done = run("--deploy", region=None)
    assert done.returncode == 2
    assert "set AWS_REGION" in done.stderr


def test_an_unknown_option_is_refused() -> None:
    done = run("--deploy-everything", region="us-east-1")
    assert done.returncode == 2
    assert "unknown option '--deploy-everything'" in done.stderr
