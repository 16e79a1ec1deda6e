"""Every documented example runs as pasted, where a user would paste it: next to the installed wheel only.

Each Python block of the README and the docs pages that imports ``cdk_appintegrations``
is a complete program. It runs here as ``python app.py`` in the packaging tier's fresh
virtualenv (the built wheel and its dependencies, nothing from this repository, no AWS
account, no CDK context), and must synthesize at least one
``Custom::DataIntegrationAssociationExecution``. A block shown on two pages (the README's
example is also the docs' home page's, ``app.py`` is shown whole on two pages) runs once.

The example app, ``app.py``, is one of them: the pages show it, whole and in sections,
from the file itself, so what a reader pastes is what the construct tier scans with
checkov, the Control Tower rules, cfn-lint-serverless and cdk-nag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE

from tests.docs.markdown_blocks import EXAMPLE_FILES, Block, all_blocks, imports_the_library
from tests.packaging.consumer import Consumer

pytestmark = [pytest.mark.packaging, pytest.mark.slow]


def _programs() -> dict[str, list[Block]]:
    """Each distinct program, with every block that shows it."""
    programs: dict[str, list[Block]] = {}
    for block in all_blocks():
        if imports_the_library(block):
            programs.setdefault(block.text, []).append(block)
    return programs


PROGRAMS = _programs()


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }


def test_the_documented_examples_are_the_ones_found() -> None:
    """The collection itself: a page that stops importing the library must not silently drop out of the run."""
    shown = {include for blocks in PROGRAMS.values() for block in blocks for include in block.includes}
    assert shown >= EXAMPLE_FILES, sorted(EXAMPLE_FILES - shown)
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
