"""cdk-nag 2's five packs on both examples, applied as Aspects, the way most existing apps apply them.

:func:`main` runs in a fresh interpreter (:func:`run`), never in pytest's process: cdk-nag 2
and 3 share the module name ``cdk_nag``, and that process has 3 (the validation plugins).
``scripts/setup.sh`` installs cdk-nag 2 alone, from uv.lock's ``nag2`` group, into
``.nag2/``; the subprocess puts that folder first on its path and runs on the interpreter of
whichever venv runs the tier, so cdk-nag 2 meets aws-cdk-lib 2.275 in .venv and the lowest
supported, 2.257.0, in .venv-integ. Its own requirements are met from that venv, which
:func:`main` checks first.

It writes each case's cloud assembly to ``OUTDIR/<case>/`` and its findings to
``OUTDIR/findings.json``: ``{case: [[rule, construct path], ...]}``, a rule as cdk-nag names
it (``AwsSolutions-IAM5[Resource::*]``), acknowledged ones left out as cdk-nag 2 leaves them.
The case ``without-nag2-metadata`` is the default example with the library's ``cdk_nag``
metadata withheld: what cdk-nag 2 finds when only cdk-nag 3's acknowledgement is written.
First it runs the program of docs/locked-down.md that applies cdk-nag 2's packs, as pasted,
and records it there too (``documented``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

from packaging.requirements import Requirement

from testkit.synth_env import REPO_ROOT
from tests.construct.fresh_python import run_fresh_python

#: Where scripts/setup.sh installs cdk-nag 2 (pyproject.toml's nag2 group).
NAG2_DIR = REPO_ROOT / ".nag2"
#: The page that shows how each generation of cdk-nag is applied.
PACKS_PAGE = REPO_ROOT / "docs" / "locked-down.md"
FINDINGS = "findings.json"
_ANNOTATIONS = ("aws:cdk:error", "aws:cdk:warning", "aws:cdk:info")
DEFAULT, LOCKED_DOWN, WITHOUT_METADATA = "default", "locked-down", "without-nag2-metadata"
#: cdk-nag 2's five packs, as its Python module names them.
PACKS = ("AwsSolutionsChecks", "HIPAASecurityChecks", "NIST80053R5Checks", "PCIDSS321Checks", "ServerlessChecks")
#: A finding in an annotation: ``<pack>-<rule>[<finding>]: <info>``, or cdk-nag's error while checking.
_FINDING = re.compile(
    r"^((?:AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|Serverless|CdkNagValidationFailure)"
    r"(?:-[\w.]+)?(?:\[.*?\])?): ",
    re.DOTALL,
)


class Nag2Run(NamedTuple):
    """What a run found, by case, and the documented program it ran first."""

    findings: dict[str, list[tuple[str, str]]]
    documented: str


def run(outdir: Path, timeout_s: float = 600) -> Nag2Run:
    """Run :func:`main` in a fresh interpreter of this venv, cdk-nag 2 first on its path (then this checkout)."""
    if not (NAG2_DIR / "cdk_nag").is_dir():
        raise FileNotFoundError(f"{NAG2_DIR} holds no cdk_nag: run scripts/setup.sh (pyproject.toml's nag2 group)")
    result = run_fresh_python(
        f"from pathlib import Path; from tests.construct.nag2 import main; main(Path({str(outdir)!r}))",
        REPO_ROOT,
        timeout_s=timeout_s,
        path=(NAG2_DIR, REPO_ROOT, REPO_ROOT / "lambda_src"),
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"cdk-nag 2 run failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-5000:]}"
        )
    found: dict[str, Any] = json.loads((outdir / FINDINGS).read_text())
    cases = {case: [(rule, path) for rule, path in findings] for case, findings in found["cases"].items()}
    return Nag2Run(cases, found["documented"])


def documented_program(generation: int) -> str:
    """The program of docs/locked-down.md that applies cdk-nag ``generation``'s packs (``# cdk-nag <n>.x``)."""
    from tests.docs.markdown_blocks import blocks

    marker = f"# cdk-nag {generation}.x"
    [program] = [block.text for block in blocks(PACKS_PAGE) if block.language == "python" and marker in block.text]
    return program


def check_requirements() -> None:
    """cdk-nag 2 is installed without its dependencies: this venv must meet its requirements."""
    version = importlib.metadata.version("cdk-nag")
    if not version.startswith("2."):
        raise SystemExit(f"cdk-nag {version} is first on the path, not 2.x: put {NAG2_DIR} first on PYTHONPATH")
    unmet = []
    for line in importlib.metadata.requires("cdk-nag") or []:
        requirement = Requirement(line)
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            installed = "nothing"
        if installed == "nothing" or not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{requirement} ({installed} installed)")
    if unmet:
        raise SystemExit(f"cdk-nag {version} needs what {sys.prefix} lacks: {', '.join(unmet)}")


@contextmanager
def without_nag2_metadata() -> Iterator[None]:
    """The library's acknowledgements written for cdk-nag 3 alone, as before it wrote them both ways."""
    from cdk_appintegrations import acknowledgments

    with mock.patch.object(acknowledgments, "add_nag_suppressions", return_value=None):
        yield


def findings(stack: Any) -> list[tuple[str, str]]:
    """cdk-nag 2's unacknowledged findings: the annotations it adds to the resources it checks.

    Read from the tree, not the assembly: with cdk.json's ``annotationsInValidationReport``
    an error annotation fails the synth, as it would the app's, before the assembly is read.
    """
    found = set()
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            match = _FINDING.match(str(entry.data)) if entry.type in _ANNOTATIONS else None
            if match:
                found.add((match.group(1), construct.node.path))
    return sorted(found)


def main(outdir: Path) -> None:
    check_requirements()
    import aws_cdk as cdk

    from app import AppIntegrationsExampleStack, LockedDownExampleStack
    from tests.construct import stacks

    documented = documented_program(2)
    exec(compile(documented, str(PACKS_PAGE), "exec"), {})  # the page's program, as a reader runs it
    nag = importlib.import_module("cdk_nag")  # cdk-nag 2's; the installed stubs are cdk-nag 3's
    cases: dict[str, tuple[type[cdk.Stack], str, Callable[[], Any]]] = {
        DEFAULT: (AppIntegrationsExampleStack, stacks.EXAMPLE, nullcontext),
        LOCKED_DOWN: (LockedDownExampleStack, stacks.LOCKED_DOWN, nullcontext),
        WITHOUT_METADATA: (AppIntegrationsExampleStack, stacks.EXAMPLE, without_nag2_metadata),
    }
    found: dict[str, list[tuple[str, str]]] = {}
    for case, (stack_class, stack_name, context) in cases.items():
        app = stacks.new_app(outdir / case, nag=False)
        for pack in PACKS:  # as an app that pins cdk-nag 2 applies them; no reports (annotations suffice)
            cdk.Aspects.of(app).add(getattr(nag, pack)(reports=False))
        stack = stack_class(app, stack_name)
        with context(), suppress(RuntimeError):  # cdk-nag's error annotations fail the synth (see findings)
            app.synth()
        found[case] = findings(stack)
    (outdir / FINDINGS).write_text(json.dumps({"cases": found, "documented": documented}, indent=2))
