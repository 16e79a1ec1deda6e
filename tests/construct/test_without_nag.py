"""Properties of the synthesized provider checked directly, on an app with no cdk-nag.

The shared fixtures register cdk-nag, so a regression there fails their synth and
surfaces under unrelated tests; these say what broke, in their own names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from testkit.cfn_template import only, update_resources
from tests.construct import stacks

pytestmark = pytest.mark.construct

FIRST = "assoc-before-first-plan"
LATER = "assoc-after-first-plan"


@pytest.fixture(scope="module")
def late_grant_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, Any]]:
    """An execution added after the provider has already planned its policy once."""
    outdir: Path = tmp_path_factory.mktemp("late-grant")
    app = stacks.new_app(outdir, nag=False)
    stack = cdk.Stack(app, "LateGrant", env=stacks.ENV)
    provider = stacks.add_execution(stack, "First", "di-late", FIRST).provider
    planned_first = [resource.text for resource in provider._permissions.plan().resources]
    stacks.add_execution(stack, "Later", "di-late", LATER)
    template = app.synth().get_stack_by_name("LateGrant").template
    return planned_first, template


def test_policy_covers_executions_added_after_a_first_plan(
    late_grant_template: tuple[list[str], dict[str, Any]],
) -> None:
    planned_first, template = late_grant_template
    assert any(FIRST in text for text in planned_first)
    assert not any(LATER in text for text in planned_first)
    arns = [str(resource) for resource in update_resources(template)]
    assert any(arn.endswith(f"data-integration-association/di-late/{FIRST}") for arn in arns), arns
    assert any(arn.endswith(f"data-integration-association/di-late/{LATER}") for arn in arns), arns


def test_provider_runtime_is_python_3_14(late_grant_template: tuple[list[str], dict[str, Any]]) -> None:
    """The asset is plain sources for python3.14 (crhelper included); another runtime is untested."""
    _, template = late_grant_template
    _, function = only(template, "AWS::Lambda::Function")
    assert function["Properties"]["Runtime"] == "python3.14"
    assert function["Properties"]["Handler"] == "index.handler"
