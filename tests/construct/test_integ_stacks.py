"""The integration tests' stacks pass cdk-nag (AwsSolutions) and cfn-lint, like the example app.

They are what a user deploys with ``scripts/integ.sh --deploy``, so they meet the same bar
as the library's own stacks. Every test's case is synthesized (one app each: their
test-case stacks share a construct id). Only the test-case stack is built and judged: the
assertion stack is integ-tests' own (its Node.js function and managed-policy role are not
ours to change). The one acknowledged finding is the documents bucket's server access logs.

This module runs in the main venv (aws-cdk-lib 2.275) and in ``.venv-integ`` (2.257.0,
the lowest supported): ``.venv-integ/bin/python -m pytest -m construct``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import aws_cdk as cdk
import pytest

from tests.construct import stacks
from tests.construct.scanners import lint, unacknowledged
from tests.construct.synthesized import Synthesized, synthesize
from tests.integ.knowledge_base_stack import TEST_STACK_ID, build_stack

pytestmark = pytest.mark.construct

TESTS = ("integ_knowledge_base_sync", "integ_knowledge_base_sync_update", "integ_locked_down_provider")


@pytest.fixture(scope="session")
def integ_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    apps = {}
    for name in TESTS:

        def build(outdir: Path, name: str = name) -> cdk.App:
            app = stacks.new_app(outdir)
            test = importlib.import_module(f"tests.integ.{name}")  # no side effect: main() runs as a script only
            build_stack(app, test.CASE, execution_options=getattr(test, "EXECUTION_OPTIONS", None))
            return app

        apps[name] = synthesize(tmp_path_factory.mktemp(name), build)
    return apps


def test_the_test_stacks_have_no_unacknowledged_nag_findings(integ_apps: dict[str, Synthesized]) -> None:
    for synthesized in integ_apps.values():
        ours = [
            violation
            for violation in unacknowledged(synthesized.validation_report())
            if any(c["constructPath"].startswith(f"{TEST_STACK_ID}/") for c in violation.get("violatingConstructs", []))
        ]
        assert ours == []


def test_the_test_stacks_are_cfn_lint_clean(integ_apps: dict[str, Synthesized]) -> None:
    for synthesized in integ_apps.values():
        assert lint(synthesized.template_path(TEST_STACK_ID)) == []
