"""An HTTPS endpoint standing in for CloudFormation's pre-signed S3 ``ResponseURL``.

Why HTTPS and not plain HTTP: crhelper (``crhelper.utils._send_response``) always sends the
custom-resource result with ``http.client.HTTPSConnection`` and a context from
``ssl.create_default_context()``; an ``http://`` URL would make it speak TLS to a plain
socket and fail. So the receiver serves TLS with a throwaway self-signed certificate, and
the handler process is told to trust it through ``SSL_CERT_FILE`` - the same trust path
(OpenSSL's default verify paths) that crhelper uses in Lambda. Nothing in the handler is
patched, so a test that passes here proves the real delivery code works.

What it checks, without ever refusing a well-formed delivery:

* The pre-signed query string must come back unchanged (S3 would answer
  ``403 SignatureDoesNotMatch`` otherwise; so does the receiver).
* The body is checked against what CloudFormation accepts (required fields, ``Status``
  values, ``Reason`` on failure, the 4096-byte response limit, ...). Violations are listed
  in :attr:`ReceivedResponse.problems` rather than refused, because S3 stores anything:
  CloudFormation only reads the object later, and fails the stack then.

Scripted answers (:meth:`CfnResponseReceiver.answer_next`) take the next ``PUT`` requests in
order, whatever their URL: an S3-like XML error (``500 InternalError``, ``503 SlowDown``,
``429 TooManyRequests``, ``403 AccessDenied`` "Request has expired"), or, once the request is
read, ``"close"`` (a FIN with no TLS close_notify: http.client raises ``RemoteDisconnected``)
or ``"reset"`` (a TCP RST: ``ConnectionResetError``, but Python's ssl before 3.13 reports an
RST as an EOF, so there too ``RemoteDisconnected``; CPython gh-115627). Every one is recorded,
like any other request.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from testkit.local_server import BackgroundServer, LocalHandler, read_request

__all__ = [
    "CFN_RESPONSE_LIMIT_BYTES",
    "CfnResponseReceiver",
    "ReceivedResponse",
    "ScriptedAnswer",
    "TlsMaterial",
    "make_self_signed",
]

CFN_RESPONSE_LIMIT_BYTES = 4096
"""CloudFormation rejects custom-resource responses larger than 4096 bytes."""

PHYSICAL_ID_LIMIT_CHARS = 1024
_REQUIRED_FIELDS = ("Status", "StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId")
_PATH_PREFIX = "/cfn-responses/"

ScriptedAnswer = Literal[500, 503, 429, 403, "close", "reset"]
"""What :meth:`CfnResponseReceiver.answer_next` can make the receiver do with a ``PUT``."""

# code and message S3 answers with each scriptable status
_SCRIPTED_ERRORS: dict[int, tuple[str, str]] = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
    429: ("TooManyRequests", "Please reduce your request rate."),
    403: ("AccessDenied", "Request has expired"),
}


@dataclass(frozen=True)
class TlsMaterial:
    """Where the throwaway certificate and key were written."""

    cert_file: Path
    key_file: Path


def make_self_signed(directory: Path, *, hostnames: tuple[str, ...] = ("localhost",)) -> TlsMaterial:
    """Write a self-signed P-256 certificate (its own trust anchor) and key into ``directory``.

    The certificate is a CA (``basicConstraints CA:TRUE``) so that a client can load it as
    a trust anchor with ``SSL_CERT_FILE`` / ``load_verify_locations`` and then accept it as
    the server certificate. Subject/Authority key identifiers and key usage are included so
    it also passes OpenSSL's ``VERIFY_X509_STRICT`` (on by default in Python 3.13's
    ``create_default_context``, i.e. in the Lambda python3.13 runtime). It is valid from
    one day ago to one day ahead, which tolerates small clock skews and nothing more.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "cdk-appintegrations test CFN receiver"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cdk-appintegrations tests"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    alt_names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    alt_names.extend(x509.DNSName(host) for host in hostnames)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsMaterial(cert_file=cert_file, key_file=key_file)


