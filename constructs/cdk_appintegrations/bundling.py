"""The provider's Lambda asset, bundled locally: no Docker, no network, no pip.

The asset is exactly the handler's sources (``index.py`` and ``appintegrations_cr/*.py``)
and crhelper's ``.py`` files with its LICENSE and NOTICE, copied from the crhelper
distribution installed next to this library. boto3 and botocore come from the
Lambda runtime.

The handler's package is the one this library imports its contract from: the top-level
package ``appintegrations_cr``, found through its import spec, so the same files are
copied from a checkout (``lambda_src/appintegrations_cr``) and from an installed wheel.
Its entry point ``index.py`` sits beside the package in a checkout (``lambda_src/`` is
laid out as the asset); a wheel carries it inside the package, in
``appintegrations_cr/_entry/`` (a distribution installs no top-level file), and it is
written to the asset's root either way.

crhelper must be exactly :data:`CRHELPER_VERSION`, the version the handler was tested
with: the handler relies on crhelper internals (its constructor's behaviour, ``__call__``,
``_send``, ``_log_setup``, ``generate_physical_id`` and private state; the handler's
``resource`` module lists them), and another version that moved them would ship a
provider that fails only at deploy. So any other installed version stops the synth,
saying why.

Files are copied by content with fixed permissions, so the asset (and its hash, which
is taken from this output) is the same on every machine and in every checkout, and
nothing else (tests, caches, ``.pyi`` stubs) can slip in.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path, PurePosixPath

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

#: The handler's package: a top-level package of this distribution (``lambda_src/`` in a checkout).
HANDLER_PACKAGE = "appintegrations_cr"
#: The Lambda entry point (handler ``index.handler``), at the asset's root.
ENTRY_POINT = "index.py"
#: Where a wheel carries :data:`ENTRY_POINT`: inside the handler's package, never imported from there.
WHEEL_ENTRY_DIR = "_entry"
CRHELPER_DISTRIBUTION = "crhelper"
CRHELPER_PACKAGE = "crhelper"
#: The one crhelper release the handler's overrides were tested against; pyproject pins the same.
CRHELPER_VERSION = "2.0.12"
#: Licence files that crhelper's Apache-2.0 licence asks to travel with its code.
CRHELPER_LEGAL_FILES = ("LICENSE", "NOTICE")
# Required by BundlingOptions even when local bundling succeeds; never pulled, because
# HandlerBundler always bundles (or raises) and so Docker is never reached.
_UNUSED_DOCKER_IMAGE = "scratch"
_FILE_MODE = 0o644
_DIR_MODE = 0o755


#: The folder of a checkout that holds the handler's package and its entry point (the repository's layout).
CHECKOUT_HANDLER_DIR = "lambda_src"


def handler_package_dir() -> Path:
    """The directory of the handler's package, where its import spec says it is (a checkout or a wheel)."""
    spec = importlib.util.find_spec(HANDLER_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if len(locations) != 1:
        raise FileNotFoundError(
            f"the provider handler's package {HANDLER_PACKAGE} is not importable as one regular package "
            f"({locations or 'not found'}); it is part of cdk-appintegrations: reinstall the library"
        )
    return Path(locations[0]).resolve()


def entry_point(package_dir: Path) -> Path:
    """``index.py``: inside the package in a wheel, else beside it in a checkout's ``lambda_src/``.

    Only there: beside an installed package is ``site-packages``, where an ``index.py``
    would be another distribution's, never this handler's entry point.
    """
    inside = package_dir / WHEEL_ENTRY_DIR / ENTRY_POINT
    if inside.is_file() or package_dir.parent.name != CHECKOUT_HANDLER_DIR:
        return inside
    return package_dir.parent / ENTRY_POINT


def handler_files(package_dir: Path | None = None) -> dict[str, Path]:
    """The handler's files, by their path in the asset."""
    package_dir = handler_package_dir() if package_dir is None else package_dir
    files = {ENTRY_POINT: entry_point(package_dir)}
    for source in sorted(package_dir.glob("*.py")):
        files[f"{HANDLER_PACKAGE}/{source.name}"] = source
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing or len(files) == 1:
        raise FileNotFoundError(
            f"the provider handler is incomplete in {package_dir}: missing {missing or HANDLER_PACKAGE}"
        )
    return files


def crhelper_files() -> dict[str, Path]:
    """crhelper's modules and licence files, from the installed distribution's own file list."""
    try:
        distribution = importlib.metadata.distribution(CRHELPER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise RuntimeError(
            "crhelper is not installed; it is a dependency of cdk-appintegrations and is copied into the "
            f"provider's Lambda asset. Install it with: pip install 'crhelper=={CRHELPER_VERSION}'"
        ) from error
    if distribution.version != CRHELPER_VERSION:
        raise RuntimeError(
            f"cdk-appintegrations bundles the installed crhelper into its provider's Lambda asset, and the installed "
            f"crhelper is {distribution.version}, but the provider was tested with crhelper {CRHELPER_VERSION} only: "
            f"its handler relies on crhelper internals (CfnResource.__init__, __call__, _send, _log_setup, "
            f"generate_physical_id and its private state) that another version may have changed, which would fail "
            f"only at deploy. "
            f"Install the tested version: pip install 'crhelper=={CRHELPER_VERSION}'"
        )
    files: dict[str, Path] = {}
    for entry in distribution.files or []:
        path = PurePosixPath(str(entry))
        if len(path.parts) == 2 and path.parts[0] == CRHELPER_PACKAGE and path.suffix == ".py":
            files[str(path)] = Path(str(distribution.locate_file(entry)))
        elif path.name in CRHELPER_LEGAL_FILES and path.parts[0].endswith(".dist-info"):
            files[f"{CRHELPER_PACKAGE}/{path.name}"] = Path(str(distribution.locate_file(entry)))
    if f"{CRHELPER_PACKAGE}/__init__.py" not in files:
        raise RuntimeError(f"the installed crhelper {distribution.version} lists no {CRHELPER_PACKAGE}/__init__.py")
    return dict(sorted(files.items()))


def asset_files(package_dir: Path | None = None) -> dict[str, Path]:
    """Everything the asset contains, by its path in the asset."""
    return {**handler_files(package_dir), **crhelper_files()}


def write_bundle(output_dir: Path, package_dir: Path | None = None) -> list[str]:
    """Copy the asset's files into ``output_dir``; return their paths in the asset."""
    files = asset_files(package_dir)
    for name, source in files.items():
        target = output_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.parent.chmod(_DIR_MODE)
        target.write_bytes(source.read_bytes())
        target.chmod(_FILE_MODE)
    return list(files)


@jsii.implements(ILocalBundling)
class HandlerBundler:
    """Local bundling for the provider: copies files, so Docker is never needed."""

    def __init__(self, package_dir: Path) -> None:
        self._package_dir = package_dir

    def try_bundle(self, output_dir: str, *_options: object, **_unused: object) -> bool:
        """Called by CDK with the bundling options, which a copy does not need."""
        write_bundle(Path(output_dir), self._package_dir)
        return True


def handler_code(package_dir: Path | None = None) -> lambda_.Code:
    """The provider's code: the bundle above, hashed by its contents (``AssetHashType.OUTPUT``)."""
    package_dir = handler_package_dir() if package_dir is None else package_dir
    return lambda_.Code.from_asset(
        str(package_dir),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry(_UNUSED_DOCKER_IMAGE),
            local=HandlerBundler(package_dir),
        ),
    )
