"""crhelper's CfnResource, hardened for this provider.

crhelper drives the lifecycle; this subclass closes the gaps that matter at 2 a.m.:
- exactly one response per request, even when crhelper's timeout timer fires while
  the handler is still working (crhelper would otherwise answer twice);
- a response body that always fits CloudFormation's 4096 bytes, keeping the *start*
  of the reason (crhelper keeps the last 240 characters, which cuts off the field name)
  and never dropping the attributes (``Data``) silently;
- a non-empty PhysicalResourceId on every response, and a recognisable one for a
  failed Create, so the rollback Delete is visibly a no-op;
- malformed events answered FAILED instead of crashing before a response;
- the Lambda runtime's logging left as it is: crhelper's log set-up would replace the
  runtime's formatter and set the root level (see ``logs``); and one FAILED record, with
  the reason CloudFormation shows, for every FAILED answer, whatever its cause;
- no boto3 clients built at cold start for crhelper's polling mode, which is unused;
- a response sent in bounded time (see ``delivery``): crhelper's sender retries until
  the function dies when the ResponseURL cannot be reached, and never says why;
- no answer while an AppIntegrations attempt may still change the association: when
  crhelper's timer fires, the attempt under way is abandoned first (see ``attempt_bound``),
  and the answer says that the outcome is unknown;
- only CloudFormation's fields drive the lifecycle: the keys crhelper's polling mode adds
  to an event of its own (``CrHelperPoll``, ...) are dropped from an incoming event, so
  nobody who can invoke the function can make it skip its work and answer SUCCESS.

What of crhelper 2.0.12 this relies on, beyond its public decorators (which is why
``bundling`` ships that version only): ``CfnResource.__init__`` (its keywords, and
building no clients when ``AWS_SAM_LOCAL`` is set), ``__call__`` (wrapped),
``_send(status, reason, send_response)`` (replaced; crhelper's timeout timer calls it
too), ``_timeout`` (replaced), ``_log_setup`` and ``generate_physical_id`` (replaced), the private state
``_event``, ``_response_url``, ``_ssl_verify``, ``_sam_local``, ``_context`` and
``_sleep_on_delete``, and the response attributes ``Status``, ``Reason``,
``PhysicalResourceId``, ``Data``, ``NoEcho``, ``StackId``, ``RequestId`` and
``LogicalResourceId``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from crhelper import CfnResource

from .attempt_bound import abandon_current
from .constants import FAILED_CREATE_PREFIX, MAX_PHYSICAL_ID_BYTES
from .delivery import deliver
from .errors import check_the_association
from .logs import SDK_LEVEL, install_filters, log

MAX_BODY_BYTES = 4096
REQUEST_TYPES = ("Create", "Update", "Delete")
ENVELOPE_FIELDS = ("RequestType", "StackId", "RequestId", "LogicalResourceId")
TRUNCATION_NOTE = " ... (truncated; the full reason is in the provider's CloudWatch log)"
#: The keys crhelper's polling mode puts into the events it sends itself; CloudFormation sends none of them.
CRHELPER_KEYS = ("CrHelperPoll", "CrHelperPermission", "CrHelperRule", "CrHelperData")
TIMED_OUT = "The function's time ran out before the provider could answer; see its CloudWatch log."
TIMED_OUT_UNKNOWN = (
    "The function's time ran out while an AppIntegrations call was under way, so it was abandoned (its connection "
    f"closed) before this answer. The update may have been applied and its job may be running: "
    f"{check_the_association()}"
)


@contextmanager
def _without_polling_clients() -> Iterator[None]:
    """crhelper skips its lambda/events/logs clients when AWS_SAM_LOCAL is set.

    Those clients serve only the polling mode and cost a large share of cold start.
    The variable is restored at once, so nothing else sees it.
    """
    previous = os.environ.get("AWS_SAM_LOCAL")
    os.environ["AWS_SAM_LOCAL"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["AWS_SAM_LOCAL"]
        else:
            os.environ["AWS_SAM_LOCAL"] = previous


def failed_create_id(logical_resource_id: str) -> str:
    return f"{FAILED_CREATE_PREFIX}{logical_resource_id}"[:MAX_PHYSICAL_ID_BYTES]


def envelope_problem(event: object) -> str | None:
    """What makes an event unanswerable by crhelper's normal path, if anything."""
    if not isinstance(event, dict):
        return f"the event is not an object: {type(event).__name__}"
    for field in ENVELOPE_FIELDS:
        if not isinstance(event.get(field), str) or not event[field]:
            return f"the event has no {field}"
    if event["RequestType"] not in REQUEST_TYPES:
        return f"RequestType {event['RequestType']!r} is not one of {', '.join(REQUEST_TYPES)}"
    if event["RequestType"] != "Create" and not isinstance(event.get("PhysicalResourceId"), str):
        return f"a {event['RequestType']} event has no PhysicalResourceId"
    if event["RequestType"] == "Update" and not isinstance(event.get("OldResourceProperties"), dict):
        return "an Update event has no OldResourceProperties"
    if not isinstance(event.get("ResourceProperties"), dict):
        return "the event has no ResourceProperties object"
    return None


