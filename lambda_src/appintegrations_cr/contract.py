"""The ResourceProperties contract shared by the handler and the CDK construct.

This module is the single rule set: the handler runs it on every request and the
construct runs it at synth time, so a mistake is reported with the same wording in
`cdk synth` and in a CloudFormation event. It is pure Python with no third-party
imports because it ships inside the Lambda asset *and* inside the wheel.

Messages always name the field (as a dotted path in the API's own names), the bad
value and what is allowed, because whoever reads them is usually looking at a
failed stack, not at this code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import ProviderError

DATA_INTEGRATION_IDENTIFIER = "DataIntegrationIdentifier"
ASSOCIATION_IDENTIFIER = "DataIntegrationAssociationIdentifier"
EXECUTION_CONFIGURATION = "ExecutionConfiguration"
RERUN_TOKEN = "RerunToken"
DESTINATION_URI = "DestinationURI"
EXECUTION_MODE = "ExecutionMode"
ON_DEMAND_CONFIGURATION = "OnDemandConfiguration"
SCHEDULE_CONFIGURATION = "ScheduleConfiguration"
START_TIME = "StartTime"
END_TIME = "EndTime"
SCHEDULE_EXPRESSION = "ScheduleExpression"
OBJECT = "Object"
FIRST_EXECUTION_FROM = "FirstExecutionFrom"

ON_DEMAND = "ON_DEMAND"
SCHEDULED = "SCHEDULED"
EXECUTION_MODES = (ON_DEMAND, SCHEDULED)

# Keys CloudFormation itself puts into ResourceProperties; they are not ours to check.
RESERVED_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
TOP_LEVEL_PROPERTIES = (
    DATA_INTEGRATION_IDENTIFIER,
    ASSOCIATION_IDENTIFIER,
    DESTINATION_URI,
    EXECUTION_CONFIGURATION,
    RERUN_TOKEN,
)
EXECUTION_CONFIGURATION_KEYS = (EXECUTION_MODE, ON_DEMAND_CONFIGURATION, SCHEDULE_CONFIGURATION)
ON_DEMAND_KEYS = (START_TIME, END_TIME)
SCHEDULE_KEYS = (SCHEDULE_EXPRESSION, OBJECT, FIRST_EXECUTION_FROM)
MODE_BLOCKS = {ON_DEMAND: ON_DEMAND_CONFIGURATION, SCHEDULED: SCHEDULE_CONFIGURATION}

# The response Data (GetAtt attributes): the same names at synth (the construct's attr_*) and in the handler.
DATA_INTEGRATION_ARN_ATTRIBUTE = "DataIntegrationArn"
ASSOCIATION_ARN_ATTRIBUTE = "DataIntegrationAssociationArn"
ASSOCIATION_ID_ATTRIBUTE = "DataIntegrationAssociationId"
ATTRIBUTES = (DATA_INTEGRATION_ARN_ATTRIBUTE, ASSOCIATION_ARN_ATTRIBUTE, ASSOCIATION_ID_ATTRIBUTE)

MAX_STRING_LENGTH = 255  # every string in the API model is 1..255 characters
MAX_DESTINATION_URI_LENGTH = 1000  # except DestinationURI, 1..1000
OBJECT_PATTERN = re.compile(r"^[a-zA-Z0-9/._-]+$")
NON_BLANK = re.compile(r".*\S.*", re.DOTALL)
EPOCH_MS_PATTERN = re.compile(r"^[0-9]+$")
# Below this many milliseconds (1973-03-03) a value is far more likely to be epoch
# *seconds* pasted by mistake than a real start time; AppFlow would silently pull
# from 1970 instead.
SMALLEST_PLAUSIBLE_EPOCH_MS = 100_000_000_000
EXAMPLE_EPOCH_MS = "1735689600000"
EPOCH_MS_RULE = f"a whole number of milliseconds since 1970-01-01T00:00:00Z, e.g. '{EXAMPLE_EPOCH_MS}'"
SHOWN_VALUE_CHARACTERS = 60
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_ARN_PREFIX = r"^arn:(?P<partition>[^:]+):app-integrations:(?P<region>[^:]+):(?P<account>[^:]+):"
DATA_INTEGRATION_ARN = re.compile(_ARN_PREFIX + r"data-integration/(?P<data_integration>[^/]+)$")
ASSOCIATION_ARN = re.compile(
    _ARN_PREFIX + r"data-integration-association/(?P<data_integration>[^/]+)/(?P<association>[^/]+)$"
)
DATA_INTEGRATION_ARN_SHAPE = "arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>"
ASSOCIATION_ARN_SHAPE = (
    "arn:<partition>:app-integrations:<region>:<account>:data-integration-association/<data-integration-id>/<id>"
)

DESTINATION_URI_WITH_IDENTIFIER = (
    f"filters the lookup of the association, which happens only without {ASSOCIATION_IDENTIFIER}; "
    f"give one or the other, not both"
)

Unresolved = Callable[[object], bool]


def _never_unresolved(_value: object) -> bool:
    return False


class ContractError(ProviderError, ValueError):
    """Bad ResourceProperties; carries every problem found, not just the first.

    Reporting all problems at once saves a deploy/rollback cycle per typo. A
    ``ProviderError`` for the handler, and a ``ValueError`` for the construct, which
    runs the same rules at synth.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def show(value: object) -> str:
    """Render a bad value for a message, shortened so one huge value cannot hide the others."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > SHOWN_VALUE_CHARACTERS:
        text = f"{text[: SHOWN_VALUE_CHARACTERS - 15]}... ({len(str(value))} characters)"
    return text


@dataclass(frozen=True)
class AssociationRequest:
    """A validated request: what the API receives, plus what the lifecycle compares."""

    data_integration_identifier: str
    # None: resolve it at deploy from the data integration's associations (the lookup).
    association_identifier: str | None
    execution_configuration: dict[str, Any]
    rerun_token: str | None
    # The configuration by meaning (instants as epoch ms), so that '2025-01-01T00:00:00Z'
    # and '1735689600000' compare equal and an Update with no real change makes no call.
    canonical_configuration: str
    # With a lookup only: the DestinationURI the association must have.
    destination_uri: str | None = None

    @property
    def is_lookup(self) -> bool:
        return self.association_identifier is None

    def with_association(self, association_identifier: str) -> AssociationRequest:
        """This request aimed at one association: the lookup's answer, ready for the API."""
        return replace(self, association_identifier=association_identifier)

    def api_arguments(self) -> dict[str, Any]:
        if self.association_identifier is None:
            raise ValueError("the association is not resolved yet; call with_association() first")
        return {
            DATA_INTEGRATION_IDENTIFIER: self.data_integration_identifier,
            ASSOCIATION_IDENTIFIER: self.association_identifier,
            EXECUTION_CONFIGURATION: self.execution_configuration,
        }


