"""An HTTPS endpoint standing in for CloudFormation's pre-signed S3 ``ResponseURL``.

HTTPS because crhelper always PUTs over ``HTTPSConnection`` with ``ssl.create_default_context()``:
the handler trusts a throwaway certificate through ``SSL_CERT_FILE``, Lambda's own trust path,
so nothing in it is patched. A URL whose query string came back altered, or a PUT with a
Content-Type, gets S3's ``403 SignatureDoesNotMatch``, a chunked PUT S3's ``501 NotImplemented``;
a body CloudFormation would refuse is stored (as S3 stores anything) and its faults listed in
:attr:`ReceivedResponse.problems`, as is S3's refusal. :meth:`~CfnResponseReceiver.answer_next`
scripts S3's 500/503/429/403 or a dropped connection: ``"close"`` (a FIN) or ``"reset"`` (an RST,
which Python's ssl before 3.13 reports as an EOF, CPython gh-115627).
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

from testkit.account import arn
from testkit.local_server import BackgroundServer, LocalHandler, read_request

__all__ = ["CFN_RESPONSE_LIMIT_BYTES", "CfnResponseReceiver", "ReceivedResponse"]

CFN_RESPONSE_LIMIT_BYTES = 4096
PHYSICAL_ID_LIMIT_CHARS = 1024
_REQUIRED_FIELDS = ("Status", "StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId")
# CloudFormation's object key, "<stack id>|<logical id>|<request id>", percent-encoded but for "/"; S3 decodes it once.
_PATH_PREFIX = "/" + arn("cloudformation", "stack/demo/0f1e2d3c-4b5a-4697-8877-665544332211|Execution|")

ScriptedAnswer = Literal[500, 503, 429, 403, "close", "reset"]


def _s3_error(code: str, message: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()


_S3_ERRORS: dict[int | str, bytes] = {  # what S3 answers with each status
    500: _s3_error("InternalError", "We encountered an internal error. Please try again."),
    503: _s3_error("SlowDown", "Please reduce your request rate."),
    429: _s3_error("TooManyRequests", "Please reduce your request rate."),
    403: _s3_error("AccessDenied", "Request has expired"),
    501: _s3_error("NotImplemented", "A header you provided implies functionality that is not implemented"),
    "bad signature": _s3_error(
        "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"
    ),
}


def _write_self_signed(directory: Path) -> tuple[Path, Path]:
    """A P-256 certificate that is its own CA (so ``SSL_CERT_FILE`` can trust it), valid a day either side of now.

    Key usage and key identifiers: Python 3.13's default context (Lambda's python3.13) sets VERIFY_X509_STRICT.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cdk-appintegrations test CFN receiver")])
    now = dt.datetime.now(dt.timezone.utc)
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # digital_signature, content_commitment, key/data encipherment, key_agreement, key_cert_sign, crl_sign, ...
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class ReceivedResponse:
    """One request that reached the receiver (normally crhelper's ``PUT``)."""

    request_id: str | None  # from the URL path; None for a foreign path
    method: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    raw_body: bytes
    body: Any  # the parsed JSON, or None
    status: int | None  # what the receiver answered; None when a scripted close or reset dropped it
    signature_valid: bool  # the pre-signed query string came back as issued
    problems: list[str] = field(default_factory=list)  # why CloudFormation would not take it: S3's refusal, the body
    scripted: ScriptedAnswer | None = None
    received_at: float = field(default_factory=time.monotonic)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # hundreds of answers at once must not overflow a backlog of 5 (S3 takes them)

    def __init__(self, receiver: CfnResponseReceiver, context: ssl.SSLContext) -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _Handler)
        # The handshake runs in the connection's thread (see _Handler): a stalled or distrustful client never blocks accept.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up is what the fault tests make happen."""


