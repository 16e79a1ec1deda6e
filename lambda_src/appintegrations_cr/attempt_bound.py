"""A wall-clock bound on one AppIntegrations attempt, and the connection closed when it passes.

Why: botocore's timeouts bound each socket operation, not the call. A connect takes at
most ``CONNECT_TIMEOUT_S`` and each read at most ``READ_TIMEOUT_S``, but an endpoint (or a
proxy, or a congested NAT) that sends its answer a few bytes at a time keeps one call alive
for as long as it likes. Meanwhile crhelper's timer answers FAILED half a second before
the function's deadline; an Update that then completes has re-run the job CloudFormation
was told failed, and the rollback runs it again.

So every attempt runs inside :func:`bounded`: a timer that, when the bound passes, marks the
attempt expired and shuts down the socket it uses, so the blocked read returns at once and
botocore raises. The caller sees :attr:`Attempt.expired` and knows that the request may have
been sent and may have been applied: the outcome is unknown, and its reason says so. The
same :func:`abandon_current` runs before crhelper's own timer answers (see ``resource``), so
no answer ever leaves while an attempt may still change the association.

How the socket is found: :func:`track_connections` gives the client's HTTP session
connection classes that register themselves with the attempt under way when they connect
and when they send. That reaches into botocore's ``URLLib3Session`` (its
``_pool_classes_by_scheme``, the classes of the pools it creates for each endpoint, unchanged
since botocore 1.11); if a future botocore moves it, :func:`track_connections` returns False,
the handler logs that once, and attempts are bounded by botocore's timeouts alone, as before.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import (
    AWSHTTPConnection,
    AWSHTTPConnectionPool,
    AWSHTTPSConnection,
    AWSHTTPSConnectionPool,
)


class AttemptExpiredError(OSError):
    """Raised inside the HTTP layer when a connection is used after its attempt's bound passed."""


class Attempt:
    """One call's attempt: the connections it used, and whether its bound passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self.expired = False

    def register(self, connection: Any) -> None:
        """Remember ``connection``; refuse to go on with it if the bound has already passed."""
        with self._lock:
            if self.expired:
                raise AttemptExpiredError("the attempt's time ran out")
            if connection not in self._connections:  # a connection registers when it connects and when it sends
                self._connections.append(connection)

    def expire(self) -> None:
        """Mark the attempt expired and shut down every socket it used: a blocked read returns at once."""
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed by the other side or by urllib3
                    sock.shutdown(socket.SHUT_RDWR)


# One attempt at a time per container: Lambda gives an execution environment one event at a time.
_current: Attempt | None = None
_current_lock = threading.Lock()


def _register(connection: Any) -> None:
    with _current_lock:
        attempt = _current
    if attempt is not None:
        attempt.register(connection)


class _Tracking:
    """Registers the connection with the attempt under way when it connects and when it sends."""

    def connect(self) -> None:
        _register(self)
        super().connect()  # type: ignore[misc]
        _register(self)  # the bound may have passed during the connect: then this raises

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _TrackedHTTPConnection(_Tracking, AWSHTTPConnection):  # type: ignore[misc]  # botocore-stubs disagree with themselves
    pass


class _TrackedHTTPSConnection(_Tracking, AWSHTTPSConnection):  # type: ignore[misc]
    pass


class _TrackedHTTPConnectionPool(AWSHTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSConnectionPool(AWSHTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


def track_connections(client: Any) -> bool:
    """Make ``client``'s connections known to the attempt under way; whether that was possible.

    Call it before the client's first request: the pools it creates from then on use the
    tracking connections.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    classes = getattr(session, "_pool_classes_by_scheme", None)
    if not isinstance(classes, dict):
        return False
    classes["http"] = _TrackedHTTPConnectionPool
    classes["https"] = _TrackedHTTPSConnectionPool
    return True


@contextmanager
def bounded(seconds: float) -> Iterator[Attempt]:
    """Run the body as one attempt that is abandoned (its connection shut down) after ``seconds``."""
    global _current  # noqa: PLW0603 - the attempt under way, for the connections and for abandon_current
    attempt = Attempt()
    timer = threading.Timer(max(0.0, seconds), attempt.expire)
    timer.daemon = True
    with _current_lock:
        _current = attempt
    timer.start()
    try:
        yield attempt
    finally:
        timer.cancel()
        with _current_lock:
            _current = None


def abandon_current() -> bool:
    """Abandon the attempt under way, if any (crhelper's timer is about to answer); whether there was one."""
    with _current_lock:
        attempt = _current
    if attempt is None:
        return False
    attempt.expire()
    return True
