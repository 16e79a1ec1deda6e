"""The code blocks of the README and the docs pages, as a reader sees them.

A page either writes a block out or includes a file with pymdownx.snippets
(``--8<-- "examples/x.py"``, or a section of it: ``"app.py:name"``, or lines:
``"CHANGELOG.md:3:"``); this module resolves the includes the way the docs build does
(a section or a range of lines dedented, as ``dedent_subsections`` in mkdocs.yml asks), so
that the tests check the text that is shown, not the text that is typed. Also a page's links and
the anchors GitHub gives its headings, for the checks of the pages GitHub shows (the README, the
docs folder's guide).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
#: The Markdown a reader reads: the README (also the PyPI page) and every page of the site.
PAGES = (REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md")))
#: The programs the pages show, each a file: the example app and the examples, as ``--8<--`` names them.
EXAMPLE_FILES = frozenset(
    {"app.py", *(path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "examples").glob("*.py"))}
)

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<language>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.M | re.S,
)
_INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<target>[^"]+)"[ \t]*$', re.M)
_SECTION_MARKER = re.compile(r"^[ \t]*# --8<-- \[(start|end):\w+\][ \t]*\n", re.M)


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text with includes resolved, and what it includes."""

    page: Path
    line: int
    language: str
    text: str
    includes: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def include(target: str) -> str:
    """The text pymdownx.snippets puts in place of ``--8<-- "target"``."""
    path, _, selector = target.partition(":")
    text = (REPO_ROOT / path).read_text(encoding="utf-8")
    if not selector:
        return _SECTION_MARKER.sub("", text)
    if re.fullmatch(r"\d*:\d*", selector):
        start, end = (int(part) if part else None for part in selector.split(":"))
        lines = text.splitlines(keepends=True)
        return textwrap.dedent("".join(lines[(start or 1) - 1 : end]))
    section = re.search(
        rf"# --8<-- \[start:{selector}\][ \t]*\n(.*?)^[ \t]*# --8<-- \[end:{selector}\]", text, re.S | re.M
    )
    if section is None:
        raise LookupError(f"{path} has no section {selector!r}")
    return textwrap.dedent(_SECTION_MARKER.sub("", section.group(1)))


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, its includes resolved."""
    source = page.read_text(encoding="utf-8")
    found: list[Block] = []
    for match in _FENCE.finditer(source):
        indent = match.group("indent")
        body = "".join(line.removeprefix(indent) for line in match.group("body").splitlines(keepends=True))
        targets = tuple(m.group("target") for m in _INCLUDE.finditer(body))
        text = _INCLUDE.sub(lambda m: include(m.group("target")).rstrip("\n"), body)
        line = source.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match.group("language"), text, targets))
    return found


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def imports_the_library(block: Block) -> bool:
    """Whether a Python block imports ``cdk_appintegrations``: then it must be a complete program."""
    return block.language == "python" and bool(
        re.search(r"^\s*(from cdk_appintegrations\b|import cdk_appintegrations\b)", block.text, re.M)
    )


def links(markdown: str) -> list[str]:
    """Targets of inline links and images, and of reference definitions (code spans and blocks left out)."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)", prose)
    references = re.findall(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", prose, flags=re.M)
    return inline + references


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings (``## Integration tests`` -> ``integration-tests``)."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#+\s+(.*)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M):
        text = re.sub(r"[`*_]", "", heading.strip().lower())
        anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text)))
    return anchors
