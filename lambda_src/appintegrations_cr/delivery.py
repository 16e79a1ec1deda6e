"""Delivering the answer to CloudFormation's ResponseURL, in bounded time.

crhelper's own sender (``crhelper.utils._send_response``) opens its HTTPS connection
with no timeout, tries 5 times 2 s apart, then starts over until the function dies. In a
VPC whose subnets have no route to Amazon S3 (where the pre-signed ResponseURL points)
that means no answer, no line in the log that says why, and an invocation that runs
until the function's timeout. This sender makes ``DELIVERY_ATTEMPTS`` tries, each
bounded by ``DELIVERY_TIMEOUT_S`` (the connect across every address the name resolves
to, then each read and write), never past the function's deadline. When every try fails
it writes one ERROR line naming the host and the route the subnets need, and returns:
nothing else can reach CloudFormation, which then waits for the resource's
ServiceTimeout.

The URL's query string is a credential (anyone holding it can answer for the stack), so
only its host is ever named; the request line is never logged.

It sends what crhelper sends: a PUT of the JSON body with an empty content type. Any HTTP
status counts as delivered, as in crhelper: S3 answers 403 to an expired URL, and no
retry changes that.

Why its own loop rather than ``retries.call_with_retries``: that engine retries an
AppIntegrations call by kind of failure (throttling until the deadline with a remembered,
jittered backoff; server errors a few times; no connection twice) and words each failure
for a CloudFormation reason. Here every failure is of one kind, the pause is fixed, each
attempt's timeout shrinks to the time left, and a failure ends in a log line, not a
reason: a shared helper would need a parameter for each of those differences.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from http.client import HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .constants import DELIVERY_ATTEMPTS, DELIVERY_PAUSE_S, DELIVERY_TIMEOUT_S
from .logs import DELIVERY_LOGGER, log, redact

# Kept back from the deadline so that the final log line is written before Lambda ends the sandbox.
LOG_MARGIN_S = 0.1
# No attempt starts with less time than this: crhelper's timeout timer answers with 0.5 s left.
SHORTEST_ATTEMPT_S = 0.1


def host_of(url: str) -> str:
    """The URL's host (and port), without user info, path or query: safe to log."""
    parts = urlsplit(url)
    host = parts.hostname or "(no host)"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def connect_within(
    address: tuple[str, int], timeout: float | None = None, source_address: Any = None, **_ignored: Any
) -> socket.socket:
    """``socket.create_connection`` with ``timeout`` for all addresses together, not for each.

    A name such as an S3 endpoint can resolve to several addresses, and the standard
    library gives each the whole timeout: with no route, an attempt would take the
    timeout times the number of addresses.
    """
    host, port = address
    budget = DELIVERY_TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + budget
    last: OSError = TimeoutError(f"no address of {host} answered within {budget:.1f} s")
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            last = error
            continue
        sock.settimeout(budget)
        return sock
    raise last


def _context(ssl_verify: Any) -> ssl.SSLContext:
    """The TLS context crhelper builds: the system's trust, a CA file, or (False) no verification."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if isinstance(ssl_verify, str) and os.path.exists(ssl_verify):
        context.load_verify_locations(cafile=ssl_verify)
    if ssl_verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _put_once(url: str, payload: bytes, context: ssl.SSLContext, timeout_s: float) -> tuple[int, str]:
    parts = urlsplit(url)
    connection = HTTPSConnection(parts.netloc, timeout=timeout_s, context=context)
    connection._create_connection = connect_within  # type: ignore[attr-defined]  # see connect_within
    try:
        target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
        headers = {"content-type": "", "content-length": str(len(payload))}
        connection.request("PUT", target, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.reason
    finally:
        connection.close()


def unreachable_line(host: str, attempts: int, error: str) -> str:
    """The ERROR line for an answer that never left: the host, what happened, the route the subnets need."""
    region = os.environ.get("AWS_REGION") or "<region>"
    return (
        f"Could not deliver the response to CloudFormation: no answer from {host} after {attempts} attempt(s) "
        f"({error}). CloudFormation waits for this resource until its ServiceTimeout. If the provider runs in a "
        f"VPC, its subnets need a route to Amazon S3, where the response URL points: a NAT gateway or an S3 "
        f"gateway endpoint (com.amazonaws.{region}.s3)."
    )


def deliver(
    url: str,
    body: dict[str, Any],
    ssl_verify: Any = None,
    *,
    remaining_s: Callable[[], float] = lambda: float("inf"),
    attempts: int = DELIVERY_ATTEMPTS,
    timeout_s: float = DELIVERY_TIMEOUT_S,
    pause_s: float = DELIVERY_PAUSE_S,
    sleep: Callable[[float], None] = time.sleep,
    put: Callable[[str, bytes, ssl.SSLContext, float], tuple[int, str]] = _put_once,
) -> bool:
    """PUT ``body`` to ``url``, at most ``attempts`` times and within ``remaining_s()``; whether it arrived."""
    host = host_of(url)
    payload = json.dumps(body).encode()
    logging.getLogger(DELIVERY_LOGGER).debug("CFN response URL: %s", url)  # redacted at that logger
    context = _context(ssl_verify)
    tried, last = 0, "no attempt fitted before the function's deadline"
    while tried < attempts:
        if tried:
            pause = min(pause_s, remaining_s() - LOG_MARGIN_S - SHORTEST_ATTEMPT_S)
            if pause < 0:
                break
            sleep(pause)
        left = remaining_s() - LOG_MARGIN_S
        if left < SHORTEST_ATTEMPT_S:
            break
        tried += 1
        started = time.monotonic()
        try:
            status, reason = put(url, payload, context, min(timeout_s, left))
        except (OSError, HTTPException, ValueError) as error:  # TLS errors and socket timeouts are OSErrors
            last = redact(f"{type(error).__name__}: {error}")
            took_ms = round((time.monotonic() - started) * 1000)
            log(logging.WARNING, "response not delivered", host=host, attempt=tried, error=last, duration_ms=took_ms)
            continue
        if status < 400:
            log(logging.INFO, "response delivered", host=host, status=status, attempts=tried, sent=body.get("Status"))
        else:  # e.g. 403 for a URL that expired: CloudFormation will not see this answer, and no retry helps
            log(
                logging.ERROR,
                f"response refused by {host}: {status} {reason}",
                host=host,
                status=status,
                attempts=tried,
                sent=body.get("Status"),
            )
        return True
    log(logging.ERROR, unreachable_line(host, tried, last), host=host, attempts=tried, sent=body.get("Status"))
    return False
