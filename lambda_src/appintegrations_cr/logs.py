"""How the provider logs: through the Lambda runtime's own handler and formatter, with secrets removed at the source.

Lambda's Python runtime (``awslambdaric``) puts one handler on the root logger before it
imports the function's code. With Lambda's JSON log format (``LoggingConfig.LogFormat:
JSON``, seen here as ``AWS_LAMBDA_LOG_FORMAT=JSON``) its formatter writes each record as
one JSON object: ``timestamp``, ``level``, ``message``, ``logger``, ``requestId``, the
exception as ``errorType``/``errorMessage``/``stackTrace``, and every ``extra`` attribute
as a top-level key; ``AWS_LAMBDA_LOG_LEVEL`` sets the root level. With the text format it
writes ``[LEVEL]<tab>time<tab>request id<tab>message``. So the provider adds no handler or
formatter of its own (CloudWatch Logs Insights and the Lambda console then read one shape):

* :func:`log` passes the fields as ``extra``: under JSON they are top-level keys, so a query
  can ``filter outcome = "FAILED"``. The text formatter writes the message only, so there
  they are also appended to the message as one compact JSON object, on the same line; and
  :class:`OneLineFilter` keeps every record, a traceback included, on one line.
* The level is the runtime's when it sets one. Lambda sets none with the text format
  (it filters by level only in JSON); then the provider's and crhelper's loggers get
  :data:`DEFAULT_LEVEL`, INFO, the documented default. The root logger's level and the
  runtime's formatter are never changed (crhelper's ``log_helper.setup`` would change
  both; ``resource.ExecutionResource`` keeps it from doing so).
* The AWS SDK's loggers stay at :data:`SDK_LEVEL`: at DEBUG, botocore logs every request's
  headers, the session token and the signature included.

Redaction: the ResponseURL is a pre-signed S3 URL, and anyone holding it can answer for
the stack; crhelper logs the whole event at DEBUG. :class:`RedactingFilter` sits on every
logger that can write it (a logger's filter sees the record before any handler does,
whichever handler the runtime installed) and on the runtime's root handler (which sees
the records of every logger, a library's too). It scrubs all that a formatter may write:
the message (a ``dict`` message stays a ``dict``: the JSON formatter writes it as an
object), every ``extra`` attribute, the exception's message (the JSON formatter writes
``str()`` of the exception itself, not the traceback text) and the traceback text.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
from collections import deque
from collections.abc import Mapping
from typing import Any

#: The provider's loggers all sit under this one, so one level setting covers them.
ROOT_LOGGER = "cdk_appintegrations"
LOGGER_NAME = f"{ROOT_LOGGER}.provider"
# The response sender's DEBUG line ("CFN response URL: ...") goes through this one.
DELIVERY_LOGGER = f"{ROOT_LOGGER}.delivery"
CRHELPER_LOGGER = "crhelper"
#: The level of the provider's and crhelper's records when the runtime sets none.
DEFAULT_LEVEL = logging.INFO
#: boto3, botocore and urllib3: only their errors (as crhelper's default ``boto_level``).
SDK_LEVEL = logging.ERROR
SDK_LOGGERS = ("boto", "boto3", "botocore", "urllib3")
# crhelper's own loggers, and the provider's: a logger's filter applies to the records
# created at that logger only, not to those of its children, hence every module's.
REDACTED_LOGGERS = (
    CRHELPER_LOGGER,
    "crhelper.resource_helper",
    "crhelper.utils",
    "crhelper.log_helper",
    LOGGER_NAME,
    DELIVERY_LOGGER,
)

# What one log record may carry of a value, whatever the event held: a string is cut in the
# middle past MAX_LOGGED_CHARACTERS, containers are walked no deeper than MAX_LOGGED_DEPTH and
# no further than MAX_LOGGED_ITEMS entries in all (MAX_LOGGED_ENTRIES of one container).
# Cut *before* it is scanned, so that neither redaction nor the formatter's json.dumps can take
# long, or recurse past Python's limit, on a Delete whose old properties hold a value nested
# hundreds deep or tens of thousands of characters long.
MAX_LOGGED_CHARACTERS = 16_384
MAX_LOGGED_DEPTH = 16
MAX_LOGGED_ITEMS = 512
MAX_LOGGED_ENTRIES = 100  # of one container, so that one wide value leaves entries for its siblings
# Redaction runs in linear time: a run of characters that are not white space or quotes
# (a URL in any log text) is found with one simple class, then searched with str methods;
# the credential markers' pattern has no unbounded part before its value, so nothing in
# these patterns can backtrack over the text.
_TOKEN = re.compile(r"[^\s'\"]+")
_CREDENTIAL_MARKERS = re.compile(
    r"(aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken|x-amz-security-token|Signature|Credential)"
    r"(['\"]?[ \t]{0,8}[:=][ \t]{0,8}['\"]?)[^\s'\",}&]+",
    re.IGNORECASE,
)
# An access key id on its own (AKIA… long-term, ASIA… temporary).
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
REDACTED = "<redacted>"
# Attributes every LogRecord has (and the ones formatters add): not ``extra`` fields.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Keys the runtime's JSON formatter writes itself; an ``extra`` field of that name would be dropped.
_RUNTIME_KEYS = frozenset(
    {"timestamp", "level", "logger", "requestId", "location", "stackTrace", "errorType", "errorMessage", "tenantId"}
)


def json_format(environment: Mapping[str, str]) -> bool:
    """Whether the runtime writes JSON records (its own test: ``AWS_LAMBDA_LOG_FORMAT`` is ``JSON``, any case)."""
    return environment.get("AWS_LAMBDA_LOG_FORMAT", "").strip().upper() == "JSON"


def default_level(environment: Mapping[str, str]) -> int | None:
    """The level the provider sets on its loggers and crhelper's: none when the runtime sets the root's.

    The runtime applies ``AWS_LAMBDA_LOG_LEVEL`` to the root logger when it names a level
    (``TRACE`` is DEBUG there); the loggers then inherit it. Lambda sets the variable only
    with the JSON format, so with the text format, or a name the runtime does not know,
    the root stays at Python's WARNING and INFO records (what the deployer needs to see)
    would vanish: :data:`DEFAULT_LEVEL` then applies.
    """
    raw = environment.get("AWS_LAMBDA_LOG_LEVEL") or ""
    name = {"TRACE": "DEBUG"}.get(raw, raw).upper()  # the runtime's own reading of the variable
    return None if name and isinstance(logging.getLevelName(name), int) else DEFAULT_LEVEL


def configure(environment: Mapping[str, str]) -> None:
    """Set the levels described in the module docstring and the redaction filter; nothing else."""
    level = default_level(environment)
    for name in (ROOT_LOGGER, CRHELPER_LOGGER):
        logging.getLogger(name).setLevel(logging.NOTSET if level is None else level)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(SDK_LEVEL)
    install_filters()


def cut(text: str, limit: int = MAX_LOGGED_CHARACTERS) -> str:
    """``text``, its middle replaced by a note of its length when it is over ``limit`` characters."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} ... ({len(text)} characters; cut for the log) ... {text[-keep:]}"


