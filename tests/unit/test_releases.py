"""The release list (``releases.csv``) and the checkout of a release's commit that the upgrade test uses.

The upgrade test trusts both: a release missing from the list, or listed out of order, is an
upgrade nobody tests; a commit absent from the clone must stop the test with a reason, not
make it pass on nothing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testkit.releases import (
    Release,
    ReleaseFileError,
    ReleaseNotInHistoryError,
    exported,
    package_version,
    read_releases,
    version_key,
)
from testkit.synth_env import REPO_ROOT

pytestmark = pytest.mark.unit

COMMIT = "4877b26181f870bc04813e06d6e0fc4713fbd215"
LATER = "7a802dbf56e4016590c7631d56dd94147cb970e8"


def test_the_repository_lists_its_releases_and_the_code_is_not_older_than_the_last() -> None:
    releases = read_releases()
    assert len({release.commit for release in releases}) == len(releases)
    current = package_version()
    assert version_key(current) >= version_key(releases[-1].version), (
        f"cdk_appintegrations.__version__ is {current}, older than the last release {releases[-1].version}"
    )


@pytest.mark.harness
def test_versions_compare_as_numbers() -> None:
    assert version_key("0.10.0") > version_key("0.9.1")


@pytest.mark.harness
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version;commit\n", "the first line must be 'version,commit'"),
        ("version,commit\n", "lists no release"),
        (f"version,commit\n0.2.0,{COMMIT},x\n", r"line 2: \['0.2.0', '4877b26.*', 'x'\] is not 'version,commit'"),
        (f"version,commit\nv0.2.0,{COMMIT}\n", r"line 2: version 'v0.2.0' is not of the form MAJOR.MINOR.PATCH"),
        ("version,commit\n0.2.0,4877b26\n", r"line 2: commit '4877b26' of 0.2.0 is not a full commit id"),
        (
            f"version,commit\n0.3.0,{LATER}\n0.2.0,{COMMIT}\n",
            "line 3: 0.2.0 comes after 0.3.0; list releases oldest first",
        ),
        (f"version,commit\n0.2.0,{COMMIT}\n0.2.0,{LATER}\n", "line 3: 0.2.0 comes after 0.2.0"),
    ],
    ids=["header", "empty", "columns", "version", "short-commit", "order", "duplicate"],
)
def test_a_malformed_release_list_is_refused_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    listed = tmp_path / "releases.csv"
    listed.write_text(text, encoding="utf-8")
    with pytest.raises(ReleaseFileError, match=message):
        read_releases(listed)


@pytest.mark.harness
def test_a_release_is_checked_out_with_its_own_code_and_removed_afterwards() -> None:
    with exported(Release("0.2.0", COMMIT)) as checkout:
        package = checkout / "constructs" / "cdk_appintegrations"
        assert package_version(checkout) == "0.2.0"
        # The package's handler link survives the export: the old asset is the old handler.
        assert (package / "_lambda").is_symlink()
        assert (package / "_lambda" / "index.py").resolve() == checkout.resolve() / "lambda_src" / "index.py"
    assert not checkout.exists()


@pytest.mark.harness
def test_a_commit_missing_from_the_clone_is_refused_with_the_reason() -> None:
    missing = Release("9.9.9", "0" * 40)
    refused = rf"release 9.9.9: commit {missing.commit} .*check the id"
    with pytest.raises(ReleaseNotInHistoryError, match=refused), exported(missing):
        pytest.fail("exported a commit that does not exist")


@pytest.mark.harness
def test_a_shallow_clone_is_told_to_fetch_the_history(tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--no-local", f"file://{REPO_ROOT}", str(clone)],
        check=True,
        capture_output=True,
    )
    refused = r"the clone is shallow: fetch the whole history"
    with pytest.raises(ReleaseNotInHistoryError, match=refused), exported(Release("0.2.0", COMMIT), repo=clone):
        pytest.fail("exported a commit the shallow clone does not have")
