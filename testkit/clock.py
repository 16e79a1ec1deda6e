"""The one fake clock of the test suite: time passes only when a test (or a double) says so.

Two kinds of code under test read time. The retry engine and the response sender take
the time left before the function's deadline (``remaining``) and wait with ``sleep``; the
token bucket reads a monotonic clock (call the clock). One model serves both, so every
test that steps time agrees on what a second is, and no test waits or depends on the
machine's speed.

The handler itself reads its deadline from Lambda's context object: :class:`LambdaContext`
is that object, on real monotonic time by default, or on a :class:`FakeClock`
(:meth:`FakeClock.lambda_context`), whose deadline it then shares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: The ``aws_request_id`` of every :class:`LambdaContext` (the runtime's request id in log records).
LAMBDA_REQUEST_ID = "lambda-request-1"


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

    def lambda_context(self) -> LambdaContext:
        """Lambda's context object on this clock: its remaining time is :meth:`remaining`."""
        return LambdaContext(min(self.remaining(), 900.0) * 1000, clock=self)  # 900 s: Lambda's longest timeout


class LambdaContext:
    """Like Lambda's context object: the remaining time really shrinks, on ``clock``.

    ``clock`` is monotonic time in seconds: the machine's (the default) for a handler that
    really waits, or a :class:`FakeClock` for one whose waits are stepped.
    """

    def __init__(self, timeout_ms: float = 120_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline = clock() + timeout_ms / 1000
        self.aws_request_id = LAMBDA_REQUEST_ID
        self.function_name = "provider"
        self.log_group_name = "/aws/lambda/provider"
        self.log_stream_name = "2025/01/01/[$LATEST]abc"
        self.memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))
