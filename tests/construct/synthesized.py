"""A synthesized app of the construct tier, and the one way to make one (timed, with its validation report).

The session fixtures (``conftest.py``) and the tests that synthesize an app of their own
share these; a test module imports them from here, never from the conftest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.construct import stacks

# Scale cases: (stack name, executions, data integrations they are spread over).
SCALE_CASES: dict[str, tuple[int, int]] = {
    "Scale1": (1, 1),
    "Scale50": (50, 10),
    "Scale490": (490, 10),
    "Scale490Distinct": (490, 490),
}
FIGURES: list[str] = []


@dataclass
class Synthesized:
    """A synthesized app: its output directory, and how long building it and ``app.synth()`` took."""

    outdir: Path
    build_seconds: float
    synth_seconds: float
    stack_names: list[str] = field(default_factory=list)

    def template_path(self, stack_name: str) -> Path:
        return self.outdir / f"{stack_name}.template.json"

    def template(self, stack_name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path(stack_name).read_text())
        return loaded

    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        report: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"pluginReports": []}
        return report


def synthesize(outdir: Path, build: Callable[[Path], cdk.App], *, findings_expected: bool = False) -> Synthesized:
    """Build and synthesize once; a synth that cdk-nag (or anything) fails is reported with the report.

    With ``findings_expected`` a synth that only cdk-nag fails is kept: its report says what it found.
    """
    started = time.perf_counter()
    app = build(outdir)
    built = time.perf_counter()
    stack_names = [child.node.id for child in app.node.children if isinstance(child, cdk.Stack)]
    report_path = outdir / "validation-report.json"
    try:
        app.synth()
    except Exception as error:
        if not (findings_expected and report_path.exists()):
            report = report_path.read_text() if report_path.exists() else ""
            pytest.fail(f"synth failed: {error}\n{report[:5000]}")
    if not stacks.NAG_PLUGIN_RUNS and str(outdir) in stacks.NAGGED:
        report_path.write_text(json.dumps(stacks.nag_report(app, stacks.NAGGED[str(outdir)]), indent=2))
    return Synthesized(outdir, built - started, time.perf_counter() - built, stack_names)
