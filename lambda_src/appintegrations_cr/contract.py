"""The ResourceProperties contract shared by the handler and the CDK construct.

This module is the single rule set: the handler runs it on every request and the
construct runs it at synth time, so a mistake is reported with the same wording in
`cdk synth` and in a CloudFormation event. It is pure Python with no third-party
imports because it ships inside the Lambda asset *and* inside the wheel.

Messages always name the field, the bad value and what is allowed, because whoever
reads them is usually looking at a failed stack, not at this code. Each problem is
kept structured (:class:`Problem`: the field's API path, its value, and a text whose
mentions of other fields, of what is allowed and of a corrected value are left
open) so that each reader gets it in their own terms: the handler's :class:`Wording`
names API fields and the values CloudFormation sent, while the construct names the
Python keyword and the value the user wrote (a ``datetime``, not epoch milliseconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from .arns import (
    ASSOCIATION_ARN_SHAPE,
    DATA_INTEGRATION_ARN_SHAPE,
    ENVIRONMENT_FORMS,
    EXAMPLE_ASSOCIATION_ID,
    EXAMPLE_DATA_INTEGRATION_ID,
    Environment,
    Identifier,
    parse_identifier,
)
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
SCHEDULE_EXPRESSION_PATH = f"{EXECUTION_CONFIGURATION}.{SCHEDULE_CONFIGURATION}.{SCHEDULE_EXPRESSION}"

# The response Data (GetAtt attributes): the same names at synth (the construct's attr_*) and in the handler.
DATA_INTEGRATION_ARN_ATTRIBUTE = "DataIntegrationArn"
ASSOCIATION_ARN_ATTRIBUTE = "DataIntegrationAssociationArn"
ASSOCIATION_ID_ATTRIBUTE = "DataIntegrationAssociationId"

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
SHOWN_VALUE_CHARACTERS = 80
#: How much of a whole value (an ARN fits) a synth message or a lookup's failure reason shows.
SHOWN_CHARACTERS = 200
# In an IAM policy's Resource, these make a wildcard or a policy variable.
IAM_SPECIAL = ("*", "?", "${")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

DATA_INTEGRATION_EXPECTED = (
    f"the data integration's id (e.g. '{EXAMPLE_DATA_INTEGRATION_ID}') or ARN ({DATA_INTEGRATION_ARN_SHAPE})"
)
ASSOCIATION_EXPECTED = f"the association's id (e.g. '{EXAMPLE_ASSOCIATION_ID}') or ARN ({ASSOCIATION_ARN_SHAPE})"
EXAMPLE_ISO_INSTANT = "2025-01-01T00:00:00Z"
INSTANT_RULE = f"{EPOCH_MS_RULE}, or ISO-8601 with a UTC offset, e.g. '{EXAMPLE_ISO_INSTANT}'"

# A schedule, as the services behind AppIntegrations document one. AppIntegrations' API says only "how
# often the data should be pulled" (ScheduleConfiguration.ScheduleExpression, 1..255 characters); it hands
# the expression to Amazon AppFlow, whose API reference gives `rate(5minutes)` as its example
# (ScheduledTriggerProperties.scheduleExpression, https://docs.aws.amazon.com/appflow/1.0/APIReference/
# API_ScheduledTriggerProperties.html) and takes cron expressions too; AWS's cdk-appflow writes every rate
# in that form, with the unit always plural (`rate(1days)`: src/core/flows/flow-time-updater, issue
# cdklabs/cdk-appflow#334). AppIntegrations' own examples, and this project's, write EventBridge's
# `rate(1 hour)`: a positive whole value, a space, minute(s), hour(s) or day(s), singular only with 1.
# So EventBridge's form and a six-field cron pass; AppFlow's two variations (no space, a plural unit
# with 1) pass with a synth warning (schedule_expression_warnings); anything else no AWS schedule
# documents (another unit, a singular unit above 1, a value that is not a positive whole number,
# free text) is refused, by the construct at synth and by the handler alike.
SCHEDULE_UNITS = ("minute", "hour", "day")
SCHEDULE_RULE = (
    "rate(value unit) with a positive whole value and a unit of minute, minutes, hour, hours, day or days "
    "(singular only with 1), e.g. 'rate(1 hour)', or cron(...) with six fields, e.g. 'cron(0 12 * * ? *)'"
)
_RATE = re.compile(r"rate\((?P<value>[^\s()]*?)(?P<space> ?)(?P<unit>[A-Za-z]*)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")
CRON_FIELDS = 6
_WHOLE_NUMBER = re.compile(r"[0-9]+")

Unresolved = Callable[[object], bool]


def _never_unresolved(_value: object) -> bool:
    return False


class _Absent:
    """The value of a field that is not there; ``None`` cannot be it, since a user can write ``None``."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Mention:
    """Another field that a problem's text names: by name only, or (with a value) by name and value."""

    path: str
    value: object = ABSENT


@dataclass(frozen=True)
class AllowedAt:
    """What the field at ``path`` takes: the API's forms for the handler, the Python types for the construct."""

    path: str


