"""What the Lambda runtime wrote to stdout, as the unit tier's ``runtime_log`` fixture captures it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class RuntimeLog:
    """What the Lambda runtime wrote to stdout through its root handler, one record per line."""

    capsys: pytest.CaptureFixture[str]

    def lines(self) -> list[str]:
        """The lines written since the last call (split at line feeds only: a carriage return is within a line)."""
        out = self.capsys.readouterr().out
        return out.removesuffix("\n").split("\n") if out else []

    def records(self) -> list[dict[str, Any]]:
        """The lines since the last call, each parsed as the one JSON object it must be (JSON format)."""
        return [json.loads(line) for line in self.lines()]


RuntimeLogFactory = Callable[..., RuntimeLog]
