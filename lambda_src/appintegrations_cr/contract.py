"""The ResourceProperties contract shared by the handler and the CDK construct: the checks, and their facade.

This module is the single rule set: the handler runs it on every request and the
construct runs it at synth time, so a mistake is reported with the same wording in
`cdk synth` and in a CloudFormation event. It is pure Python with no third-party
imports because it ships inside the Lambda asset *and* inside the wheel.

It holds the checks. What they are made of lives by job beside it: the names
(:mod:`.fields`), what each field allows in words (:mod:`.rules`), a problem and its
wording (:mod:`.problems`), instants (:mod:`.instants`), schedules (:mod:`.schedules`)
and the validated request (:mod:`.request`). The construct reads all of it through this
module (``contract.X``), the one name both halves import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from .arns import ENVIRONMENT_FORMS, EXAMPLE_DATA_INTEGRATION_ID, Environment, Identifier, parse_identifier
from .fields import (
    ASSOCIATION_ARN_ATTRIBUTE,
    ASSOCIATION_ID_ATTRIBUTE,
    ASSOCIATION_IDENTIFIER,
    DATA_INTEGRATION_ARN_ATTRIBUTE,
    DATA_INTEGRATION_IDENTIFIER,
    DESTINATION_URI,
    END_TIME,
    EXECUTION_CONFIGURATION,
    EXECUTION_CONFIGURATION_KEYS,
    EXECUTION_MODE,
    EXECUTION_MODES,
    FIRST_EXECUTION_FROM,
    MAX_STRING_LENGTH,
    MODE_BLOCKS,
    OBJECT,
    ON_DEMAND,
    ON_DEMAND_KEYS,
    RERUN_TOKEN,
    RESERVED_PROPERTIES,
    SCHEDULE_CONFIGURATION,
    SCHEDULE_EXPRESSION,
    SCHEDULE_KEYS,
    SCHEDULED,
    START_TIME,
    TOP_LEVEL_PROPERTIES,
)
from .instants import SMALLEST_PLAUSIBLE_EPOCH_MS, epoch_ms, parse_epoch_ms, parse_instant
from .problems import (
    ABSENT,
    SHOWN_CHARACTERS,
    AllowedAt,
    ContractError,
    Example,
    Mention,
    Part,
    Problem,
    Wording,
    shorten,
    show,
)
from .request import AssociationRequest
from .rules import (
    ASSOCIATION_EXPECTED,
    DATA_INTEGRATION_EXPECTED,
    EXAMPLE_EPOCH_MS,
    EXAMPLE_ISO_INSTANT,
    SCHEDULE_RULE,
    max_length,
)
from .schedules import schedule_expression_warnings, schedule_refusal

#: What the construct and the tests read as ``contract.X``: this module's own checks, and the
#: names, rules, problems and times they are made of.
__all__ = [
    "ABSENT",
    "ASSOCIATION_ARN_ATTRIBUTE",
    "ASSOCIATION_EXPECTED",
    "ASSOCIATION_IDENTIFIER",
    "ASSOCIATION_ID_ATTRIBUTE",
    "DATA_INTEGRATION_ARN_ATTRIBUTE",
    "DATA_INTEGRATION_EXPECTED",
    "DATA_INTEGRATION_IDENTIFIER",
    "DESTINATION_URI",
    "END_TIME",
    "EXAMPLE_EPOCH_MS",
    "EXAMPLE_ISO_INSTANT",
    "EXECUTION_CONFIGURATION",
    "EXECUTION_MODE",
    "FIRST_EXECUTION_FROM",
    "MAX_STRING_LENGTH",
    "MODE_BLOCKS",
    "OBJECT",
    "ON_DEMAND",
    "RERUN_TOKEN",
    "SCHEDULED",
    "SCHEDULE_CONFIGURATION",
    "SCHEDULE_EXPRESSION",
    "SCHEDULE_RULE",
    "SHOWN_CHARACTERS",
    "START_TIME",
    "AllowedAt",
    "AssociationRequest",
    "ContractError",
    "Example",
    "Mention",
    "Problem",
    "Unresolved",
    "Wording",
    "check_properties",
    "epoch_ms",
    "identifier_problems",
    "identifier_warnings",
    "parse_properties",
    "schedule_expression_warnings",
    "shorten",
    "show",
]

# In an IAM policy's Resource, these make a wildcard or a policy variable.
IAM_SPECIAL = ("*", "?", "${")
Unresolved = Callable[[object], bool]
OBJECT_PATTERN = re.compile(r"^[a-zA-Z0-9/._-]+$")
NON_BLANK = re.compile(r".*\S.*", re.DOTALL)


def _never_unresolved(_value: object) -> bool:
    return False


class _Checker:
    """Collects problems while walking the properties."""

    def __init__(self, unresolved: Unresolved) -> None:
        self.problems: list[Problem] = []
        self.unresolved = unresolved

    def fail(self, path: str, *text: Part, value: object = ABSENT, missing: bool = False) -> None:
        self.problems.append(Problem(path, text, value, missing))

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
    ) -> str | None:
        """Check an API string (1..255, not blank); numbers are accepted as their text."""
        if value is None:
            if required:
                self.fail(path, "is required and missing; give ", AllowedAt(path), missing=True)
            return None
        if self.unresolved(value):
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(path, "is not a string; expected ", AllowedAt(path), value=value)
            return None
        text = str(value)
        if not NON_BLANK.fullmatch(text):
            self.fail(path, "is empty" if not text else "is blank", "; expected ", AllowedAt(path), value=text)
            return None
        longest = max_length(path)
        if len(text) > longest:
            self.fail(path, f"is {len(text)} characters; at most {longest} are allowed", value=text)
            return None
        if pattern is not None and not pattern.fullmatch(text):
            self.fail(path, f"does not match {pattern.pattern} (letters, digits, '/', '.', '_', '-')", value=text)
            return None
        return text

    def block(self, path: str, value: object) -> Mapping[str, Any] | None:
        if self.unresolved(value):
            return None
        if not isinstance(value, Mapping):
            self.fail(path, "is not an object", value=value)
            return None
        return value


def _marks(text: str) -> list[str]:
    return [mark for mark in IAM_SPECIAL if mark in text]


def _environment_problems(environment: Environment) -> list[tuple[Part, ...]]:
    """One text per part of an ARN's partition, Region and account that IAM would misread or that has no valid form."""
    found: list[tuple[Part, ...]] = []
    for part, value in zip(ENVIRONMENT_FORMS, environment.parts(), strict=True):
        is_a = f"{part.article} {part.name} is {part.form}"
        marks = _marks(value)
        if marks:
            found.append(
                (
                    f"holds {part.name} {value!r}, which contains {' and '.join(map(repr, marks))}: IAM would read it "
                    f"as a wildcard or a policy variable; {is_a} (for the stack's own, give the id alone)",
                )
            )
        elif not part.pattern.fullmatch(value):
            found.append((f"holds {part.name} {value!r}, which is not a valid {part.name}; {is_a}",))
    return found


