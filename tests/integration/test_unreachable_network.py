"""The handler with no route, for real: endpoints on loopback that refuse or never answer a connection.

What a provider in a VPC meets when its subnets have no route to AppIntegrations or to
Amazon S3 (the ResponseURL): a connect that times out (no route, packets dropped) or is
refused. Both are simulated on 127.0.0.1 only:

* refused: a socket bound to a port but not listening, so the kernel answers RST;
* timed out: a listening socket with a backlog of 0 whose one queue slot is taken by a
  connection that is never accepted; the kernel then drops every further SYN, and the
  client's connect runs into its timeout as it would against a black hole.

The handler runs under AWS's runtime interface client in a Lambda-like process
(testkit.lambda_process), and its own timeouts, retries and messages are what is
measured.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from appintegrations_cr.delivery import connect_within

from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import AppIntegrationsEmulator
from testkit.lambda_process import InvocationResult, LoggingConfig, lambda_environment
from tests.integration import handler_runs as runs

pytestmark = pytest.mark.integration

LOOPBACK = "127.0.0.1"


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening) for as long as the block runs."""
    with socket.socket() as bound:
        bound.bind((LOOPBACK, 0))
        yield bound.getsockname()[1]


@contextmanager
def black_hole_port() -> Iterator[int]:
    """A loopback port where every new connect times out: the accept queue is full and SYNs are dropped."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.create_connection((LOOPBACK, port), timeout=2)
        try:
            probe = socket.socket()
            probe.settimeout(0.5)
            with pytest.raises(TimeoutError), probe:  # the trick must hold here, or the test proves nothing
                probe.connect((LOOPBACK, port))
            yield port
        finally:
            filler.close()


def at_port(url: str, port: int) -> str:
    """The same URL (path and signed query) with its port replaced."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"{LOOPBACK}:{port}", parts.path, parts.query, parts.fragment))


def route_advice(region: str = "us-east-1") -> str:
    return (
        "If the provider runs in a VPC, check that its subnets have a route to that endpoint: a NAT gateway, or an "
        f"AppIntegrations interface VPC endpoint (com.amazonaws.{region}.app-integrations) with private DNS"
    )


def appintegrations_at(lambda_env: dict[str, str], port: int) -> dict[str, str]:
    """The Lambda environment with the AppIntegrations endpoint moved to a loopback port."""
    return {**lambda_env, "AWS_ENDPOINT_URL_APPINTEGRATIONS": f"http://{LOOPBACK}:{port}"}


def assert_failed_unreachable(
    receiver: CfnResponseReceiver, request_id: str, result: InvocationResult, port: int, what: str
) -> None:
    """One FAILED answer naming the endpoint, what went wrong after 2 attempts and the route to check; no crash."""
    body = runs.answer(receiver, request_id, result=result)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        f"Could not reach the AppIntegrations endpoint http://{LOOPBACK}:{port} ({what}; 2 attempt(s)). "
        f"{route_advice()}"
    ), body["Reason"]
    assert result.ok, result.output