def _drop_query(match: re.Match[str]) -> str:
    """A URL's query, or anything after '?' that looks like one (``a=b``), replaced: scheme, host and path stay."""
    token = match.group()
    mark = token.find("?")
    if mark < 0 or ("://" not in token[:mark] and "=" not in token[mark:]):
        return token
    return f"{token[: mark + 1]}{REDACTED}"


def redact(text: str) -> str:
    """``text``, cut to :data:`MAX_LOGGED_CHARACTERS`, without URL query strings, credential values or key ids."""
    text = _TOKEN.sub(_drop_query, cut(text))
    text = _CREDENTIAL_MARKERS.sub(rf"\1\2{REDACTED}", text)
    return _ACCESS_KEY_ID.sub(REDACTED, text)


_SCALARS = (bool, int, float)


def redact_value(value: Any) -> Any:
    """``value`` bounded (see :data:`MAX_LOGGED_DEPTH`) and with every string redacted, walked without recursion.

    Containers keep their shape (a tuple or set becomes a list); other objects become their
    text: the JSON formatter writes an object as ``str(object)``, which may hold the URL.
    """
    items_left = MAX_LOGGED_ITEMS
    holder: list[Any] = [None]
    # Breadth first, so that the budget of entries goes to the upper levels before the deep ones.
    pending: deque[tuple[Any, Any, Any, int]] = deque([(value, holder, 0, 0)])  # value, its place, key, depth
    while pending:
        item, parent, key, depth = pending.popleft()
        if item is None or isinstance(item, _SCALARS):
            parent[key] = item
        elif isinstance(item, str):
            parent[key] = redact(item)
        elif isinstance(item, Mapping | list | tuple | set | frozenset):
            if depth >= MAX_LOGGED_DEPTH:
                parent[key] = f"<{type(item).__name__} nested deeper than {MAX_LOGGED_DEPTH} levels; not logged>"
                continue
            members = item.items() if isinstance(item, Mapping) else enumerate(item)
            entries = list(itertools.islice(members, min(items_left, MAX_LOGGED_ENTRIES)))
            items_left -= len(entries)
            copied: Any = {} if isinstance(item, Mapping) else [None] * len(entries)
            for index, (name, member) in enumerate(entries):
                slot = redact(str(name)) if isinstance(item, Mapping) else index
                if isinstance(item, Mapping):
                    copied[slot] = None
                pending.append((member, copied, slot, depth + 1))
            if len(entries) < len(item):
                note = f"<{len(item) - len(entries)} more entries; not logged>"
                if isinstance(item, Mapping):
                    copied["..."] = note
                else:
                    copied.append(note)
            parent[key] = copied
        else:
            parent[key] = redact(str(item))
    return holder[0]


