"""A local AppIntegrations endpoint: the handler runs in another process, so the network is the only seam.

It also answers CloudFormation's DescribeStacks (query protocol, ``POST /``) from the stack statuses the
deploy driver sets (:meth:`AppIntegrationsEmulator.set_stack_status`): the handler reads its stack's status
there, so the same URL serves as ``AWS_ENDPOINT_URL_CLOUDFORMATION`` (:attr:`~AppIntegrationsEmulator.endpoints`).

botocore's service model is the contract: requests are checked against it (``400
InvalidRequestException`` where the real service would refuse them), answers have its shapes, and
errors carry ``x-amzn-ErrorType``. State lasts across a stack's life; an account-wide rate limit
(:meth:`AppIntegrationsEmulator.set_rate_limit`) and scripted faults (:meth:`~AppIntegrationsEmulator.inject`)
make it behave like AWS under load and on real networks.
"""

from __future__ import annotations

import copy
import io
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import ThreadingHTTPServer
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape

from testkit.account import ACCOUNT, REGION
from testkit.local_server import BackgroundServer, LocalHandler, read_request
from testkit.token_bucket import RateLimit as RateLimit
from testkit.token_bucket import TokenBucket

UPDATE_OPERATION = "UpdateDataIntegrationAssociation"
LIST_OPERATION = "ListDataIntegrationAssociations"
THROTTLE_MESSAGE = "Rate exceeded"  # the Message of a rate-limit ThrottlingException, as AWS's API front door says

# The first five answer their error instead of performing the request. "hang" holds the request
# (hang_seconds), then performs it. The socket faults perform it (the Update lands, as a real service
# may have applied it), then: "close" sends a FIN, "reset" an RST (botocore: ConnectionClosedError),
# "trickle" sends the right answer a byte at a time, no read timing out.
FaultKind = Literal[
    "throttle", "internal", "access_denied", "invalid", "not_found", "hang", "close", "reset", "trickle"
]
_FAULT_RESPONSES: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Rate exceeded (injected fault)"),
    "internal": (500, "InternalServiceError", "Internal service error (injected fault)"),
    "access_denied": (403, "AccessDeniedException", "User is not authorized to perform this action (injected fault)"),
    "invalid": (400, "InvalidRequestException", "The request is not valid (injected fault)"),
    "not_found": (404, "ResourceNotFoundException", "The requested resource was not found (injected fault)"),
}


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("appintegrations")


_TYPES: dict[str, Any] = {
    "structure": dict,
    "list": list,
    "string": str,
    "integer": int,
}  # the only ones the two operations use


def validate_shape(shape: Shape, value: Any, path: str) -> list[str]:
    """Every way ``value`` breaks the model's constraints on ``shape`` (``None`` is absent, as Smithy reads JSON)."""
    kind = shape.type_name
    if kind not in _TYPES:
        return []
    if not isinstance(value, _TYPES[kind]) or isinstance(value, bool):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if isinstance(shape, StructureShape):
        members = {name: m for name, m in shape.members.items() if "location" not in m.serialization}
        problems = [f"{path}: unknown member {name!r}" for name in value if name not in members]
        problems += [
            f"{path}.{name}: required member is missing"
            for name in shape.required_members
            if name in members and value.get(name) is None
        ]
        for name, member in members.items():
            if value.get(name) is not None:
                problems += validate_shape(member, value[name], f"{path}.{name}")
        return problems
    measured, problems = (value if kind == "integer" else len(value)), []
    what = {"list": "item count", "string": "length"}.get(kind, "value")
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and measured < minimum:
        problems.append(f"{path}: {what} {measured} is below the minimum {minimum}")
    if maximum is not None and measured > maximum:
        problems.append(f"{path}: {what} {measured} is above the maximum {maximum}")
    if isinstance(shape, ListShape):
        for index, item in enumerate(value):
            problems += validate_shape(shape.member, item, f"{path}[{index}]")
    enum, pattern = shape.metadata.get("enum"), shape.metadata.get("pattern")
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {enum}")
    if pattern is not None and re.search(pattern, value) is None:  # Smithy patterns are not anchored
        problems.append(f"{path}: {value!r} does not match pattern {pattern!r}")
    return problems