def test_a_refused_appintegrations_endpoint_fails_in_seconds_naming_it(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    with refusing_port() as port:
        result = runs.invoke_create(fresh_receiver, runs.properties(), "refused", appintegrations_at(lambda_env, port))
    assert_failed_unreachable(fresh_receiver, "refused", result, port, "connection failed: Connection refused")
    assert result.duration_s < 5.0  # two refusals and one pause of at most 1 s


def test_an_appintegrations_connect_timeout_fails_well_before_the_deadline(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """Two attempts of 3 s and one pause of at most 1 s: about 7 s, against a 600 s function timeout."""
    with black_hole_port() as port:
        env = appintegrations_at(lambda_env, port)
        started = time.monotonic()
        result = runs.invoke_create(fresh_receiver, runs.properties(), "blackhole", env, timeout_ms=600_000)
        elapsed = time.monotonic() - started
    assert_failed_unreachable(fresh_receiver, "blackhole", result, port, "no connection within the 3 s connect timeout")
    assert 6.0 <= result.duration_s < 12.0, result.duration_s
    print(f"connect timeout to AppIntegrations: handler {result.duration_s:.1f} s, invocation {elapsed:.1f} s")


def test_an_unreachable_response_url_is_logged_with_the_route_and_the_invocation_returns(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_association(runs.DI, runs.ASSOC)  # the association runs.properties() names
    create = runs.event(fresh_receiver, "Create", runs.properties(), "noroute")
    with refusing_port() as port:
        create["ResponseURL"] = at_port(create["ResponseURL"], port)
        [result] = runs.run_handler([create], lambda_env)
    assert result.ok, result.output
    assert not result.timed_out
    assert result.duration_s < 10.0  # four refusals, pauses of 1, 2 and 4 s
    assert len(fresh_emulator.update_calls()) == 1  # the work was done; only the answer is lost
    [line] = [r for r in runs.log_records(result) if r["message"].startswith("Could not deliver the response")]
    assert line["level"] == "ERROR"
    assert line["message"].startswith(
        f"Could not deliver the response to CloudFormation: no answer from {LOOPBACK}:{port} after 4 attempt(s) "
        f"({'; '.join(['ConnectionRefusedError: [Errno 111] Connection refused'] * 4)}). "
    )
    assert line["message"].endswith(
        "If the provider runs in a VPC, its subnets need a route to Amazon S3, where the response URL points: "
        "a NAT gateway or an S3 gateway endpoint (com.amazonaws.us-east-1.s3)."
    )
    runs.assert_no_secrets(fresh_receiver, "noroute", result)
    assert fresh_receiver.responses_for("noroute") == []


def test_a_response_url_that_never_answers_ends_the_invocation_within_bounds(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """Four tries of 5 s and pauses of 1, 2 and 4 s: 27 s, then the line, instead of running to the timeout."""
    create = runs.event(
        fresh_receiver, "Create", {**runs.properties(), "Bogus": "x"}, "silent"
    )  # FAILED, no service call
    with black_hole_port() as port:
        create["ResponseURL"] = at_port(create["ResponseURL"], port)
        [result] = runs.run_handler([create], lambda_env, timeout_ms=120_000)
    assert result.ok, result.output
    assert not result.timed_out
    assert 25.0 <= result.duration_s < 35.0, result.duration_s
    [line] = [r for r in runs.log_records(result) if r["message"].startswith("Could not deliver the response")]
    assert "after 4 attempt(s) (TimeoutError: " in line["message"]
    assert line["sent"] == "FAILED"
    print(f"response URL black hole: handler {result.duration_s:.1f} s")


def test_without_a_runtime_level_the_handler_logs_at_info(
    fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """Lambda's text format sets no level (the root stays at WARNING); crhelper's INFO lines must show, not DEBUG."""
    assert "AWS_LAMBDA_LOG_LEVEL" not in lambda_environment(runs.CODE_DIR, handler="index.handler")
    result = runs.invoke_create(
        fresh_receiver, {**runs.properties(), "Bogus": "x"}, "info", lambda_env, logging_config=LoggingConfig("Text")
    )
    assert runs.answer(fresh_receiver, "info", result=result)["Status"] == "FAILED"
    assert "No physical resource id returned, generating one" in result.output  # crhelper, at INFO
    assert "enabling send_response" not in result.output  # crhelper, at DEBUG
    assert "CFN response URL" not in result.output  # the sender, at DEBUG


def test_a_level_the_runtime_does_not_know_does_not_break_the_provider(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """The runtime ignores an unknown AWS_LAMBDA_LOG_LEVEL; the provider then logs at INFO, and still answers."""
    fresh_emulator.add_association(runs.DI, runs.ASSOC)  # the association runs.properties() names
    result = runs.invoke_create(
        fresh_receiver, runs.properties(), "verbose", lambda_env, logging_config=LoggingConfig("JSON", "verbose")
    )
    assert runs.answer(fresh_receiver, "verbose", result=result)["Status"] == "SUCCESS"
    assert [r["outcome"] for r in runs.log_records(result) if "outcome" in r] == ["APPLIED"]


def test_the_delivery_connect_timeout_covers_every_address_of_the_name_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An S3 name can resolve to several addresses; the standard library gives each the whole timeout."""
    with black_hole_port() as port:
        real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: real(*args, **kwargs) * 3)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            socket.create_connection((LOOPBACK, port), timeout=0.5)
        standard = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(OSError, match="timed out"):
            connect_within((LOOPBACK, port), timeout=0.5)
        bounded = time.monotonic() - started
    assert standard >= 1.4  # three addresses, 0.5 s each
    assert bounded < 0.9
