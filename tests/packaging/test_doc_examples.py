"""Every documented example runs as pasted, where a user would paste it: next to the installed wheel only.

Each Python block of the README and the docs pages that imports ``cdk_appintegrations``
is a complete program. It runs here as ``python app.py`` in the packaging tier's fresh
virtualenv (the built wheel and its dependencies, nothing from this repository, no AWS
account, no CDK context), and must synthesize at least one
``Custom::DataIntegrationAssociationExecution``. A block shown on two pages (the README's
example is also the docs' home page's) runs once.

The two examples that stand for ``app.py``'s stacks must synthesize the same template
as ``app.py`` itself, run in the same virtualenv: that is what keeps the docs from
drifting from the app that the construct tier scans with checkov, the Control Tower
rules, cfn-lint-serverless and cdk-nag.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE

from tests.docs.markdown_blocks import Block, all_blocks, imports_the_library
from tests.packaging.consumer import REPO_ROOT, Consumer

pytestmark = [pytest.mark.packaging, pytest.mark.slow]


def _programs() -> dict[str, list[Block]]:
    """Each distinct program, with every block that shows it."""
    programs: dict[str, list[Block]] = {}
    for block in all_blocks():
        if imports_the_library(block):
            programs.setdefault(block.text, []).append(block)
    return programs


PROGRAMS = _programs()
#: The examples written out from app.py's stacks: (example, app.py's context, the stack both synthesize).
APP_STACKS = {
    "examples/knowledge_base.py": ({}, "AppIntegrationsExample"),
    "examples/locked_down.py": ({"lockedDown": "true"}, "AppIntegrationsLockedDownExample"),
}


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }


def test_the_documented_examples_are_the_ones_found() -> None:
    """The collection itself: a page that stops importing the library must not silently drop out of the run."""
    shown = {include for blocks in PROGRAMS.values() for block in blocks for include in block.includes}
    assert {f"examples/{path.name}" for path in (REPO_ROOT / "examples").glob("*.py")} <= shown
    assert any(block.page.name == "README.md" for blocks in PROGRAMS.values() for block in blocks)


@pytest.mark.parametrize("program", list(PROGRAMS), ids=[blocks[0].where for blocks in PROGRAMS.values()])
def test_each_example_synthesizes_an_execution_with_only_the_wheel_installed(
    program: str, consumer: Consumer, tmp_path: Path
) -> None:
    source = tmp_path / "app.py"
    source.write_text(program)
    consumer.synthesize(source, tmp_path / "cdk.out", label=f"example at {PROGRAMS[program][0].where}")

    types = [r["Type"] for t in _templates(tmp_path / "cdk.out").values() for r in t["Resources"].values()]
    assert RESOURCE_TYPE in types, f"{[b.where for b in PROGRAMS[program]]}: no {RESOURCE_TYPE} synthesized"


@pytest.mark.parametrize("example", list(APP_STACKS))
def test_the_example_written_out_from_app_py_synthesizes_app_pys_template(
    example: str, consumer: Consumer, tmp_path: Path
) -> None:
    context, stack = APP_STACKS[example]
    shutil.copy(REPO_ROOT / "app.py", tmp_path / "app.py")
    shutil.copy(REPO_ROOT / example, tmp_path / "example.py")
    consumer.synthesize(tmp_path / "app.py", tmp_path / "app.out", context=context, label=f"app.py {context}")
    consumer.synthesize(tmp_path / "example.py", tmp_path / "example.out", label=example)

    from_app, from_example = _templates(tmp_path / "app.out")[stack], _templates(tmp_path / "example.out")[stack]
    differing = sorted(
        name
        for name in from_app["Resources"].keys() | from_example["Resources"].keys()
        if from_app["Resources"].get(name) != from_example["Resources"].get(name)
    )
    assert differing == [], f"{example} and app.py's {stack} differ in {differing}"
    assert from_example == from_app
