"""Each file of the product is loaded under one module name: the check the whole test session ends with.

Loaded under two names (say ``appintegrations_cr.contract`` and a second path to the same
file), a file becomes two modules with two of each class, and an ``isinstance`` or an
``except`` written against one never sees the other. The product's two packages,
``cdk_appintegrations`` (``constructs/``) and ``appintegrations_cr`` (``lambda_src/``),
each have one name everywhere; ``tests/conftest.py`` runs :func:`duplicate_modules` over
``sys.modules`` when the session ends and fails the run on any file it finds twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from testkit.synth_env import REPO_ROOT as REPO_ROOT

#: Where the product's files are: the construct library's and the handler's source roots.
PRODUCT_ROOTS = (REPO_ROOT / "constructs", REPO_ROOT / "lambda_src")


def duplicate_modules(modules: Mapping[str, object], roots: Iterable[Path] = PRODUCT_ROOTS) -> dict[Path, list[str]]:
    """Each product file (resolved) that ``modules`` (``sys.modules``) holds under more than one name, with the names."""
    resolved_roots = [root.resolve() for root in roots]
    names_by_file: dict[Path, set[str]] = {}
    for name, module in list(modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        path = Path(file).resolve()
        if any(path.is_relative_to(root) for root in resolved_roots):
            names_by_file.setdefault(path, set()).add(name)
    return {path: sorted(names) for path, names in sorted(names_by_file.items()) if len(names) > 1}


def report(duplicates: Mapping[Path, list[str]]) -> str:
    """What the session says when :func:`duplicate_modules` found any."""
    lines = [f"{path.relative_to(REPO_ROOT)}: {', '.join(names)}" for path, names in duplicates.items()]
    return (
        "product files loaded under more than one module name (each becomes two modules, with two of each "
        "class; import them as cdk_appintegrations.* or appintegrations_cr.* only):\n  " + "\n  ".join(lines)
    )
