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

It answers and logs with the regular handler's own code: :func:`delivery.deliver` (the
same bounded tries, pauses and retry policy, and the same log lines about delivery) and
:mod:`logs` (levels, redaction, record shape). Those modules, and what they import
(``constants``), use the standard library alone, so they load when the package's
dependencies do not; this module imports nothing else of the package, whose other modules
may be what failed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from .constants import FAILED_CREATE_PREFIX, MAX_PHYSICAL_ID_BYTES
from .delivery import deliver
from .logs import configure, log

MAX_ERROR_CHARACTERS = 1000
#: Seconds left when the context cannot say (never on Lambda).
UNKNOWN_REMAINING_S = 60.0

Handler = Callable[[Any, Any], None]


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
    failed_create_id = f"{FAILED_CREATE_PREFIX}{logical_id}"[:MAX_PHYSICAL_ID_BYTES]
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


def answering_handler(error: BaseException) -> Handler:
    """Log ``error`` (the import's) and return the handler that answers every event as described above."""
    configure(os.environ)
    reason = reason_for(error)
    log(logging.ERROR, "the provider's code could not be imported", error)

    def handler(event: Any, context: Any) -> None:
        url = event.get("ResponseURL") if isinstance(event, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            log(logging.ERROR, "unanswerable event: no https ResponseURL", outcome="UNANSWERED")
            return
        body = answer_for(event, reason)
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        # Sent as every answer of the provider is (delivery.deliver): whether S3 stored it.
        delivered = deliver(
            url, body, remaining_s=lambda: remaining_ms() / 1000.0 if callable(remaining_ms) else UNKNOWN_REMAINING_S
        )
        log(
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
