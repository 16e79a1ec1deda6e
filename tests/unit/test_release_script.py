"""The release workflow's own checks (``scripts/release.py``): the notes it publishes, and what stops a release.

The GitHub release's notes are the tag's section of ``CHANGELOG.md``, cut by the script; the build
job runs it, and its tag check, before the publishing job may start. A wrong cut publishes
another version's notes (or half of them); a check that lets a mismatched tag through publishes
a version nobody tagged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.release import (
    CHANGELOG,
    ReleaseError,
    changelog_section,
    check_distributions,
    main,
    version_of_tag,
)
from testkit.releases import read_releases

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]

CHANGELOG_TEXT = """\
# Changelog

## [Unreleased]

### Fixed

- Not released yet.

## [0.10.0] - 2027-01-15

### Added

- A feature, and a changelog's heading as an example:

```markdown
## [0.9.0] - 2026-12-24
```

### Upgrade notes

- Nothing to do.

## [0.9.0] - 2026-12-24

### Fixed

- The last section runs to the end of the file.
"""

SDIST = "cdk_appintegrations-0.5.0.tar.gz"
WHEEL = "cdk_appintegrations-0.5.0-py3-none-any.whl"


def test_a_section_runs_from_its_heading_to_the_next_version_and_keeps_its_subsections() -> None:
    section = changelog_section(CHANGELOG_TEXT, "0.10.0")
    assert section.startswith("### Added\n\n- A feature, and a changelog's heading as an example:\n")
    assert "\n```markdown\n## [0.9.0] - 2026-12-24\n```\n" in section
    assert section.endswith("### Upgrade notes\n\n- Nothing to do.\n")
    assert "Not released yet" not in section
    assert "The last section" not in section


def test_the_last_section_runs_to_the_end_of_the_file() -> None:
    assert (
        changelog_section(CHANGELOG_TEXT, "0.9.0") == "### Fixed\n\n- The last section runs to the end of the file.\n"
    )


@pytest.mark.parametrize(
    ("changelog", "version", "refused"),
    [
        (CHANGELOG_TEXT, "0.11.0", r"no section for 0\.11\.0: .*'## \[0\.11\.0\] - YYYY-MM-DD'"),
        (CHANGELOG_TEXT, "0.1.0", r"no section for 0\.1\.0"),
        ("## [Unreleased]\n\n- x\n\n## [0.5.0]\n\n- y\n", "0.5.0", r"'## \[0\.5\.0\]' has no release date"),
        ("## [0.5.0] - 2027-01-01\n\n\n## [0.4.0] - 2026-12-02\n\n- y\n", "0.5.0", r"section for 0\.5\.0 is empty"),
    ],
    ids=["not-yet-moved", "absent", "undated", "empty"],
)
def test_a_version_without_a_dated_section_with_entries_is_refused(changelog: str, version: str, refused: str) -> None:
    with pytest.raises(ReleaseError, match=refused):
        changelog_section(changelog, version)


def test_every_listed_release_has_its_notes_in_the_changelog() -> None:
    # The repository's own CHANGELOG.md, cut as the workflow cuts it: every release of releases.csv
    # has a dated section with entries, and no section holds another version's heading.
    changelog = CHANGELOG.read_text(encoding="utf-8")
    for release in read_releases():
        section = changelog_section(changelog, release.version)
        assert "\n## [" not in f"\n{section}", release.version
        assert "### " in section, release.version


@pytest.mark.parametrize(("tag", "version"), [("v0.5.0", "0.5.0"), ("v10.0.12", "10.0.12")])
def test_a_release_tag_names_its_version(tag: str, version: str) -> None:
    assert version_of_tag(tag) == version


@pytest.mark.parametrize("tag", ["0.5.0", "v0.5", "v0.5.0rc1", "v0.5.0-rc.1", "release-0.5.0", "v0.5.0\n"])
def test_a_tag_that_is_not_v_major_minor_patch_is_refused(tag: str) -> None:
    with pytest.raises(ReleaseError, match=r"is not of the form vMAJOR\.MINOR\.PATCH"):
        version_of_tag(tag)


def test_one_sdist_and_one_wheel_of_the_tags_version_pass() -> None:
    check_distributions("v0.5.0", [Path("dist") / SDIST, Path("dist") / WHEEL])


@pytest.mark.parametrize(
    ("files", "refused"),
    [
        (
            ["cdk_appintegrations-0.4.0.tar.gz", "cdk_appintegrations-0.4.0-py3-none-any.whl"],
            r"cdk_appintegrations-0\.4\.0\.tar\.gz is version 0\.4\.0, cdk_appintegrations-0\.4\.0-py3-none-any\.whl "
            r"is version 0\.4\.0, not 0\.5\.0 as the tag v0\.5\.0 says: set __version__",
        ),
        ([SDIST, "cdk_appintegrations-0.4.0-py3-none-any.whl"], r"py3-none-any\.whl is version 0\.4\.0, not 0\.5\.0"),
        ([SDIST], r"0 wheels \(none\), not one"),
        ([WHEEL], r"0 sdists \(none\), not one"),
        ([], r"0 sdists \(none\), not one; 0 wheels \(none\), not one"),
        ([SDIST, WHEEL, "cdk_appintegrations-0.5.0-py3-none-manylinux_2_17_x86_64.whl"], r"2 wheels \(.*\), not one"),
        ([SDIST, WHEEL, "release-notes.md"], r"release-notes\.md is neither an sdist nor a wheel"),
        ([SDIST, WHEEL, "other_package-0.5.0.tar.gz"], r"other_package-0\.5\.0\.tar\.gz is neither"),
    ],
    ids=["both-older", "wheel-older", "no-wheel", "no-sdist", "nothing", "two-wheels", "stray-file", "other-package"],
)
def test_distributions_other_than_one_sdist_and_one_wheel_of_the_tags_version_are_refused(
    files: list[str], refused: str
) -> None:
    with pytest.raises(ReleaseError, match=refused):
        check_distributions("v0.5.0", [Path("dist") / name for name in files])


def test_the_notes_command_writes_the_section_and_refuses_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG_TEXT, encoding="utf-8")
    notes = tmp_path / "release-notes.md"
    assert main(["notes", "v0.9.0", "--changelog", str(changelog), "--output", str(notes)]) == 0
    assert notes.read_text(encoding="utf-8") == changelog_section(CHANGELOG_TEXT, "0.9.0")

    assert main(["notes", "v0.11.0", "--changelog", str(changelog)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("scripts/release.py notes: CHANGELOG.md has no section for 0.11.0")


def test_the_workflow_commands_run_as_written() -> None:
    # As release.yml runs them: `python scripts/release.py ...` from the checkout's top, on the
    # repository's own CHANGELOG.md, with nothing but the standard library.
    version = read_releases()[-1].version
    notes = subprocess.run(
        [sys.executable, "-S", "scripts/release.py", "notes", f"v{version}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert notes.returncode == 0, notes.stderr
    assert notes.stdout == changelog_section(CHANGELOG.read_text(encoding="utf-8"), version)

    check = subprocess.run(
        [sys.executable, "-S", "scripts/release.py", "check-tag", "v9.9.9", SDIST, WHEEL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert "not 9.9.9 as the tag v9.9.9 says" in check.stderr
