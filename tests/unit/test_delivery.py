"""The response sender: bounded tries, the deadline, and the log line when the ResponseURL is out of reach."""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest
from appintegrations_cr import constants, delivery
from appintegrations_cr.delivery import LOG_MARGIN_S, deliver, host_of
from appintegrations_cr.resource import ExecutionResource

from tests.support.association_properties import ON_DEMAND
from tests.support.clock import FakeClock
from tests.unit.lambda_doubles import RESPONSE_URL, SIGNATURE, LambdaContext, cfn_event
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit

HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
BODY = {"Status": "FAILED", "Reason": "r", "PhysicalResourceId": "p", "StackId": "s", "RequestId": "q"}


class Puts:
    """Stands in for one HTTPS PUT: raises the scripted error (None: answers ``status``), taking its whole timeout."""

    def __init__(self, clock: FakeClock, errors: list[Exception | None], status: int = 200) -> None:
        self.clock = clock
        self.errors = list(errors)
        self.status = status
        self.timeouts: list[float] = []
        self.payloads: list[bytes] = []

    def __call__(self, url: str, payload: bytes, _context: ssl.SSLContext, timeout_s: float) -> tuple[int, str]:
        self.timeouts.append(timeout_s)
        self.payloads.append(payload)
        error = self.errors.pop(0) if self.errors else None
        if error is not None:
            self.clock.advance(timeout_s)
            raise error
        return self.status, "OK" if self.status < 400 else "Forbidden"


def records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (RESPONSE_URL, HOST),
        ("https://user:pw@127.0.0.1:8443/p?X-Amz-Signature=abc", "127.0.0.1:8443"),
        ("https://[::1]:9/p?q=1", "[::1]:9"),
        ("not a url", "(no host)"),
    ],
)
def test_only_the_host_of_the_response_url_is_ever_named(url: str, host: str) -> None:
    assert host_of(url) == host


def test_an_unreachable_response_url_ends_after_a_few_tries_with_a_line_that_says_why(
    runtime_log: RuntimeLogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = runtime_log("JSON", "INFO")
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    clock = FakeClock(600.0)
    puts = Puts(clock, [TimeoutError("timed out")] * 10)
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is False
    assert len(puts.timeouts) == constants.DELIVERY_ATTEMPTS
    assert puts.timeouts == [constants.DELIVERY_TIMEOUT_S] * constants.DELIVERY_ATTEMPTS
    assert clock.sleeps == [constants.DELIVERY_PAUSE_S] * (constants.DELIVERY_ATTEMPTS - 1)
    # The worst case for a response URL that never answers, stated in the docs (docs/locked-down.md, Network).
    assert clock.now == pytest.approx(17.0)
    out = "\n".join(log.lines())
    final = records(out)[-1]
    assert final["level"] == "ERROR"
    assert final["message"] == (
        f"Could not deliver the response to CloudFormation: no answer from {HOST} after 3 attempt(s) "
        "(TimeoutError: timed out). CloudFormation waits for this resource until its ServiceTimeout. If the "
        "provider runs in a VPC, its subnets need a route to Amazon S3, where the response URL points: a NAT "
        "gateway or an S3 gateway endpoint (com.amazonaws.eu-west-2.s3)."
    )
    assert (final["host"], final["attempts"], final["sent"]) == (HOST, 3, "FAILED")
    assert [r["message"] for r in records(out)[:-1]] == ["response not delivered"] * 3
    assert SIGNATURE not in out
    assert "X-Amz-Credential" not in out


def test_a_try_that_gets_through_ends_the_delivery(runtime_log: RuntimeLogFactory) -> None:
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(600.0)
    puts = Puts(clock, [ConnectionRefusedError(111, "Connection refused"), None])
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is True
    assert len(puts.timeouts) == 2
    assert json.loads(puts.payloads[-1]) == BODY
    delivered = log.records()[-1]
    assert (delivered["message"], delivered["attempts"], delivered["status"]) == ("response delivered", 2, 200)


def test_an_http_error_status_is_delivered_and_not_retried_but_logged_as_an_error(
    runtime_log: RuntimeLogFactory,
) -> None:
    """S3 answers 403 to an expired URL; crhelper counts any status as delivered, and so do we."""
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(600.0)
    puts = Puts(clock, [], status=403)
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is True
    assert len(puts.timeouts) == 1
    line = log.records()[-1]
    assert (line["level"], line["message"]) == ("ERROR", f"response refused by {HOST}: 403 Forbidden")


@pytest.mark.parametrize("remaining", [0.05, 0.6, 3.0, 6.5, 12.0])
def test_delivery_never_runs_past_the_deadline_and_still_logs_its_line(
    runtime_log: RuntimeLogFactory, remaining: float
) -> None:
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(remaining)
    puts = Puts(clock, [TimeoutError("timed out")] * 10)
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is False
    assert clock.remaining() >= min(remaining, LOG_MARGIN_S) - 1e-9  # the line is written before the sandbox ends
    assert all(timeout <= constants.DELIVERY_TIMEOUT_S for timeout in puts.timeouts)
    assert len(puts.timeouts) <= constants.DELIVERY_ATTEMPTS
    final = log.records()[-1]
    assert final["message"].startswith(f"Could not deliver the response to CloudFormation: no answer from {HOST}")
    if remaining < 0.2:
        assert puts.timeouts == []
        assert "(no attempt fitted before the function's deadline)" in final["message"]


def test_the_provider_sends_through_the_bounded_sender_with_the_context_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """crhelper's own sender would retry forever; ours must be the default, fed the invocation's remaining time."""
    seen: list[tuple[str, dict[str, Any], float]] = []

    def fake_deliver(url: str, body: dict[str, Any], _ssl_verify: Any, *, remaining_s: Any) -> bool:
        seen.append((url, body, remaining_s()))
        return True

    monkeypatch.setattr("appintegrations_cr.resource.deliver", fake_deliver)
    resource = ExecutionResource()

    @resource.create
    def create(_event: dict[str, Any], _context: Any) -> str:
        return "id"

    resource(cfn_event("Create", ON_DEMAND), LambdaContext(timeout_ms=30_000))
    [(url, body, remaining)] = seen
    assert url == RESPONSE_URL
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "id")
    assert 25.0 < remaining <= 30.0


