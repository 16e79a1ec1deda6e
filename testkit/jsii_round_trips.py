"""Counting jsii round trips: the part of a synth's cost that the construct itself controls.

Each request Python sends to the jsii kernel (a constructor, a property, a method, a
callback's answer) is one round trip to Node.js. The construct tier bounds them per
execution (tests/construct/test_synth_cost.py) and the synth-cost benchmark reports them
(benchmarks/synth_cost.py); both count them here, the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jsii._kernel.providers import process


@dataclass
class RoundTrips:
    """The requests sent to the jsii kernel so far, while counting, and the wall time they took.

    The time is what a round trip costs as the app sees it: encoding the request,
    Node.js doing the work, and decoding the answer (with any callbacks it makes).
    """

    requests: int = 0
    seconds: float = 0.0


@contextmanager
def counted_round_trips() -> Iterator[RoundTrips]:
    """Count every request to the jsii kernel until the block ends (the kernel's ``send``, wrapped)."""
    counter = RoundTrips()
    send = process._NodeProcess.send

    def counting(self: Any, request: Any, response_type: Any) -> Any:
        counter.requests += 1
        started = time.perf_counter()
        try:
            return send(self, request, response_type)
        finally:
            counter.seconds += time.perf_counter() - started

    process._NodeProcess.send = counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        process._NodeProcess.send = send  # type: ignore[method-assign]
