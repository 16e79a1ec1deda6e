"""Delivering the answer to CloudFormation's ResponseURL, in bounded time.

crhelper's own sender (``crhelper.utils._send_response``) opens its HTTPS connection
with no timeout, tries 5 times 2 s apart, then starts over until the function dies, and
counts any HTTP status as delivered. In a VPC whose subnets have no route to Amazon S3
(where the pre-signed ResponseURL points) that means no answer, no line in the log that
says why, and an invocation that runs until the function's timeout; and a 500 from S3
means an answer never stored, for which CloudFormation waits the resource's whole
ServiceTimeout.

This sender makes at most ``DELIVERY_ATTEMPTS`` tries, each bounded by
``DELIVERY_TIMEOUT_S`` (the connect across every address the name resolves to, then each
read and write), never past the function's deadline, pausing ``DELIVERY_PAUSE_S`` and then
twice as long each time. What it retries is what Amazon S3 asks clients to retry: a
network failure, a 5xx (500 InternalError, 503 SlowDown) and a 429. Any other 4xx is
final: a 403 means the URL expired or was altered, and no retry changes that. Its last
line says how many tries were made and what each got; when the answer did not get
through, that line is an ERROR naming the host and, for a network failure, the route the
subnets need.

The URL's query string is a credential (anyone holding it can answer for the stack), so
only its host is ever named; the request line is never logged, and the text of an
exception is stripped of the URL and its parts before it is logged (``http.client``
quotes the whole URL, query included, when it refuses one).

It sends what crhelper sends: a PUT of the JSON body with an empty content type.

Why its own loop rather than ``retries.call_with_retries``: that engine retries an
AppIntegrations call by kind of failure (throttling until the deadline with a remembered,
jittered backoff; a bound per kind; an Update that may have landed) and words each failure
for a CloudFormation reason. Here every retryable failure is of one kind, each attempt's
timeout shrinks to the time left, and a failure ends in a log line, not a reason: a shared
helper would need a parameter for each of those differences.
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


def url_problem(url: str) -> str | None:
    """Why no PUT to ``url`` can work, if none can: the answer is then logged as undeliverable at once.

    CloudFormation never sends such a URL; ``http.client`` would refuse it with an error
    that quotes it whole, credential included.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        return "it has no host"
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):
        return "it holds spaces or control characters"
    if not url.isascii():
        return "it holds characters that are not ASCII"
    return None


def scrubbed(error: BaseException, url: str) -> str:
    """``error`` as text for the log: the URL, its path and its query cut out, then redacted."""
    text = f"{type(error).__name__}: {error}"
    parts = urlsplit(url)
    for piece in (url, urlunsplit(("", "", parts.path, parts.query, parts.fragment)), parts.query):
        if piece:
            text = text.replace(piece, "<the response URL>")
    return redact(text)


def retryable(status: int) -> bool:
    """What Amazon S3 asks clients to retry: a server error, or a request to slow down."""
    return status >= 500 or status == 429


def unreachable_line(host: str, attempts: int, error: str) -> str:
    """The ERROR line for an answer that never left: the host, what happened, the route the subnets need."""
    region = os.environ.get("AWS_REGION") or "<region>"
    return (
        f"Could not deliver the response to CloudFormation: no answer from {host} after {attempts} attempt(s) "
        f"({error}). CloudFormation waits for this resource until its ServiceTimeout. If the provider runs in a "
        f"VPC, its subnets need a route to Amazon S3, where the response URL points: a NAT gateway or an S3 "
        f"gateway endpoint (com.amazonaws.{region}.s3)."
    )


def refused_line(host: str, attempts: int, tries: list[str], final: bool) -> str:
    """The ERROR line for an answer S3 did not store: a final 4xx, or server errors until the tries ran out."""
    what = "refused it" if final else "kept failing"
    return (
        f"Could not deliver the response to CloudFormation: {host} {what} after {attempts} attempt(s) "
        f"({'; '.join(tries)}). CloudFormation waits for this resource until its ServiceTimeout."
        + (" A 403 means the response URL expired or was altered." if final and tries[-1].startswith("403") else "")
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
    """PUT ``body`` to ``url``, at most ``attempts`` times and within ``remaining_s()``; whether S3 stored it."""
    host = host_of(url)
    sent = body.get("Status")
    logging.getLogger(DELIVERY_LOGGER).debug("CFN response URL: %s", url)  # redacted at that logger
    problem = url_problem(url)
    if problem is not None:
        log(
            logging.ERROR,
            f"Could not deliver the response to CloudFormation: the response URL is malformed ({problem}; it is not "
            f"logged, as its query is a credential). CloudFormation never sends such a URL: check what invoked "
            f"the function.",
            host=host,
            attempts=0,
            sent=sent,
        )
        return False
    payload = json.dumps(body).encode()
    context = _context(ssl_verify)
    tries: list[str] = []  # what each try got: a status, or a network error
    unanswered = 0  # tries that got no HTTP answer at all
    while len(tries) < attempts:
        if tries:
            pause = min(pause_s * 2 ** (len(tries) - 1), remaining_s() - LOG_MARGIN_S - SHORTEST_ATTEMPT_S)
            if pause < 0:
                break
            sleep(pause)
        left = remaining_s() - LOG_MARGIN_S
        if left < SHORTEST_ATTEMPT_S:
            break
        started = time.monotonic()
        try:
            status, reason = put(url, payload, context, min(timeout_s, left))
        except (OSError, HTTPException, ValueError) as error:  # TLS errors and socket timeouts are OSErrors
            tries.append(scrubbed(error, url))
            unanswered += 1
            took_ms = round((time.monotonic() - started) * 1000)
            log(
                logging.WARNING,
                "response not delivered",
                host=host,
                attempt=len(tries),
                error=tries[-1],
                duration_ms=took_ms,
            )
            continue
        tries.append(f"{status} {reason}".strip())
        fields = {"host": host, "status": status, "attempts": len(tries), "tries": tries, "sent": sent}
        if status < 400:
            log(logging.INFO, "response delivered", **fields)
            return True
        if not retryable(status):
            log(logging.ERROR, refused_line(host, len(tries), tries, final=True), **fields)
            return False
        log(logging.WARNING, "response not delivered", host=host, attempt=len(tries), status=status)
    if tries and not unanswered:  # every try got an HTTP answer: S3 is reachable, and kept failing
        line = refused_line(host, len(tries), tries, final=False)
    else:
        line = unreachable_line(
            host, len(tries), "; ".join(tries) or "no attempt fitted before the function's deadline"
        )
    log(logging.ERROR, line, host=host, attempts=len(tries), tries=tries, sent=sent)
    return False