@dataclass(frozen=True)
class Example:
    """A corrected value for the field at ``path``, as the API's text; a reader may show it in the user's type."""

    path: str
    text: str


Part = str | Mention | AllowedAt | Example


@dataclass(frozen=True)
class Problem:
    """One refusal, kept structured so that each reader words it in its own terms (see :class:`Wording`).

    ``path`` is the field as a dotted path of API names, ``value`` its value as the
    properties hold it (``ABSENT`` when the field is missing or the problem is about
    the field as a whole), ``text`` what is wrong and what is allowed.
    """

    path: str
    text: tuple[Part, ...]
    value: object = ABSENT
    missing: bool = False

    def __str__(self) -> str:
        return API_WORDING.sentence(self)


class Wording:
    """How a problem is said to whoever deploys raw CloudFormation: API field paths and the values sent.

    The construct subclasses it to say the same problems with the Python keyword and the
    value the user wrote, so a rule's text lives here once, for both readers.
    """

    def sentence(self, problem: Problem) -> str:
        subject = problem.path if problem.value is ABSENT else f"{problem.path}: {show(problem.value)}"
        if problem.value is ABSENT:
            subject += ":"
        return f"{subject} {self.text(problem)}"

    def text(self, problem: Problem) -> str:
        return "".join(self.part(part) for part in problem.text)

    def part(self, part: Part) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, Mention):
            return self.mention(part)
        if isinstance(part, AllowedAt):
            return self.allowed(part.path)
        return self.example(part)

    def mention(self, mention: Mention) -> str:
        """Another field: its API name (the last part of the path), and its value when given."""
        name = mention.path.rsplit(".", 1)[-1]
        return name if mention.value is ABSENT else f"{name} {show(mention.value)}"

    def allowed(self, path: str) -> str:
        """What the API takes at ``path``, in the API's forms."""
        name = path.rsplit(".", 1)[-1]
        if name in _API_ALLOWED:
            return _API_ALLOWED[name]
        return f"a non-blank string of at most {_max_length(path)} characters"

    def example(self, example: Example) -> str:
        return repr(example.text)


_API_ALLOWED = {
    DATA_INTEGRATION_IDENTIFIER: DATA_INTEGRATION_EXPECTED,
    ASSOCIATION_IDENTIFIER: ASSOCIATION_EXPECTED,
    START_TIME: EPOCH_MS_RULE,
    END_TIME: EPOCH_MS_RULE,
    FIRST_EXECUTION_FROM: INSTANT_RULE,
    SCHEDULE_EXPRESSION: SCHEDULE_RULE,
}
API_WORDING: Final = Wording()


def _max_length(path: str) -> int:
    return MAX_DESTINATION_URI_LENGTH if path == DESTINATION_URI else MAX_STRING_LENGTH


class ContractError(ProviderError, ValueError):
    """Bad ResourceProperties; carries every problem found, not just the first.

    Reporting all problems at once saves a deploy/rollback cycle per typo. A
    ``ProviderError`` for the handler, whose Reason is ``str()``: every problem in the
    API's terms. ``found`` keeps them structured for a reader with its own terms.
    """

    def __init__(self, found: list[Problem]) -> None:
        self.found = list(found)
        self.problems = [API_WORDING.sentence(problem) for problem in self.found]
        super().__init__("; ".join(self.problems))


def shorten(text: str, limit: int, length: int | None = None) -> str:
    """``text`` with its middle cut when it is over ``limit``, so one huge value cannot hide the others.

    The middle goes, not the end: an identifier's ids are at the end of its ARN.
    ``length`` is what to report as the value's length (the text may be its repr).
    """
    if len(text) <= limit:
        return text
    keep = (limit - 3) // 2
    return f"{text[:keep]}...{text[-keep:]} ({len(text) if length is None else length} characters)"


def show(value: object, limit: int = SHOWN_VALUE_CHARACTERS) -> str:
    """A bad value for a message, as CloudFormation sent it (a string quoted, anything else as JSON), shortened."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return shorten(text, limit, len(str(value)))


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
        max_length = _max_length(path)
        if len(text) > max_length:
            self.fail(path, f"is {len(text)} characters; at most {max_length} are allowed", value=text)
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


def parse_epoch_ms(text: str) -> int | None:
    """Epoch milliseconds as the API documents them: digits only, nothing else."""
    return int(text) if EPOCH_MS_PATTERN.fullmatch(text) else None


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch of an aware ``moment``; sub-millisecond precision is dropped (floor)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


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
    return epoch_ms(moment)


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


def _schedule_refusal(path: str, text: str) -> tuple[Part, ...] | None:
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
    if rate is None or _schedule_refusal(path, text) is not None:
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


def _scheduled(check: _Checker, path: str, block: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    check.keys(path, block, SCHEDULE_KEYS)
    expression_path = f"{path}.{SCHEDULE_EXPRESSION}"
    expression = check.string(expression_path, block.get(SCHEDULE_EXPRESSION), required=True)
    refusal = None if expression is None else _schedule_refusal(expression_path, expression)
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
