"""A problem with the properties, kept structured, and how it is worded for whoever deploys raw CloudFormation.

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
from dataclasses import dataclass
from typing import Final

from .errors import ProviderError
from .rules import API_ALLOWED, max_length

SHOWN_VALUE_CHARACTERS = 80
#: How much of a whole value (an ARN fits) a synth message or a lookup's failure reason shows.
SHOWN_CHARACTERS = 200


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
        if name in API_ALLOWED:
            return API_ALLOWED[name]
        return f"a non-blank string of at most {max_length(path)} characters"

    def example(self, example: Example) -> str:
        return repr(example.text)


API_WORDING: Final = Wording()


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
