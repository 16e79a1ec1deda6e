"""The released versions (``releases.csv``), each one's code taken from its commit, and synthesized.

Why the file and not the tags: a clone does not always carry tags (CI checkouts often have
none), but it has the history. ``releases.csv`` at the top of the repository lists
``version,commit`` (the full commit id that carried the release), one release a line, oldest
first; the release steps append the new one.

:func:`exported` writes a commit's tree to a temporary directory with ``git archive`` (it
reads the object database only: no worktree to register, nothing left in ``.git`` when the
test dies) and removes it afterwards. :func:`synthesize` runs
:mod:`testkit.release_synth` in a fresh interpreter on such a tree, so that the
release's own construct and handler asset make its template.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, Literal

from testkit.synth_env import REPO_ROOT, synth_env

__all__ = [
    "RELEASES_FILE",
    "LiteralExecution",
    "Release",
    "ReleaseFileError",
    "ReleaseNotInHistoryError",
    "exported",
    "package_version",
    "read_releases",
    "synthesize",
    "version_key",
]

RELEASES_FILE: Final = REPO_ROOT / "releases.csv"
_HEADER: Final = ["version", "commit"]
_VERSION: Final = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_COMMIT: Final = re.compile(r"^[0-9a-f]{40}$")
_SYNTH_SCRIPT: Final = Path(__file__).with_name("release_synth.py")
_VERSION_LINE: Final = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


class ReleaseFileError(ValueError):
    """``releases.csv`` is not what the release steps write."""


class ReleaseNotInHistoryError(RuntimeError):
    """A release's commit is not in this clone (a shallow clone, or a wrong id)."""


@dataclass(frozen=True)
class Release:
    """One released version and the commit that carried it."""

    version: str
    commit: str


def version_key(version: str) -> tuple[int, int, int]:
    """``"0.10.1"`` -> ``(0, 10, 1)``, for ordering versions as numbers."""
    match = _VERSION.match(version)
    if match is None:
        raise ReleaseFileError(f"version {version!r} is not of the form MAJOR.MINOR.PATCH (e.g. 0.4.0)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def package_version(tree: Path = REPO_ROOT) -> str:
    """``cdk_appintegrations.__version__`` of a tree, read from the source as pyproject reads it (no jsii start)."""
    source = tree / "constructs" / "cdk_appintegrations" / "__init__.py"
    match = _VERSION_LINE.search(source.read_text(encoding="utf-8"))
    if match is None:
        raise ReleaseFileError(f"{source}: no line '__version__ = \"x.y.z\"'")
    return match.group(1)


def read_releases(path: Path = RELEASES_FILE) -> list[Release]:
    """Every release in ``path``, oldest first; raises ``ReleaseFileError`` naming the line and value at fault."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if not rows or rows[0] != _HEADER:
        raise ReleaseFileError(f"{path.name}: the first line must be {','.join(_HEADER)!r}, not {rows[:1]}")
    releases: list[Release] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(_HEADER):
            raise ReleaseFileError(f"{path.name} line {line}: {row} is not 'version,commit'")
        version, commit = (cell.strip() for cell in row)
        try:
            key = version_key(version)
        except ReleaseFileError as error:
            raise ReleaseFileError(f"{path.name} line {line}: {error}") from None
        if not _COMMIT.match(commit):
            raise ReleaseFileError(
                f"{path.name} line {line}: commit {commit!r} of {version} is not a full commit id (40 lowercase hex "
                "digits, as `git rev-parse v<version>^{commit}` prints it)"
            )
        if releases and key <= version_key(releases[-1].version):
            raise ReleaseFileError(
                f"{path.name} line {line}: {version} comes after {releases[-1].version}; list releases oldest first"
            )
        releases.append(Release(version, commit))
    if not releases:
        raise ReleaseFileError(f"{path.name} lists no release")
    return releases


def _git(*args: str, repo: Path, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, stdout=stdout, stderr=subprocess.PIPE, check=False)


@contextmanager
def exported(release: Release, repo: Path = REPO_ROOT) -> Iterator[Path]:
    """The tree of ``release.commit`` in a temporary directory, removed on exit.

    Raises ``ReleaseNotInHistoryError`` if the commit is not in the clone's object database.
    """
    if _git("cat-file", "-e", f"{release.commit}^{{commit}}", repo=repo).returncode != 0:
        shallow = _git("rev-parse", "--is-shallow-repository", repo=repo).stdout.decode().strip() == "true"
        raise ReleaseNotInHistoryError(
            f"release {release.version}: commit {release.commit} ({RELEASES_FILE.name}) is not in this clone's "
            "history"
            + (
                "; the clone is shallow: fetch the whole history (git fetch --unshallow, or a CI checkout with "
                "fetch-depth 0)"
                if shallow
                else "; check the id in the file against `git log`"
            )
        )
    archive = _git("archive", "--format=tar", release.commit, repo=repo)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {release.commit} failed: {archive.stderr.decode()[-2000:]}")
    root = Path(tempfile.mkdtemp(prefix=f"release-{release.version}-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(root, filter="data")
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class LiteralExecution:
    """One execution of the literal stack: what :mod:`testkit.release_synth` builds from it."""

    construct_id: str
    data_integration: str
    """An id or an ARN."""
    association: str
    """An id or an ARN."""
    mode: Literal["ON_DEMAND", "SCHEDULED"]
    rerun_token: str | None = None


def synthesize(
    checkout: Path,
    outdir: Path,
    literals: Sequence[LiteralExecution],
    *,
    account: str,
    region: str,
    version: str | None = None,
    timeout: float = 600.0,
) -> Path:
    """Both stacks of :mod:`testkit.release_synth`, made by ``checkout``'s code; raises on failure."""
    env = synth_env()
    # Only the checkout: synth_env puts this repository first, which is what must not leak in.
    env["PYTHONPATH"] = f"{checkout / 'constructs'}:{checkout / 'lambda_src'}:{checkout}"
    command = [
        sys.executable,
        str(_SYNTH_SCRIPT),
        "--checkout",
        str(checkout),
        "--outdir",
        str(outdir),
        "--literals",
        json.dumps([asdict(literal) for literal in literals]),
        "--account",
        account,
        "--region",
        region,
    ]
    if version is not None:
        command += ["--version", version]
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"synthesis with {checkout} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return Path(json.loads(done.stdout.splitlines()[-1])["outdir"])