class _Checker:
    """Collects problems while walking the properties."""

    def __init__(self, unresolved: Unresolved) -> None:
        self.problems: list[str] = []
        self.unresolved = unresolved

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def keys(self, path: str, value: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in value:
            if key not in allowed and not (path == "" and key in RESERVED_PROPERTIES):
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, f"unknown property; allowed here: {', '.join(allowed)}")

    def string(
        self,
        path: str,
        value: object,
        *,
        required: bool,
        pattern: re.Pattern[str] | None = None,
        max_length: int = MAX_STRING_LENGTH,
    ) -> str | None:
        """Check an API string (1..255, not blank); numbers are accepted as their text."""
        if value is None:
            if required:
                self.fail(path, "is required and missing")
            return None
        if self.unresolved(value):
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(path, f"{show(value)} is not a string")
            return None
        text = str(value)
        if not NON_BLANK.fullmatch(text):
            self.fail(path, f"{show(text)} is empty or blank; a non-blank string is required")
            return None
        if len(text) > max_length:
            self.fail(path, f"{show(text)} is {len(text)} characters; at most {max_length} are allowed")
            return None
        if pattern is not None and not pattern.fullmatch(text):
            self.fail(path, f"{show(text)} does not match {pattern.pattern} (letters, digits, '/', '.', '_', '-')")
            return None
        return text

    def block(self, path: str, value: object) -> Mapping[str, Any] | None:
        if self.unresolved(value):
            return None
        if not isinstance(value, Mapping):
            self.fail(path, f"{show(value)} is not an object")
            return None
        return value


@dataclass(frozen=True)
class Identifier:
    """What one identifier says: an id, or an ARN's environment and ids."""

    partition: str | None = None
    region: str | None = None
    account: str | None = None
    data_integration_id: str | None = None
    association_id: str | None = None

    @property
    def environment(self) -> tuple[str, str, str] | None:
        if self.partition is None or self.region is None or self.account is None:
            return None
        return (self.partition, self.region, self.account)


