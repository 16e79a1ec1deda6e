"""Create, Update and Delete for Custom::DataIntegrationAssociationExecution.

Every UpdateDataIntegrationAssociation call re-runs the customer's on-demand job, so
the lifecycle calls the API only when the target, the configuration (by meaning) or
the RerunToken changed; a provider upgrade that only changes ServiceToken, or a
Delete, never touches the service.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from .contract import ContractError, parse_properties
from .logs import log
from .resource import FAILED_CREATE_PREFIX, ExecutionResource
from .service import ServiceError, apply, new_client

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

helper = ExecutionResource(log_level=os.environ.get("LOG_LEVEL", "INFO").upper())
_client: AppIntegrationsClient | None = None


def _appintegrations() -> AppIntegrationsClient:
    global _client  # noqa: PLW0603 - one client per container, reused while warm
    if _client is None:
        _client = new_client()
    return _client


def _fields(event: dict[str, Any], **extra: Any) -> dict[str, Any]:
    properties = event.get("ResourceProperties") or {}
    return {
        "request_type": event.get("RequestType"),
        "logical_resource_id": event.get("LogicalResourceId"),
        "request_id": event.get("RequestId"),
        "data_integration_identifier": properties.get("DataIntegrationIdentifier"),
        "data_integration_association_identifier": properties.get("DataIntegrationAssociationIdentifier"),
        **extra,
    }


def _parse(event: dict[str, Any], key: str) -> Any:
    try:
        return parse_properties(event[key])
    except ContractError as error:
        log(logging.ERROR, "invalid properties", **_fields(event, outcome="FAILED", problems=error.problems))
        raise


def _apply(event: dict[str, Any], context: Any, request: Any, why: str) -> None:
    started = time.monotonic()
    try:
        outcome = apply(_appintegrations(), request, lambda: context.get_remaining_time_in_millis() / 1000.0)
    except ServiceError as error:
        log(logging.ERROR, "update failed", **_fields(event, outcome="FAILED", reason=str(error), why=why))
        raise
    log(
        logging.INFO,
        "execution configuration applied",
        **_fields(
            event,
            outcome="APPLIED",
            why=why,
            attempts=outcome.attempts,
            throttled=outcome.throttled,
            execution_mode=request.execution_configuration.get("ExecutionMode"),
            duration_ms=round((time.monotonic() - started) * 1000),
        ),
    )


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    request = _parse(event, "ResourceProperties")
    _apply(event, context, request, why="create")
    return str(request.physical_resource_id)


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    new = _parse(event, "ResourceProperties")
    try:
        old = parse_properties(event["OldResourceProperties"])
    except ContractError:
        old = None  # the old state was never valid, so it was never applied
    current_id = str(event["PhysicalResourceId"])
    if old is None or old.target != new.target:
        _apply(event, context, new, why="new target" if old else "previous properties invalid")
        return str(new.physical_resource_id)
    if old.canonical_configuration != new.canonical_configuration:
        _apply(event, context, new, why="configuration changed")
    elif old.rerun_token != new.rerun_token:
        _apply(event, context, new, why="rerun token changed")
    else:
        log(logging.INFO, "no relevant change; not calling the service", **_fields(event, outcome="SKIPPED"))
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
