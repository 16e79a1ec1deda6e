"""Rules the test suite keeps about itself: what it imports, and where the test account is written.

No module of the suite imports a test module or a conftest. What tests share lives in
``tests/support`` (for every tier) or in a tier's helper module (``tests/construct/stacks.py``,
``tests/integration/handler_runs.py``, ...), and fixtures in a ``conftest.py``. Importing a
test module runs its collection-time code again under another name and ties one test
file's edits to another's; importing a conftest gives a second copy of a module pytest
loads by its own rules.

The test account's digits are written once, in :mod:`tests.support.account`: an ARN a double
builds and the one a test expects then cannot drift apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.account import ACCOUNT

pytestmark = [pytest.mark.unit, pytest.mark.harness]

TESTS = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS.parent


def is_test_module(dotted: str) -> bool:
    """A module pytest collects (``test_*``) or loads as a conftest."""
    leaf = dotted.rsplit(".", 1)[-1]
    return leaf.startswith("test_") or leaf == "conftest"


def imported_modules(source: str, module: str) -> set[str]:
    """Every module ``source`` (the module named ``module``) may import, by dotted name.

    ``from package import name`` may import a module ``package.name``: both are listed.
    Relative imports are resolved against ``module``.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def suite_modules() -> dict[str, str]:
    """Dotted name to source of every Python module of the suite (not the snapshots' or npm's files)."""
    modules: dict[str, str] = {}
    for path in sorted(TESTS.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        if any(part == "node_modules" or part.endswith(".snapshot") for part in parts):
            continue
        modules[".".join(parts)] = path.read_text()
    return modules


def test_no_module_of_the_suite_imports_a_test_module_or_a_conftest() -> None:
    modules = suite_modules()
    assert "tests.unit.test_suite_rules" in modules  # the walk found the suite
    offending = {
        name: found
        for name, source in modules.items()
        if (found := sorted(m for m in imported_modules(source, name) if m.startswith("tests.") and is_test_module(m)))
    }
    assert offending == {}


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from tests.unit.test_contract import ON_DEMAND", ["tests.unit.test_contract"]),
        ("from tests.unit import test_contract", ["tests.unit.test_contract"]),
        ("import tests.integration.test_handler_roundtrip as roundtrip", ["tests.integration.test_handler_roundtrip"]),
        ("from .conftest import Synthesized", ["tests.construct.conftest"]),
        ("from . import stacks\nfrom tests.support.clock import FakeClock", []),
    ],
)
def test_every_form_of_import_is_seen(source: str, caught: list[str]) -> None:
    imports = imported_modules(source, "tests.construct.test_example")
    assert sorted(name for name in imports if is_test_module(name)) == caught


def test_the_test_account_is_written_in_one_place() -> None:
    modules = suite_modules()
    assert ACCOUNT in modules["tests.support.account"]
    assert [name for name, source in modules.items() if ACCOUNT in source] == ["tests.support.account"]