def identifier_problems(data_integration: str | None, association: str | None) -> list[Problem]:
    """ARNs of the wrong kind, an association ARN that contradicts the data integration, parts IAM would misread.

    The service would answer such a pair with a bare ResourceNotFoundException; saying
    which identifier is off, and how, saves a round of guessing. An id with a character
    IAM reads as a wildcard or a policy variable is no AppIntegrations id, and in the
    provider's policy it would grant more, or other, than the association it names. The
    same holds for an ARN's partition, Region and account, which must also have a valid
    form (``arns.ENVIRONMENT_FORMS``); each bad part is one problem.
    """
    problems: list[Problem] = []
    parsed: dict[str, Identifier] = {}
    misread: set[str] = set()  # identifiers with a refused partition, Region or account
    for name, value, is_association, what in (
        (DATA_INTEGRATION_IDENTIFIER, data_integration, False, "data integration"),
        (ASSOCIATION_IDENTIFIER, association, True, "data integration association"),
    ):
        if value is None:
            continue
        found = parse_identifier(value, association=is_association)
        if found is None:
            problems.append(Problem(name, (f"is an ARN, but not of a {what}; expected ", AllowedAt(name)), value))
            continue
        parsed[name] = found
        bad_environment = [] if found.environment is None else _environment_problems(found.environment)
        problems.extend(Problem(name, text, value) for text in bad_environment)
        if bad_environment:
            misread.add(name)
        for held in filter(None, (found.data_integration_id, found.association_id)):
            marks = _marks(held)
            if marks:
                problems.append(
                    Problem(
                        name,
                        (
                            f"holds {held!r}, which contains {' and '.join(map(repr, marks))}: IAM would read it as "
                            f"a wildcard or a policy variable; AppIntegrations ids never contain them",
                        ),
                        value,
                    )
                )
    given, named = parsed.get(DATA_INTEGRATION_IDENTIFIER), parsed.get(ASSOCIATION_IDENTIFIER)
    if given is None or named is None:
        return problems
    if named.data_integration_id not in (None, given.data_integration_id):
        problems.append(
            Problem(
                ASSOCIATION_IDENTIFIER,
                (
                    f"is an association of data integration {named.data_integration_id!r}, but ",
                    Mention(DATA_INTEGRATION_IDENTIFIER),
                    f" is data integration {given.data_integration_id!r}",
                ),
                association,
            )
        )
    if (
        given.environment
        and named.environment
        and given.environment != named.environment
        and not misread  # a refused part already says what is wrong; "differ" would add nothing
    ):
        mine, theirs = (_pieces(named.environment), _pieces(given.environment))
        problems.append(
            Problem(
                ASSOCIATION_IDENTIFIER,
                (
                    f"has partition, Region and account ({mine}), which differ from those of ",
                    Mention(DATA_INTEGRATION_IDENTIFIER),
                    f" ({theirs})",
                ),
                association,
            )
        )
    return problems


