"""The one fake clock of the test suite: time passes only when a test (or a double) says so.

Two kinds of code under test read time. The retry engine and the response sender take
the time left before the function's deadline (``remaining``) and wait with ``sleep``; the
token bucket reads a monotonic clock (call the clock). One model serves both, so every
test that steps time agrees on what a second is, and no test waits or depends on the
machine's speed.
"""

from __future__ import annotations

import math


class FakeClock:
    """Monotonic time that moves only by :meth:`sleep` and :meth:`advance`, with an optional deadline.

    ``sleep`` is what the code under test calls: it records the wait and passes the time
    at once. ``advance`` is what a double calls for time spent working (a connect timeout
    takes its whole timeout), or a test for time passing between calls; a negative step
    models a wall clock set back, which monotonic time never does.
    """

    def __init__(self, remaining_s: float = math.inf, *, now: float = 0.0) -> None:
        self.now = now
        self.deadline = now + remaining_s
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def remaining(self) -> float:
        """Seconds left before the deadline: what the handler derives from the Lambda context."""
        return self.deadline - self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
