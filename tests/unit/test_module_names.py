"""The session's last check: a product file loaded under two module names is found and named."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from testkit.module_names import PRODUCT_ROOTS, REPO_ROOT, duplicate_modules, report

pytestmark = pytest.mark.unit

CONTRACT = REPO_ROOT / "lambda_src" / "appintegrations_cr" / "contract.py"

# In a fresh interpreter, so that the second module never reaches this session's sys.modules.
SECOND_NAME = textwrap.dedent(
    """
    import importlib, importlib.util, json, sys
    from pathlib import Path
    import appintegrations_cr.contract
    from testkit.module_names import duplicate_modules

    # The handler's package again, as the old link cdk_appintegrations/<link>/appintegrations_cr made it.
    package = Path(sys.argv[1]).parent
    spec = importlib.util.spec_from_file_location(
        "second_name", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    second = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = second
    spec.loader.exec_module(second)
    second_contract = importlib.import_module("second_name.contract")
    assert second_contract.ContractError is not appintegrations_cr.contract.ContractError  # what the check is for
    print(json.dumps({str(path): names for path, names in duplicate_modules(sys.modules).items()}))
    """
)


def test_the_product_roots_are_the_checkouts_source_folders() -> None:
    """A root that names no folder would make the session's check find nothing, and pass."""
    assert [root.relative_to(REPO_ROOT).as_posix() for root in PRODUCT_ROOTS] == ["constructs", "lambda_src"]
    constructs, lambda_src = PRODUCT_ROOTS
    assert (constructs / "cdk_appintegrations").is_dir()
    assert (lambda_src / "appintegrations_cr").is_dir()


def test_a_file_loaded_under_a_second_name_is_reported_with_both_names() -> None:
    path = [str(REPO_ROOT), *(str(root) for root in PRODUCT_ROOTS)]
    finished = subprocess.run(
        [sys.executable, "-c", SECOND_NAME, str(CONTRACT)],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    found = json.loads(finished.stdout.strip().splitlines()[-1])
    package = CONTRACT.resolve().parent
    assert found[str(package / "contract.py")] == ["appintegrations_cr.contract", "second_name.contract"]
    assert found[str(package / "__init__.py")] == ["appintegrations_cr", "second_name"]
    assert found[str(package / "errors.py")] == ["appintegrations_cr.errors", "second_name.errors"]


def test_files_outside_the_product_and_modules_without_a_file_are_not_counted(tmp_path: Path) -> None:
    elsewhere = tmp_path / "helper.py"
    modules = {
        "a": types.SimpleNamespace(__file__=str(elsewhere)),
        "b": types.SimpleNamespace(__file__=str(elsewhere)),
        "builtin": types.SimpleNamespace(),
        "namespace": types.SimpleNamespace(__file__=None),
        "appintegrations_cr.contract": types.SimpleNamespace(__file__=str(CONTRACT)),
    }
    assert duplicate_modules(modules) == {}
    modules["linked"] = types.SimpleNamespace(__file__=str(CONTRACT.parent / "." / CONTRACT.name))
    duplicates = duplicate_modules(modules)
    assert duplicates == {CONTRACT.resolve(): ["appintegrations_cr.contract", "linked"]}
    assert "lambda_src/appintegrations_cr/contract.py: appintegrations_cr.contract, linked" in report(duplicates)


def test_this_session_has_loaded_each_product_file_once_so_far() -> None:
    assert duplicate_modules(sys.modules) == {}
