"""The one fake clock drives Lambda's context object too: the handler's deadline is the clock's."""

from __future__ import annotations

import pytest

from testkit.clock import LAMBDA_REQUEST_ID, FakeClock, LambdaContext

pytestmark = [pytest.mark.unit, pytest.mark.harness]


def test_the_context_of_a_fake_clock_shares_its_deadline() -> None:
    clock = FakeClock(10.0, now=5.0)
    context = clock.lambda_context()
    assert context.get_remaining_time_in_millis() == 10_000
    clock.sleep(2.5)
    assert context.get_remaining_time_in_millis() == 7_500 == clock.remaining() * 1000
    clock.advance(20.0)
    assert context.get_remaining_time_in_millis() == 0  # never negative, as Lambda's
    assert context.aws_request_id == LAMBDA_REQUEST_ID


def test_a_clock_without_deadline_gives_lambdas_longest_timeout() -> None:
    assert FakeClock().lambda_context().get_remaining_time_in_millis() == 900_000


def test_on_real_time_the_remaining_time_really_shrinks() -> None:
    context = LambdaContext(timeout_ms=60_000)
    assert 59_000 < context.get_remaining_time_in_millis() <= 60_000
