"""What ``mkdocs build --strict`` cannot see: that no example hides.

mkdocs fails on broken links, missing includes and unresolved references, and the
Griffe extension fails it on an undocumented public member. It cannot know that an
example file is shown on no page (then no reader sees it, and the packaging tier, which
runs what the pages show, would not run it). That the API page names exactly the
package's exports is the surface test's (``tests/construct/test_public_api.py``), which
reads the public names from that page.
"""

from __future__ import annotations

import pytest

from tests.docs.markdown_blocks import EXAMPLE_FILES, all_blocks

pytestmark = pytest.mark.docs


def test_every_example_file_is_shown_whole_on_a_page() -> None:
    whole = {target for block in all_blocks() for target in block.includes if ":" not in target}
    assert len(EXAMPLE_FILES) > 1, "no examples found besides app.py"
    assert whole >= EXAMPLE_FILES, sorted(EXAMPLE_FILES - whole)