def parse_identifier(identifier: str, *, association: bool) -> Identifier | None:
    """An id as it is, or an ARN of the right kind taken apart; None for any other ARN."""
    if not identifier.startswith("arn:"):
        return Identifier(association_id=identifier) if association else Identifier(data_integration_id=identifier)
    match = (ASSOCIATION_ARN if association else DATA_INTEGRATION_ARN).fullmatch(identifier)
    if match is None:
        return None
    groups = match.groupdict()
    return Identifier(
        groups["partition"], groups["region"], groups["account"], groups["data_integration"], groups.get("association")
    )


def identifier_problems(data_integration: str | None, association: str | None) -> list[str]:
    """ARNs of the wrong kind, or an association ARN that contradicts the data integration.

    The service would answer such a pair with a bare ResourceNotFoundException; saying
    which identifier is off, and how, saves a round of guessing.
    """
    problems: list[str] = []
    parsed: dict[str, Identifier] = {}
    for name, value, is_association, what, shape in (
        (DATA_INTEGRATION_IDENTIFIER, data_integration, False, "data integration", DATA_INTEGRATION_ARN_SHAPE),
        (ASSOCIATION_IDENTIFIER, association, True, "data integration association", ASSOCIATION_ARN_SHAPE),
    ):
        if value is None:
            continue
        found = parse_identifier(value, association=is_association)
        if found is None:
            problems.append(f"{name}: {value!r} is an ARN, but not of a {what}; expected {shape} or a plain id")
        else:
            parsed[name] = found
    given, named = parsed.get(DATA_INTEGRATION_IDENTIFIER), parsed.get(ASSOCIATION_IDENTIFIER)
    if given is None or named is None:
        return problems
    if named.data_integration_id not in (None, given.data_integration_id):
        problems.append(
            f"{ASSOCIATION_IDENTIFIER}: the ARN names data integration {named.data_integration_id!r}, "
            f"but {DATA_INTEGRATION_IDENTIFIER} is {given.data_integration_id!r}"
        )
    if given.environment and named.environment and given.environment != named.environment:
        problems.append(
            f"{ASSOCIATION_IDENTIFIER}: the ARN's partition, Region and account ({', '.join(named.environment)}) "
            f"differ from those of {DATA_INTEGRATION_IDENTIFIER} ({', '.join(given.environment)})"
        )
    return problems


def parse_epoch_ms(text: str) -> int | None:
    """Epoch milliseconds as the API documents them: digits only, nothing else."""
    return int(text) if EPOCH_MS_PATTERN.fullmatch(text) else None


def parse_instant(text: str) -> int | None:
    """Epoch ms or ISO-8601 with an explicit offset, as epoch ms; None when neither.

    A naive ISO timestamp is refused: the service and the deployer may disagree on
    its time zone, and an hour's difference in a data pull is silent data loss.
    """
    epoch = parse_epoch_ms(text)
    if epoch is not None:
        return epoch
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _epoch_field(check: _Checker, path: str, value: object, *, required: bool) -> tuple[str | None, int | None]:
    text = check.string(path, value, required=required)
    if text is None:
        return None, None
    millis = parse_epoch_ms(text)
    if millis is None:
        check.fail(path, f"{show(text)} is not epoch milliseconds; use {EPOCH_MS_RULE}")
        return None, None
    if 0 < millis < SMALLEST_PLAUSIBLE_EPOCH_MS:
        check.fail(
            path,
            f"{show(text)} looks like epoch seconds, not milliseconds (it is before 1973); "
            f"multiply by 1000, e.g. '{millis * 1000}'",
        )
        return None, None
    return text, millis


