"""A token bucket: AWS's API quotas are "rate R per second, burst B" (B at once after a quiet spell, then R/s).

A refused request takes nothing. The clock is injectable (tests step it) and monotonic by
default, so a wall-clock change neither grants nor withholds tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not self.rate > 0 or self.burst < 1:
            raise ValueError(f"a quota's rate and burst must be positive, not {self.rate!r} and {self.burst!r}")

    def floor_seconds(self, requests: int) -> float:
        """The least time ``requests`` requests can take from a full bucket."""
        return max(0.0, (requests - self.burst) / self.rate)


class TokenBucket:
    """Thread-safe; starts full."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self._clock, self._lock = limit, clock, threading.Lock()
        self._tokens, self._updated = float(limit.burst), clock()

    def try_acquire(self) -> bool:
        """Take one token if there is one; ``False``: throttled."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)  # a clock that steps back grants nothing
            self._tokens = min(float(self.limit.burst), self._tokens + elapsed * self.limit.rate)
            self._updated = max(self._updated, now)
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True