def _data_integration_arn(account: str, region: str, data_integration_id: str) -> str:
    return f"arn:aws:app-integrations:{region}:{account}:data-integration/{data_integration_id}"


@dataclass
class Association:
    """One DataIntegrationAssociation (a snapshot when handed out); addressable by ids or ARNs.

    ``client_id``, ``destination_uri`` and ``execution_configuration`` are optional in
    CreateDataIntegrationAssociation: empty (``""``, ``{}``) stands for one created without it.
    """

    data_integration_id: str
    association_id: str
    account: str = ACCOUNT
    region: str = REGION
    client_id: str = "cdk-appintegrations-tests"
    destination_uri: str = "s3://amzn-s3-demo-destination/appintegrations"
    execution_configuration: dict[str, Any] = field(
        default_factory=lambda: {
            "ExecutionMode": "SCHEDULED",
            "ScheduleConfiguration": {"ScheduleExpression": "rate(1 hour)"},
        }
    )
    update_count: int = 0

    @property
    def data_integration_arn(self) -> str:
        return _data_integration_arn(self.account, self.region, self.data_integration_id)

    @property
    def association_arn(self) -> str:
        head = self.data_integration_arn.replace(":data-integration/", ":data-integration-association/")
        return f"{head}/{self.association_id}"

    def of(self, data_integration: str) -> bool:
        return data_integration in (self.data_integration_id, self.data_integration_arn)

    def summary(self) -> dict[str, Any]:
        """The ``DataIntegrationAssociationSummary`` the List operation returns: an empty field is absent, as in JSON."""
        summary = {
            "DataIntegrationAssociationArn": self.association_arn,
            "DataIntegrationArn": self.data_integration_arn,
            "ClientId": self.client_id,
            "DestinationURI": self.destination_uri,
            "ExecutionConfiguration": copy.deepcopy(self.execution_configuration),
            "LastExecutionStatus": {"ExecutionStatus": "COMPLETED"},
        }
        return {name: value for name, value in summary.items() if value}


@dataclass
class RecordedRequest:
    """One request as the emulator saw it; ``status`` stays ``None`` until an answer is sent (never, when dropped)."""

    method: str
    path: str  # as sent (percent-encoded), without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    raw_body: bytes
    body: Any  # the parsed JSON, or None
    operation: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)  # decoded path labels by model member name
    fault: str | None = None
    throttled: bool = False  # refused by the rate limit (an injected "throttle" is a fault)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # x-amzn-RequestId
    status: int | None = None
    error_type: str | None = None
    abandoned: bool = False  # the client left before a "trickle" answer was all sent


@dataclass(frozen=True)
class ApiCounters:
    """Requests that reached an operation, whatever their answer, and those the rate limit refused."""

    attempts: int = 0
    throttled: int = 0

    def __sub__(self, other: ApiCounters) -> ApiCounters:
        return ApiCounters(self.attempts - other.attempts, self.throttled - other.throttled)


@dataclass
class _Fault:
    kind: str
    operation: str | None
    hang_seconds: float
    trickle_interval_s: float


class _Reply(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, status: int, body: dict[str, Any], error_type: str | None = None) -> None:
        super().__init__(status, error_type)
        self.status, self.body, self.error_type = status, body, error_type
        self.fault: _Fault | None = None  # close, reset and trickle decide how the answer goes out


def _error(status: int, error_type: str, message: str) -> _Reply:
    return _Reply(status, {"Message": message}, error_type)


