"""A token bucket: how AWS APIs enforce a request rate with a burst allowance.

Why a token bucket: AWS documents API quotas as "rate R requests per second, burst B"
(e.g. Amazon Connect's default of 2/s with a burst of 5). A bucket holding at most ``B``
tokens, refilled continuously at ``R`` per second, with one token per request, admits
exactly that: ``B`` requests at once after a quiet period, then ``R`` per second
sustained. A request that finds the bucket empty is throttled (and, like AWS, a throttled
request consumes nothing: it is simply refused).

The clock is injectable so that tests can step time deterministically; the default is
``time.monotonic`` so a wall-clock change (NTP) can neither grant nor withhold tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimit", "TokenBucket"]


@dataclass(frozen=True)
class RateLimit:
    """A request quota: ``rate`` requests per second sustained, ``burst`` at once."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        """Refuse quotas no service could have (they would make every test meaningless)."""
        if not self.rate > 0:
            raise ValueError(f"rate must be positive, not {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, not {self.burst!r}")

    def floor_seconds(self, requests: int) -> float:
        """The least time ``requests`` requests can take from a full bucket: ``(requests - burst) / rate``."""
        return max(0.0, (requests - self.burst) / self.rate)


class TokenBucket:
    """Thread-safe token bucket; starts full."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        """Start with ``limit.burst`` tokens at ``clock()``."""
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(limit.burst)
        self._updated = clock()

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)  # a clock that steps back grants nothing
        self._tokens = min(float(self.limit.burst), self._tokens + elapsed * self.limit.rate)
        self._updated = max(self._updated, now)

    def try_acquire(self) -> bool:
        """Take one token if there is one; ``False`` means the request is throttled."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    @property
    def tokens(self) -> float:
        """Tokens available now (fractional while refilling)."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens

    def seconds_until_available(self) -> float:
        """How long until the next request would be admitted (0 when one would be now)."""
        with self._lock:
            self._refill(self._clock())
            return max(0.0, (1.0 - self._tokens) / self.limit.rate)
