"""The custom resource's properties as CloudFormation sends them to the handler, and a way to vary them.

The handler's tests, in process and in a Lambda-like process, start from these two (one per execution mode) and
change one field at a time, so a test says only what it varies.
"""

from __future__ import annotations

import copy
from typing import Any

from testkit.account import arn

ON_DEMAND: dict[str, Any] = {
    "ServiceToken": arn("lambda", "function:provider"),
    "DataIntegrationIdentifier": "di-1",
    "DataIntegrationAssociationIdentifier": "assoc-1",
    "ExecutionConfiguration": {
        "ExecutionMode": "ON_DEMAND",
        "OnDemandConfiguration": {"StartTime": "1735689600000", "EndTime": "1735776000000"},
    },
}
SCHEDULED: dict[str, Any] = {
    "DataIntegrationIdentifier": "di-1",
    "DataIntegrationAssociationIdentifier": "assoc-1",
    "ExecutionConfiguration": {
        "ExecutionMode": "SCHEDULED",
        "ScheduleConfiguration": {
            "ScheduleExpression": "rate(1 hour)",
            "Object": "Account",
            "FirstExecutionFrom": "2025-01-01T00:00:00Z",
        },
    },
}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy of base with the dotted path set (or removed when value is ...)."""
    result = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = result
    for key in parents:
        node = node[key]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return result
