"""What the function does when the provider's code cannot be imported: answer every event at once.

Why: an import error (crhelper missing from the asset, a module that does not compile on
the function's runtime, ...) fails the function's init on every event. Nobody answers
CloudFormation, which waits for the resource's ServiceTimeout (21 minutes for this
provider) before it fails, and then waits as long again for the rollback's Delete.

So ``index.py`` catches the error and installs :func:`answering_handler`'s handler, which
answers each event once, at once:

* **Create, Update**: FAILED, with a reason that names the import error. Nothing was
  applied. A failed Create gets the PhysicalResourceId the regular handler gives one
  (``cdk-appintegrations:CREATE_FAILED:<LogicalResourceId>``), which the regular handler's
  Delete later recognises as a no-op; an Update keeps the resource's id.
* **Delete**: SUCCESS with the resource's id. An execution configuration has no "unset",
  so there is nothing to undo, and a rollback or a stack deletion is never blocked by a
  provider that cannot load.

It logs the import error once, at init (ERROR, with its traceback), and one record per
event (``outcome`` FAILED or DELETED, and the ``reason``), never the event or its URL.
The function's invocation itself succeeds, so Lambda does not retry it (a retry would
answer again).

Standard library only, and nothing else from this package, which may be what failed.
Its records have the shape of ``logs.log``'s: fields as ``extra``, also appended to the
message under the text format.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
from collections.abc import Callable
from http.client import HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

LOGGER_NAME = "cdk_appintegrations.provider"
#: ``resource.FAILED_CREATE_PREFIX``, which this module may not import.
FAILED_CREATE_PREFIX = "cdk-appintegrations:CREATE_FAILED:"
MAX_PHYSICAL_ID_CHARACTERS = 1024
MAX_ERROR_CHARACTERS = 1000
ATTEMPTS = 3
ATTEMPT_TIMEOUT_S = 5.0
PAUSE_S = 1.0

Handler = Callable[[Any, Any], None]


def _log(level: int, message: str, error: BaseException | None = None, **fields: Any) -> None:
    """A record as ``logs.log`` writes one; under the text format the traceback joins its line (carriage returns)."""
    exc_info = (type(error), error, error.__traceback__) if error is not None else None
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").strip().upper() != "JSON":
        if fields:
            message = f"{message} {json.dumps(fields, default=str, separators=(', ', ': '))}"
        if exc_info is not None:
            message = "\r".join([message, *logging.Formatter().formatException(exc_info).splitlines()])
            exc_info = None
    logging.getLogger(LOGGER_NAME).log(level, message, exc_info=exc_info, extra=fields)


def reason_for(error: BaseException) -> str:
    """The Reason CloudFormation shows for a Create or Update."""
    what = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARACTERS]
    return (
        f"The provider could not load its code ({what}), so it applied nothing. Its Lambda asset is incomplete "
        "or does not suit the function's runtime; the function's log has the traceback."
    )


def answer_for(event: dict[str, Any], reason: str) -> dict[str, Any]:
    """The response body for ``event``: SUCCESS for a Delete, else FAILED with ``reason``."""
    logical_id = str(event.get("LogicalResourceId") or "unknown")
    physical_id = str(event.get("PhysicalResourceId") or "")
    failed_create_id = f"{FAILED_CREATE_PREFIX}{logical_id}"[:MAX_PHYSICAL_ID_CHARACTERS]
    deleting = event.get("RequestType") == "Delete"
    return {
        "Status": "SUCCESS" if deleting else "FAILED",
        "Reason": "" if deleting else reason,
        "PhysicalResourceId": physical_id or failed_create_id,
        "StackId": str(event.get("StackId") or ""),
        "RequestId": str(event.get("RequestId") or ""),
        "LogicalResourceId": logical_id,
        "NoEcho": False,
        "Data": {},
    }


def _put(url: str, body: dict[str, Any], remaining_s: Callable[[], float]) -> bool:
    """PUT ``body`` as crhelper does, a few bounded tries within the deadline; whether it arrived."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    target = urlunsplit(("", "", parts.path, parts.query, ""))
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE_S)
        timeout = min(ATTEMPT_TIMEOUT_S, remaining_s() - 0.5)
        if timeout <= 0:
            break
        connection = HTTPSConnection(parts.netloc, timeout=timeout, context=ssl.create_default_context())
        try:
            connection.request("PUT", target, body=payload, headers={"content-type": ""})
            connection.getresponse().read()
            return True
        except (OSError, HTTPException):
            continue
        finally:
            connection.close()
    return False


def answering_handler(error: BaseException) -> Handler:
    """Log ``error`` (the import's) and return the handler that answers every event as described above."""
    reason = reason_for(error)
    _log(logging.ERROR, "the provider's code could not be imported", error)

    def handler(event: Any, context: Any) -> None:
        url = event.get("ResponseURL") if isinstance(event, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            _log(logging.ERROR, "unanswerable event: no https ResponseURL", outcome="UNANSWERED")
            return
        body = answer_for(event, reason)
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        delivered = _put(url, body, lambda: remaining_ms() / 1000.0 if callable(remaining_ms) else 60.0)
        _log(
            logging.ERROR if body["Status"] == "FAILED" else logging.WARNING,
            f"answered CloudFormation {body['Status']} without the provider's code",
            outcome="FAILED" if body["Status"] == "FAILED" else "DELETED",
            reason=reason,
            request_type=event.get("RequestType"),
            logical_resource_id=body["LogicalResourceId"],
            stack_id=body["StackId"],
            cfn_request_id=body["RequestId"],
            physical_resource_id=body["PhysicalResourceId"],
            delivered=delivered,
        )

    return handler
