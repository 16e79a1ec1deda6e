"""The Lambda Runtime API of one execution environment, as AWS's runtime interface emulator serves it.

Why: Lambda's Python runtime is ``awslambdaric`` (the runtime interface client), a loop
that asks this API for the next event, runs the handler and posts the outcome. Serving
that API locally lets the tests run a handler under the real client, started as Lambda
starts it (``python -m awslambdaric index.handler``), with the runtime's own logging,
context, error reports and init-failure path, rather than under a stand-in for it.

The protocol, that of ``aws-lambda-runtime-interface-emulator``:

* ``GET /2018-06-01/runtime/invocation/next`` waits until an event is queued (between
  invocations a poll simply waits: Lambda freezes the environment), then answers 200 with
  the event as the body and the headers ``Lambda-Runtime-Aws-Request-Id``,
  ``Lambda-Runtime-Deadline-Ms`` (epoch milliseconds), ``Lambda-Runtime-Invoked-Function-Arn``,
  ``Lambda-Runtime-Trace-Id`` and ``Content-Type`` (without a ``Content-Type`` the client's C
  part crashes, silently);
* ``POST /2018-06-01/runtime/invocation/{id}/response`` and ``.../error`` carry the outcome;
  ``POST /2018-06-01/runtime/init/error`` says the handler could not be loaded (the client
  then exits). Each is answered 202; anything else 404.

One environment runs one event at a time; the server keeps the order of :meth:`submit`.
``on_start`` and ``on_end`` run in the server's thread at the moment an event is handed
out (before the client can see it) and the moment its outcome arrives (after the client
wrote everything it wrote before posting it): the Lambda runner marks there where each
invocation's output begins and ends (see :mod:`testkit.lambda_process`).

No polling: waiting polls block on a condition, and :meth:`close` unblocks the accept loop
by shutting its socket down, so hundreds of environments cost no CPU while idle.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Invocation", "RuntimeApi"]

PREFIX = "/2018-06-01/runtime"
_OUTCOME = re.compile(rf"^{PREFIX}/invocation/([^/]+)/(response|error)$")


@dataclass
class Invocation:
    """One event and, once the client posts it, its outcome."""

    request_id: str
    event: bytes
    timeout_ms: int
    started: float | None = None
    """``time.monotonic()`` when the event was handed to the client."""
    deadline_ms: int = 0
    """The ``Lambda-Runtime-Deadline-Ms`` sent with it."""
    outcome: str | None = None
    """``response`` or ``error`` once posted."""
    body: bytes = b""
    error_type: str | None = None
    """The ``Lambda-Runtime-Function-Error-Type`` header of an error."""
    finished: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def payload(self) -> Any:
        """The posted body as JSON (``None`` when empty or not JSON)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class RuntimeApi:
    """One environment's Runtime API on ``127.0.0.1``, on a port of its own (see the module docstring)."""

    def __init__(
        self,
        function_arn: str,
        *,
        on_start: Callable[[Invocation], None] | None = None,
        on_end: Callable[[Invocation], None] | None = None,
    ) -> None:
        """Listen at once; the client may connect before any event is queued."""
        self.function_arn = function_arn
        self._on_start = on_start
        self._on_end = on_end
        self._cond = threading.Condition()
        self._queue: deque[Invocation] = deque()
        self._running: dict[str, Invocation] = {}
        self._closed = False
        self.first_poll: float | None = None
        """``time.monotonic()`` of the client's first poll: its init is over."""
        self.init_error: dict[str, Any] | None = None
        """The body of ``/init/error``, once posted."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._accept, daemon=True, name=f"runtime-api-{self.port}")
        self._thread.start()

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """``AWS_LAMBDA_RUNTIME_API``: host and port, no scheme."""
        return f"127.0.0.1:{self.port}"

    def submit(self, event: Mapping[str, Any] | bytes, *, timeout_ms: int, request_id: str | None = None) -> Invocation:
        """Queue ``event``; the client's next poll gets it, with a deadline ``timeout_ms`` after that moment."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        invocation = Invocation(request_id or str(uuid.uuid4()), body, timeout_ms)
        with self._cond:
            self._queue.append(invocation)
            self._cond.notify_all()
        return invocation

    def wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``condition`` (checked whenever the API's state changes)."""
        with self._cond:
            return self._cond.wait_for(condition, timeout)

    def changed(self) -> None:
        """Wake :meth:`wait`ers: something outside the API changed (e.g. the client's process ended)."""
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """Stop listening and release every waiting poll. Idempotent: each step is."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            self._server.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._thread.join(timeout=5)
        self._server.server_close()

    # -- the server side -------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self._server.get_request()
            except OSError:
                return
            self._server.process_request(connection, address)  # a thread per connection

    def _next(self) -> Invocation | None:
        with self._cond:
            if self.first_poll is None:
                self.first_poll = time.monotonic()
                self._cond.notify_all()
            self._cond.wait_for(lambda: self._queue or self._closed)
            if self._closed:
                return None
            invocation = self._queue.popleft()
            invocation.started = time.monotonic()
            invocation.deadline_ms = int(time.time() * 1000) + invocation.timeout_ms
            self._running[invocation.request_id] = invocation
        if self._on_start is not None:
            self._on_start(invocation)
        return invocation

    def _finish(self, request_id: str, outcome: str, body: bytes, error_type: str | None) -> bool:
        with self._cond:
            invocation = self._running.pop(request_id, None)
            if invocation is None:
                return False
            invocation.outcome, invocation.body, invocation.error_type = outcome, body, error_type
            invocation.finished = time.monotonic()
        if self._on_end is not None:
            self._on_end(invocation)
        with self._cond:
            invocation.done.set()
            self._cond.notify_all()
        return True

    def _init_failed(self, body: bytes) -> None:
        with self._cond:
            try:
                self.init_error = json.loads(body or b"{}")
            except ValueError:
                self.init_error = {"errorMessage": body.decode(errors="replace")}
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: RuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client killed mid-call (the deadline, a crash) is what the tests make happen."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the client keeps its connection open between calls

    @property
    def api(self) -> RuntimeApi:
        server = self.server
        assert isinstance(server, _Server)
        return server.api

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404, b'{"errorType": "NotFound"}')
            return
        invocation = self.api._next()
        if invocation is None:  # closing: the client is being stopped too
            self.close_connection = True
            return
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
        self._reply(
            200,
            invocation.event,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": self.api.function_arn,
                "Lambda-Runtime-Trace-Id": trace,
            },
        )

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == f"{PREFIX}/init/error":
            self.api._init_failed(body)
            self._reply(202, b'{"status": "OK"}')
            return
        match = _OUTCOME.match(self.path)
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if match is None or not self.api._finish(match.group(1), match.group(2), body, error_type):
            self._reply(404, b'{"errorType": "InvalidRequestID"}')
            return
        self._reply(202, b'{"status": "OK"}')

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the function's output, not the server's."""
