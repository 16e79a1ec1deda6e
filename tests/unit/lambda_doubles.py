"""In-process doubles for the unit tier: a response recorder, and the handler run as Lambda calls it.

The event comes from :mod:`testkit.cfn_events` and Lambda's context object from
:mod:`testkit.clock`, the builders every tier shares.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from testkit.clock import FakeClock, LambdaContext


@dataclass
class Recorder:
    """Stands in for crhelper's HTTPS transport; keeps every body it is given."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, url: str, body: dict[str, Any], _ssl_verify: Any) -> None:
        serialized = json.dumps(body)
        with self.lock:
            self.bodies.append({"url": url, "bytes": len(serialized.encode()), **json.loads(serialized)})


def run_handler(event: Any, timeout_ms: float = 120_000, *, clock: FakeClock | None = None) -> None:
    """``event`` through the handler module (``appintegrations_cr.handler.handler``), in process.

    Its deadline is ``timeout_ms`` away on real time, or ``clock``'s deadline on that clock.
    The module is imported here, at the first run, not when the tier's modules load.
    """
    from appintegrations_cr import handler as provider

    provider.handler(event, LambdaContext(timeout_ms) if clock is None else clock.lambda_context())
