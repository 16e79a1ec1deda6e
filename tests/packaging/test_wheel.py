"""The published artifacts work on their own: build, install into a fresh venv, synthesize outside the repo.

The sdist and the wheel must carry the handler (the top-level package ``appintegrations_cr``
and its entry point ``index.py``), ``py.typed``, LICENSE and NOTICE, and pass ``twine check --strict`` (what
PyPI would refuse or render badly). The wheel is then installed with its dependencies
from PyPI into a new virtualenv that cannot see this repository or its venv, and a
small app synthesizes a stack there: the custom resource must be in the template,
the provider's asset must hold the handler and crhelper, copied from the new venv's
crhelper, and ``cdk_appintegrations.__version__`` must be the installed version.

Slow the first time (aws-cdk-lib is about 70 MB); pip's cache makes reruns quicker.
"""

from __future__ import annotations

import json
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE

from testkit.account import arn
from tests.packaging.consumer import REPO_ROOT, Consumer, run

pytestmark = pytest.mark.packaging

# In the wheel, and where the sdist has it (the repository's layout).
MUST_SHIP = {
    "appintegrations_cr/_entry/index.py": "lambda_src/index.py",
    "appintegrations_cr/contract.py": "lambda_src/appintegrations_cr/contract.py",
    "appintegrations_cr/py.typed": "lambda_src/appintegrations_cr/py.typed",
    "cdk_appintegrations/py.typed": "constructs/cdk_appintegrations/py.typed",
}

APP = textwrap.dedent(
    f"""
    import importlib.metadata
    from datetime import datetime, timezone

    import aws_cdk as cdk
    import cdk_appintegrations
    from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

    print(cdk_appintegrations.__file__)
    print(cdk_appintegrations.__version__, importlib.metadata.version("cdk-appintegrations"))
    app = cdk.App()
    stack = cdk.Stack(app, "Installed")
    DataIntegrationAssociationExecution(
        stack,
        "Sync",
        data_integration_identifier="{arn("app-integrations", "data-integration/di-1")}",
        data_integration_association_identifier="assoc-1",
        execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )
    app.synth()
    """
)


def test_sdist_and_wheel_carry_the_handler_and_py_typed(artifacts: tuple[Path, Path]) -> None:
    sdist, wheel = artifacts
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        members = {member.name: member for member in archive.getmembers()}
    in_sdist = {name.split("/", 1)[1] for name in members if "/" in name}
    for name, source in MUST_SHIP.items():
        assert name in in_wheel, name
        assert source in in_sdist, source
    top_level = {name.split("/")[0] for name in in_wheel if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"cdk_appintegrations", "appintegrations_cr"}, "two packages, nothing else (no tests)"
    assert not [m.name for m in members.values() if m.issym() or m.islnk()], "the sdist must hold files, not links"
    assert not [name for name in in_wheel if "__pycache__" in name or name.endswith(".pyc")]
    assert not [name for name in in_wheel if name.startswith("constructs/")], "constructs/ would shadow the library"


def test_distributions_pass_twine_check_strict(artifacts: tuple[Path, Path]) -> None:
    output = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, artifacts)], cwd=REPO_ROOT)
    assert output.count("PASSED") == 2, output


def test_license_and_notice_are_in_both_distributions(artifacts: tuple[Path, Path]) -> None:
    sdist, wheel = artifacts
    expected = {name: (REPO_ROOT / name).read_bytes() for name in ("LICENSE", "NOTICE")}
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {
            name.rsplit("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if name.split("/")[0].endswith(".dist-info") and "/licenses/" in name
        }
    with tarfile.open(sdist) as archive:
        root = sdist.name.removesuffix(".tar.gz")
        in_sdist = {name: archive.extractfile(f"{root}/{name}").read() for name in expected}  # type: ignore[union-attr]
    assert in_wheel == expected
    assert in_sdist == expected
    assert b"crhelper" in expected["NOTICE"]
    assert b"Apache License" in expected["LICENSE"]
    assert b"Version 2.0, January 2004" in expected["LICENSE"]


def test_installed_wheel_synthesizes_outside_the_repository(
    artifacts: tuple[Path, Path], consumer: Consumer, tmp_path: Path
) -> None:
    _, wheel = artifacts
    app = consumer.workdir / "installed_app.py"
    app.write_text(APP)
    printed = consumer.synthesize(app, tmp_path / "cdk.out")

    location, versions = printed.strip().splitlines()[:2]
    assert location.startswith(str(consumer.workdir / "venv")), printed
    module_version, distribution_version = versions.split()
    assert module_version == distribution_version == wheel.name.split("-")[1]
    template = json.loads((tmp_path / "cdk.out" / "Installed.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count(RESOURCE_TYPE) == 1
    assert types.count("AWS::Lambda::Function") == 1
    [asset] = (tmp_path / "cdk.out").glob("asset.*")
    # The same files as the checkout's: the asset (and its hash) does not depend on where the handler comes from.
    assert (asset / "index.py").read_bytes() == (REPO_ROOT / "lambda_src" / "index.py").read_bytes()
    for source in (REPO_ROOT / "lambda_src" / "appintegrations_cr").glob("*.py"):
        assert (asset / "appintegrations_cr" / source.name).read_bytes() == source.read_bytes(), source.name
    assert not (asset / "appintegrations_cr" / "_entry").exists()
    assert (asset / "crhelper" / "__init__.py").is_file()
    assert (asset / "crhelper" / "LICENSE").is_file()