def test_malformed_events_are_answered_within_their_own_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The malformed-event path answers without crhelper's set-up; it must still see this invocation's context."""
    seen: list[float] = []
    monkeypatch.setattr(
        "appintegrations_cr.resource.deliver", lambda *_a, remaining_s, **_k: seen.append(remaining_s())
    )
    resource = ExecutionResource()
    resource({**cfn_event("Create", ON_DEMAND), "RequestType": "Bogus"}, LambdaContext(timeout_ms=4_000))
    assert len(seen) == 1
    assert 0 < seen[0] <= 4.0


def test_the_request_is_the_one_crhelper_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PUT of the JSON body to the path and query, with an empty content type, over TLS to the host."""
    sent: dict[str, Any] = {}

    class Connection:
        def __init__(self, host: str, *, timeout: float, context: ssl.SSLContext) -> None:
            sent.update(host=host, timeout=timeout, verify=context.verify_mode)

        def request(self, method: str, target: str, *, body: bytes, headers: dict[str, str]) -> None:
            sent.update(method=method, target=target, body=body, headers=headers)

        def getresponse(self) -> Any:
            class Response:
                status, reason = 200, "OK"

                def read(self) -> bytes:
                    return b""

            return Response()

        def close(self) -> None:
            sent["closed"] = True

    monkeypatch.setattr(delivery, "HTTPSConnection", Connection)
    assert deliver(RESPONSE_URL, BODY) is True
    assert sent["host"] == HOST
    assert sent["timeout"] == constants.DELIVERY_TIMEOUT_S
    assert sent["verify"] == ssl.CERT_REQUIRED
    assert sent["method"] == "PUT"
    assert sent["target"] == RESPONSE_URL.split(HOST, 1)[1]
    assert json.loads(sent["body"]) == BODY
    assert sent["headers"] == {"content-type": "", "content-length": str(len(sent["body"]))}
    assert sent["closed"] is True