@dataclass
class ReceivedResponse:
    """One request that reached the receiver (normally crhelper's ``PUT``)."""

    request_id: str | None
    """The CloudFormation RequestId taken from the URL path (``None`` for a foreign path)."""
    method: str
    path: str
    """The path as sent on the wire (percent-encoded), without the query string."""
    query: dict[str, str]
    headers: dict[str, str]
    """Header names lower-cased; repeated headers joined with ``", "``."""
    raw_body: bytes
    body: Any
    """The parsed JSON body, or ``None`` when it is not JSON."""
    status: int | None
    """What the receiver answered (200, 403 on a tampered URL, a scripted error...); ``None``
    when a scripted ``"close"`` or ``"reset"`` dropped the connection unanswered."""
    signature_valid: bool
    """Whether the pre-signed query string came back exactly as :meth:`response_url` issued it."""
    problems: list[str] = field(default_factory=list)
    """Why CloudFormation would not accept this body (empty when it would)."""
    scripted: ScriptedAnswer | None = None
    """The scripted answer (:meth:`CfnResponseReceiver.answer_next`) this request took, if any."""
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Issued:
    url: str
    query: dict[str, str]
    signature: str
    security_token: str


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # hundreds of answers at once must not overflow a backlog of 5 (S3 takes them)

    def __init__(self, receiver: CfnResponseReceiver, context: ssl.SSLContext) -> None:
        self.receiver = receiver
        self.tls_context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        # Wrap without handshaking: the handshake then runs in the per-connection thread, so a
        # client that stalls or rejects the certificate never blocks the accept loop.
        sock, address = self.socket.accept()
        return self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.receiver._errors.append(f"{client_address}: connection error")


