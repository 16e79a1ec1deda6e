"""What ``mkdocs build --strict`` cannot see: that the API page covers the public API, and no example hides.

mkdocs fails on broken links, missing includes and unresolved references, and the
Griffe extension fails it on an undocumented public member. It cannot know that a name
added to ``cdk_appintegrations.__all__`` has no ``:::`` entry on the API page, nor that an
example file is shown on no page (then no reader sees it, and the packaging tier, which
runs what the pages show, would not run it).
"""

from __future__ import annotations

import re

import cdk_appintegrations
import pytest

from tests.docs.markdown_blocks import DOCS, EXAMPLE_FILES, all_blocks

pytestmark = pytest.mark.docs


def test_the_api_page_documents_exactly_the_packages_exports() -> None:
    entries = re.findall(r"^::: (\S+)$", (DOCS / "api.md").read_text(), flags=re.M)
    assert len(entries) == len(set(entries)), entries
    assert set(entries) == {f"cdk_appintegrations.{name}" for name in cdk_appintegrations.__all__}


def test_every_example_file_is_shown_whole_on_a_page() -> None:
    whole = {target for block in all_blocks() for target in block.includes if ":" not in target}
    assert len(EXAMPLE_FILES) > 1, "no examples found besides app.py"
    assert whole >= EXAMPLE_FILES, sorted(EXAMPLE_FILES - whole)
