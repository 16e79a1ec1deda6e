"""The raw CloudFormation the docs show is a template CloudFormation and the provider would both accept.

Each YAML block that declares a ``Custom::DataIntegrationAssociationExecution`` is linted
with cfn-lint, as a template of its own when it has ``Resources`` or inside a minimal one
when it is a fragment of resources. The properties of each such resource then go
through the handler's own contract, as CloudFormation would deliver them (every value a
string, ``ServiceToken`` included), so an example cannot show a property the provider
refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE
from appintegrations_cr.contract import parse_properties
from cfnlint.api import lint  # type: ignore[import-untyped]
from cfnlint.decode.cfn_yaml import loads  # type: ignore[import-untyped]

from tests.docs.markdown_blocks import Block, all_blocks

pytestmark = pytest.mark.docs

BLOCKS = [block for block in all_blocks() if block.language == "yaml" and RESOURCE_TYPE in block.text]


def _template(block: Block) -> tuple[str, dict[str, Any]]:
    """The block as a whole template: itself when it has Resources, else its resources in a minimal one."""
    parsed = loads(block.text)
    if "Resources" in parsed:
        text = block.text
    else:
        indented = "".join(f"  {line}" for line in block.text.splitlines(keepends=True))
        text = f"Resources:\n{indented}"
    text = f"AWSTemplateFormatVersion: '2010-09-09'\n{text}"
    return text, loads(text)


def _as_delivered(value: object) -> object:
    """What CloudFormation sends the provider: every scalar as a string."""
    if isinstance(value, dict):
        return {key: _as_delivered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_delivered(item) for item in value]
    return str(value)


def test_the_docs_show_raw_cloudformation() -> None:
    assert BLOCKS, f"no YAML block declares a {RESOURCE_TYPE}"


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_the_block_passes_cfn_lint(block: Block) -> None:
    text, _ = _template(block)
    assert [str(match) for match in lint(text)] == []


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_each_executions_properties_pass_the_providers_contract(block: Block) -> None:
    _, template = _template(block)
    executions = [r for r in template["Resources"].values() if r["Type"] == RESOURCE_TYPE]
    assert executions
    for resource in executions:
        request = parse_properties(_as_delivered(resource["Properties"]))
        assert request.execution_configuration["ExecutionMode"] in {"ON_DEMAND", "SCHEDULED"}
