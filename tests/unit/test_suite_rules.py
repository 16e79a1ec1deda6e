"""Rules the test suite keeps about itself: what it imports, and where the test account is written.

No module of the suite imports a test module or a conftest. What tests share lives in
``testkit`` (for every tier, and for the benchmarks) or in a tier's helper module (``tests/construct/stacks.py``,
``tests/integration/handler_runs.py``, ...), and fixtures in a ``conftest.py``. Importing a
test module runs its collection-time code again under another name and ties one test
file's edits to another's; importing a conftest gives a second copy of a module pytest
loads by its own rules.

The tests and the benchmarks never import each other, in either direction: what both need
(the doubles, the synth environment, the test account) is :mod:`testkit`, a third package.
A benchmark importing ``tests`` would make the benchmarks depend on test code that may
change with any test; a test importing ``benchmarks`` would make the product's tests depend
on measuring code. The benchmark code's own tests live beside it (``benchmarks/test_*.py``).

Each tier has one AppIntegrations fake: the unit tier botocore's ``Stubber``
(:mod:`testkit.appintegrations_stub`), the integration tier the HTTP emulator
(:mod:`testkit.emulator`); neither tier imports the other's.

The test account's digits are written once, in :mod:`testkit.account`: an ARN a double
builds and the one a test expects then cannot drift apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testkit.account import ACCOUNT

pytestmark = [pytest.mark.unit, pytest.mark.harness]

TESTS = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS.parent
#: The folders whose Python modules the rules read: the tests, the shared doubles, the benchmarks.
FOLDERS = ("tests", "testkit", "benchmarks")


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
    """Dotted name to source of every Python module of the suite, its doubles and the benchmarks.

    Not the snapshots' or npm's files.
    """
    modules: dict[str, str] = {}
    for path in sorted(path for folder in FOLDERS for path in (REPO_ROOT / folder).rglob("*.py")):
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


def crossing_imports(module: str, imports: set[str]) -> list[str]:
    """What ``module`` imports across the tests/benchmarks line (either way), by dotted name."""
    side = module.split(".", 1)[0]
    other = {"tests": "benchmarks", "benchmarks": "tests"}.get(side)
    if other is None:
        return []
    return sorted(name for name in imports if name == other or name.startswith(f"{other}."))


def test_tests_and_benchmarks_never_import_each_other() -> None:
    modules = suite_modules()
    assert "benchmarks.run" in modules
    assert "testkit.emulator" in modules
    offending = {
        name: found
        for name, source in modules.items()
        if (found := crossing_imports(name, imported_modules(source, name)))
    }
    assert offending == {}


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        (
            "benchmarks.run",
            "from tests.construct.stacks import build",
            ["tests.construct.stacks", "tests.construct.stacks.build"],
        ),
        ("benchmarks.peer.peer_stack", "import tests.unit.lambda_doubles", ["tests.unit.lambda_doubles"]),
        (
            "tests.unit.test_example",
            "from benchmarks.peer.peer_stack import deployable",
            ["benchmarks.peer.peer_stack", "benchmarks.peer.peer_stack.deployable"],
        ),
        ("tests.unit.test_example", "import benchmarks", ["benchmarks"]),
        ("benchmarks.run", "from testkit.emulator import AppIntegrationsEmulator", []),
        ("tests.unit.test_example", "from testkit import deploy_stacks", []),
        (
            "testkit.emulator",
            "from tests.unit import conftest",
            [],
        ),  # testkit is neither side (the other rule covers conftests)
    ],
)
def test_a_crossing_import_is_seen(module: str, source: str, caught: list[str]) -> None:
    assert crossing_imports(module, imported_modules(source, module)) == caught


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from tests.unit.test_contract import ON_DEMAND", ["tests.unit.test_contract"]),
        ("from tests.unit import test_contract", ["tests.unit.test_contract"]),
        ("import tests.integration.test_handler_roundtrip as roundtrip", ["tests.integration.test_handler_roundtrip"]),
        ("from .conftest import Synthesized", ["tests.construct.conftest"]),
        ("from . import stacks\nfrom testkit.clock import FakeClock", []),
    ],
)
def test_every_form_of_import_is_seen(source: str, caught: list[str]) -> None:
    imports = imported_modules(source, "tests.construct.test_example")
    assert sorted(name for name in imports if is_test_module(name)) == caught


def test_the_test_account_is_written_in_one_place() -> None:
    modules = suite_modules()
    assert ACCOUNT in modules["testkit.account"]
    assert [name for name, source in modules.items() if ACCOUNT in source] == ["testkit.account"]


def test_testkit_imports_neither_the_tests_nor_the_benchmarks() -> None:
    modules = suite_modules()
    offending = {
        name: found
        for name, source in modules.items()
        if name.startswith("testkit.")
        and (
            found := sorted(m for m in imported_modules(source, name) if m.split(".", 1)[0] in {"tests", "benchmarks"})
        )
    }
    assert offending == {}


#: The one AppIntegrations fake of each tier, and the other one, which the tier must not import.
FAKES = {
    "tests.unit": ("testkit.appintegrations_stub", "testkit.emulator"),
    "tests.integration": ("testkit.emulator", "testkit.appintegrations_stub"),
}


def test_each_tier_has_one_appintegrations_fake() -> None:
    modules = suite_modules()
    used: dict[str, set[str]] = {tier: set() for tier in FAKES}
    for name, source in modules.items():
        tier = name.rsplit(".", 1)[0]
        if tier in FAKES:
            used[tier] |= {fake for fake in FAKES[tier] if fake in imported_modules(source, name)}
    assert used == {tier: {own} for tier, (own, _other) in FAKES.items()}
