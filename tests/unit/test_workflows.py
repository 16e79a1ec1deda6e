"""What the workflows' linters do not check: the pins say their version, one per action, and CI runs the README.

``scripts/test.sh`` runs actionlint and zizmor over ``.github/workflows``: zizmor refuses an action
not pinned by commit, but not a pin without the version it stands for, which is what a reviewer
(and an update) reads. One action pinned at two commits is two versions of it in one repository.
And the CI workflow is the README's promise that its two commands are what CI runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.markdown_blocks import blocks

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
_USES = re.compile(r"^[ \t]*(?:-[ \t]+)?uses:[ \t]*(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<comment>.*)$", re.M)
_PINNED = re.compile(r"[0-9a-f]{40}")
_VERSION_COMMENT = re.compile(r"\s+# v\d+(\.\d+){2}")
_RUN = re.compile(r"^[ \t]*(?:-[ \t]+)?run:[ \t]*(?P<command>[^|>\s].*)$", re.M)


def uses_problems(workflow: str) -> list[str]:
    """What is wrong with each ``uses:`` of a workflow: no commit pin, or no ``# vX.Y.Z`` after it."""
    problems: list[str] = []
    for match in _USES.finditer(workflow):
        action, ref, comment = match.group("action", "ref", "comment")
        if action.startswith("./"):
            continue
        if not _PINNED.fullmatch(ref):
            problems.append(f"{action}@{ref} is not pinned by a full commit id")
        if not _VERSION_COMMENT.fullmatch(comment):
            problems.append(f"{action}@{ref} has no '# vX.Y.Z' comment naming the version of its commit")
    return problems


def test_there_are_the_three_workflows() -> None:
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == ["ci.yml", "docs.yml", "release.yml"]


def test_every_action_is_pinned_by_commit_with_its_version_and_at_one_commit() -> None:
    pins: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert _USES.search(text), f"{path.name} uses no action"
        assert uses_problems(text) == [], path.name
        for match in _USES.finditer(text):
            pins.setdefault(match.group("action"), set()).add(f"{match.group('ref')}{match.group('comment')}")
    assert {action: sorted(refs) for action, refs in pins.items() if len(refs) > 1} == {}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("- uses: actions/checkout@v7", "actions/checkout@v7 is not pinned by a full commit id"),
        ("  uses: actions/checkout@3d3c42e # v7.0.1", "actions/checkout@3d3c42e is not pinned"),
        ("- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "has no '# vX.Y.Z' comment"),
        ("- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7", "has no '# vX.Y.Z' comment"),
    ],
    ids=["tag", "short-commit", "no-comment", "major-only"],
)
def test_a_pin_without_a_full_commit_or_its_version_is_named(line: str, problem: str) -> None:
    assert any(problem in found for found in uses_problems(f"steps:\n{line}\n")), uses_problems(line)


def test_ci_runs_the_readmes_two_commands() -> None:
    [develop] = [block for block in blocks(REPO_ROOT / "README.md") if "./scripts/setup.sh" in block.text]
    documented = [line.split("#")[0].strip() for line in develop.text.splitlines()]
    ci = [match.group("command").strip() for match in _RUN.finditer((WORKFLOWS / "ci.yml").read_text())]
    assert ci == ["./scripts/setup.sh", "./scripts/test.sh"]
    assert set(ci) <= set(documented)