class _Handler(LocalHandler):
    server_version = "AmazonS3"
    timeout = 10

    def handle(self) -> None:
        try:
            cast("ssl.SSLSocket", self.connection).do_handshake()
        except (ssl.SSLError, OSError):  # e.g. "tlsv1 alert unknown ca": a client that does not trust ca_file
            return
        super().handle()

    def respond(self) -> None:
        received, payload = cast("_ReceiverServer", self.server).receiver._accept(
            self.command, self.path, *read_request(self)
        )
        if received.status is None:
            self.drop(reset=received.scripted == "reset")
            return
        self.send_response(received.status)
        self.send_header("Content-Type", "application/xml" if payload else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amz-request-id", secrets.token_hex(8).upper())
        if received.status == 501:
            self.send_header("Connection", "close")  # as S3 does after refusing it
        self.end_headers()
        self.wfile.write(payload)


class CfnResponseReceiver(BackgroundServer):
    """HTTPS on ``127.0.0.1``: issue a URL with :meth:`response_url`, trust :attr:`ca_file`, read :meth:`wait_for`."""

    kind = "receiver"

    def __init__(self) -> None:
        """Nothing listens until :meth:`start` (or ``with``)."""
        super().__init__()
        self._lock = threading.Condition()
        self._responses: list[ReceivedResponse] = []
        self._issued: dict[str, dict[str, str]] = {}  # request id -> its URL's query
        self._script: list[ScriptedAnswer] = []
        self._listeners: list[Callable[[ReceivedResponse], None]] = []
        self._directory: Path | None = None

    def start(self) -> CfnResponseReceiver:
        """Create the certificate and serve from a daemon thread."""
        self._ensure_stopped()
        self._directory = Path(tempfile.mkdtemp(prefix="cfn-receiver-"))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*_write_self_signed(self._directory))
        self._serve(_ReceiverServer(self, context))
        return self

    def close(self) -> None:
        """Stop serving and delete the certificate. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self._join()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    @property
    def port(self) -> int:
        """The ephemeral port it listens on."""
        return self._address()[1]

    @property
    def ca_file(self) -> Path:
        """The PEM file to trust (``SSL_CERT_FILE``): the server certificate itself."""
        if self._directory is None:
            raise RuntimeError("receiver is not running")
        return self._directory / "cert.pem"

    def client_context(self) -> ssl.SSLContext:
        """A strict client context that trusts only :attr:`ca_file`."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        return context

    def reset(self) -> None:
        """Forget responses, issued URLs and scripted answers."""
        with self._lock:
            for state in (self._responses, self._issued, self._script):
                state.clear()

    def response_url(self, request_id: str) -> str:
        """A URL shaped like CloudFormation's pre-signed S3 URL, the same for the same id; its secrets are random."""
        with self._lock:
            if request_id not in self._issued:
                now = dt.datetime.now(dt.timezone.utc)
                self._issued[request_id] = {
                    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                    "X-Amz-Credential": f"AKIAEXAMPLE/{now:%Y%m%d}/us-east-1/s3/aws4_request",
                    "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
                    "X-Amz-Expires": "7200",
                    "X-Amz-SignedHeaders": "host",
                    "X-Amz-Security-Token": "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(48),
                    "X-Amz-Signature": secrets.token_hex(32),
                }
            query = urlencode(self._issued[request_id], quote_via=quote)
        return f"https://127.0.0.1:{self.port}{quote(_PATH_PREFIX + request_id)}?{query}"

    def secrets_for(self, request_id: str) -> tuple[str, str]:
        """``(signature, security token)`` of the issued URL: neither may appear in any log."""
        with self._lock:
            query = self._issued[request_id]
        return query["X-Amz-Signature"], query["X-Amz-Security-Token"]

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """Answer the next requests so, in order, whatever their URL: a status is S3's error, a drop sends nothing."""
        if unknown := [answer for answer in answers if answer not in get_args(ScriptedAnswer)]:
            raise ValueError(f"cannot script {unknown}; expected some of {get_args(ScriptedAnswer)}")
        with self._lock:
            self._script.extend(answers)

    def add_listener(self, listener: Callable[[ReceivedResponse], None]) -> Callable[[], None]:
        """Call ``listener`` with each request (from a server thread); returns its remover.

        Why, next to :meth:`wait_for`: a driver awaiting hundreds of ids would wake every waiter on every PUT.
        """
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def responses_for(self, request_id: str) -> list[ReceivedResponse]:
        """The requests so far for ``request_id``, whatever their answer."""
        with self._lock:
            return [r for r in self._responses if r.request_id == request_id]

    def wait_for(self, request_id: str, timeout: float = 10.0, *, settle: float = 0.0) -> list[ReceivedResponse]:
        """All requests for ``request_id`` once one came (``[]`` if none in ``timeout``); ``settle`` waits for late duplicates."""
        with self._lock:
            if not self._lock.wait_for(lambda: any(r.request_id == request_id for r in self._responses), timeout):
                return []
        time.sleep(settle)
        return self.responses_for(request_id)

    def _accept(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[ReceivedResponse, bytes]:
        """Record one request (from a handler thread); the record (its status is the answer's) and the answer's body."""
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        path = unquote(split.path)
        request_id = path.removeprefix(_PATH_PREFIX) if path.startswith(_PATH_PREFIX) else None
        try:
            body = json.loads(raw_body)
        except ValueError:
            body = None
        with self._lock:
            # S3 signs the method too: only a PUT with the query as issued matches. CloudFormation also issues SigV2
            # URLs (AWSAccessKeyId, Expires, Signature), which sign the Content-Type as sent by crhelper and CDK: empty.
            issued = request_id in self._issued and query == self._issued[request_id]
            valid = method == "PUT" and issued and not headers.get("content-type")
            scripted = self._script.pop(0) if self._script else None
            if isinstance(scripted, str):  # "close" or "reset": no answer at all
                status, payload = None, b""
            elif scripted is None and "transfer-encoding" in headers:  # S3 needs a Content-Length
                status, payload = 501, _S3_ERRORS[501]
            elif scripted is None and valid:
                status, payload = 200, b""
            else:
                status, payload = scripted or 403, _S3_ERRORS[scripted or "bad signature"]
            problems = _problems(request_id, raw_body, body) + [f"S3 did not store it ({status})"] * (status != 200)
            received = ReceivedResponse(
                request_id, method, query, headers, raw_body, body, status, valid, problems, scripted
            )
            self._responses.append(received)
            self._lock.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(received)
        return received, payload


def _problems(request_id: str | None, raw_body: bytes, body: Any) -> list[str]:
    """Why CloudFormation would refuse this response body (the receiver itself stores it)."""
    problems = []
    if len(raw_body) > CFN_RESPONSE_LIMIT_BYTES:
        problems.append(f"body is {len(raw_body)} bytes; CloudFormation's limit is {CFN_RESPONSE_LIMIT_BYTES}")
    if not isinstance(body, dict):
        return [*problems, "body is not a JSON object"]
    problems += [f"missing {name}" for name in _REQUIRED_FIELDS if not body.get(name)]
    status, physical_id = body.get("Status"), body.get("PhysicalResourceId")
    if status is not None and status not in ("SUCCESS", "FAILED"):
        problems.append(f"Status {status!r} is neither SUCCESS nor FAILED")
    if status == "FAILED" and not body.get("Reason"):
        problems.append("Reason is required when Status is FAILED")
    if request_id is not None and body.get("RequestId") not in (None, request_id):
        problems.append(f"RequestId {body.get('RequestId')!r} does not match the URL's {request_id!r}")
    if isinstance(physical_id, str) and len(physical_id) > PHYSICAL_ID_LIMIT_CHARS:
        problems.append(f"PhysicalResourceId is {len(physical_id)} characters; the limit is {PHYSICAL_ID_LIMIT_CHARS}")
    if not isinstance(body.get("Data", {}), dict):
        problems.append("Data must be a JSON object")
    if not isinstance(body.get("NoEcho", False), bool):
        problems.append("NoEcho must be a boolean")
    return problems
