"""Create, Update and Delete for Custom::DataIntegrationAssociationExecution.

Every UpdateDataIntegrationAssociation call re-runs the customer's on-demand job, so
the lifecycle calls it only when the target, the configuration (by meaning) or the
RerunToken changed; a provider upgrade that only changes ServiceToken never does, and
a Delete makes no call at all.

A forward Create or Update watches its stack's status (see ``stack_status``): it sends
nothing once CloudFormation has cancelled it for a rollback, and an Update that applied
just before the rollback began applies the old configuration again, as the rollback does.

Without DataIntegrationAssociationIdentifier the target is found at every Create and
Update by listing the data integration's associations (see ``lookup``); a different
answer than last time is a new target. Every success answers with the target's
attributes (see ``target``), because CloudFormation keeps only the latest response's.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .appintegrations import new_client, update_association
from .constants import FAILED_CREATE_PREFIX
from .contract import parse_properties
from .errors import NotAppliedError, ProviderError
from .fields import ASSOCIATION_IDENTIFIER, DATA_INTEGRATION_IDENTIFIER, DESTINATION_URI, EXECUTION_MODE
from .logs import configure, log
from .lookup import resolve
from .problems import ContractError
from .request import AssociationRequest
from .resource import ExecutionResource
from .stack_status import StackWatch
from .target import Target, association_of, from_request

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

configure(os.environ)  # before crhelper's constructor, whose records then follow the same levels
helper = ExecutionResource()
_client: AppIntegrationsClient | None = None


def _appintegrations() -> AppIntegrationsClient:
    global _client  # noqa: PLW0603 - one client per container, reused while warm
    if _client is None:
        _client = new_client()
    return _client


def _fields(event: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The request's fields for a log record; ``outcome`` first, where a reader of the text format looks."""
    properties = event.get("ResourceProperties") or {}
    return {
        "outcome": extra.pop("outcome", None),
        "request_type": event.get("RequestType"),
        "logical_resource_id": event.get("LogicalResourceId"),
        "stack_id": event.get("StackId"),
        "cfn_request_id": event.get("RequestId"),
        "data_integration_identifier": properties.get(DATA_INTEGRATION_IDENTIFIER),
        "data_integration_association_identifier": properties.get(ASSOCIATION_IDENTIFIER),
        "destination_uri": properties.get(DESTINATION_URI),
        **extra,
    }


@dataclass(frozen=True)
class LifecycleRequest:
    """The fields of a CloudFormation Create or Update that the lifecycle acts on, checked.

    ``resource.envelope_problem`` has already answered FAILED to an event whose
    envelope is malformed, so only the properties can be wrong here.
    """

    request_type: str  # "Create" or "Update"
    stack_id: str
    physical_resource_id: str | None  # None on Create
    properties: AssociationRequest
    # Update only: the previous properties; None when they were never valid, hence never applied.
    old_properties: AssociationRequest | None


def _parse(event: dict[str, Any]) -> LifecycleRequest:
    """The request, or a ContractError listing every problem of the new properties (``resource`` logs the FAILED)."""
    properties = parse_properties(event["ResourceProperties"])
    old: AssociationRequest | None = None
    if event["RequestType"] == "Update":
        try:
            old = parse_properties(event["OldResourceProperties"])
        except ContractError:
            old = None
    physical_id = event.get("PhysicalResourceId")
    return LifecycleRequest(
        request_type=str(event["RequestType"]),
        stack_id=str(event["StackId"]),
        physical_resource_id=str(physical_id) if physical_id is not None else None,
        properties=properties,
        old_properties=old,
    )


def _remaining_s(context: Any) -> float:
    return float(context.get_remaining_time_in_millis()) / 1000.0


def _target(event: dict[str, Any], context: Any, request: LifecycleRequest) -> Target:
    """The association the request configures: as named, or found by the lookup.

    ``event`` is only for the log line, which shows the properties as they came.
    """
    if not request.properties.is_lookup:
        return from_request(request.properties, request.stack_id)
    started = time.monotonic()
    found = resolve(_appintegrations(), request.properties, lambda: _remaining_s(context))
    log(
        logging.INFO,
        "association resolved",
        **_fields(
            event,
            resolved_association_arn=found.target.association_arn,
            candidates=found.candidates,
            pages=found.pages,
            attempts=found.attempts,
            duration_ms=round((time.monotonic() - started) * 1000),
        ),
    )
    return found.target


def _watch(event: dict[str, Any], context: Any, request: LifecycleRequest) -> StackWatch:
    """The stack's status, read once now: whether this is a forward request, to be watched."""
    return StackWatch(
        request.request_type,
        request.stack_id,
        lambda: _remaining_s(context),
        lambda message, fields: log(logging.WARNING, message, **_fields(event, **fields)),
    )


