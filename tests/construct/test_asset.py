"""The provider's Lambda asset: exactly the handler and crhelper, bundled without Docker, hashed by content."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import crhelper
import pytest
from cdk_appintegrations.bundling import handler_files

from testkit.cfn_template import only
from tests.construct import stacks
from tests.construct.fresh_python import run_fresh_python
from tests.construct.synthesized import FIGURES, Synthesized

pytestmark = pytest.mark.construct

LAMBDA_SRC = stacks.REPO_ROOT / "lambda_src"


def provider_asset(synthesized: Synthesized, stack: str) -> Path:
    _, function = only(synthesized.template(stack), "AWS::Lambda::Function")
    return synthesized.outdir / str(function["Metadata"]["aws:asset:path"])


def asset_hash(outdir: Path, stack: str) -> str:
    template = json.loads((outdir / f"{stack}.template.json").read_text())
    _, function = only(template, "AWS::Lambda::Function")
    key: str = function["Properties"]["Code"]["S3Key"]
    return key.removesuffix(".zip")


def expected_sources() -> dict[str, Path]:
    """What the asset must hold, listed independently of the bundling code."""
    files = {"index.py": LAMBDA_SRC / "index.py"}
    files |= {f"appintegrations_cr/{p.name}": p for p in (LAMBDA_SRC / "appintegrations_cr").glob("*.py")}
    crhelper_dir = Path(crhelper.__file__).parent
    files |= {f"crhelper/{p.name}": p for p in crhelper_dir.glob("*.py")}
    distribution = importlib.metadata.distribution("crhelper")
    dist_info = Path(str(distribution.locate_file(f"crhelper-{distribution.version}.dist-info")))
    files |= {f"crhelper/{name}": dist_info / name for name in ("LICENSE", "NOTICE")}
    return files


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_asset_holds_exactly_the_handler_and_crhelper(main_app: Synthesized) -> None:
    asset = provider_asset(main_app, stacks.EXAMPLE)
    expected = expected_sources()
    assert listing(asset) == set(expected)
    for name in (
        "index.py",
        "appintegrations_cr/contract.py",
        "appintegrations_cr/handler.py",
        "crhelper/__init__.py",
        "crhelper/resource_helper.py",
        "crhelper/LICENSE",
        "crhelper/NOTICE",
    ):
        assert name in expected
    for name, source in expected.items():
        assert (asset / name).read_bytes() == source.read_bytes(), name
    assert not [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix in {".pyc", ".pyi"}]
    assert not (asset / "tests").exists()
    assert not (asset / "py.typed").exists()
    assert not (asset / "crhelper" / "py.typed").exists()


def test_asset_files_are_world_readable_whatever_the_umask(main_app: Synthesized) -> None:
    asset = provider_asset(main_app, stacks.EXAMPLE)
    for path in asset.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_zipped_asset_is_small(main_app: Synthesized) -> None:
    asset = provider_asset(main_app, stacks.EXAMPLE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset))
    unzipped = sum(p.stat().st_size for p in asset.rglob("*") if p.is_file())
    FIGURES.append(
        f"provider asset: {len(listing(asset))} files, {unzipped} bytes, {buffer.tell()} bytes zipped (deflate)"
    )
    # 0.5.0's was 65,422 bytes; watching the stack's status for a rollback (stack_status) added about 4.4 KB.
    assert buffer.tell() < 72 * 1024


def test_same_hash_in_every_app_of_this_run(main_app: Synthesized, scale_apps: dict[str, Synthesized]) -> None:
    hashes = {asset_hash(main_app.outdir, stack) for stack in main_app.stack_names}
    hashes |= {asset_hash(app.outdir, name) for name, app in scale_apps.items()}
    assert len(hashes) == 1


def test_same_hash_from_another_checkout_in_another_process(
    main_app: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A copy of the sources at another path, with other mtimes and permissions, run as ``python app.py``."""
    checkout = tmp_path_factory.mktemp("checkout")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(stacks.REPO_ROOT / "lambda_src", checkout / "lambda_src", ignore=ignore)
    shutil.copytree(stacks.REPO_ROOT / "constructs", checkout / "constructs", ignore=ignore)
    shutil.copy(stacks.REPO_ROOT / "app.py", checkout / "app.py")
    for path in (checkout / "lambda_src").rglob("*.py"):
        path.chmod(0o600)
        os.utime(path, (1_000_000_000, 1_000_000_000))
    outdir = checkout / "cdk.out"
    show_origin = (
        "import runpy, sys, cdk_appintegrations, appintegrations_cr; "
        "print(cdk_appintegrations.__file__); print(appintegrations_cr.__file__); "
        "runpy.run_path('app.py', run_name='__main__')"
    )
    finished = run_fresh_python(show_origin, checkout, {"CDK_OUTDIR": str(outdir)})
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert all(line.startswith(str(checkout)) for line in finished.stdout.splitlines()[:2]), finished.stdout
    assert asset_hash(outdir, stacks.EXAMPLE) == asset_hash(main_app.outdir, stacks.EXAMPLE)