def response_url(event: object) -> str | None:
    url = event.get("ResponseURL") if isinstance(event, dict) else None
    return url if isinstance(url, str) and url.startswith("https://") else None


def fit_reason(body: dict[str, Any]) -> dict[str, Any]:
    """Shorten the Reason, from the end, until the serialized body fits 4096 bytes."""
    reason = str(body.get("Reason", ""))
    size = len(json.dumps(body).encode())
    if size <= MAX_BODY_BYTES:
        return body
    excess = size - MAX_BODY_BYTES
    keep = max(0, len(reason.encode()) - excess - len(TRUNCATION_NOTE.encode()) - 8)
    shortened = reason.encode()[:keep].decode(errors="ignore")
    # json.dumps escapes some characters, so trim until it really fits.
    while shortened and len(json.dumps({**body, "Reason": shortened + TRUNCATION_NOTE}).encode()) > MAX_BODY_BYTES:
        shortened = shortened[: max(0, len(shortened) - 16)]
    return {**body, "Reason": shortened + TRUNCATION_NOTE}


def fit_body(body: dict[str, Any]) -> dict[str, Any]:
    """``fit_reason``; and if the ``Data`` alone would still pass 4096 bytes, FAILED without it.

    The handler's Data is three ARNs and ids built from parts of at most 255 characters,
    so this never happens in practice; if it did, a SUCCESS whose attributes were
    silently dropped would break every ``Fn::GetAtt`` on it later, far from the cause.
    """
    fitted = fit_reason(body)
    if len(json.dumps(fitted).encode()) <= MAX_BODY_BYTES or not body.get("Data"):
        return fitted
    reason = f"The response Data ({len(json.dumps(body['Data']).encode())} bytes) does not fit CloudFormation's limit"
    return fit_reason({**body, "Status": "FAILED", "Reason": f"{reason} of {MAX_BODY_BYTES} bytes", "Data": {}})


#: Sends one response body to the ResponseURL: ``(url, body, ssl_verify)``. ``_transport`` is
#: the one seam: a test replaces it on an instance (the handler's module-level one included).
Transport = Callable[[str, dict[str, Any], Any], None]