def _apply(
    event: dict[str, Any],
    context: Any,
    request: LifecycleRequest,
    target: Target,
    why: str,
    *,
    watch: StackWatch,
    old: AssociationRequest | None = None,
) -> None:
    """Apply the configuration; ``old``: the configuration a rollback would apply to this same association.

    Given only where the caller saw that the update changes the configuration of the
    association it already configured: that is when the rollback's call races this one.
    """
    started = time.monotonic()
    resolved = request.properties.with_association(target.association_identifier)
    try:
        outcome = update_association(
            _appintegrations(), resolved, lambda: _remaining_s(context), before_attempt=watch.check
        )
    except NotAppliedError as cancelled:
        if not cancelled.maybe_applied:
            raise  # nothing sent: the FAILED answer's one record says so
        why = "an earlier attempt, sent without an answer, may have applied it"
        raise _cancelled_after_applying(
            event, context, request, target, resolved=resolved, old=old, why=why, status=cancelled.status
        ) from cancelled
    if helper.answered:  # crhelper's timer answered FAILED while the call was finishing: say so, not "applied"
        log(
            logging.WARNING,
            "AppIntegrations accepted the update after CloudFormation was answered FAILED; its job runs",
            **_fields(event, outcome="LATE", attempts=outcome.attempts, association_arn=target.association_arn),
        )
        return
    log(
        logging.INFO,
        "execution configuration applied",
        **_fields(
            event,
            outcome="APPLIED",
            why=why,
            attempts=outcome.attempts,
            throttled=outcome.throttled,
            association_arn=target.association_arn,
            execution_mode=request.properties.execution_configuration.get(EXECUTION_MODE),
            duration_ms=round((time.monotonic() - started) * 1000),
        ),
    )
    status = watch.rolled_back()
    if status is not None:
        why = f"it was applied, then the stack began to roll back ({status})"
        raise _cancelled_after_applying(
            event, context, request, target, resolved=resolved, old=old, why=why, status=status
        )


def _cancelled_after_applying(
    event: dict[str, Any],
    context: Any,
    request: LifecycleRequest,
    target: Target,
    *,
    resolved: AssociationRequest,
    old: AssociationRequest | None,
    why: str,
    status: str,
) -> ProviderError:
    """A forward Update CloudFormation cancelled after it (may have) applied: the old configuration again, if needed.

    Only when the forward call wrote the association the rollback writes, with another
    configuration, do the two calls race; then this one applies the old configuration
    too, so both write the same, whichever lands last. The error is the FAILED answer's
    reason (CloudFormation ignores a cancelled resource's answer; the log keeps it).
    """
    head = f"The stack is {status}, so CloudFormation cancelled this {request.request_type.lower()}, and {why}"
    if old is None:
        undo = "deletes this resource" if request.request_type == "Create" else "applies the old properties"
        return ProviderError(f"{head}; its rollback {undo} (nothing for this request to restore).")
    restored = replace(resolved, execution_configuration=old.execution_configuration)
    try:
        outcome = update_association(_appintegrations(), restored, lambda: _remaining_s(context))
    except ProviderError as error:
        return ProviderError(f"{head}; applying the old configuration again failed: {error}")
    log(
        logging.INFO,
        "old execution configuration applied again: the stack is rolling back",
        **_fields(
            event, outcome="RESTORED", why=why, attempts=outcome.attempts, association_arn=target.association_arn
        ),
    )
    return ProviderError(
        f"{head}; the old configuration was applied again (its job runs once more), as the rollback applies it."
    )


def _answer(target: Target) -> str:
    """SUCCESS with the target's attributes: on every Create and Update, a no-op Update included."""
    helper.Data.update(target.attributes())
    return target.physical_resource_id


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    request = _parse(event)
    watch = _watch(event, context, request)
    target = _target(event, context, request)
    _apply(event, context, request, target, "create", watch=watch)
    return _answer(target)


def _why_new_target(old: AssociationRequest | None, new: AssociationRequest) -> str:
    if old is None:
        return "previous properties invalid"
    same_inputs = (old.data_integration_identifier, old.association_identifier, old.destination_uri) == (
        new.data_integration_identifier,
        new.association_identifier,
        new.destination_uri,
    )
    return "the lookup found another association" if same_inputs and new.is_lookup else "new target"


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    request = _parse(event)
    old, new = request.old_properties, request.properties
    watch = _watch(event, context, request)
    target = _target(event, context, request)
    current_id = str(request.physical_resource_id)
    if old is None or association_of(current_id, request.stack_id) != target.association_arn:
        _apply(event, context, request, target, _why_new_target(old, new), watch=watch)
        return _answer(target)
    # The same association, perhaps named another way (an id for an ARN, a lookup for
    # an id): no new resource, and no job run unless the configuration or token changed.
    if old.canonical_configuration != new.canonical_configuration:
        _apply(event, context, request, target, "configuration changed", watch=watch, old=old)
    elif old.rerun_token != new.rerun_token:
        _apply(event, context, request, target, "rerun token changed", watch=watch)
    else:
        log(logging.INFO, "no relevant change; not calling the service", **_fields(event, outcome="SKIPPED"))
    _answer(target)
    return current_id


@helper.delete
def delete(event: dict[str, Any], _context: Any) -> str:
    """Nothing to undo: an association's execution configuration has no 'unset'."""
    physical_id = str(event["PhysicalResourceId"])
    note = "failed create; nothing was applied" if physical_id.startswith(FAILED_CREATE_PREFIX) else "nothing to undo"
    log(logging.INFO, "delete is a no-op", **_fields(event, outcome="DELETED", note=note))
    return physical_id


def handler(event: Any, context: Any) -> None:
    """Lambda entry point; crhelper answers CloudFormation, exactly once."""
    helper(event, context)
