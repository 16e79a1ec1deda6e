"""``docs/README.md``, the folder's guide on GitHub: its links work there, and it names every page.

The site leaves it out (``exclude_docs`` in ``mkdocs.yml``), so ``mkdocs build --strict`` checks
none of its links; GitHub resolves them from ``docs/``. A page added to the site and not to its
table is a page a reader of the repository does not hear of.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.markdown_blocks import DOCS, REPO_ROOT, github_anchors, links

pytestmark = pytest.mark.docs

GUIDE = DOCS / "README.md"


def resolves(target: str, folder: Path) -> bool:
    """Whether a relative link, read from ``folder``, names a file of the repository (and a heading of it after ``#``)."""
    path, _, anchor = target.partition("#")
    resolved = (folder / path).resolve()
    if not path or not resolved.exists() or not resolved.is_relative_to(REPO_ROOT):
        return False
    return not anchor or (resolved.is_file() and anchor in github_anchors(resolved.read_text(encoding="utf-8")))


def broken_links(markdown: str, folder: Path) -> list[str]:
    """The relative links of ``markdown`` that do not resolve from ``folder`` (absolute URLs are not followed)."""
    return [target for target in links(markdown) if not re.match(r"[a-z]+:", target) and not resolves(target, folder)]


def test_the_guides_links_lead_to_files_and_headings_of_the_repository() -> None:
    markdown = GUIDE.read_text(encoding="utf-8")
    assert len(links(markdown)) > 10
    assert broken_links(markdown, GUIDE.parent) == []


def test_a_link_to_a_missing_file_or_heading_is_caught() -> None:
    markdown = (
        "[page](index.md) [gone](nowhere.md) [heading](../CONTRIBUTING.md#docs) [no heading](index.md#nothing) "
        "[folder](../examples/) [outside](../../elsewhere.md) [site](https://example.com/x.md)\n"
    )
    assert broken_links(markdown, DOCS) == ["nowhere.md", "index.md#nothing", "../../elsewhere.md"]


def test_the_guide_names_every_page_of_the_site() -> None:
    pages = {path.name for path in DOCS.glob("*.md")} - {GUIDE.name}
    linked = {target.partition("#")[0] for target in links(GUIDE.read_text(encoding="utf-8"))}
    assert len(pages) > 1
    assert sorted(pages - linked) == []
