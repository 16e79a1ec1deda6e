"""The README is the PyPI page: what it may link to, and that its example is the tested one.

PyPI renders the README without the repository around it, so a relative link (to
``docs/...`` or ``CONTRIBUTING.md``) is dead there; an anchor must name a heading of the
page itself. The docs site includes ``examples/quickstart.py`` where the README, which
cannot include files, has a copy: the copy must stay the file, character for character,
so that the packaging tier's run of the file is a run of what PyPI shows.
"""

from __future__ import annotations

import re

import pytest

from tests.docs.markdown_blocks import REPO_ROOT, blocks, imports_the_library

pytestmark = pytest.mark.docs

README = REPO_ROOT / "README.md"
#: The first screen: an example longer than this no longer fits it.
MAX_EXAMPLE_LINES = 30


def _links(markdown: str) -> list[str]:
    """Targets of inline links and images, and of reference definitions (code spans and blocks left out)."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)", prose)
    references = re.findall(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", prose, flags=re.M)
    return inline + references


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading (PyPI keeps no anchors of its own, so only these can work)."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def test_the_readme_links_only_to_absolute_urls_or_its_own_headings() -> None:
    markdown = README.read_text()
    anchors = {_slug(h) for h in re.findall(r"^#+\s+(.*)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)}
    for target in _links(markdown):
        if target.startswith("#"):
            assert target[1:] in anchors, f"README links to #{target[1:]}, which is no heading of it"
        else:
            assert re.match(r"https://", target), f"README links to {target!r}: dead on PyPI"


def test_the_readme_has_no_html_comment_but_the_marked_ones() -> None:
    """PyPI drops HTML comments, so a comment may only be a note for maintainers, never content."""
    comments = re.findall(r"<!--(.*?)-->", README.read_text(), flags=re.S)
    assert all(comment.strip().startswith("LEAD:") for comment in comments), comments


def test_the_readme_example_is_examples_quickstart_py_and_fits_the_first_screen() -> None:
    [example] = [block for block in blocks(README) if imports_the_library(block)]
    quickstart = (REPO_ROOT / "examples" / "quickstart.py").read_text()
    assert example.text == quickstart, "README's example differs from examples/quickstart.py: copy the file over"
    assert len(example.text.splitlines()) <= MAX_EXAMPLE_LINES
    assert "..." not in example.text
    assert "app.synth()" in example.text