class ExecutionResource(CfnResource):
    # crhelper's private state, declared because its stubs list only the public API.
    _event: dict[str, Any]
    _response_url: str
    _ssl_verify: Any
    _sam_local: str | None
    _sleep_on_delete: int
    _context: Any

    def __init__(self) -> None:
        """The response goes out through ``delivery.deliver``, bounded by the deadline (``_transport``).

        crhelper's constructor runs its log set-up once, whatever it is given: without
        ``json_logging`` it leaves the handlers' formatters alone, and it sets the root
        level to ``log_level``, so it gets the root's own level, which it cannot change.
        """
        with _without_polling_clients():
            super().__init__(
                json_logging=False,
                # crhelper hands it to Logger.setLevel, which takes a number too (its stubs say str only).
                log_level=logging.getLogger().level,  # type: ignore[arg-type]
                boto_level=logging.getLevelName(SDK_LEVEL),
                sleep_on_delete=0,
            )
        self._sam_local = None
        self._answer_lock = threading.Lock()
        self._answered = False
        self._transport: Transport = self._deliver
        install_filters()

    def __call__(self, event: Any, context: Any) -> None:
        with self._answer_lock:
            self._answered = False
            # Never answer one request at the URL of the one before (crhelper keeps it).
            self._response_url = ""
        self._context = context  # crhelper sets it too, but not for the malformed events answered below
        install_filters()  # again: the Lambda runtime may have replaced root handlers
        dropped = [key for key in CRHELPER_KEYS if key in event] if isinstance(event, dict) else []
        if dropped:
            log(logging.WARNING, "ignoring keys CloudFormation never sends", ignored_keys=dropped)
            event = {key: value for key, value in event.items() if key not in CRHELPER_KEYS}
        url = response_url(event)
        if url is None:
            # Nothing to answer to: CloudFormation never sends such an event.
            log(logging.ERROR, "unanswerable event: no https ResponseURL", outcome="UNANSWERED")
            return
        problem = envelope_problem(event)
        if problem is None:
            super().__call__(event, context)
            return
        ev: dict[str, Any] = event
        self._event = ev  # not the previous request's, which crhelper would still hold
        self._response_url = url
        self.StackId = str(ev.get("StackId") or "")
        self.RequestId = str(ev.get("RequestId") or "")
        self.LogicalResourceId = str(ev.get("LogicalResourceId") or "")
        self.PhysicalResourceId = ev.get("PhysicalResourceId") or failed_create_id(self.LogicalResourceId or "unknown")
        self.Data = {}
        self._send("FAILED", f"Malformed CloudFormation event: {problem}")

    def _remaining_s(self) -> float:
        """Seconds left before the function's deadline; unbounded outside Lambda (no context)."""
        remaining_ms = getattr(self._context, "get_remaining_time_in_millis", None)
        return float(remaining_ms()) / 1000.0 if callable(remaining_ms) else float("inf")

    def _deliver(self, url: str, body: dict[str, Any], ssl_verify: Any) -> None:
        deliver(url, body, ssl_verify, remaining_s=self._remaining_s)

    def _log_setup(self, event: Any, context: Any) -> None:
        """Nothing: crhelper's would set the root level and replace the runtime's formatter on every event.

        The runtime's formatter already writes Lambda's request id on each record, and the
        provider's records carry the request's fields themselves (see ``logs``).
        """

    def _timeout(self) -> None:
        """crhelper's timer, half a second before the deadline: abandon the call under way, then answer FAILED."""
        self._send("FAILED", TIMED_OUT_UNKNOWN if abandon_current() else TIMED_OUT)

    @property
    def answered(self) -> bool:
        """Whether this request has been answered (a late result must then not be reported as applied)."""
        with self._answer_lock:
            return self._answered

    def generate_physical_id(self, event: Any) -> str:
        """Only reached when Create did not produce an id, i.e. it failed."""
        return failed_create_id(str(event["LogicalResourceId"]))

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        with self._answer_lock:
            if self._answered:
                return
            self._answered = True
        physical_id = str(self.PhysicalResourceId or "") or str(self._event.get("PhysicalResourceId") or "")
        body: dict[str, Any] = {
            "Status": status or self.Status,
            "PhysicalResourceId": physical_id or failed_create_id(str(self.LogicalResourceId or "unknown")),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Reason": str(reason if status else self.Reason),
            "Data": self.Data,
            "NoEcho": self.NoEcho,
        }
        if body["Status"] == "FAILED" and not body["Reason"]:
            body["Reason"] = "The provider failed without a reason; see its CloudWatch log."
        fitted = fit_body(body)
        if fitted["Status"] == "FAILED":
            self._log_failed(fitted)
        (send_response or self._transport)(self._response_url, fitted, self._ssl_verify)

    def _log_failed(self, body: dict[str, Any]) -> None:
        """The one record a FAILED answer gets, whatever caused it: bad properties, the service, a timeout, a bug.

        One place, so that a single query (``filter outcome = "FAILED"``) finds every
        failure with the reason exactly as CloudFormation shows it.
        """
        event = self._event if isinstance(self._event, dict) else {}
        log(
            logging.ERROR,
            "answering CloudFormation FAILED",
            outcome="FAILED",
            reason=body["Reason"],
            request_type=event.get("RequestType"),
            logical_resource_id=body["LogicalResourceId"],
            stack_id=body["StackId"],
            cfn_request_id=body["RequestId"],
            physical_resource_id=body["PhysicalResourceId"],
        )
