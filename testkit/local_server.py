"""What both local servers (the emulator and the HTTPS receiver) share: threads, lifecycle, request reading."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def read_request(handler: BaseHTTPRequestHandler) -> tuple[dict[str, str], bytes]:
    """Lower-cased headers (repeats joined with ", ") and the raw body.

    A chunked body is read to its end too, though the receiver refuses it as S3 does: answered
    before its last chunk, the client's next write could fail before it reads the answer.
    """
    length = int(handler.headers.get("Content-Length") or 0)
    raw_body = handler.rfile.read(length) if length > 0 else b""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            raw_body += handler.rfile.read(size)
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers, then the blank line
            pass
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers, raw_body


class LocalHandler(BaseHTTPRequestHandler):
    """GET, PUT and POST go to :meth:`respond` (a subclass adds other methods); nothing is logged."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real endpoints; urllib3 pools connections
    # Headers and body go out in two writes; without TCP_NODELAY a Python client's delayed
    # ACK stalls each response ~40 ms (Nagle), which no real AWS endpoint does.
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: each server records every request itself."""

    def respond(self) -> None:
        raise NotImplementedError

    def drop(self, *, reset: bool = False) -> None:
        """Close the connection without answering: a FIN, or with ``reset`` a TCP RST (SO_LINGER on, linger 0)."""
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # the descriptor closes only once no file made from the socket is open
        self.connection.close()

    def do_GET(self) -> None:
        self.respond()

    def do_PUT(self) -> None:
        self.respond()

    def do_POST(self) -> None:
        self.respond()


class BackgroundServer:
    """A ThreadingHTTPServer a subclass builds in :meth:`start` and hands to :meth:`_serve`; a daemon thread serves it."""

    kind = "server"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _ensure_stopped(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{self.kind} already started")

    def _serve(self, server: ThreadingHTTPServer) -> None:
        self._ensure_stopped()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.kind, daemon=True
        )
        self._thread.start()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError(f"{self.kind} is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
