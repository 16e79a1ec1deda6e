"""``ExecutionConfiguration``: what the association should run, in Python types.

The factories only record what they are given. Turning the values into the API's
strings happens when the construct is created, so every problem (a naive datetime, a
wrong type) is reported together with the construct path and the Python keyword,
and the API-level rules are then checked by the shared contract, the handler's own,
and said back with the keyword and the value as the user wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from appintegrations_cr import contract
from aws_cdk import Token

from .errors import Argument, type_problem
from .intrinsics import is_unresolved

#: A moment in time as the API takes it: a timezone-aware ``datetime``, or epoch
#: milliseconds as an ``int`` or a ``str``. ``first_execution_from`` also takes an
#: ISO-8601 ``str`` with a UTC offset. A ``str`` may be a CDK token, and so may a
#: number (``CfnParameter.value_as_number``).
Instant = datetime | int | float | str  # a float only as a number token

_FACTORY_KEY = object()

_Kind = Literal["epoch_ms", "instant", "string"]
_DATETIME = "a timezone-aware datetime (e.g. datetime(2025, 1, 1, tzinfo=timezone.utc))"
_EPOCH_MS = f"epoch milliseconds as an int or a digits-only str (e.g. {contract.EXAMPLE_EPOCH_MS})"
_ACCEPTS: dict[str, str] = {
    "start_time": f"{_DATETIME}, or {_EPOCH_MS}",
    "end_time": f"{_DATETIME}, or {_EPOCH_MS}",
    "first_execution_from": (
        f"{_DATETIME}, {_EPOCH_MS}, or an ISO-8601 str with a UTC offset (e.g. '{contract.EXAMPLE_ISO_INSTANT}')"
    ),
    "schedule_expression": f"a str of at most 255 characters: {contract.SCHEDULE_RULE}",
    "object": "a str of at most 255 letters, digits, '/', '.', '_' and '-', e.g. 'Account'",
}


@dataclass(frozen=True)
class _Field:
    parameter: str  # the Python keyword, for messages
    api_name: str  # the API's own name, the key in ResourceProperties
    value: object
    kind: _Kind


def _render(field: _Field, path: str) -> tuple[str | None, contract.Problem | None]:
    """The API string for one field, or the problem that prevents it."""
    value = field.value
    if value is None:
        return None, None  # absent: the contract decides whether that is allowed
    if isinstance(value, str):
        return value, None
    if field.kind != "string":
        if isinstance(value, float) and is_unresolved(value):
            return Token.as_string(value), None  # a number token, e.g. CfnParameter.value_as_number
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                return None, contract.Problem(
                    path,
                    (
                        f"is a naive datetime; give it a time zone, e.g. datetime({value.year}, {value.month}, "
                        f"{value.day}, tzinfo=timezone.utc), so the instant does not depend on the clock of the "
                        f"machine that synthesizes",
                    ),
                    value,
                )
            return str(contract.epoch_ms(value)), None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), None
    return None, type_problem(path, value)


class ExecutionConfiguration:
    """How and when the association's data is pulled: once on demand, or on a schedule.

    Create one with :meth:`on_demand` or :meth:`scheduled`; the two modes are the only
    ones the API has, so there is no public constructor.
    """

    def __init__(self, mode: str, factory: str, fields: tuple[_Field, ...], key: object) -> None:
        if key is not _FACTORY_KEY:
            raise TypeError(
                "ExecutionConfiguration has no public constructor; use "
                "ExecutionConfiguration.on_demand(...) or ExecutionConfiguration.scheduled(...)"
            )
        self._mode = mode
        self._block = contract.MODE_BLOCKS[mode]  # the contract pairs each mode with its block
        self._factory = factory
        self._fields = fields

    @staticmethod
    def on_demand(*, start_time: Instant, end_time: Instant | None = None) -> ExecutionConfiguration:
        """Pull the data once, for the window from ``start_time`` to ``end_time``.

        Every create (and every change, or new ``rerun_token``) of the construct starts
        the pull again, so the window is what one run covers.

        :param start_time: start of the window: a timezone-aware ``datetime``, or epoch milliseconds as an
            ``int`` or a digits-only ``str`` (which may be a CDK token).
        :param end_time: end of the window, after ``start_time``; same forms as ``start_time``.

        :default: - ``end_time``: no end; the service pulls up to the time of the run.
        """
        return ExecutionConfiguration(
            contract.ON_DEMAND,
            "on_demand",
            (
                _Field("start_time", contract.START_TIME, start_time, "epoch_ms"),
                _Field("end_time", contract.END_TIME, end_time, "epoch_ms"),
            ),
            _FACTORY_KEY,
        )

    @staticmethod
    def scheduled(
        *,
        schedule_expression: str,
        object: str | None = None,
        first_execution_from: Instant | None = None,
    ) -> ExecutionConfiguration:
        """Pull the data repeatedly, on the association's schedule.

        :param schedule_expression: when to run: ``rate(value unit)`` (a positive whole value; minute, hour or
            day, plural above 1), e.g. ``rate(1 hour)``, or ``cron(...)`` with six fields; passed to the service
            as is.
        :param object: the source object to pull (letters, digits, ``/ . _ -``), e.g. ``Account``.
        :param first_execution_from: where the first run starts pulling from: a timezone-aware ``datetime``,
            epoch milliseconds (``int`` or ``str``) or an ISO-8601 ``str`` with a UTC offset.

        :default: - ``object``: not sent; the data integration's own object is used.
            ``first_execution_from``: not sent; the service's default applies.
        """
        return ExecutionConfiguration(
            contract.SCHEDULED,
            "scheduled",
            (
                _Field("schedule_expression", contract.SCHEDULE_EXPRESSION, schedule_expression, "string"),
                _Field("object", contract.OBJECT, object, "string"),
                _Field("first_execution_from", contract.FIRST_EXECUTION_FROM, first_execution_from, "instant"),
            ),
            _FACTORY_KEY,
        )

    @property
    def execution_mode(self) -> str:
        """The API's ``ExecutionMode``: ``ON_DEMAND`` or ``SCHEDULED``."""
        return self._mode

    def __repr__(self) -> str:
        arguments = ", ".join(f"{field.parameter}={field.value!r}" for field in self._fields if field.value is not None)
        return f"ExecutionConfiguration.{self._factory}({arguments})"


def rendered_properties(
    configuration: ExecutionConfiguration,
) -> tuple[dict[str, Any], list[contract.Problem], dict[str, Argument]]:
    """The ``ExecutionConfiguration`` property (strings only, absent optionals omitted) and its problems.

    Also the keyword and value behind each of its API paths, so that the contract's
    problems can be said back in the user's terms. For the execution construct: the
    library's internal interface to a configuration, not part of the public API.
    """
    block: dict[str, str] = {}
    problems: list[contract.Problem] = []
    arguments: dict[str, Argument] = {}
    for field in configuration._fields:
        path = f"{contract.EXECUTION_CONFIGURATION}.{configuration._block}.{field.api_name}"
        arguments[path] = Argument(field.parameter, field.value, _ACCEPTS[field.parameter])
        text, problem = _render(field, path)
        if problem is not None:
            problems.append(problem)
        elif text is not None:
            block[field.api_name] = text
    return {contract.EXECUTION_MODE: configuration._mode, configuration._block: block}, problems, arguments
