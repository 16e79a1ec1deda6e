"""A local Amazon AppIntegrations endpoint for tests that must not need an AWS account.

Why an emulator rather than ``botocore.stub.Stubber``: the custom-resource handler runs in a
separate process (as Lambda would run it), so the only seam is the network. Pointing the
handler at this server with ``AWS_ENDPOINT_URL_APPINTEGRATIONS`` exercises the handler's real
boto3 client: request serialisation, SigV4 signing, retries, timeouts and error parsing.

Why it validates so much: botocore validates parameters client-side, but a handler could
still build a wrong request (a client created with ``parameter_validation=False``, a raw
HTTP call, identifiers in the wrong place). Everything here is derived from botocore's own
service model (``botocore/data/appintegrations``), which is the only contract we have, so
the emulator answers ``400 InvalidRequestException`` exactly where the model says the real
service would reject the input.

Supported operations (REST-JSON, service ``appintegrations``, signing name
``app-integrations``):

* ``PATCH /dataIntegrations/{Identifier}/associations/{DataIntegrationAssociationIdentifier}``
  - UpdateDataIntegrationAssociation, answers ``200 {}``.
* ``GET /dataIntegrations/{Identifier}/associations`` - ListDataIntegrationAssociations,
  with ``maxResults``/``nextToken`` pagination.

Path identifiers: the two labels are *not* greedy (``{Identifier}``, not ``{Identifier+}``),
so botocore percent-encodes them with no safe characters: an ARN such as
``arn:aws:app-integrations:<region>:<account>:data-integration/di`` arrives as
``arn%3Aaws%3Aapp-integrations%3A...%3Adata-integration%2Fdi``. The emulator therefore
splits the *raw* path on ``/`` first and only then percent-decodes each segment; decoding
first would cut an ARN in two.

Rate limit: :meth:`AppIntegrationsEmulator.set_rate_limit` installs an account-wide token
bucket (rate requests/s, burst) in front of both operations, as AWS enforces its API
quotas. A request that finds the bucket empty gets ``429`` with
``x-amzn-ErrorType: ThrottlingException`` (botocore's ``ClientError`` code
``ThrottlingException``), before any fault, validation or state change. Every answer, success
or error, carries an ``x-amzn-RequestId`` header, which botocore exposes as
``ResponseMetadata.RequestId`` (and which :attr:`RecordedRequest.request_id` records), so a
handler's FAILED reason can quote it as a support case would need. :meth:`counters`
counts API attempts and throttled answers (monotonic since the last :meth:`reset`).

Faults: :meth:`AppIntegrationsEmulator.inject` queues them; each is consumed by one request
that passed authentication, routing and the rate limit (``operation=`` keeps one for a single
operation), is recorded in :attr:`RecordedRequest.fault` and counted like any attempt.
``throttle``, ``internal``, ``access_denied``, ``invalid`` and ``not_found`` answer that error
instead of performing the request; ``hang`` holds it ``hang_seconds``, then performs and
answers it. The socket faults perform the request first (the Update lands, as a real service
may have applied it before the connection broke), then:

* ``close`` closes the connection without sending a byte (a FIN). botocore raises
  ``ConnectionClosedError``, its ``error`` a urllib3 ``ProtocolError`` wrapping
  ``http.client.RemoteDisconnected``.
* ``reset`` aborts it with a TCP RST (``SO_LINGER`` on, linger 0). botocore raises
  ``ConnectionClosedError`` too, its ``error`` a ``ProtocolError`` wrapping
  ``ConnectionResetError`` (errno ``ECONNRESET``).
* ``trickle`` sends the whole, correct answer one byte at a time, ``trickle_interval_s``
  apart: no read times out, yet the answer (about 200 bytes) takes about 200 intervals. A
  client that gives up meanwhile is recorded (:attr:`RecordedRequest.abandoned`).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import ThreadingHTTPServer
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from testkit.account import ACCOUNT, REGION
from testkit.local_server import BackgroundServer, LocalHandler, read_request
from testkit.token_bucket import RateLimit, TokenBucket

__all__ = [
    "LIST_OPERATION",
    "SIGNING_NAME",
    "THROTTLE_MESSAGE",
    "UPDATE_OPERATION",
    "ApiCounters",
    "AppIntegrationsEmulator",
    "Association",
    "FaultKind",
    "RateLimit",
    "RecordedRequest",
]

FaultKind = Literal[
    "throttle", "internal", "access_denied", "invalid", "not_found", "hang", "close", "reset", "trickle"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

UPDATE_OPERATION = "UpdateDataIntegrationAssociation"
LIST_OPERATION = "ListDataIntegrationAssociations"
SIGNING_NAME = "app-integrations"

DEFAULT_ACCOUNT = ACCOUNT
DEFAULT_REGION = REGION

# status, x-amzn-ErrorType, message for each fault answered instead of performing the request.
_FAULT_RESPONSES: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Rate exceeded (injected fault)"),
    "internal": (500, "InternalServiceError", "Internal service error (injected fault)"),
    "access_denied": (
        403,
        "AccessDeniedException",
        "User is not authorized to perform this action (injected fault)",
    ),
    "invalid": (400, "InvalidRequestException", "The request is not valid (injected fault)"),
    "not_found": (404, "ResourceNotFoundException", "The requested resource was not found (injected fault)"),
}

_ARN_PREFIX = "arn:aws:app-integrations"

THROTTLE_MESSAGE = "Rate exceeded"
"""The ``Message`` of a rate-limit ``ThrottlingException`` (what AWS's API front door says)."""


@cache
def _service_model() -> ServiceModel:
    """Load botocore's AppIntegrations model once: it is the source of truth for validation."""
    return botocore.session.get_session().get_service_model("appintegrations")


@cache
def _pattern(expression: str) -> re.Pattern[str]:
    # Smithy patterns are ECMA-262 regexes that are *not* implicitly anchored, hence search().
    return re.compile(expression)


def validate_shape(shape: Shape, value: Any, path: str) -> list[str]:
    """Return every way ``value`` violates ``shape`` (empty when valid).

    Only the constraints botocore's model carries are checked: type, required members,
    unknown members, enum, min/max (length, size or value) and pattern. ``null`` is treated
    as "absent", which is how Smithy services read JSON. Types the two emulated operations
    never use (timestamp, blob, document) are accepted as they are.
    """
    check = _VALIDATORS.get(shape.type_name)
    return [] if check is None else check(shape, value, path)


def _validate_structure(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    structure = cast("StructureShape", shape)
    members = {name: member for name, member in structure.members.items() if "location" not in member.serialization}
    problems = [f"{path}: unknown member {name!r}" for name in value if name not in members]
    problems.extend(
        f"{path}.{name}: required member is missing"
        for name in structure.required_members
        if name in members and value.get(name) is None
    )
    for name, member in members.items():
        if value.get(name) is not None:
            problems.extend(validate_shape(member, value[name], f"{path}.{name}"))
    return problems


def _validate_list(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: expected a list, got {type(value).__name__}"]
    problems = _check_range(shape, len(value), path, "item count")
    member = cast("ListShape", shape).member
    for index, item in enumerate(value):
        problems.extend(validate_shape(member, item, f"{path}[{index}]"))
    return problems


def _validate_map(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    map_shape = cast("MapShape", shape)
    problems = _check_range(shape, len(value), path, "entry count")
    for key, item in value.items():
        problems.extend(validate_shape(map_shape.key, key, f"{path} key {key!r}"))
        problems.extend(validate_shape(map_shape.value, item, f"{path}[{key!r}]"))
    return problems


def _validate_string(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: expected a string, got {type(value).__name__}"]
    problems = []
    enum: list[str] = shape.metadata.get("enum") or []
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {enum}")
    problems.extend(_check_range(shape, len(value), path, "length"))
    expression = shape.metadata.get("pattern")
    if expression is not None and _pattern(expression).search(value) is None:
        problems.append(f"{path}: {value!r} does not match pattern {expression!r}")
    return problems


def _validate_integer(shape: Shape, value: Any, path: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{path}: expected an integer, got {type(value).__name__}"]
    return _check_range(shape, value, path, "value")


def _validate_number(shape: Shape, value: Any, path: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{path}: expected a number, got {type(value).__name__}"]
    return []


def _validate_boolean(shape: Shape, value: Any, path: str) -> list[str]:
    return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {type(value).__name__}"]


_VALIDATORS: dict[str, Callable[[Shape, Any, str], list[str]]] = {
    "structure": _validate_structure,
    "list": _validate_list,
    "map": _validate_map,
    "string": _validate_string,
    "integer": _validate_integer,
    "long": _validate_integer,
    "float": _validate_number,
    "double": _validate_number,
    "boolean": _validate_boolean,
}


def _check_range(shape: Shape, measured: int, path: str, what: str) -> list[str]:
    problems = []
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and measured < minimum:
        problems.append(f"{path}: {what} {measured} is below the minimum {minimum}")
    if maximum is not None and measured > maximum:
        problems.append(f"{path}: {what} {measured} is above the maximum {maximum}")
    return problems


@dataclass
class Association:
    """One DataIntegrationAssociation held by the emulator (a snapshot when handed out)."""

    data_integration_id: str
    association_id: str
    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    client_id: str = "cdk-appintegrations-tests"
    destination_uri: str = "s3://amzn-s3-demo-destination/appintegrations"
    execution_configuration: dict[str, Any] = field(
        default_factory=lambda: {
            "ExecutionMode": "SCHEDULED",
            "ScheduleConfiguration": {"ScheduleExpression": "rate(1 hour)"},
        }
    )
    last_execution_status: dict[str, str] = field(default_factory=lambda: {"ExecutionStatus": "COMPLETED"})
    update_count: int = 0

    @property
    def data_integration_arn(self) -> str:
        """``arn:aws:app-integrations:{region}:{account}:data-integration/{di}``."""
        return f"{_ARN_PREFIX}:{self.region}:{self.account}:data-integration/{self.data_integration_id}"

    @property
    def association_arn(self) -> str:
        """``arn:aws:app-integrations:{region}:{account}:data-integration-association/{di}/{assoc}``."""
        return (
            f"{_ARN_PREFIX}:{self.region}:{self.account}:data-integration-association/"
            f"{self.data_integration_id}/{self.association_id}"
        )

    def matches_data_integration(self, identifier: str) -> bool:
        """Whether ``identifier`` (plain id or ARN) names this association's data integration."""
        return identifier in (self.data_integration_id, self.data_integration_arn)

    def matches_association(self, identifier: str) -> bool:
        """Whether ``identifier`` (plain id or ARN) names this association."""
        return identifier in (self.association_id, self.association_arn)

    def summary(self) -> dict[str, Any]:
        """The ``DataIntegrationAssociationSummary`` the List operation returns."""
        return {
            "DataIntegrationAssociationArn": self.association_arn,
            "DataIntegrationArn": self.data_integration_arn,
            "ClientId": self.client_id,
            "DestinationURI": self.destination_uri,
            "ExecutionConfiguration": copy.deepcopy(self.execution_configuration),
            "LastExecutionStatus": dict(self.last_execution_status),
        }


@dataclass
class RecordedRequest:
    """Everything the emulator saw of one HTTP request.

    ``status`` and ``error_type`` are filled in when the answer is sent, so a request that
    is still hanging shows ``status=None``. A hung request released by ``close()``, and one
    faulted by ``"close"`` or ``"reset"``, keeps ``status=None``: it never got an answer.
    """

    method: str
    path: str
    """The path exactly as sent on the wire (percent-encoded), without the query string."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names lower-cased; repeated headers joined with ``", "``."""
    raw_body: bytes
    body: Any
    """The parsed JSON body, or ``None`` when the body was empty or not JSON."""
    operation: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    """Decoded path labels keyed by model member name, e.g. ``DataIntegrationIdentifier``."""
    fault: str | None = None
    throttled: bool = False
    """Whether the account-wide rate limit refused it (``429 ThrottlingException``); injected
    ``"throttle"`` faults are recorded in :attr:`fault` instead."""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """The ``x-amzn-RequestId`` sent with the answer (boto3's ``ResponseMetadata.RequestId``)."""
    status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    abandoned: bool = False
    """Whether the client closed the connection before a ``"trickle"`` answer was all sent."""
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class ApiCounters:
    """API requests seen since the last :meth:`AppIntegrationsEmulator.reset` (subtract two snapshots for a span).

    ``attempts`` counts requests that were authenticated and reached an emulated operation
    (Update or List), whatever their answer; ``throttled`` those the rate limit refused.
    """

    attempts: int = 0
    throttled: int = 0
    update_attempts: int = 0
    update_throttled: int = 0

    def __sub__(self, other: ApiCounters) -> ApiCounters:
        """The requests between two snapshots."""
        return ApiCounters(
            self.attempts - other.attempts,
            self.throttled - other.throttled,
            self.update_attempts - other.update_attempts,
            self.update_throttled - other.update_throttled,
        )


@dataclass
class _Fault:
    kind: str
    operation: str | None
    hang_seconds: float | None
    trickle_interval_s: float


class _Reply(Exception):  # noqa: N818 - control flow, not an error
    """Raised inside request handling to send one JSON answer and stop."""

    fault: _Fault | None = None
    """The fault the request consumed, if any: ``close``, ``reset`` and ``trickle`` decide how the answer goes out."""

    def __init__(self, status: int, body: Mapping[str, Any], error_type: str | None = None) -> None:
        super().__init__(status, error_type)
        self.status = status
        self.body = body
        self.error_type = error_type


class _Hangup(Exception):  # noqa: N818 - control flow, not an error
    """A hung request was released by ``close()``/``reset()``: drop the connection unanswered."""


def _error(status: int, error_type: str, message: str) -> _Reply:
    return _Reply(status, {"Message": message}, error_type)


class _EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default listen backlog is 5: a deploy's hundreds of containers connecting
    # at once would overflow it and see connections closed before any answer
    # (botocore's ConnectionClosedError), which no AWS endpoint does.
    request_queue_size = 1024

    def __init__(self, emulator: AppIntegrationsEmulator) -> None:
        self.emulator = emulator
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, released hang) is not a test failure.
        self.emulator._server_errors.append(f"{client_address}: connection error")


class _Handler(LocalHandler):
    server_version = "AppIntegrationsEmulator/1.0"
    timeout = 30  # idle keep-alive connections do not pin handler threads forever

    @property
    def _emulator(self) -> AppIntegrationsEmulator:
        return cast("_EmulatorServer", self.server).emulator

    def setup(self) -> None:
        super().setup()
        self._emulator._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._emulator._track(self.connection, add=False)

    def do_PATCH(self) -> None:
        self.respond()

    def do_DELETE(self) -> None:
        self.respond()

    def respond(self) -> None:
        headers, raw_body = read_request(self)
        split = urlsplit(self.path)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        record = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            raw_body=raw_body,
            body=body,
        )
        emulator = self._emulator
        emulator._record(record)
        try:
            emulator._handle(record)
        except _Reply as reply:
            self._send(record, reply)
        except _Hangup:
            self.close_connection = True

    def _send(self, record: RecordedRequest, reply: _Reply) -> None:
        fault = reply.fault
        if fault is not None and fault.kind in ("close", "reset"):
            self.drop(reset=fault.kind == "reset")
            return
        self._emulator._complete(record, reply)  # before answering: the client may look at once
        message = self._message(record, reply)
        if fault is not None and fault.kind == "trickle":
            self._trickle(record, message, fault.trickle_interval_s)
        else:
            self.wfile.write(message)

    def _message(self, record: RecordedRequest, reply: _Reply) -> bytes:
        """The whole HTTP answer (status line, headers, JSON body) as bytes."""
        payload = json.dumps(reply.body).encode()
        wire, buffer = self.wfile, io.BytesIO()
        self.wfile = buffer
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", record.request_id)
            if reply.error_type is not None:
                self.send_header("x-amzn-ErrorType", reply.error_type)
            self.end_headers()
        finally:
            self.wfile = wire
        return buffer.getvalue() + payload

    def _trickle(self, record: RecordedRequest, message: bytes, interval: float) -> None:
        """Send ``message`` a byte at a time, ``interval`` apart, until done, released or the client leaves."""
        for index in range(len(message)):
            if index and self._emulator._pause(interval):
                break  # close(), reset() or release_hung(): the rest is not sent
            try:
                self.wfile.write(message[index : index + 1])
            except OSError:  # the client closed the connection (EPIPE or ECONNRESET)
                self._emulator._abandoned(record)
                break
        else:
            return
        self.close_connection = True  # half an answer: this connection cannot carry another


class AppIntegrationsEmulator(BackgroundServer):
    """AppIntegrations on ``http://127.0.0.1:<ephemeral port>``, served from a daemon thread.

    Use it as a context manager (or call :meth:`start` / :meth:`close`)::

        with AppIntegrationsEmulator() as emu:
            emu.add_association("di-1", "assoc-1")
            client = boto3.client("appintegrations", endpoint_url=emu.endpoint_url, ...)

    All state (associations, recorded requests, queued faults) is guarded by one lock, so
    the emulator can be shared by concurrent requests and by a session-scoped fixture
    (call :meth:`reset` between tests).

    ``hang_seconds`` is how long an injected ``"hang"`` fault holds a request before
    answering it normally (a slow service, not a dead one). ``close()`` and ``reset()``
    release hung and trickling requests at once, so shutdown never waits on them.
    ``region`` is the region this endpoint serves: a request signed for another region or
    service is refused, as AWS would.
    """

    kind = "emulator"
    #: The most associations one List page holds, whatever ``maxResults`` asks for (a service
    #: may return fewer than asked); tests lower it to see several pages.
    max_page_size = 50

    def __init__(self, *, hang_seconds: float = 600.0, region: str = DEFAULT_REGION) -> None:
        """Prepare an emulator; nothing listens until :meth:`start` (or ``with``)."""
        super().__init__()
        self.hang_seconds = hang_seconds
        self.region = region
        self._lock = threading.Lock()
        self._associations: list[Association] = []
        self._data_integrations: set[tuple[str, str, str]] = set()  # (account, region, id)
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._release = threading.Event()
        self._closed = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server_errors: list[str] = []
        self._bucket: TokenBucket | None = None
        self._counters = ApiCounters()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> AppIntegrationsEmulator:
        """Bind an ephemeral port on 127.0.0.1 and serve from a daemon thread."""
        self._serve(_EmulatorServer(self))
        return self

    def close(self) -> None:
        """Stop serving, release hung handlers, drop open connections. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closed.set()
        self._release.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._join()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` - pass as ``endpoint_url`` or ``AWS_ENDPOINT_URL_APPINTEGRATIONS``."""
        host, port = self._address()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget associations, requests, queued faults, counters and the rate limit; release any hung request."""
        self.release_hung()
        with self._lock:
            self._associations.clear()
            self._data_integrations.clear()
            self._requests.clear()
            self._faults.clear()
            self._server_errors.clear()
            self._bucket = None
            self._counters = ApiCounters()

    def release_hung(self) -> None:
        """Release every request held by a ``"hang"`` fault (no answer) or trickling (the rest is not sent)."""
        with self._lock:
            release, self._release = self._release, threading.Event()
            if self._closed.is_set():
                self._release.set()
        release.set()

    # -- state -----------------------------------------------------------------------------

    def add_data_integration(
        self, data_integration_id: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION
    ) -> str:
        """Declare a data integration with no associations yet; returns its ARN."""
        with self._lock:
            self._data_integrations.add((account, region, data_integration_id))
        return f"{_ARN_PREFIX}:{region}:{account}:data-integration/{data_integration_id}"

    def add_association(
        self,
        data_integration_id: str,
        association_id: str,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        *,
        execution_configuration: Mapping[str, Any] | None = None,
        client_id: str | None = None,
        destination_uri: str | None = None,
    ) -> Association:
        """Create an association (and its data integration); returns a snapshot of it.

        It is addressable by plain ids or by its ARNs (see :class:`Association`).
        """
        association = Association(data_integration_id, association_id, account, region)
        if execution_configuration is not None:
            association.execution_configuration = copy.deepcopy(dict(execution_configuration))
        if client_id is not None:
            association.client_id = client_id
        if destination_uri is not None:
            association.destination_uri = destination_uri
        with self._lock:
            if any(existing.association_arn == association.association_arn for existing in self._associations):
                raise ValueError(f"association {association.association_arn} already exists")
            self._data_integrations.add((account, region, data_integration_id))
            self._associations.append(association)
            return copy.deepcopy(association)

    def remove_association(self, data_integration_id: str, association_id: str) -> None:
        """Delete an association (as its consumer would when it is deleted); its data integration stays."""
        with self._lock:
            try:
                found = self._lookup(data_integration_id, association_id)
            except _Reply as missing:
                raise KeyError(missing.body["Message"]) from None
            self._associations.remove(found)

    def get_association(self, data_integration_id: str, association_id: str) -> Association:
        """A snapshot of an association's current state (ids or ARNs accepted)."""
        with self._lock:
            return copy.deepcopy(self._lookup(data_integration_id, association_id))

    @property
    def associations(self) -> list[Association]:
        """Snapshots of every association, in creation order."""
        with self._lock:
            return copy.deepcopy(self._associations)

    # -- recording -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy of the list), including faulted ones."""
        with self._lock:
            return list(self._requests)

    def update_calls(self) -> list[RecordedRequest]:
        """The recorded UpdateDataIntegrationAssociation requests, in arrival order."""
        return [request for request in self.requests if request.operation == UPDATE_OPERATION]

    def list_calls(self) -> list[RecordedRequest]:
        """The recorded ListDataIntegrationAssociations requests, in arrival order."""
        return [request for request in self.requests if request.operation == LIST_OPERATION]

    def clear_requests(self) -> None:
        """Forget recorded requests only (state and faults stay)."""
        with self._lock:
            self._requests.clear()

    # -- rate limit ------------------------------------------------------------------------

    def set_rate_limit(
        self, rate: float | None, burst: int | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Throttle every API request (Update and List, all callers) to ``rate``/s with ``burst``; ``None`` disables.

        The bucket starts full, so calling this again also refills it (a quiet period).
        ``clock`` is for tests that step time; it must be monotonic.
        """
        if rate is None:
            bucket = None
        else:
            if burst is None:
                raise ValueError("a rate limit needs a burst (AWS quotas are 'rate R, burst B')")
            bucket = TokenBucket(RateLimit(rate, burst), clock)
        with self._lock:
            self._bucket = bucket

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate limit in force, if any."""
        with self._lock:
            return None if self._bucket is None else self._bucket.limit

    def counters(self) -> ApiCounters:
        """API attempts and throttled answers since the last :meth:`reset` (a snapshot)."""
        with self._lock:
            return self._counters

    # -- faults ----------------------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind,
        times: int = 1,
        *,
        operation: str | None = None,
        hang_seconds: float | None = None,
        trickle_interval_s: float = 0.5,
    ) -> None:
        """Queue ``times`` faults of ``kind``; each one is consumed by one request, in order.

        ``operation`` restricts the fault to one operation name (e.g.
        ``UPDATE_OPERATION``); other operations then pass it by. ``hang_seconds``
        overrides the emulator-wide hang duration for these faults; ``trickle_interval_s``
        is the pause between two bytes of a ``"trickle"`` answer.
        Faults apply only to requests that are authenticated and reach a known route.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.extend(_Fault(kind, operation, hang_seconds, trickle_interval_s) for _ in range(times))

    def pending_faults(self) -> list[str]:
        """Kinds of the faults still queued, in the order they will be consumed."""
        with self._lock:
            return [fault.kind for fault in self._faults]

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    # -- request handling (called from handler threads) ------------------------------------

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)

    def _complete(self, record: RecordedRequest, reply: _Reply) -> None:
        with self._lock:
            record.status = reply.status
            record.error_type = reply.error_type
            message = reply.body.get("Message")
            record.error_message = message if isinstance(message, str) else None

    def _abandoned(self, record: RecordedRequest) -> None:
        with self._lock:
            record.abandoned = True

    def _take_fault(self, operation: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.operation in (None, operation):
                    return self._faults.pop(index)
        return None

    def _handle(self, record: RecordedRequest) -> None:
        """Authenticate, route, rate-limit, apply faults, validate, then perform; always raises ``_Reply``."""
        self._authenticate(record)
        operation_model, identifiers = self._route(record)
        with self._lock:
            record.operation = operation_model.name
            record.identifiers = identifiers
            admitted = self._bucket is None or self._bucket.try_acquire()
            record.throttled = not admitted
            is_update = operation_model.name == UPDATE_OPERATION
            counters = self._counters
            self._counters = ApiCounters(
                counters.attempts + 1,
                counters.throttled + (not admitted),
                counters.update_attempts + is_update,
                counters.update_throttled + (is_update and not admitted),
            )
        if not admitted:
            raise _error(429, "ThrottlingException", THROTTLE_MESSAGE)
        fault = self._take_fault(operation_model.name)
        if fault is not None:
            with self._lock:
                record.fault = fault.kind
            if fault.kind == "hang":
                self._hang(fault)
            elif fault.kind in _FAULT_RESPONSES:
                status, error_type, message = _FAULT_RESPONSES[fault.kind]
                raise _error(status, error_type, message)
        try:
            self._validate(record, operation_model, identifiers)
            reply = self._update(record, identifiers) if is_update else self._list(record, identifiers)
        except _Reply as refused:
            reply = refused
        reply.fault = fault  # a socket fault decides how (or whether) the answer goes out
        raise reply

    def _hang(self, fault: _Fault) -> None:
        seconds = self.hang_seconds if fault.hang_seconds is None else fault.hang_seconds
        if self._pause(seconds):
            raise _Hangup

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; True when :meth:`release_hung` (or ``close``/``reset``) cut it short."""
        with self._lock:
            release = self._release
        return release.wait(seconds)

    def _authenticate(self, record: RecordedRequest) -> None:
        """Require a SigV4 ``Authorization`` header scoped to this service and region.

        The signature itself is not recomputed (the emulator does not know the caller's
        secret key); the point is to catch an unsigned or mis-scoped client.
        """
        authorization = record.headers.get("authorization")
        if not authorization:
            raise _error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            raise _error(
                403,
                "IncompleteSignatureException",
                "Authorization header must use the AWS4-HMAC-SHA256 (SigV4) algorithm",
            )
        match = re.search(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", authorization)
        if match is None or "x-amz-date" not in record.headers:
            raise _error(
                403,
                "IncompleteSignatureException",
                "Authorization header requires a Credential scope and an X-Amz-Date header",
            )
        _, _, region, service = match.groups()
        if service != SIGNING_NAME:
            raise _error(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{SIGNING_NAME}'",
            )
        if region != self.region:
            raise _error(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{region}'",
            )

    def _route(self, record: RecordedRequest) -> tuple[OperationModel, dict[str, str]]:
        # Split the *encoded* path first: an ARN label carries %2F, which must not split.
        segments = record.path.split("/")
        model = _service_model()
        if (
            record.method == "PATCH"
            and len(segments) == 5
            and segments[1] == "dataIntegrations"
            and segments[3] == "associations"
        ):
            return model.operation_model(UPDATE_OPERATION), {
                "DataIntegrationIdentifier": unquote(segments[2]),
                "DataIntegrationAssociationIdentifier": unquote(segments[4]),
            }
        if (
            record.method == "GET"
            and len(segments) == 4
            and segments[1] == "dataIntegrations"
            and segments[3] == "associations"
        ):
            return model.operation_model(LIST_OPERATION), {"DataIntegrationIdentifier": unquote(segments[2])}
        raise _error(
            404,
            "UnknownOperationException",
            f"No emulated operation for {record.method} {record.path}",
        )

    def _validate(self, record: RecordedRequest, operation: OperationModel, identifiers: dict[str, str]) -> None:
        input_shape = operation.input_shape
        if input_shape is None:  # pragma: no cover - both operations have an input shape
            return
        problems: list[str] = []
        for name, member in input_shape.members.items():
            location = member.serialization.get("location")
            if location == "uri":
                problems.extend(validate_shape(member, identifiers.get(name, ""), name))
            elif location == "querystring":
                values = record.query.get(member.serialization["name"])
                if values:
                    problems.extend(self._validate_query(member, values[-1], name))
        if operation.http["method"] in ("PATCH", "PUT", "POST"):
            if record.raw_body and record.body is None:
                problems.append("request body is not valid JSON")
            else:
                problems.extend(validate_shape(input_shape, record.body or {}, "body"))
        if problems:
            raise _error(400, "InvalidRequestException", "; ".join(problems))

    @staticmethod
    def _validate_query(member: Shape, raw: str, name: str) -> list[str]:
        if member.type_name in ("integer", "long"):
            try:
                return validate_shape(member, int(raw), name)
            except ValueError:
                return [f"{name}: {raw!r} is not an integer"]
        return validate_shape(member, raw, name)

    def _data_integration_known(self, identifier: str) -> bool:
        """Whether ``identifier`` (plain id or ARN) names a declared data integration (lock held)."""
        return any(
            identifier in (di, f"{_ARN_PREFIX}:{region}:{account}:data-integration/{di}")
            for account, region, di in self._data_integrations
        )

    def _lookup(self, data_integration: str, association: str) -> Association:
        """Find an association (caller holds the lock); 404 naming whichever is missing."""
        if not self._data_integration_known(data_integration):
            raise _error(404, "ResourceNotFoundException", f"Data integration '{data_integration}' not found")
        for candidate in self._associations:
            if candidate.matches_data_integration(data_integration) and candidate.matches_association(association):
                return candidate
        raise _error(
            404,
            "ResourceNotFoundException",
            f"Data integration association '{association}' not found for data integration '{data_integration}'",
        )

    def _update(self, record: RecordedRequest, identifiers: dict[str, str]) -> _Reply:
        with self._lock:
            association = self._lookup(
                identifiers["DataIntegrationIdentifier"], identifiers["DataIntegrationAssociationIdentifier"]
            )
            association.execution_configuration = copy.deepcopy(record.body["ExecutionConfiguration"])
            association.update_count += 1
        return _Reply(200, {})

    def _list(self, record: RecordedRequest, identifiers: dict[str, str]) -> _Reply:
        data_integration = identifiers["DataIntegrationIdentifier"]
        with self._lock:
            if not self._data_integration_known(data_integration):
                raise _error(404, "ResourceNotFoundException", f"Data integration '{data_integration}' not found")
            matching = [a.summary() for a in self._associations if a.matches_data_integration(data_integration)]
        max_results = min(int(record.query.get("maxResults", ["50"])[-1]), self.max_page_size)
        token = record.query.get("nextToken", [None])[-1]
        start = 0
        if token is not None:
            if not token.isdigit() or int(token) > len(matching):
                raise _error(400, "InvalidRequestException", f"nextToken {token!r} is not valid")
            start = int(token)
        body: dict[str, Any] = {"DataIntegrationAssociations": matching[start : start + max_results]}
        if start + max_results < len(matching):
            body["NextToken"] = str(start + max_results)
        return _Reply(200, body)
