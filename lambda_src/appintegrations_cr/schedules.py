"""Schedule expressions: which forms the services behind AppIntegrations document, refused or warned about."""

from __future__ import annotations

import re

from .fields import SCHEDULE_EXPRESSION_PATH
from .problems import AllowedAt, Example, Part, Problem

# A schedule, as the services behind AppIntegrations document one. AppIntegrations' API says only "how
# often the data should be pulled" (ScheduleConfiguration.ScheduleExpression, 1..255 characters); it hands
# the expression to Amazon AppFlow, whose API reference gives `rate(5minutes)` as its example
# (ScheduledTriggerProperties.scheduleExpression, https://docs.aws.amazon.com/appflow/1.0/APIReference/
# API_ScheduledTriggerProperties.html) and takes cron expressions too; AWS's cdk-appflow writes every rate
# in that form, with the unit always plural (`rate(1days)`: src/core/flows/flow-time-updater, issue
# cdklabs/cdk-appflow#334). AppIntegrations' own examples, and this project's, write EventBridge's
# `rate(1 hour)`: a positive whole value, a space, minute(s), hour(s) or day(s), singular only with 1.
# So EventBridge's form and a six-field cron pass (SCHEDULE_RULE, in rules.py, says so in words);
# AppFlow's two variations (no space, a plural unit with 1) pass with a synth warning
# (schedule_expression_warnings); anything else no AWS schedule documents (another unit, a singular
# unit above 1, a value that is not a positive whole number, free text) is refused, by the construct
# at synth and by the handler alike.
SCHEDULE_UNITS = ("minute", "hour", "day")
_RATE = re.compile(r"rate\((?P<value>[^\s()]*?)(?P<space> ?)(?P<unit>[A-Za-z]*)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")
CRON_FIELDS = 6
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def schedule_refusal(path: str, text: str) -> tuple[Part, ...] | None:
    """Why no AWS schedule takes ``text`` (see :data:`SCHEDULE_RULE`), or None when one does."""
    cron = _CRON.fullmatch(text)
    if cron is not None:
        count = len(cron["fields"].split())
        if count == CRON_FIELDS:
            return None
        return (f"is a cron expression with {count} fields, not {CRON_FIELDS}; expected ", AllowedAt(path))
    rate = _RATE.fullmatch(text)
    if rate is None:
        return ("is neither rate(value unit) nor cron(...); expected ", AllowedAt(path))
    value, unit = rate["value"], rate["unit"]
    if not _WHOLE_NUMBER.fullmatch(value) or int(value) == 0:
        return (f"has the value {value!r}, which is not a positive whole number; expected ", AllowedAt(path))
    if unit.removesuffix("s") not in SCHEDULE_UNITS:
        return (f"has the unit {unit!r}, not minute(s), hour(s) or day(s); expected ", AllowedAt(path))
    if unit in SCHEDULE_UNITS and int(value) != 1:
        return (
            f"has the singular unit {unit!r} with the value {int(value)}; a value above 1 takes the plural, e.g. ",
            Example(path, f"rate({int(value)} {unit}s)"),
        )
    return None


def schedule_expression_warnings(text: str) -> list[Problem]:
    """A rate in AppFlow's form rather than EventBridge's: no space, or a plural unit with 1 (see SCHEDULE_RULE).

    Not refusals: AppFlow, which runs the schedule, documents and accepts them. But
    AppIntegrations documents no form of its own, and its examples write EventBridge's.
    """
    path = SCHEDULE_EXPRESSION_PATH
    rate = _RATE.fullmatch(text)
    if rate is None or schedule_refusal(path, text) is not None:
        return []
    value, unit = int(rate["value"]), rate["unit"]
    if not rate["space"] or (value == 1 and unit not in SCHEDULE_UNITS):
        written = f"rate({value} {unit if value != 1 else unit.removesuffix('s')})"
        return [
            Problem(
                path,
                (
                    "is a rate in Amazon AppFlow's form (no space, or a plural unit with 1), which "
                    "AppIntegrations does not document: its examples write rate(value unit) as EventBridge does, "
                    "e.g. ",
                    Example(path, written),
                    "; if the deploy fails with InvalidRequestException, write it that way",
                ),
                text,
            )
        ]
    return []
