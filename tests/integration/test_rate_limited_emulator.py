"""The emulator's account-wide rate limit, seen through a real boto3 client.

The deploy-under-throttling tests and the benchmark trust these behaviours: the 429 is a
``ThrottlingException`` to botocore, every request counts (both operations, whatever the
answer), it comes before faults and validation, and the bucket refills at its rate.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from testkit.clock import FakeClock
from testkit.emulator import LIST_OPERATION, THROTTLE_MESSAGE, UPDATE_OPERATION, ApiCounters, AppIntegrationsEmulator

pytestmark = [pytest.mark.integration, pytest.mark.harness]

ON_DEMAND = {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": "1700000000000"}}


def client(endpoint_url: str) -> Any:
    return boto3.client(
        "appintegrations",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="AKIATESTTESTTESTTEST",
        aws_secret_access_key="test-secret-key-not-real",
        config=Config(retries={"total_max_attempts": 1}),
    )


def update(api: Any, association: str = "assoc-1") -> str:
    """The error code of one Update, or ``"ok"``."""
    try:
        api.update_data_integration_association(
            DataIntegrationIdentifier="di-1",
            DataIntegrationAssociationIdentifier=association,
            ExecutionConfiguration=ON_DEMAND,
        )
    except botocore.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


@pytest.fixture
def emulator(fresh_emulator: AppIntegrationsEmulator) -> AppIntegrationsEmulator:
    fresh_emulator.add_association("di-1", "assoc-1")
    return fresh_emulator


def test_burst_then_throttling_exception_with_aws_shaped_answer(emulator: AppIntegrationsEmulator) -> None:
    clock = FakeClock()
    emulator.set_rate_limit(rate=2.0, burst=3, clock=clock)
    api = client(emulator.endpoint_url)
    assert [update(api) for _ in range(3)] == ["ok"] * 3

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        api.update_data_integration_association(
            DataIntegrationIdentifier="di-1",
            DataIntegrationAssociationIdentifier="assoc-1",
            ExecutionConfiguration=ON_DEMAND,
        )

    error = raised.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ThrottlingException", THROTTLE_MESSAGE)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    last = emulator.requests[-1]
    assert (last.throttled, last.fault, last.status, last.error_type) == (True, None, 429, "ThrottlingException")
    assert error["ResponseMetadata"]["RequestId"] == last.request_id
    assert emulator.get_association("di-1", "assoc-1").update_count == 3  # a throttled request changes nothing
    assert emulator.counters() == ApiCounters(attempts=4, throttled=1)

    clock.advance(0.5)  # one token at 2/s
    assert [update(api), update(api)] == ["ok", "ThrottlingException"]
    assert emulator.counters().throttled == 2


def test_the_limit_is_account_wide_across_operations_and_clients(emulator: AppIntegrationsEmulator) -> None:
    emulator.set_rate_limit(rate=1.0, burst=2, clock=FakeClock())
    first, second = client(emulator.endpoint_url), client(emulator.endpoint_url)

    first.list_data_integration_associations(DataIntegrationIdentifier="di-1")
    update(second)
    with pytest.raises(botocore.exceptions.ClientError, match="ThrottlingException"):
        first.list_data_integration_associations(DataIntegrationIdentifier="di-1")

    assert [(r.operation, r.throttled) for r in emulator.requests] == [
        (LIST_OPERATION, False),
        (UPDATE_OPERATION, False),
        (LIST_OPERATION, True),
    ]
    assert emulator.counters() == ApiCounters(attempts=3, throttled=1)


def test_throttling_comes_before_faults_and_validation(emulator: AppIntegrationsEmulator) -> None:
    emulator.set_rate_limit(rate=1.0, burst=1, clock=FakeClock())
    emulator.inject("internal")
    api = client(emulator.endpoint_url)

    assert update(api) == "InternalServiceError"  # admitted, then the injected fault
    assert update(api, association="assoc-missing") == "ThrottlingException"  # not the lookup's 404
    assert [(r.fault, r.throttled) for r in emulator.requests] == [("internal", False), (None, True)]


def test_none_lifts_the_limit_and_reset_clears_it(emulator: AppIntegrationsEmulator) -> None:
    api = client(emulator.endpoint_url)
    emulator.set_rate_limit(rate=1.0, burst=1, clock=FakeClock())
    emulator.set_rate_limit(None)
    assert [update(api) for _ in range(3)] == ["ok"] * 3
    emulator.set_rate_limit(rate=1.0, burst=1, clock=FakeClock())
    emulator.reset()
    assert emulator.counters() == ApiCounters()
    emulator.add_association("di-1", "assoc-1")
    assert [update(api) for _ in range(3)] == ["ok"] * 3
    with pytest.raises(ValueError, match="burst"):
        emulator.set_rate_limit(rate=2.0)


def test_a_crowd_connecting_at_once_gets_exactly_the_burst_and_nothing_dropped(
    emulator: AppIntegrationsEmulator,
) -> None:
    """Hundreds of containers open their first connection together: none may see it closed unanswered."""
    emulator.set_rate_limit(rate=0.001, burst=5)  # the real clock; no refill within the test
    clients = [client(emulator.endpoint_url) for _ in range(120)]  # boto3's default session is not thread-safe
    outcomes: list[str] = []
    start = threading.Barrier(len(clients))

    def call(api: Any) -> None:
        start.wait()
        try:
            outcomes.append(update(api))
        except botocore.exceptions.BotoCoreError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=call, args=(api,)) for api in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ThrottlingException"] * 115 + ["ok"] * 5
    assert emulator.counters() == ApiCounters(attempts=120, throttled=115)
