"""The docs build's Griffe extension: what the API reference shows, and what fails the strict build.

``mkdocs build --strict`` fails on any warning, and this extension's warnings are the
ones that keep the reference complete: a public member without a docstring, a role that
points at no public object. A small package written here shows each case; the real
package shows that its markup comes out as Markdown links, lists and fences.
"""

from __future__ import annotations

import importlib.util
import logging
import textwrap
from pathlib import Path
from typing import Any

import griffe
import pytest

from tests.docs.markdown_blocks import REPO_ROOT

pytestmark = pytest.mark.docs

_spec = importlib.util.spec_from_file_location("sphinx_markup", REPO_ROOT / "docs" / "_ext" / "sphinx_markup.py")
assert _spec is not None
assert _spec.loader is not None
sphinx_markup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sphinx_markup)


def load(package: str, search_path: Path, filters: list[str] | None = None) -> griffe.Module:
    extension = sphinx_markup.SphinxMarkup(package=package, filters=filters)
    loaded = griffe.load(package, search_paths=[search_path], extensions=griffe.load_extensions(extension))
    assert isinstance(loaded, griffe.Module)
    return loaded


def load_toy(root: Path, thing: str, filters: list[str] | None = None) -> griffe.Module:
    """A package ``toy`` whose one public name is ``Thing``, the class in ``thing``, loaded as the docs build loads it."""
    package = root / "toy"
    package.mkdir()
    (package / "__init__.py").write_text('__all__ = ["Thing"]\n\n' + textwrap.dedent(thing))
    return load("toy", root, filters)


def docstring(obj: Any) -> str:
    assert obj.docstring is not None
    return str(obj.docstring.value)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_the_packages_markup_becomes_links_lists_and_fences() -> None:
    package = load("cdk_appintegrations", REPO_ROOT / "constructs")
    execution = package["DataIntegrationAssociationExecution"]
    assert "[`ExecutionProvider`][cdk_appintegrations.ExecutionProvider]" in docstring(execution)
    assert "```python\nsync = DataIntegrationAssociationExecution(" in docstring(execution)
    constructor = docstring(execution.members["__init__"])
    assert "**Defaults:**\n\n- ``data_integration_association_identifier``: none;" in constructor
    assert constructor.index("**Defaults:**") < constructor.index(":param scope:")
    on_demand = package["ExecutionConfiguration"]
    assert "[`on_demand`][cdk_appintegrations.ExecutionConfiguration.on_demand]" in docstring(on_demand)
    assert docstring(package["ExecutionProvider"].members["log_group"]).startswith("The function's log group")
    assert docstring(package["Instant"]).startswith("A moment in time as the API takes it")


def test_a_public_member_without_a_docstring_fails_the_build(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    load_toy(
        tmp_path,
        '''
        class Thing:
            """A thing."""

            def __init__(self) -> None:
                #: Documented by its comment.
                self.size = 1
                self.colour = "red"
                self._secret = 2

            def weigh(self) -> int:
                return 1
        ''',
    )
    assert sorted(warnings(caplog)) == [
        "toy.Thing.colour is public but has no docstring: the API reference would show it unexplained",
        "toy.Thing.weigh is public but has no docstring: the API reference would show it unexplained",
    ]


def test_a_member_the_filters_hide_needs_no_docstring(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    load_toy(
        tmp_path,
        '''
        class Thing:
            """A thing."""

            def plumbing(self) -> int:
                return 1
        ''',
        filters=["!^_", "!^plumbing$"],
    )
    assert warnings(caplog) == []


def test_a_role_naming_no_public_object_fails_the_build(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    package = load_toy(
        tmp_path,
        '''
        class Thing:
            """Made by :func:`_factory`; see :meth:`weigh`."""

            def weigh(self) -> int:
                """Its weight."""
                return 1
        ''',
    )
    assert warnings(caplog) == ["toy.Thing: the docstring points at '_factory', which is not in the public API"]
    assert "see [`weigh`][toy.Thing.weigh]" in docstring(package["Thing"])
