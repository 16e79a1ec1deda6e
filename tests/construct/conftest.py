"""Each app of the construct tier is synthesized once per session; the tests read its cloud assembly.

jsii starts once per process, and a synth costs seconds, so the tests share
session-scoped assemblies and never synthesize on their own. The scale figures
(resource count, policy bytes, synth seconds) are printed at the end of the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.construct import stacks
from tests.construct.synthesized import FIGURES, SCALE_CASES, Synthesized, synthesize


@pytest.fixture(scope="session")
def main_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The example stack plus literal, env-agnostic and token stacks, cdk-nag registered."""
    return synthesize(tmp_path_factory.mktemp("main"), stacks.build_main_app)


@pytest.fixture(scope="session")
def locked_down_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The locked-down example (every ExecutionProvider option), cdk-nag's five packs registered."""
    return synthesize(tmp_path_factory.mktemp("locked-down"), stacks.build_locked_down_app)


@pytest.fixture(scope="session")
def default_example_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The default example alone, cdk-nag's five packs registered: its documented findings are in the report."""
    return synthesize(tmp_path_factory.mktemp("default"), stacks.build_default_example_app, findings_expected=True)


@pytest.fixture(scope="session")
def scale_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    """One app per scale case, cdk-nag registered, each timed."""
    apps: dict[str, Synthesized] = {}
    for name, (executions, data_integrations) in SCALE_CASES.items():

        def build(outdir: Path, name: str = name, n: int = executions, d: int = data_integrations) -> cdk.App:
            return stacks.build_scale_app(outdir, name, n, d)

        apps[name] = synthesize(tmp_path_factory.mktemp(name.lower()), build)
    return apps


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("cdk_appintegrations scale figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
