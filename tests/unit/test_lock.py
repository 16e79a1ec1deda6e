"""The toolchain's locks say what their pyproject.toml asks for, and only from the public registry.

Why: ``scripts/setup.sh`` installs every virtualenv from a lock (``uv sync --locked``): .venv and
.venv-integ from uv.lock, .venv-scan from tools/scan/uv.lock. A pin changed in a pyproject.toml
without a re-lock stops the next set-up, and CI's; this tier says so in a second, with the fix. The check is uv's own (``uv lock --check``), run offline and on an
empty cache: for a lock that matches, uv compares the requirements the lock recorded (per group,
the conflicts, the environments) with pyproject.toml and needs neither the network nor a
download; for a lock that does not, it must resolve, which offline fails. A hand-written
comparison of pins would miss transitive changes and the groups' includes.

A clean CI machine installs from the lock's URLs alone, so a lock written where an extra local
index is configured (this machine's pip has some) must not point at it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from uv import find_uv_bin

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCKED_PROJECTS = {"main": REPO_ROOT, "scan": REPO_ROOT / "tools" / "scan"}
PUBLIC_INDEX = "https://pypi.org/simple"
PUBLIC_FILES = "https://files.pythonhosted.org/"


def _lock_check(project: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_uv_bin(), "lock", "--check", "--offline", "--cache-dir", str(cache)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def _group(name: str) -> list[Requirement]:
    groups = _pyproject()["dependency-groups"]
    assert isinstance(groups, dict)
    return [Requirement(item) for item in groups[name] if isinstance(item, str)]


@pytest.mark.parametrize("project", LOCKED_PROJECTS.values(), ids=LOCKED_PROJECTS.keys())
def test_the_lock_matches_pyproject(project: Path, tmp_path: Path) -> None:
    checked = _lock_check(project, tmp_path / "cache")
    where = project.relative_to(REPO_ROOT)
    assert checked.returncode == 0, (
        f"{where / 'uv.lock'} does not match {where / 'pyproject.toml'} (a pin, group, conflict or "
        f"environment changed without a re-lock): run `uv lock --project {where}` and commit the lock.\n"
        f"uv said:\n{checked.stderr}"
    )


def test_a_pin_changed_without_a_re_lock_fails_the_check(tmp_path: Path) -> None:
    # The same check on a copy, before and after one pin changes: it must tell them apart.
    (pytest_pin,) = (pin for pin in _group("tests") if pin.name == "pytest")
    (version,) = (spec.version for spec in pytest_pin.specifier)
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        (copy / name).write_bytes((REPO_ROOT / name).read_bytes())
    assert _lock_check(copy, tmp_path / "cache").returncode == 0

    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text()
    assert text.count(f'"pytest=={version}"') == 1
    pyproject.write_text(text.replace(f'"pytest=={version}"', f'"pytest=={version}.1"'))
    assert _lock_check(copy, tmp_path / "cache").returncode != 0


@pytest.mark.parametrize("project", LOCKED_PROJECTS.values(), ids=LOCKED_PROJECTS.keys())
def test_the_lock_names_only_the_public_registry(project: Path) -> None:
    lock = tomllib.loads((project / "uv.lock").read_text())
    elsewhere: list[str] = []
    for package in lock["package"]:
        source = package["source"]
        if source not in ({"registry": PUBLIC_INDEX}, {"editable": "."}, {"virtual": "."}):
            elsewhere.append(f"{package['name']}: source {source}")
        files = [package["sdist"]] if "sdist" in package else []
        files += package.get("wheels", [])
        elsewhere += [f"{package['name']}: {file['url']}" for file in files if not file["url"].startswith(PUBLIC_FILES)]
    assert lock["package"], "uv.lock lists no package"
    assert not elsewhere, (
        "uv.lock must install from PyPI alone (re-lock with `uv lock` where no other index is configured):\n"
        + "\n".join(elsewhere)
    )


def test_the_integ_environment_is_the_lowest_aws_cdk_lib_the_wheel_allows() -> None:
    # The wheel promises aws-cdk-lib from its lower bound on; .venv-integ is where that is tested.
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    (declared,) = (Requirement(item) for item in project["dependencies"] if Requirement(item).name == "aws-cdk-lib")
    (floor,) = (spec.version for spec in declared.specifier if spec.operator == ">=")
    (tested,) = (pin for pin in _group("integ") if pin.name == "aws-cdk-lib")
    assert str(tested.specifier) == f"=={floor}"
    (alpha,) = (pin for pin in _group("integ") if pin.name == "aws-cdk-integ-tests-alpha")
    assert re.fullmatch(rf"=={re.escape(floor)}a0", str(alpha.specifier))


def test_the_venv_holds_aws_cdk_libs_own_cloud_assembly_schema_module() -> None:
    """aws-cdk-lib and aws-cdk.cloud-assembly-schema ship the same module file; aws-cdk-lib's must win.

    With the standalone package's copy, jsii cannot read a synthesized message's entry
    (``Unknown interface: aws-cdk-lib.cloud_assembly_schema.MetadataEntry``); scripts/setup.sh
    installs aws-cdk-lib again after the rest for that reason.
    """
    import importlib.util

    spec = importlib.util.find_spec("aws_cdk.cloud_assembly_schema")
    assert spec is not None
    assert spec.origin is not None
    text = Path(spec.origin).read_text(encoding="utf-8")
    assert 'jsii_type="aws-cdk-lib.cloud_assembly_schema.' in text, (
        f"{spec.origin} is aws-cdk.cloud-assembly-schema's copy, not aws-cdk-lib's: run scripts/setup.sh"
    )


def test_the_nag2_folder_holds_the_one_cdk_nag_2_the_lock_pins() -> None:
    """.nag2 (scripts/setup.sh) holds cdk-nag 2 alone: its dependencies are the venv's that runs it."""
    (pin,) = _group("nag2")
    assert pin.name == "cdk-nag"
    (version,) = (spec.version for spec in pin.specifier if spec.operator == "==")
    assert version.startswith("2.")
    folder = REPO_ROOT / ".nag2"
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith(".")) == [
        "cdk_nag",
        f"cdk_nag-{version}.dist-info",
    ], f"{folder} is not the lock's cdk-nag {version} alone: run scripts/setup.sh"