class _OtherCrhelper:
    """An installed crhelper distribution of another version; everything else as the real one."""

    def __init__(self, real: importlib.metadata.Distribution, version: str) -> None:
        self._real = real
        self.version = version

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def test_another_crhelper_version_stops_the_synth_saying_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import aws_cdk as cdk

    other = _OtherCrhelper(importlib.metadata.distribution("crhelper"), "2.0.13")
    real = importlib.metadata.distribution
    # What bundling.crhelper_files() asks importlib.metadata for, with its version changed.
    monkeypatch.setattr("importlib.metadata.distribution", lambda name: other if name == "crhelper" else real(name))
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "OtherCrhelper")
    # CDK bundles when the provider's code is created, i.e. while app.py builds the stack.
    with pytest.raises(RuntimeError) as caught:
        stacks.add_execution(stack, "Sync")
    message = str(caught.value)
    assert "the installed crhelper is 2.0.13, but the provider was tested with crhelper 2.0.12 only" in message
    assert (
        "relies on crhelper internals (CfnResource.__init__, __call__, _send, _log_setup, generate_physical_id"
        in message
    )
    assert not list(tmp_path.glob("asset.*/crhelper"))


def test_the_tested_crhelper_is_pinned_exactly_everywhere() -> None:
    from cdk_appintegrations.bundling import CRHELPER_VERSION

    pyproject = (stacks.REPO_ROOT / "pyproject.toml").read_text()
    lock = (stacks.REPO_ROOT / "uv.lock").read_text()
    assert f'"crhelper=={CRHELPER_VERSION}"' in pyproject
    assert f'[[package]]\nname = "crhelper"\nversion = "{CRHELPER_VERSION}"\n' in lock
    assert importlib.metadata.version("crhelper") == CRHELPER_VERSION


def _package(root: Path) -> Path:
    package = root / "appintegrations_cr"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "handler.py").write_text("", encoding="utf-8")
    (root / "index.py").write_text("# another distribution's top-level module\n", encoding="utf-8")
    return package


def test_an_installed_package_never_takes_the_index_py_beside_it(tmp_path: Path) -> None:
    """Beside an installed package is site-packages: its index.py is a stranger's, not the entry point."""
    package = _package(tmp_path / "site-packages")
    with pytest.raises(FileNotFoundError, match=r"incomplete .*missing \['index.py'\]"):
        handler_files(package)
    (package / "_entry").mkdir()
    (package / "_entry" / "index.py").write_text("# the wheel's entry point\n", encoding="utf-8")
    assert handler_files(package)["index.py"] == package / "_entry" / "index.py"


def test_a_checkout_takes_the_index_py_of_its_lambda_src(tmp_path: Path) -> None:
    package = _package(tmp_path / "lambda_src")
    files = handler_files(package)
    assert files["index.py"] == tmp_path / "lambda_src" / "index.py"
    assert set(files) == {"index.py", "appintegrations_cr/__init__.py", "appintegrations_cr/handler.py"}
