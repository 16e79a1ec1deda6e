"""The response sender: bounded tries, the deadline, and the log line when the ResponseURL is out of reach."""

from __future__ import annotations

import json
import ssl
from http.client import InvalidURL
from typing import Any

import pytest
from appintegrations_cr import constants, delivery
from appintegrations_cr.delivery import LOG_MARGIN_S, deliver, host_of
from appintegrations_cr.resource import ExecutionResource

from testkit.association_properties import ON_DEMAND
from testkit.cfn_events import RESPONSE_URL, SIGNATURE, cfn_event
from testkit.clock import FakeClock, LambdaContext
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit

HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
BODY = {"Status": "FAILED", "Reason": "r", "PhysicalResourceId": "p", "StackId": "s", "RequestId": "q"}


REASONS = {200: "OK", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Slow Down"}


class Puts:
    """Stands in for one HTTPS PUT: raises the scripted error or answers the scripted status, in order.

    An error takes the try's whole timeout; when the script runs out, every try answers ``status``.
    """

    def __init__(self, clock: FakeClock, script: list[Exception | int | None], status: int = 200) -> None:
        self.clock = clock
        self.script = list(script)
        self.status = status
        self.timeouts: list[float] = []
        self.payloads: list[bytes] = []

    def __call__(self, url: str, payload: bytes, _context: ssl.SSLContext, timeout_s: float) -> tuple[int, str]:
        self.timeouts.append(timeout_s)
        self.payloads.append(payload)
        step = self.script.pop(0) if self.script else None
        if isinstance(step, Exception):
            self.clock.advance(timeout_s)
            raise step
        status = self.status if step is None else step
        return status, REASONS[status]


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
    assert clock.sleeps == [1.0, 2.0, 4.0]  # DELIVERY_PAUSE_S, doubling
    # The worst case for a response URL that never answers, stated in the docs (docs/locked-down.md, Network).
    assert clock.now == pytest.approx(27.0)
    out = "\n".join(log.lines())
    final = records(out)[-1]
    assert final["level"] == "ERROR"
    assert final["message"] == (
        f"Could not deliver the response to CloudFormation: no answer from {HOST} after 4 attempt(s) "
        "(TimeoutError: timed out; TimeoutError: timed out; TimeoutError: timed out; TimeoutError: timed out). "
        "CloudFormation waits for this resource until its ServiceTimeout. If the "
        "provider runs in a VPC, its subnets need a route to Amazon S3, where the response URL points: a NAT "
        "gateway or an S3 gateway endpoint (com.amazonaws.eu-west-2.s3)."
    )
    assert (final["host"], final["attempts"], final["sent"]) == (HOST, 4, "FAILED")
    assert [r["message"] for r in records(out)[:-1]] == ["response not delivered"] * 4
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


@pytest.mark.parametrize("status", [403, 400, 404])
def test_a_refusal_is_final_and_logged_once_as_an_error(runtime_log: RuntimeLogFactory, status: int) -> None:
    """S3 answers 403 to an expired or altered URL: no retry changes that."""
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(600.0)
    REASONS.setdefault(400, "Bad Request")
    REASONS.setdefault(404, "Not Found")
    puts = Puts(clock, [], status=status)
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is False
    assert len(puts.timeouts) == 1
    [line] = log.records()
    assert line["level"] == "ERROR"
    assert line["message"].startswith(
        f"Could not deliver the response to CloudFormation: {HOST} refused it after 1 attempt(s) "
        f"({status} {REASONS[status]}). CloudFormation waits for this resource until its ServiceTimeout."
    )
    assert ("expired or was altered" in line["message"]) is (status == 403)
    assert (line["status"], line["attempts"], line["tries"]) == (status, 1, [f"{status} {REASONS[status]}"])


@pytest.mark.parametrize("status", [500, 503, 429])
def test_what_s3_asks_to_retry_is_retried_with_backoff_and_the_last_line_lists_every_try(
    runtime_log: RuntimeLogFactory, status: int
) -> None:
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(600.0)
    puts = Puts(clock, [status, TimeoutError("timed out"), status])
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is True
    assert len(puts.timeouts) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert {json.loads(payload)["Status"] for payload in puts.payloads} == {"FAILED"}  # the same answer each time
    lines = log.records()
    assert [line["level"] for line in lines] == ["WARNING"] * 3 + ["INFO"]
    final = lines[-1]
    assert (final["message"], final["status"], final["attempts"]) == ("response delivered", 200, 4)
    assert final["tries"] == [
        f"{status} {REASONS[status]}",
        "TimeoutError: timed out",
        f"{status} {REASONS[status]}",
        "200 OK",
    ]


def test_server_errors_until_the_tries_run_out_end_with_one_error_line(runtime_log: RuntimeLogFactory) -> None:
    log = runtime_log("JSON", "INFO")
    clock = FakeClock(600.0)
    puts = Puts(clock, [], status=503)
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is False
    assert len(puts.timeouts) == constants.DELIVERY_ATTEMPTS
    final = log.records()[-1]
    assert final["level"] == "ERROR"
    assert final["message"].startswith(
        f"Could not deliver the response to CloudFormation: {HOST} kept failing after 4 attempt(s) "
        "(503 Slow Down; 503 Slow Down; 503 Slow Down; 503 Slow Down)."
    )
    assert final["tries"] == ["503 Slow Down"] * 4


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (RESPONSE_URL.replace("/arn%3A", "/arn %3A"), "it holds spaces or control characters"),
        (RESPONSE_URL.replace("/arn%3A", "/arn\x01%3A"), "it holds spaces or control characters"),
        (RESPONSE_URL.replace("/arn%3A", "/arné%3A"), "it holds characters that are not ASCII"),
        (RESPONSE_URL.replace(HOST, ""), "it has no host"),
    ],
)
def test_a_malformed_response_url_is_never_tried_nor_logged(
    runtime_log: RuntimeLogFactory, url: str, problem: str
) -> None:
    log = runtime_log("Text", "DEBUG")
    clock = FakeClock(600.0)
    puts = Puts(clock, [])
    assert deliver(url, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is False
    assert puts.timeouts == []
    out = "\n".join(log.lines())
    assert f"the response URL is malformed ({problem}; it is not logged" in out
    assert SIGNATURE not in out
    assert "X-Amz-Credential=AKIA" not in out
    assert "AKIAEXAMPLE" not in out


@pytest.mark.parametrize(
    "error",
    [
        InvalidURL(f"URL can't contain control characters. {RESPONSE_URL.split(HOST, 1)[1]!r} (found at least ' ')"),
        ValueError(f"bad value in {RESPONSE_URL}"),
        OSError(f"something about {RESPONSE_URL.split('?', 1)[1]}"),
    ],
)
def test_an_error_that_quotes_the_url_is_logged_without_it(runtime_log: RuntimeLogFactory, error: Exception) -> None:
    log = runtime_log("JSON", "DEBUG")
    clock = FakeClock(600.0)
    puts = Puts(clock, [error])
    assert deliver(RESPONSE_URL, BODY, remaining_s=clock.remaining, sleep=clock.sleep, put=puts) is True
    out = "\n".join(log.lines())
    assert f"{type(error).__name__}: " in out
    assert "<the response URL>" in out
    assert SIGNATURE not in out
    assert "AKIAEXAMPLE" not in out


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
