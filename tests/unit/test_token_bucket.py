"""The token bucket behind the emulator's rate limit, on a stepped clock (no sleeping, no flakiness)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from testkit.clock import FakeClock
from testkit.token_bucket import RateLimit, TokenBucket

pytestmark = [pytest.mark.unit, pytest.mark.harness]


def admitted(bucket: TokenBucket, attempts: int) -> int:
    return sum(bucket.try_acquire() for _ in range(attempts))


def test_the_burst_at_once_then_tokens_at_the_rate_never_beyond_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=2.0, burst=5), clock)
    assert admitted(bucket, 7) == 5  # a throttled request takes nothing, and gives nothing back
    clock.advance(0.49)
    assert not bucket.try_acquire()
    clock.advance(0.01)  # 0.5 s at 2/s: one token
    assert admitted(bucket, 2) == 1
    clock.advance(3600)
    assert admitted(bucket, 10) == 5


@pytest.mark.parametrize(("rate", "burst", "expected"), [(2.0, 5, 24), (0.5, 1, 5)])
def test_sustained_load_gets_exactly_the_rate(rate: float, burst: int, expected: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate, burst), clock)
    total = 0
    for _ in range(1000):  # 10 s of someone trying every 10 ms
        total += bucket.try_acquire()
        clock.advance(0.01)
    assert total == expected  # the burst, then the rate over the 9.99 s between the first and the last try


def test_a_clock_stepping_back_grants_nothing() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=2), clock)
    admitted(bucket, 2)
    clock.advance(-100)
    assert not bucket.try_acquire()
    clock.advance(100.5)  # back where it was, plus half a token
    assert not bucket.try_acquire()
    clock.advance(0.5)
    assert bucket.try_acquire()


def test_concurrent_callers_never_get_more_than_the_tokens() -> None:
    bucket = TokenBucket(RateLimit(rate=1.0, burst=50), FakeClock())
    start = threading.Barrier(20)

    def worker(_: int) -> int:
        start.wait()  # all twenty ask at once
        return admitted(bucket, 10)

    with ThreadPoolExecutor(max_workers=20) as workers:
        assert sum(workers.map(worker, range(20))) == 50


def test_floor_is_the_least_time_for_n_requests() -> None:
    limit = RateLimit(rate=2.0, burst=5)
    assert limit.floor_seconds(3) == limit.floor_seconds(5) == 0.0
    assert limit.floor_seconds(490) == pytest.approx(242.5)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 5), (-1.0, 5), (2.0, 0)])
def test_impossible_quotas_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RateLimit(rate, burst)