class _Handler(LocalHandler):
    server_version = "AmazonS3"
    timeout = 10

    @property
    def _receiver(self) -> CfnResponseReceiver:
        return cast("_ReceiverServer", self.server).receiver

    def handle(self) -> None:
        try:
            cast("ssl.SSLSocket", self.connection).do_handshake()
        except (ssl.SSLError, OSError) as error:
            # e.g. "tlsv1 alert unknown ca": the client does not trust ca_file.
            self._receiver._tls_failure(error)
            return
        super().handle()

    def respond(self) -> None:
        headers, raw_body = read_request(self)
        received, payload = self._receiver._accept(self.command, self.path, headers, raw_body)
        if received.status is None:
            self.drop(reset=received.scripted == "reset")
            return
        self.send_response(received.status)
        self.send_header("Content-Type", "application/xml" if payload else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amz-request-id", secrets.token_hex(8).upper())
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


def _s3_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()


class CfnResponseReceiver(BackgroundServer):
    """HTTPS on ``https://127.0.0.1:<ephemeral port>``, served from a daemon thread.

    Usage::

        with CfnResponseReceiver() as receiver:
            event["ResponseURL"] = receiver.response_url(event["RequestId"])
            invoke(..., env={"SSL_CERT_FILE": str(receiver.ca_file)})
            [response] = receiver.wait_for(event["RequestId"], timeout=10)

    Thread-safe; share one per session and call :meth:`reset` between tests if needed.
    """

    kind = "receiver"

    def __init__(self) -> None:
        """Prepare a receiver; nothing listens until :meth:`start` (or ``with``)."""
        super().__init__()
        self._lock = threading.Condition()
        self._responses: list[ReceivedResponse] = []
        self._issued: dict[str, _Issued] = {}
        self._script: list[ScriptedAnswer] = []
        self._errors: list[str] = []
        self._tls_errors: list[str] = []
        self._listeners: list[Callable[[ReceivedResponse], None]] = []
        self._directory: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> CfnResponseReceiver:
        """Create the certificate, bind an ephemeral port and serve from a daemon thread."""
        self._ensure_stopped()
        self._directory = Path(tempfile.mkdtemp(prefix="cfn-receiver-"))
        material = make_self_signed(self._directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(material.cert_file, material.key_file)
        self._serve(_ReceiverServer(self, context))
        return self

    def close(self) -> None:
        """Stop serving and delete the certificate directory. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self._join()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    @property
    def port(self) -> int:
        """The ephemeral port the receiver listens on."""
        return self._address()[1]

    @property
    def ca_file(self) -> Path:
        """PEM file to trust (``SSL_CERT_FILE``): the self-signed server certificate itself."""
        if self._directory is None:
            raise RuntimeError("receiver is not running")
        return self._directory / "cert.pem"

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only :attr:`ca_file` (for tests that PUT directly)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca_file))
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        return context

    def reset(self) -> None:
        """Forget received responses, issued URLs, scripted answers and TLS errors."""
        with self._lock:
            self._responses.clear()
            self._issued.clear()
            self._script.clear()
            self._errors.clear()
            self._tls_errors.clear()

    # -- URLs ------------------------------------------------------------------------------

    def response_url(self, request_id: str) -> str:
        """A ResponseURL shaped like CloudFormation's pre-signed S3 URL, unique per request id.

        Calling it again with the same ``request_id`` returns the same URL. The
        ``X-Amz-Signature`` (64 hex chars) and ``X-Amz-Security-Token`` values are random
        secrets: see :meth:`secrets_for` to assert they never reach a log.
        """
        with self._lock:
            issued = self._issued.get(request_id)
            if issued is not None:
                return issued.url
            now = dt.datetime.now(dt.timezone.utc)
            signature = secrets.token_hex(32)
            token = "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(48)
            query = {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Credential": f"AKIAEXAMPLE/{now:%Y%m%d}/us-east-1/s3/aws4_request",
                "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
                "X-Amz-Expires": "7200",
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Security-Token": token,
                "X-Amz-Signature": signature,
            }
            url = (
                f"https://127.0.0.1:{self.port}{_PATH_PREFIX}{quote(request_id, safe='')}"
                f"?{urlencode(query, quote_via=quote)}"
            )
            self._issued[request_id] = _Issued(url=url, query=query, signature=signature, security_token=token)
            return url

    def signature_for(self, request_id: str) -> str:
        """The ``X-Amz-Signature`` issued for ``request_id`` (call :meth:`response_url` first)."""
        with self._lock:
            return self._issued[request_id].signature

    def secrets_for(self, request_id: str) -> tuple[str, str]:
        """``(signature, security token)`` of the issued URL: neither may appear in any log."""
        with self._lock:
            issued = self._issued[request_id]
            return issued.signature, issued.security_token

    # -- faults & results ------------------------------------------------------------------

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """Script the next ``PUT`` requests, one answer each, in order (after any already scripted).

        A status answers that S3 error instead of judging the request; ``"close"`` and
        ``"reset"`` read the request, then drop the connection (FIN or RST) without a byte.
        """
        unknown = [answer for answer in answers if answer not in get_args(ScriptedAnswer)]
        if unknown:
            raise ValueError(f"cannot script {unknown}; expected some of {get_args(ScriptedAnswer)}")
        with self._lock:
            self._script.extend(answers)

    @property
    def responses(self) -> list[ReceivedResponse]:
        """Every request received so far, in arrival order (a copy of the list)."""
        with self._lock:
            return list(self._responses)

    @property
    def tls_errors(self) -> list[str]:
        """Failed TLS handshakes, e.g. a client that does not trust :attr:`ca_file`."""
        with self._lock:
            return list(self._tls_errors)

    def add_listener(self, listener: Callable[[ReceivedResponse], None]) -> Callable[[], None]:
        """Call ``listener`` with every request as it is recorded (from a server thread); returns a remover.

        Why, next to :meth:`wait_for`: a deploy driver waits for hundreds of request ids at
        once, and waking every waiter on every ``PUT`` would cost it quadratic time.
        """
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def responses_for(self, request_id: str) -> list[ReceivedResponse]:
        """The PUTs received so far for ``request_id`` (any status)."""
        with self._lock:
            return [r for r in self._responses if r.request_id == request_id and r.method == "PUT"]

    def wait_for(self, request_id: str, timeout: float = 10.0, *, settle: float = 0.0) -> list[ReceivedResponse]:
        """Wait until at least one PUT for ``request_id`` arrived; return all of them.

        Returns an empty list if none arrived within ``timeout`` (so ``len(...) == 1`` is the
        natural assertion). With ``settle`` > 0 it keeps collecting for that many seconds
        after the first one, to catch a late duplicate from a still-running process.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._matching(request_id):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._lock.wait(remaining)
        if settle > 0:
            time.sleep(settle)
        return self.responses_for(request_id)

    def _matching(self, request_id: str) -> bool:
        return any(r.request_id == request_id and r.method == "PUT" for r in self._responses)

    # -- request handling (called from handler threads) ------------------------------------

    def _tls_failure(self, error: BaseException) -> None:
        with self._lock:
            self._tls_errors.append(f"{type(error).__name__}: {error}")

    def _accept(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[ReceivedResponse, bytes]:
        """Record one request; return the record (its ``status`` is the answer's) and the answer's body."""
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        request_id = unquote(split.path[len(_PATH_PREFIX) :]) if split.path.startswith(_PATH_PREFIX) else None
        try:
            body = json.loads(raw_body)
        except ValueError:
            body = None
        with self._lock:
            issued = self._issued.get(request_id) if request_id is not None else None
            signature_valid = issued is not None and query == issued.query
            scripted = self._script.pop(0) if method == "PUT" and self._script else None
            status: int | None
            if method != "PUT":
                status, payload = 405, _s3_error("MethodNotAllowed", "Only PUT is expected on a ResponseURL")
            elif isinstance(scripted, str):
                status, payload = None, b""
            elif scripted is not None:
                status, payload = scripted, _s3_error(*_SCRIPTED_ERRORS[scripted])
            elif not signature_valid:
                status, payload = (
                    403,
                    _s3_error(
                        "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided",
                    ),
                )
            else:
                status, payload = 200, b""
            received = ReceivedResponse(
                request_id=request_id,
                method=method,
                path=split.path,
                query=query,
                headers=headers,
                raw_body=raw_body,
                body=body,
                status=status,
                signature_valid=signature_valid,
                problems=_cfn_problems(request_id, raw_body, body),
                scripted=scripted,
            )
            self._responses.append(received)
            self._lock.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(received)
        return received, payload


def _cfn_problems(request_id: str | None, raw_body: bytes, body: Any) -> list[str]:
    """Why CloudFormation would refuse this response body (the receiver itself accepts it)."""
    if len(raw_body) > CFN_RESPONSE_LIMIT_BYTES:
        size_problem = [f"body is {len(raw_body)} bytes; CloudFormation's limit is {CFN_RESPONSE_LIMIT_BYTES}"]
    else:
        size_problem = []
    if not isinstance(body, dict):
        return [*size_problem, "body is not a JSON object"]
    problems = size_problem + [f"missing {name}" for name in _REQUIRED_FIELDS if not body.get(name)]
    status = body.get("Status")
    if status is not None and status not in ("SUCCESS", "FAILED"):
        problems.append(f"Status {status!r} is neither SUCCESS nor FAILED")
    if status == "FAILED" and not body.get("Reason"):
        problems.append("Reason is required when Status is FAILED")
    if request_id is not None and body.get("RequestId") not in (None, request_id):
        problems.append(f"RequestId {body.get('RequestId')!r} does not match the URL's {request_id!r}")
    physical_id = body.get("PhysicalResourceId")
    if isinstance(physical_id, str) and len(physical_id) > PHYSICAL_ID_LIMIT_CHARS:
        problems.append(f"PhysicalResourceId is {len(physical_id)} characters; the limit is {PHYSICAL_ID_LIMIT_CHARS}")
    if "Data" in body and not isinstance(body["Data"], dict):
        problems.append("Data must be a JSON object")
    if "NoEcho" in body and not isinstance(body["NoEcho"], bool):
        problems.append("NoEcho must be a boolean")
    return problems
