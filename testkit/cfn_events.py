"""The one builder of CloudFormation custom-resource requests: for the unit tier's in-process handler,
the integration tier's Lambda-like processes, the deploy driver and integ-tests' assertion handler.

Its defaults are the unit tier's: a request to the execution's resource type in a stack of the test
account, answered at a ResponseURL shaped like CloudFormation's pre-signed S3 URL (``SIGNATURE`` is
its secret part, which no log may show). A tier with a receiver passes that receiver's URL.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from testkit.account import ACCOUNT, REGION, arn

STACK_ID = arn("cloudformation", "stack/demo/0f5d6a40-0000-4000-8000-000000000000")
SIGNATURE = "f" * 64
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    f"arn%3Aaws%3Acloudformation%3A{REGION}%3A{ACCOUNT}%3Astack/demo/0f5d|Sync|req-1"
    f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Signature={SIGNATURE}"
)


def cfn_event(
    request_type: str,
    properties: Mapping[str, Any],
    *,
    request_id: str | None = None,
    response_url: str = RESPONSE_URL,
    stack_id: str = STACK_ID,
    logical_id: str = "Sync",
    resource_type: str | None = None,
    service_token: str | None = None,
    physical_id: str | None = None,
    old_properties: Mapping[str, Any] | None = None,
    deep_copy: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A request as CloudFormation sends it to a custom resource's ServiceToken.

    ``properties`` (and ``old_properties``) are copied, deeply by default: a test may change the
    event's, and a handler run in process may change what it is given, without touching a
    shared constant. ``deep_copy=False`` copies the top level only, for an event that travels
    as JSON to another process, or holds a value nested deeper than ``copy`` recurses. ``request_id``
    defaults to ``req-<request type>``; ``resource_type`` to the execution's
    (``appintegrations_cr.constants.RESOURCE_TYPE``). ``ServiceToken``,
    ``PhysicalResourceId`` and ``OldResourceProperties`` are present only when given, and
    ``extra`` keys are set last, as given (a test may override or add any field).
    """
    if resource_type is None:
        from appintegrations_cr.constants import RESOURCE_TYPE  # the handler's; not at import (the benchmarks)

        resource_type = RESOURCE_TYPE
    duplicate = copy.deepcopy if deep_copy else dict
    event: dict[str, Any] = {"RequestType": request_type}
    if service_token is not None:
        event["ServiceToken"] = service_token
    event |= {
        "ResponseURL": response_url,
        "StackId": stack_id,
        "RequestId": request_id if request_id is not None else f"req-{request_type.lower()}",
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": duplicate(properties),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = duplicate(old_properties)
    event |= extra
    return event