def _pieces(environment: Environment) -> str:
    return f"{environment.partition}, {environment.region}, {environment.account}"


def identifier_warnings(data_integration: str | None, association: str | None) -> list[Problem]:
    """Literal identifiers that hold no id of the form the API gives (a name, a placeholder).

    Not refusals: the API itself takes any non-blank string, and the shape rule is ours
    (:data:`ID_PATTERN`). But the provider's least-privilege policy is written from these
    ids, so it cannot match such a value, and the deploy would fail with AccessDenied.
    ARNs of the wrong kind are :func:`identifier_problems`' business, not repeated here.
    """
    warnings: list[Problem] = []
    for name, value, is_association in (
        (DATA_INTEGRATION_IDENTIFIER, data_integration, False),
        (ASSOCIATION_IDENTIFIER, association, True),
    ):
        found = None if value is None else parse_identifier(value, association=is_association)
        if value is None or found is None or not found.unlike_ids:
            continue
        held = "" if not value.startswith("arn:") else f"holds {', '.join(map(repr, found.unlike_ids))}, which "
        warnings.append(
            Problem(
                name,
                (
                    f"{held}is not an id of the form AppIntegrations gives (a UUID such as "
                    f"'{EXAMPLE_DATA_INTEGRATION_ID}'; a name or a placeholder does not work): the provider's "
                    "least-privilege policy is written from ids, so it cannot match this one, and the deploy would "
                    "fail with AccessDeniedException; give ",
                    AllowedAt(name),
                ),
                value,
            )
        )
    return warnings


def _epoch_field(check: _Checker, path: str, value: object, *, required: bool) -> tuple[str | None, int | None]:
    text = check.string(path, value, required=required)
    if text is None:
        return None, None
    millis = parse_epoch_ms(text)
    if millis is None:
        check.fail(path, "is not epoch milliseconds; use ", AllowedAt(path), value=text)
        return None, None
    if 0 < millis < SMALLEST_PLAUSIBLE_EPOCH_MS:
        check.fail(
            path,
            "looks like epoch seconds, not milliseconds (it is before 1973); multiply by 1000, e.g. ",
            Example(path, str(millis * 1000)),
            value=text,
        )
        return None, None
    return text, millis


