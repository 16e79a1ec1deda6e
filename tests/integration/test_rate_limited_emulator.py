"""The emulator's account-wide rate limit, seen through a real boto3 client.

The deploy-under-throttling tests and the benchmark trust these behaviours: the 429 is a
``ThrottlingException`` to botocore, every request counts (both operations, whatever the
answer), the bucket refills at its rate, and every answer carries a request id that
botocore exposes as ``ResponseMetadata.RequestId``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from testkit.clock import FakeClock
from testkit.emulator import (
    LIST_OPERATION,
    THROTTLE_MESSAGE,
    UPDATE_OPERATION,
    ApiCounters,
    AppIntegrationsEmulator,
    RateLimit,
)

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


def update(api: Any, association: str = "assoc-1") -> dict[str, Any]:
    response: dict[str, Any] = api.update_data_integration_association(
        DataIntegrationIdentifier="di-1",
        DataIntegrationAssociationIdentifier=association,
        ExecutionConfiguration=ON_DEMAND,
    )
    return response


def test_burst_then_throttling_exception_with_aws_shaped_answer(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    clock = FakeClock()
    fresh_emulator.set_rate_limit(rate=2.0, burst=3, clock=clock)
    api = client(fresh_emulator.endpoint_url)

    for _ in range(3):
        update(api)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        update(api)

    error = raised.value.response
    assert error["Error"]["Code"] == "ThrottlingException"
    assert error["Error"]["Message"] == THROTTLE_MESSAGE
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    last = fresh_emulator.requests[-1]
    assert last.throttled
    assert last.fault is None
    assert (last.status, last.error_type) == (429, "ThrottlingException")
    assert error["ResponseMetadata"]["RequestId"] == last.request_id
    # A throttled request changes nothing.
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 3
    assert fresh_emulator.counters() == ApiCounters(attempts=4, throttled=1, update_attempts=4, update_throttled=1)

    clock.advance(0.5)  # one token at 2/s
    update(api)
    with pytest.raises(botocore.exceptions.ClientError):
        update(api)
    assert fresh_emulator.counters().throttled == 2


def test_every_answer_carries_the_request_id_botocore_reports(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    api = client(fresh_emulator.endpoint_url)

    ok = update(api)
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        update(api, association="assoc-missing")

    success, failure = fresh_emulator.requests
    assert ok["ResponseMetadata"]["RequestId"] == success.request_id
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["RequestId"] == failure.request_id
    assert success.request_id != failure.request_id


def test_the_limit_is_account_wide_across_operations_and_clients(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.set_rate_limit(rate=1.0, burst=2, clock=FakeClock())
    first, second = client(fresh_emulator.endpoint_url), client(fresh_emulator.endpoint_url)

    first.list_data_integration_associations(DataIntegrationIdentifier="di-1")
    update(second)
    with pytest.raises(botocore.exceptions.ClientError, match="ThrottlingException"):
        first.list_data_integration_associations(DataIntegrationIdentifier="di-1")

    assert [(r.operation, r.throttled) for r in fresh_emulator.requests] == [
        (LIST_OPERATION, False),
        (UPDATE_OPERATION, False),
        (LIST_OPERATION, True),
    ]
    assert fresh_emulator.counters() == ApiCounters(attempts=3, throttled=1, update_attempts=1, update_throttled=0)


def test_throttling_comes_before_faults_and_validation(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.set_rate_limit(rate=1.0, burst=1, clock=FakeClock())
    fresh_emulator.inject("internal")
    api = client(fresh_emulator.endpoint_url)

    with pytest.raises(botocore.exceptions.ClientError, match="InternalServiceError"):
        update(api)  # admitted, then the injected fault
    with pytest.raises(botocore.exceptions.ClientError, match="ThrottlingException"):
        update(api, association="assoc-missing")  # throttled before the lookup would 404
    assert fresh_emulator.pending_faults() == []


def test_none_disables_and_reset_clears(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.set_rate_limit(rate=1.0, burst=1, clock=FakeClock())
    assert fresh_emulator.rate_limit == RateLimit(1.0, 1)
    api = client(fresh_emulator.endpoint_url)
    update(api)
    fresh_emulator.set_rate_limit(None)
    for _ in range(5):
        update(api)
    assert fresh_emulator.counters().throttled == 0
    fresh_emulator.set_rate_limit(rate=1.0, burst=1)
    fresh_emulator.reset()
    assert fresh_emulator.rate_limit is None
    assert fresh_emulator.counters() == ApiCounters()
    with pytest.raises(ValueError, match="burst"):
        fresh_emulator.set_rate_limit(rate=2.0)


def test_concurrent_clients_get_exactly_the_burst(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.set_rate_limit(rate=0.001, burst=5)  # the real clock; no refill within the test

    def call(_: int) -> str:
        api = client(fresh_emulator.endpoint_url)
        try:
            update(api)
        except botocore.exceptions.ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(max_workers=12) as clients:  # twelve clients at once
        outcomes = list(clients.map(call, range(12)))
    assert sorted(outcomes) == ["ThrottlingException"] * 7 + ["ok"] * 5
    assert fresh_emulator.counters().attempts == 12
    assert sum(r.throttled for r in fresh_emulator.requests) == 7


def test_a_crowd_connecting_at_once_is_answered_not_dropped(fresh_emulator: AppIntegrationsEmulator) -> None:
    """Hundreds of containers open their first connection together; none may see it closed unanswered."""
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.set_rate_limit(rate=2.0, burst=5)
    clients = [client(fresh_emulator.endpoint_url) for _ in range(120)]
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients))

    def call(api: Any) -> None:
        start.wait()
        try:
            update(api)
            outcome = "ok"
        except botocore.exceptions.ClientError as error:
            outcome = error.response["Error"]["Code"]
        except botocore.exceptions.BotoCoreError as error:
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call, args=(api,)) for api in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) <= {"ok", "ThrottlingException"}, sorted(set(outcomes))
    assert len(outcomes) == 120