class RedactedError(Exception):
    """Stands in for a logged exception whose message held a secret.

    The record keeps the original type first in ``exc_info`` (the JSON formatter's
    ``errorType``) and the original traceback (its ``stackTrace``); only the message,
    ``str()`` of this, is the redacted one.
    """


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no formatter can write a secret from it (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        self._message(record)
        self._exception(record)
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                record.__dict__[key] = redact_value(value)
        return True

    @staticmethod
    def _message(record: logging.LogRecord) -> None:
        if isinstance(record.msg, Mapping) and not record.args:
            record.msg = redact_value(record.msg)
            return
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args}"
        cleaned = redact(message)
        if cleaned != message or not isinstance(record.msg, str):
            record.msg, record.args = cleaned, ()

    @staticmethod
    def _exception(record: logging.LogRecord) -> None:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.exc_info and record.exc_info[1] is not None:
            kind, error, trace = record.exc_info
            try:
                message = str(error)
            except Exception:
                message = f"<{type(error).__name__} with an unprintable message>"
            cleaned = redact(message)
            if cleaned != message:
                record.exc_info = (kind, RedactedError(cleaned), trace)


class OneLineFilter(logging.Filter):
    """Under the text format, folds a record's traceback and line breaks into its one line.

    The runtime's text formatter writes a traceback on lines of its own after the message,
    and with no final newline, so on stdout the next record starts on its last line. Here
    the lines of a record are joined with a carriage return instead, as the runtime does for
    its own error reports on stdout (CloudWatch shows them as line breaks within one event).
    Installed after :class:`RedactingFilter`, so it folds the redacted traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Fold in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format call: leave it to the formatter's own error report
            return True
        extra = [record.exc_text or "", record.stack_info or ""]
        if record.exc_info and not record.exc_text:
            extra[0] = logging.Formatter().formatException(record.exc_info)
        text = "\n".join([message, *(part for part in extra if part)])
        if text != message or "\n" in message:
            record.msg, record.args = text.replace("\r\n", "\r").replace("\n", "\r"), ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


_REDACTING = RedactingFilter()
_ONE_LINE = OneLineFilter()


def install_filters() -> None:
    """Attach the filters to the loggers that can write secrets and to every root handler present now.

    :class:`OneLineFilter` only under the text format (read now, from ``AWS_LAMBDA_LOG_FORMAT``):
    the JSON formatter writes a record, traceback included, as one object on one line already.
    """
    wanted = [_REDACTING] if json_format(os.environ) else [_REDACTING, _ONE_LINE]
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in REDACTED_LOGGERS]
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        for unwanted in (_REDACTING, _ONE_LINE):
            target.removeFilter(unwanted)
        for wanted_filter in wanted:
            target.addFilter(wanted_filter)


def _field_name(name: str) -> str:
    """``name``, unless a LogRecord attribute or a key the runtime writes has it: then ``name_``.

    ``extra`` may not overwrite a LogRecord attribute (``logging`` raises), and the runtime's
    JSON formatter drops a field named like one of its own keys.
    """
    return f"{name}_" if name in _RECORD_ATTRIBUTES or name in _RUNTIME_KEYS else name


def log(level: int, message: str, error: BaseException | None = None, /, **fields: Any) -> None:
    """One record of the provider, with ``fields`` (``None`` ones left out) as described in the module docstring.

    ``error``, if given, is logged with its traceback: under JSON as the record's exception
    (``errorType``, ``stackTrace``), under the text format joined to the record's one line
    (carriage returns, as :class:`OneLineFilter` does), so it needs no filter installed.
    """
    present = {_field_name(name): redact_value(value) for name, value in fields.items() if value is not None}
    logger = logging.getLogger(LOGGER_NAME)
    exc_info = (type(error), error, error.__traceback__) if error is not None else None
    if json_format(os.environ):
        logger.log(level, message, exc_info=exc_info, extra=present)
        return
    args: tuple[str, ...] = ()
    if present:
        compact = json.dumps(present, default=str, ensure_ascii=False, separators=(", ", ": "))
        message, args = "%s %s", (message, compact)
    if exc_info is not None:
        line = message % args if args else message
        message, args = "%s", ("\r".join([line, *logging.Formatter().formatException(exc_info).splitlines()]),)
    logger.log(level, message, *args, extra=present)
