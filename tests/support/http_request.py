"""What both local servers need from an incoming request, read the same way."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def read_request(handler: BaseHTTPRequestHandler) -> tuple[dict[str, str], bytes]:
    """Lower-cased headers (repeats joined with ", ") and the raw body."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw_body = handler.rfile.read(length) if length > 0 else b""
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers, raw_body