def _on_demand(check: _Checker, path: str, block: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    check.keys(path, block, ON_DEMAND_KEYS)
    start_path, end_path = f"{path}.{START_TIME}", f"{path}.{END_TIME}"
    start, start_ms = _epoch_field(check, start_path, block.get(START_TIME), required=True)
    end, end_ms = _epoch_field(check, end_path, block.get(END_TIME), required=False)
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        check.fail(end_path, "is not after ", Mention(start_path, start), "; the window must be non-empty", value=end)
    api = {key: text for key, text in ((START_TIME, start), (END_TIME, end)) if text is not None}
    meaning = {key: ms for key, ms in ((START_TIME, start_ms), (END_TIME, end_ms)) if ms is not None}
    return api, meaning


def _first_execution_from(check: _Checker, path: str, value: object) -> tuple[str | None, int | None]:
    text = check.string(path, value, required=False)
    if text is None:
        return None, None
    millis = parse_instant(text)
    if millis is not None:
        return text, millis
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        check.fail(
            path, "is neither epoch milliseconds nor ISO-8601 with a UTC offset; use ", AllowedAt(path), value=text
        )
        return None, None
    check.fail(
        path,
        "is ISO-8601 without a UTC offset, so its instant would depend on the time zone of whoever reads it; "
        "add the offset, e.g. ",
        Example(path, naive.replace(tzinfo=timezone.utc).isoformat()),
        " for UTC",
        value=text,
    )
    return None, None


def _scheduled(check: _Checker, path: str, block: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    check.keys(path, block, SCHEDULE_KEYS)
    expression_path = f"{path}.{SCHEDULE_EXPRESSION}"
    expression = check.string(expression_path, block.get(SCHEDULE_EXPRESSION), required=True)
    refusal = None if expression is None else schedule_refusal(expression_path, expression)
    if refusal is not None:
        check.fail(expression_path, *refusal, value=expression)
        expression = None
    obj = check.string(f"{path}.{OBJECT}", block.get(OBJECT), required=False, pattern=OBJECT_PATTERN)
    first, first_ms = _first_execution_from(check, f"{path}.{FIRST_EXECUTION_FROM}", block.get(FIRST_EXECUTION_FROM))
    fields = ((SCHEDULE_EXPRESSION, expression), (OBJECT, obj), (FIRST_EXECUTION_FROM, first))
    api = {key: text for key, text in fields if text is not None}
    meaning: dict[str, Any] = {SCHEDULE_EXPRESSION: expression, OBJECT: obj, FIRST_EXECUTION_FROM: first_ms}
    return api, meaning


def _execution_configuration(check: _Checker, value: object) -> tuple[dict[str, Any], dict[str, Any]]:
    path = EXECUTION_CONFIGURATION
    config = check.block(path, value) if value is not None else None
    if value is None:
        check.fail(
            path,
            f"is required and missing; give an object with {EXECUTION_MODE} {' or '.join(EXECUTION_MODES)}",
            missing=True,
        )
    if config is None:
        return {}, {}
    check.keys(path, config, EXECUTION_CONFIGURATION_KEYS)
    mode = config.get(EXECUTION_MODE)
    mode_path = f"{path}.{EXECUTION_MODE}"
    if mode is None:
        check.fail(mode_path, f"is required and missing; allowed: {', '.join(EXECUTION_MODES)}", missing=True)
        return {}, {}
    if check.unresolved(mode):
        return {}, {}
    if mode not in EXECUTION_MODES:
        check.fail(mode_path, f"is not allowed; allowed: {', '.join(EXECUTION_MODES)}", value=mode)
        return {}, {}
    wanted = MODE_BLOCKS[mode]
    for other_mode, other in MODE_BLOCKS.items():
        if other != wanted and config.get(other) is not None:
            check.fail(f"{path}.{other}", f"is only allowed with {EXECUTION_MODE} {other_mode}, not {mode}; remove it")
    block_path = f"{path}.{wanted}"
    raw_block = config.get(wanted)
    if raw_block is None:
        check.fail(block_path, f"is required when {EXECUTION_MODE} is {mode}", missing=True)
        return {}, {}
    block = check.block(block_path, raw_block)
    if block is None:
        return {}, {}
    fields, meaning = (_on_demand if mode == ON_DEMAND else _scheduled)(check, block_path, block)
    api: dict[str, Any] = {EXECUTION_MODE: mode, wanted: fields}
    return api, {EXECUTION_MODE: mode, wanted: meaning}


def check_properties(
    properties: object, *, unresolved: Unresolved = _never_unresolved
) -> tuple[AssociationRequest | None, list[Problem]]:
    """Validate ResourceProperties: the API request, or None and every problem found.

    It raises nothing, so a reader that words problems its own way (the construct)
    has no internal exception to hide. `unresolved` lets the construct skip values that
    are CDK tokens (unknown until deploy); the handler never sees tokens.
    """
    check = _Checker(unresolved)
    if not isinstance(properties, Mapping):
        return None, [Problem("ResourceProperties", ("is not an object",), properties)]
    check.keys("", properties, TOP_LEVEL_PROPERTIES)
    data_integration = check.string(
        DATA_INTEGRATION_IDENTIFIER, properties.get(DATA_INTEGRATION_IDENTIFIER), required=True
    )
    association = check.string(ASSOCIATION_IDENTIFIER, properties.get(ASSOCIATION_IDENTIFIER), required=False)
    check.problems.extend(identifier_problems(data_integration, association))
    raw_destination_uri = properties.get(DESTINATION_URI)
    destination_uri = check.string(DESTINATION_URI, raw_destination_uri, required=False)
    if raw_destination_uri is not None and properties.get(ASSOCIATION_IDENTIFIER) is not None:
        check.fail(
            DESTINATION_URI,
            "filters the lookup of the association, which happens only without ",
            Mention(ASSOCIATION_IDENTIFIER),
            "; give one or the other, not both",
            value=raw_destination_uri,
        )
    configuration, meaning = _execution_configuration(check, properties.get(EXECUTION_CONFIGURATION))
    rerun_token = check.string(RERUN_TOKEN, properties.get(RERUN_TOKEN), required=False)
    if check.problems:
        return None, check.problems
    request = AssociationRequest(
        data_integration_identifier=data_integration or "",
        association_identifier=association,
        execution_configuration=configuration,
        rerun_token=rerun_token,
        canonical_configuration=json.dumps(meaning, sort_keys=True),
        destination_uri=destination_uri,
    )
    return request, []


def parse_properties(properties: object, *, unresolved: Unresolved = _never_unresolved) -> AssociationRequest:
    """Validate ResourceProperties and build the API request, or raise ContractError with every problem."""
    request, problems = check_properties(properties, unresolved=unresolved)
    if request is None:
        raise ContractError(problems)
    return request
