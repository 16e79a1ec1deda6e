"""What each field allows, in the API's words: the "expected ..." of every message about it.

The handler says these to whoever deploys raw CloudFormation; the construct says its own
Python forms instead (see :class:`appintegrations_cr.problems.Wording`).
"""

from __future__ import annotations

from .arns import ASSOCIATION_ARN_SHAPE, DATA_INTEGRATION_ARN_SHAPE, EXAMPLE_ASSOCIATION_ID, EXAMPLE_DATA_INTEGRATION_ID
from .fields import (
    ASSOCIATION_IDENTIFIER,
    DATA_INTEGRATION_IDENTIFIER,
    DESTINATION_URI,
    END_TIME,
    FIRST_EXECUTION_FROM,
    MAX_DESTINATION_URI_LENGTH,
    MAX_STRING_LENGTH,
    SCHEDULE_EXPRESSION,
    START_TIME,
)

EXAMPLE_EPOCH_MS = "1735689600000"
EPOCH_MS_RULE = f"a whole number of milliseconds since 1970-01-01T00:00:00Z, e.g. '{EXAMPLE_EPOCH_MS}'"
DATA_INTEGRATION_EXPECTED = (
    f"the data integration's id (e.g. '{EXAMPLE_DATA_INTEGRATION_ID}') or ARN ({DATA_INTEGRATION_ARN_SHAPE})"
)
ASSOCIATION_EXPECTED = f"the association's id (e.g. '{EXAMPLE_ASSOCIATION_ID}') or ARN ({ASSOCIATION_ARN_SHAPE})"
EXAMPLE_ISO_INSTANT = "2025-01-01T00:00:00Z"
INSTANT_RULE = f"{EPOCH_MS_RULE}, or ISO-8601 with a UTC offset, e.g. '{EXAMPLE_ISO_INSTANT}'"
SCHEDULE_RULE = (
    "rate(value unit) with a positive whole value and a unit of minute, minutes, hour, hours, day or days "
    "(singular only with 1), e.g. 'rate(1 hour)', or cron(...) with six fields, e.g. 'cron(0 12 * * ? *)'"
)

#: What the API takes, by field name, where it is more than a string of at most its length.
API_ALLOWED = {
    DATA_INTEGRATION_IDENTIFIER: DATA_INTEGRATION_EXPECTED,
    ASSOCIATION_IDENTIFIER: ASSOCIATION_EXPECTED,
    START_TIME: EPOCH_MS_RULE,
    END_TIME: EPOCH_MS_RULE,
    FIRST_EXECUTION_FROM: INSTANT_RULE,
    SCHEDULE_EXPRESSION: SCHEDULE_RULE,
}


def max_length(path: str) -> int:
    """The API's longest string at ``path``."""
    return MAX_DESTINATION_URI_LENGTH if path == DESTINATION_URI else MAX_STRING_LENGTH
