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

from tests.docs.markdown_blocks import REPO_ROOT, blocks, github_anchors, imports_the_library, links

pytestmark = pytest.mark.docs

README = REPO_ROOT / "README.md"
#: The first screen: an example longer than this no longer fits it.
MAX_EXAMPLE_LINES = 30


def test_the_readme_links_only_to_absolute_urls_or_its_own_headings() -> None:
    # GitHub's anchors: PyPI keeps no anchors of its own, so only these can work.
    markdown = README.read_text()
    anchors = github_anchors(markdown)
    for target in links(markdown):
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
