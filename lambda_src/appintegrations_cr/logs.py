"""Structured, redacted logging for the provider.

The ResponseURL is a pre-signed S3 URL: anyone holding it can answer for the stack.
crhelper logs it (and the whole event) at DEBUG, its default level, so every log
record that passes through here is scrubbed of URL query strings before it is
written, whatever level the operator picks.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

LOGGER_NAME = "cdk_appintegrations.provider"
# The response sender's DEBUG line ("CFN response URL: ...") goes through this one.
DELIVERY_LOGGER = "cdk_appintegrations.delivery"
# A URL with a query string: for S3 pre-signed URLs the query carries the signature
# and the credential scope. Scheme, host and path stay, so the log still says where.
_SIGNED_URL = re.compile(r"(https?://[^\s'\"?]+)\?[^\s'\"]*")
_CREDENTIAL_MARKERS = re.compile(
    r"(aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+",
    re.IGNORECASE,
)
#: The level crhelper and the root logger get when LOG_LEVEL is unset or not a level name.
DEFAULT_LEVEL = "INFO"
LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# crhelper's own loggers, and the response sender's: records they create are filtered
# at the source, before any handler (the Lambda runtime's included) sees them.
REDACTED_LOGGERS = ("crhelper", "crhelper.resource_helper", "crhelper.utils", "crhelper.log_helper", DELIVERY_LOGGER)


def configured_level(environment: Mapping[str, str]) -> str:
    """``LOG_LEVEL`` if it names a level (any case), else INFO.

    The provider sets no environment variable by default (checkov's CKV_AWS_173 asks
    for a KMS key as soon as there is one), so INFO must not depend on it. An unknown
    name would make crhelper fail its set-up, and with it every later request, so it
    falls back to INFO rather than break the provider over a log setting.
    """
    level = environment.get("LOG_LEVEL", "").strip().upper()
    return level if level in LEVEL_NAMES else DEFAULT_LEVEL


def redact(text: str) -> str:
    text = _SIGNED_URL.sub(r"\1?<redacted>", text)
    return _CREDENTIAL_MARKERS.sub(r"\1\2<redacted>", text)


class RedactingFilter(logging.Filter):
    """Rewrite the formatted message (and traceback text) with secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so CloudWatch Logs Insights can query the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"level": record.levelname, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return redact(json.dumps(entry, default=str, sort_keys=True))


_FILTER = RedactingFilter()


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time, not the one seen at import."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def install_redaction() -> None:
    """Attach the filter to the loggers that log the URL and to every root handler present now."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def provider_logger() -> logging.Logger:
    """Our own logger writes JSON to stdout (Lambda ships stdout to CloudWatch)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(_FILTER)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger


def log(level: int, message: str, **fields: Any) -> None:
    provider_logger().log(level, message, extra={"fields": fields})