class _EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # a deploy's containers connect at once; a backlog of 5 would drop them unanswered

    def __init__(self, emulator: AppIntegrationsEmulator) -> None:
        self.emulator = emulator
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up is no test failure; the emulator's own bug is, kept for the fixture to raise.

        Left quiet, such a bug drops the connection unanswered, which the product retries as
        a network fault: the test would pass on the emulator's crash.
        """
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.emulator.crashes.append(traceback.format_exc())


class _Handler(LocalHandler):
    server_version = "AppIntegrationsEmulator/1.0"
    timeout = 30  # idle keep-alive connections do not pin handler threads forever

    def do_PATCH(self) -> None:
        self.respond()

    def respond(self) -> None:
        headers, raw_body = read_request(self)
        split = urlsplit(self.path)
        if self.command == "POST" and split.path == "/":  # CloudFormation's query protocol
            status, xml = cast("_EmulatorServer", self.server).emulator._cloudformation(headers, raw_body)
            self.send_response(status)
            for name, value in (("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))):
                self.send_header(name, value)
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(xml)
            return
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        record = RecordedRequest(
            self.command, split.path, parse_qs(split.query, keep_blank_values=True), headers, raw_body, body
        )
        emulator = cast("_EmulatorServer", self.server).emulator
        reply = emulator._handle(record)
        kind = reply.fault.kind if reply and reply.fault else None
        if reply is None or kind in ("close", "reset"):  # a released hang, or a socket fault: no answer
            self.drop(reset=kind == "reset")
            return
        with emulator._lock:  # before answering: the client may look at once
            record.status, record.error_type = reply.status, reply.error_type
        message = self._message(record, reply)
        if reply.fault is None or kind != "trickle":
            self.wfile.write(message)
            return
        for index in range(len(message)):
            if index and emulator._pause(reply.fault.trickle_interval_s):
                break  # released: the rest is not sent
            try:
                self.wfile.write(message[index : index + 1])
            except OSError:  # the client closed the connection
                with emulator._lock:
                    record.abandoned = True
                break
        else:
            return
        self.close_connection = True  # half an answer: this connection cannot carry another

    def _message(self, record: RecordedRequest, reply: _Reply) -> bytes:
        payload = json.dumps(reply.body).encode()
        wire, self.wfile = self.wfile, io.BytesIO()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", record.request_id)
            if reply.error_type is not None:
                self.send_header("x-amzn-ErrorType", reply.error_type)
            self.end_headers()
            return self.wfile.getvalue() + payload
        finally:
            self.wfile = wire


class AppIntegrationsEmulator(BackgroundServer):
    """AppIntegrations on ``http://127.0.0.1:<port>`` (``with`` it, or :meth:`start` and :meth:`close`).

    One lock guards all state, so concurrent requests and a session-scoped fixture (:meth:`reset`
    between tests) share it safely. Requests must be SigV4-signed for ``app-integrations`` in
    :data:`~testkit.account.REGION`, a temporary (``ASIA``) key with its session token.
    """

    kind = "emulator"
    max_page_size = 50  # a List page holds no more, whatever maxResults asks (tests lower it)

    def __init__(self) -> None:
        super().__init__()
        self._lock, self._release, self._closed = threading.Lock(), threading.Event(), threading.Event()
        self.reset()

    def start(self) -> AppIntegrationsEmulator:
        self._serve(_EmulatorServer(self))
        return self

    def close(self) -> None:
        """Stop serving and release hung and trickling requests, so shutdown never waits on them. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closed.set()
        self._release.set()
        server.shutdown()
        server.server_close()
        self._join()

    @property
    def endpoint_url(self) -> str:
        """For ``endpoint_url``, ``AWS_ENDPOINT_URL_APPINTEGRATIONS`` or ``AWS_ENDPOINT_URL_CLOUDFORMATION``."""
        host, port = self._address()
        return f"http://{host}:{port}"

    @property
    def endpoints(self) -> dict[str, str]:
        """The environment that points a handler's AppIntegrations and CloudFormation clients here."""
        return {
            "AWS_ENDPOINT_URL_APPINTEGRATIONS": self.endpoint_url,
            "AWS_ENDPOINT_URL_CLOUDFORMATION": self.endpoint_url,
        }

    def reset(self) -> None:
        """Forget all state, requests, faults, counters and the rate limit; release any hung request."""
        self.release_hung()
        with self._lock:
            self._associations: list[Association] = []
            self._data_integrations: set[str] = set()  # ids and ARNs
            self._requests: list[RecordedRequest] = []
            self._faults: list[_Fault] = []
            self._page_tokens: dict[tuple[str, str], int] = {}  # NextTokens issued: (data integration, token) -> offset
            self._bucket: TokenBucket | None = None
            self._counters = ApiCounters()
            self._stacks: dict[str, str] = {}  # stack id -> status
            #: The StackName of every DescribeStacks, in order (they are not in :attr:`requests` nor the counters).
            self.describe_stacks_calls: list[str] = []
            #: The emulator's own exceptions while it answered (its bugs), in order; see ``_EmulatorServer``.
            self.crashes: list[str] = []

    def release_hung(self) -> None:
        """Release every hung request (it gets no answer) and trickling one (the rest is not sent)."""
        with self._lock:
            release, self._release = self._release, threading.Event()
            if self._closed.is_set():
                self._release.set()
        release.set()

    # -- state -----------------------------------------------------------------------------

    def add_data_integration(self, data_integration_id: str, *, account: str = ACCOUNT, region: str = REGION) -> None:
        """Declare a data integration, with no associations yet."""
        arn = _data_integration_arn(account, region, data_integration_id)
        with self._lock:
            self._data_integrations |= {data_integration_id, arn}

    def add_association(
        self, data_integration_id: str, association_id: str, account: str = ACCOUNT, region: str = REGION, **fields: Any
    ) -> Association:
        """Create an association and its data integration; ``fields``: other :class:`Association` fields (None: default)."""
        given = {name: value for name, value in fields.items() if value is not None}
        association = copy.deepcopy(Association(data_integration_id, association_id, account, region, **given))
        with self._lock:
            if any(a.association_arn == association.association_arn for a in self._associations):
                raise ValueError(f"association {association.association_arn} already exists")
            self._data_integrations |= {data_integration_id, association.data_integration_arn}
            self._associations.append(association)
            return copy.deepcopy(association)

    def remove_association(self, data_integration_id: str, association_id: str) -> None:
        """Delete an association, as its consumer does when deleted; its data integration stays."""
        with self._lock:
            try:
                self._associations.remove(self._lookup(data_integration_id, association_id))
            except _Reply as missing:
                raise KeyError(missing.body["Message"]) from None

    def get_association(self, data_integration_id: str, association_id: str) -> Association:
        """A snapshot of an association (ids or ARNs)."""
        with self._lock:
            return copy.deepcopy(self._lookup(data_integration_id, association_id))

    @property
    def associations(self) -> list[Association]:
        with self._lock:
            return copy.deepcopy(self._associations)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, faulted ones included."""
        with self._lock:
            return list(self._requests)

    def update_calls(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.operation == UPDATE_OPERATION]

    def list_calls(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.operation == LIST_OPERATION]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def set_stack_status(self, stack_id: str, status: str) -> None:
        """Create a stack, or set its status (``CREATE_IN_PROGRESS``, ...): what DescribeStacks answers for it."""
        with self._lock:
            self._stacks[stack_id] = status

    def stack_status(self, stack_id: str) -> str | None:
        with self._lock:
            return self._stacks.get(stack_id)

    def _cloudformation(self, headers: dict[str, str], raw_body: bytes) -> tuple[int, bytes]:
        """DescribeStacks by stack id or name (query protocol); any other action is refused as CloudFormation would."""
        form = {name: values[-1] for name, values in parse_qs(raw_body.decode(), keep_blank_values=True).items()}
        scope = _SIGV4_SCOPE.match(headers.get("authorization", ""))
        if scope is None or scope.groups()[1:] != (REGION, "cloudformation"):
            return 403, _query_error("Sender", "InvalidClientTokenId", "Signature must be SigV4 for cloudformation")
        if (form.get("Action"), form.get("Version")) != ("DescribeStacks", "2010-05-15"):
            return 400, _query_error("Sender", "InvalidAction", f"Could not find operation {form.get('Action')}")
        name = form.get("StackName", "")
        with self._lock:
            self.describe_stacks_calls.append(name)
            found = next(((i, s) for i, s in self._stacks.items() if name in (i, i.split("/")[1])), None)
        if found is None:
            return 400, _query_error("Sender", "ValidationError", f"Stack with id {name} does not exist")
        stack_id, status = (escape(value) for value in found)
        member = (
            f"<member><StackId>{stack_id}</StackId><StackName>{escape(found[0].split('/')[1])}</StackName>"
            f"<CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>{status}</StackStatus></member>"
        )
        return 200, (
            f'<DescribeStacksResponse xmlns="{_CFN_XMLNS}"><DescribeStacksResult><Stacks>{member}</Stacks>'
            f"</DescribeStacksResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            f"</DescribeStacksResponse>"
        ).encode()

    # -- rate limit and faults -------------------------------------------------------------

    def set_rate_limit(
        self, rate: float | None, burst: int = 0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Throttle every request (both operations, all callers) to ``rate``/s with ``burst``; ``None`` lifts it.

        The bucket starts full: setting it again is a quiet period. ``clock`` must be monotonic.
        """
        bucket = None if rate is None else TokenBucket(RateLimit(rate, burst), clock)
        with self._lock:
            self._bucket = bucket

    def counters(self) -> ApiCounters:
        """Since the last :meth:`reset`; subtract two snapshots for a span."""
        with self._lock:
            return self._counters

    def inject(
        self,
        kind: FaultKind,
        times: int = 1,
        *,
        operation: str | None = None,
        hang_seconds: float = 600.0,
        trickle_interval_s: float = 0.5,
    ) -> None:
        """Queue ``times`` faults, each consumed in order by one request (of ``operation`` only, if given).

        Only a request that passed authentication, routing and the rate limit consumes one.
        """
        if kind not in get_args(FaultKind) or times < 1:
            raise ValueError(f"no fault {kind!r} x {times}")
        with self._lock:
            self._faults += [_Fault(kind, operation, hang_seconds, trickle_interval_s) for _ in range(times)]

    # -- request handling (handler threads) ------------------------------------------------

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; True when :meth:`release_hung` (or ``close``/``reset``) cut it short."""
        with self._lock:
            release = self._release
        return release.wait(seconds)

    def _handle(self, record: RecordedRequest) -> _Reply | None:
        """Authenticate, route, rate-limit, take a fault, validate, then perform; ``None``: a hang was released."""
        with self._lock:
            self._requests.append(record)
        try:
            self._authenticate(record)
            operation, identifiers = _route(record)
        except _Reply as refused:
            return refused
        with self._lock:
            record.operation, record.identifiers = operation.name, identifiers
            record.throttled = self._bucket is not None and not self._bucket.try_acquire()
            self._counters = ApiCounters(self._counters.attempts + 1, self._counters.throttled + record.throttled)
            index = next((i for i, f in enumerate(self._faults) if f.operation in (None, operation.name)), None)
            fault = None if record.throttled or index is None else self._faults.pop(index)
            record.fault = fault.kind if fault else None
        if record.throttled:
            return _error(429, "ThrottlingException", THROTTLE_MESSAGE)
        if fault is not None and fault.kind in _FAULT_RESPONSES:
            return _error(*_FAULT_RESPONSES[fault.kind])
        if fault is not None and fault.kind == "hang" and self._pause(fault.hang_seconds):
            return None
        try:
            _validate(record, operation, identifiers)
            reply = (
                self._update(record, identifiers)
                if operation.name == UPDATE_OPERATION
                else self._list(record, identifiers)
            )
        except _Reply as refused:
            reply = refused
        reply.fault = fault
        return reply

    @staticmethod
    def _authenticate(record: RecordedRequest) -> None:
        """SigV4 scoped to this service and Region, a temporary key with its session token (the signature is not checked)."""
        authorization = record.headers.get("authorization")
        if not authorization:
            raise _error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        scope = _SIGV4_SCOPE.match(authorization)
        if scope is None or "x-amz-date" not in record.headers:
            raise _error(
                403,
                "IncompleteSignatureException",
                "Authorization must be AWS4-HMAC-SHA256 (SigV4) with a Credential scope, and X-Amz-Date set",
            )
        if scope.groups()[1:] != (REGION, "app-integrations"):
            raise _error(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to app-integrations in {REGION}, not {'/'.join(scope.groups()[1:])}",
            )
        if scope[1].startswith("ASIA") and "x-amz-security-token" not in record.headers:  # temporary keys need it
            raise _error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")

    def _of(self, data_integration: str) -> list[Association]:
        """The associations of a data integration (lock held); 404 if it is not known."""
        if data_integration not in self._data_integrations:
            raise _error(404, "ResourceNotFoundException", f"Data integration '{data_integration}' not found")
        return [a for a in self._associations if a.of(data_integration)]

    def _lookup(self, data_integration: str, association: str) -> Association:
        """An association (lock held); 404 naming whichever is missing."""
        for candidate in self._of(data_integration):
            if association in (candidate.association_id, candidate.association_arn):
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
        size = min(int(record.query.get("maxResults", ["50"])[-1]), self.max_page_size)
        token = record.query.get("nextToken", [None])[-1]
        with self._lock:
            matching = [a.summary() for a in self._of(data_integration)]
            # Opaque, and good only for the listing that issued it.
            start = 0 if token is None else self._page_tokens.get((data_integration, token), len(matching) + 1)
            if start > len(matching):
                raise _error(400, "InvalidRequestException", f"nextToken {token!r} is not valid")
            page = matching[start : start + size]  # the model's list has at least one member, or is absent
            body: dict[str, Any] = {"DataIntegrationAssociations": page} if page else {}
            if start + size < len(matching):
                body["NextToken"] = uuid.uuid4().hex
                self._page_tokens[(data_integration, body["NextToken"])] = start + size
        return _Reply(200, body)


_CFN_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
#: A SigV4 ``Authorization`` header's credential scope: the key id, the Region and the service.
_SIGV4_SCOPE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _query_error(error_type: str, code: str, message: str) -> bytes:
    """An error of CloudFormation's query protocol, as botocore's parser reads it."""
    return (
        f'<ErrorResponse xmlns="{_CFN_XMLNS}"><Error><Type>{error_type}</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def _route(record: RecordedRequest) -> tuple[OperationModel, dict[str, str]]:
    # Split the *encoded* path first: an ARN label carries %2F, which must not split.
    segments = record.path.split("/")
    if segments[1:2] == ["dataIntegrations"] and segments[3:4] == ["associations"]:
        labels = {"DataIntegrationIdentifier": unquote(segments[2])}
        if record.method == "PATCH" and len(segments) == 5:
            labels["DataIntegrationAssociationIdentifier"] = unquote(segments[4])
            return service_model().operation_model(UPDATE_OPERATION), labels
        if record.method == "GET" and len(segments) == 4:
            return service_model().operation_model(LIST_OPERATION), labels
    raise _error(404, "UnknownOperationException", f"No emulated operation for {record.method} {record.path}")


def _validate(record: RecordedRequest, operation: OperationModel, identifiers: dict[str, str]) -> None:
    """``400 InvalidRequestException`` naming every way the path, query and body break the model."""
    shape = cast("StructureShape", operation.input_shape)
    problems: list[str] = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "uri":
            problems += validate_shape(member, identifiers.get(name, ""), name)
        elif location == "querystring" and (values := record.query.get(member.serialization["name"])):
            raw: Any = values[-1]
            if member.type_name == "integer":
                raw = int(raw) if raw.lstrip("-").isdecimal() else raw
            problems += validate_shape(member, raw, name)
    if operation.http["method"] == "PATCH":
        if record.raw_body and record.body is None:
            problems.append("request body is not valid JSON")
        else:
            problems += validate_shape(shape, record.body or {}, "body")
    if problems:
        raise _error(400, "InvalidRequestException", "; ".join(problems))
