"""What the release workflow (``.github/workflows/release.yml``) checks before it publishes a tag.

``python3 scripts/release.py check-tag v0.5.0 dist/*``
    The distributions are exactly one sdist and one wheel of this package, both of the tag's
    version: a tag pushed without bumping ``__version__`` (or on the wrong commit) stops here,
    before anything reaches PyPI.
``python3 scripts/release.py notes v0.5.0 --output release-notes.md``
    The tag's section of ``CHANGELOG.md`` (the text under ``## [0.5.0] - YYYY-MM-DD``, up to the
    next version's heading): the notes of the GitHub release. A tag without its section, or with
    an empty one, stops here too.

Either exits 1 with the reason on stderr. Standard library only: the workflow runs it with the
runner's Python, and the unit tier imports it (``tests/unit/test_release_script.py``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
CHANGELOG: Final = REPO_ROOT / "CHANGELOG.md"
#: The distribution files' name, as setuptools normalizes ``cdk-appintegrations``.
DISTRIBUTION: Final = "cdk_appintegrations"

_TAG: Final = re.compile(r"v(?P<version>\d+\.\d+\.\d+)")
_SDIST: Final = re.compile(rf"^{DISTRIBUTION}-(?P<version>[^-]+)\.tar\.gz$")
_WHEEL: Final = re.compile(rf"^{DISTRIBUTION}-(?P<version>[^-]+)-[^-]+-[^-]+-[^-]+\.whl$")
_VERSION_HEADING: Final = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$")
_DATED: Final = re.compile(r"^ - \d{4}-\d{2}-\d{2}\s*$")
_FENCE: Final = re.compile(r"^\s*(```|~~~)")


class ReleaseError(Exception):
    """The tag, the distributions or the changelog are not ready for a release; the message says why."""


def version_of_tag(tag: str) -> str:
    """``"v0.5.0"`` -> ``"0.5.0"``; anything else is refused (releases are ``vMAJOR.MINOR.PATCH``)."""
    match = _TAG.fullmatch(tag)
    if match is None:
        raise ReleaseError(f"tag {tag!r} is not of the form vMAJOR.MINOR.PATCH (e.g. v0.5.0)")
    return match.group("version")


def check_distributions(tag: str, paths: Iterable[Path]) -> None:
    """Raise unless ``paths`` are one sdist and one wheel of this package, both of the tag's version."""
    version = version_of_tag(tag)
    kinds: dict[str, list[str]] = {"sdist": [], "wheel": []}
    problems: list[str] = []
    other_versions: list[str] = []
    for path in paths:
        for kind, pattern in (("sdist", _SDIST), ("wheel", _WHEEL)):
            match = pattern.match(path.name)
            if match is not None:
                kinds[kind].append(path.name)
                if match.group("version") != version:
                    other_versions.append(f"{path.name} is version {match.group('version')}")
                break
        else:
            problems.append(f"{path.name} is neither an sdist nor a wheel of {DISTRIBUTION}")
    if other_versions:
        problems.append(
            f"{', '.join(other_versions)}, not {version} as the tag {tag} says: set __version__ in "
            "constructs/cdk_appintegrations/__init__.py, and tag the commit that has it"
        )
    problems += [
        f"{len(names)} {kind}s ({', '.join(names) or 'none'}), not one"
        for kind, names in kinds.items()
        if len(names) != 1
    ]
    if problems:
        raise ReleaseError("; ".join(problems))


def _headings(changelog: str) -> Iterable[tuple[int, re.Match[str]]]:
    """The line number and match of every version heading (``## [...]``) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(changelog.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _VERSION_HEADING.match(line)) is not None:
            yield number, match


def changelog_section(changelog: str, version: str) -> str:
    """The text under ``## [version] - YYYY-MM-DD`` up to the next version's heading, without blank edges."""
    lines = changelog.splitlines()
    headings = list(_headings(changelog))
    for index, (number, match) in enumerate(headings):
        if match.group("version") != version:
            continue
        if not _DATED.match(match.group("rest")):
            raise ReleaseError(
                f"CHANGELOG.md's heading {lines[number]!r} has no release date: write '## [{version}] - YYYY-MM-DD'"
            )
        end = headings[index + 1][0] if index + 1 < len(headings) else len(lines)
        section = "\n".join(lines[number + 1 : end]).strip("\n")
        if not section.strip():
            raise ReleaseError(f"CHANGELOG.md's section for {version} is empty: move the Unreleased entries under it")
        return section + "\n"
    raise ReleaseError(
        f"CHANGELOG.md has no section for {version}: move the Unreleased entries under a new heading "
        f"'## [{version}] - YYYY-MM-DD'"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module's docstring); 0 when the release is ready, 1 with the reason otherwise."""
    parser = argparse.ArgumentParser(prog="scripts/release.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-tag", help="the distributions are one sdist and one wheel of the tag's version")
    check.add_argument("tag", help="the pushed tag, vMAJOR.MINOR.PATCH")
    check.add_argument("distributions", nargs="*", type=Path, help="the files to publish (dist/*)")
    notes = commands.add_parser("notes", help="the tag's section of CHANGELOG.md, for the GitHub release")
    notes.add_argument("tag", help="the pushed tag, vMAJOR.MINOR.PATCH")
    notes.add_argument("--changelog", type=Path, default=CHANGELOG, help="default: the repository's CHANGELOG.md")
    notes.add_argument("--output", type=Path, help="write the notes here instead of to stdout")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "check-tag":
            check_distributions(arguments.tag, arguments.distributions)
            print(f"{arguments.tag}: {', '.join(path.name for path in arguments.distributions)}")
        else:
            section = changelog_section(arguments.changelog.read_text(encoding="utf-8"), version_of_tag(arguments.tag))
            if arguments.output is None:
                sys.stdout.write(section)
            else:
                arguments.output.write_text(section, encoding="utf-8")
    except ReleaseError as error:
        print(f"{parser.prog} {arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