def _on_demand(check: _Checker, path: str, block: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    check.keys(path, block, ON_DEMAND_KEYS)
    start, start_ms = _epoch_field(check, f"{path}.{START_TIME}", block.get(START_TIME), required=True)
    end, end_ms = _epoch_field(check, f"{path}.{END_TIME}", block.get(END_TIME), required=False)
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        check.fail(
            f"{path}.{END_TIME}", f"{show(end)} is not after {START_TIME} {show(start)}; the window must be non-empty"
        )
    api = {key: text for key, text in ((START_TIME, start), (END_TIME, end)) if text is not None}
    meaning = {key: ms for key, ms in ((START_TIME, start_ms), (END_TIME, end_ms)) if ms is not None}
    return api, meaning


def _scheduled(check: _Checker, path: str, block: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    check.keys(path, block, SCHEDULE_KEYS)
    expression = check.string(f"{path}.{SCHEDULE_EXPRESSION}", block.get(SCHEDULE_EXPRESSION), required=True)
    obj = check.string(f"{path}.{OBJECT}", block.get(OBJECT), required=False, pattern=OBJECT_PATTERN)
    first = check.string(f"{path}.{FIRST_EXECUTION_FROM}", block.get(FIRST_EXECUTION_FROM), required=False)
    first_ms = None if first is None else parse_instant(first)
    if first is not None and first_ms is None:
        check.fail(
            f"{path}.{FIRST_EXECUTION_FROM}",
            f"{show(first)} is neither epoch milliseconds nor ISO-8601 with a UTC offset; "
            f"use {EPOCH_MS_RULE} or e.g. '2025-01-01T00:00:00Z'",
        )
    fields = ((SCHEDULE_EXPRESSION, expression), (OBJECT, obj), (FIRST_EXECUTION_FROM, first))
    api = {key: text for key, text in fields if text is not None}
    meaning: dict[str, Any] = {SCHEDULE_EXPRESSION: expression, OBJECT: obj, FIRST_EXECUTION_FROM: first_ms}
    return api, meaning


def _execution_configuration(check: _Checker, value: object) -> tuple[dict[str, Any], dict[str, Any]]:
    path = EXECUTION_CONFIGURATION
    config = check.block(path, value) if value is not None else None
    if value is None:
        check.fail(
            path, f"is required and missing; give an object with {EXECUTION_MODE} {' or '.join(EXECUTION_MODES)}"
        )
    if config is None:
        return {}, {}
    check.keys(path, config, EXECUTION_CONFIGURATION_KEYS)
    mode = config.get(EXECUTION_MODE)
    mode_path = f"{path}.{EXECUTION_MODE}"
    if mode is None:
        check.fail(mode_path, f"is required and missing; allowed: {', '.join(EXECUTION_MODES)}")
        return {}, {}
    if check.unresolved(mode):
        return {}, {}
    if mode not in EXECUTION_MODES:
        check.fail(mode_path, f"{show(mode)} is not allowed; allowed: {', '.join(EXECUTION_MODES)}")
        return {}, {}
    wanted = MODE_BLOCKS[mode]
    for other_mode, other in MODE_BLOCKS.items():
        if other != wanted and config.get(other) is not None:
            check.fail(f"{path}.{other}", f"is only allowed with {EXECUTION_MODE} {other_mode}, not {mode}; remove it")
    block_path = f"{path}.{wanted}"
    raw_block = config.get(wanted)
    if raw_block is None:
        check.fail(block_path, f"is required when {EXECUTION_MODE} is {mode}")
        return {}, {}
    block = check.block(block_path, raw_block)
    if block is None:
        return {}, {}
    fields, meaning = (_on_demand if mode == ON_DEMAND else _scheduled)(check, block_path, block)
    api: dict[str, Any] = {EXECUTION_MODE: mode, wanted: fields}
    return api, {EXECUTION_MODE: mode, wanted: meaning}


def parse_properties(properties: object, *, unresolved: Unresolved = _never_unresolved) -> AssociationRequest:
    """Validate ResourceProperties and build the API request, or raise ContractError.

    `unresolved` lets the construct skip values that are CDK tokens (unknown until
    deploy); the handler never sees tokens, so it leaves the default.
    """
    check = _Checker(unresolved)
    if not isinstance(properties, Mapping):
        raise ContractError([f"ResourceProperties: {show(properties)} is not an object"])
    check.keys("", properties, TOP_LEVEL_PROPERTIES)
    data_integration = check.string(
        DATA_INTEGRATION_IDENTIFIER, properties.get(DATA_INTEGRATION_IDENTIFIER), required=True
    )
    association = check.string(ASSOCIATION_IDENTIFIER, properties.get(ASSOCIATION_IDENTIFIER), required=False)
    check.problems.extend(identifier_problems(data_integration, association))
    destination_uri = check.string(
        DESTINATION_URI, properties.get(DESTINATION_URI), required=False, max_length=MAX_DESTINATION_URI_LENGTH
    )
    if properties.get(DESTINATION_URI) is not None and properties.get(ASSOCIATION_IDENTIFIER) is not None:
        check.fail(DESTINATION_URI, DESTINATION_URI_WITH_IDENTIFIER)
    configuration, meaning = _execution_configuration(check, properties.get(EXECUTION_CONFIGURATION))
    rerun_token = check.string(RERUN_TOKEN, properties.get(RERUN_TOKEN), required=False)
    if check.problems:
        raise ContractError(check.problems)
    return AssociationRequest(
        data_integration_identifier=data_integration or "",
        association_identifier=association,
        execution_configuration=configuration,
        rerun_token=rerun_token,
        canonical_configuration=json.dumps(meaning, sort_keys=True),
        destination_uri=destination_uri,
    )
