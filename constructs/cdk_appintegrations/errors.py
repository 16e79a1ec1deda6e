"""The one error every synth-time refusal raises, and how its problems are worded.

CDK's own constructs carry the construct in a typed error (core's ``ValidationError``)
so that code and tests can read where and what without parsing a message. This one
is a ``ValueError`` too, so callers that caught ``ValueError`` before keep working.

The rules themselves are the handler's (``contract``), which knows only API paths and
the strings CloudFormation will send. A user of the construct wrote Python keywords and
values (``end_time=datetime(...)``, not ``EndTime: '1735689600000'``), so
:class:`KeywordWording` says each problem back in those terms, with the API path last
for whoever compares it with the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from appintegrations_cr import contract


class ValidationError(ValueError):
    """A construct refused its input at synth.

    :ivar kind: the kind of construct that refused it, e.g. ``DataIntegrationAssociationExecution``.
    :ivar construct_path: the path of the construct that refused it, e.g. ``Stack/KnowledgeBaseSync``.
    :ivar problems: one message per problem, each naming the keyword, the value as written, what is
        allowed and, in brackets, the API field.
    """

    def __init__(self, kind: str, construct_path: str, problems: Sequence[str]) -> None:
        self.kind = kind
        self.construct_path = construct_path
        self.problems = list(problems)
        super().__init__(f"{kind} '{construct_path}': {'; '.join(self.problems)}")


def type_phrase(value: object) -> str:
    """The type of ``value`` in plain English: ``None``, ``an int``, ``a dict``, ``an ExecutionProvider``."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def shown(value: object) -> str:
    """``value`` as the user would write it (its ``repr``), with the middle cut from a huge one."""
    return contract.shorten(repr(value), contract.SHOWN_CHARACTERS, len(value) if isinstance(value, str) else None)


@dataclass(frozen=True)
class Argument:
    """What produced one API field: the keyword, the value as the user gave it, and what it accepts."""

    keyword: str
    value: object
    accepts: str


class KeywordWording(contract.Wording):
    """Say the contract's problems with the keywords and values that produced each API path.

    A path with no argument (which the construct's own rendering cannot produce) keeps
    the API's wording rather than guessing a keyword.
    """

    def __init__(self, arguments: Mapping[str, Argument]) -> None:
        self._arguments = dict(arguments)

    def sentence(self, problem: contract.Problem) -> str:
        argument = self._arguments.get(problem.path)
        if argument is None:
            return super().sentence(problem)
        if problem.missing:
            return f"{argument.keyword} is required, but it is None; give {argument.accepts} [{problem.path}]"
        subject = argument.keyword if argument.value is None else f"{argument.keyword}={shown(argument.value)}"
        return f"{subject} {self.text(problem)} [{problem.path}]"

    def mention(self, mention: contract.Mention) -> str:
        argument = self._arguments.get(mention.path)
        if argument is None:
            return super().mention(mention)
        if mention.value is contract.ABSENT:
            return argument.keyword
        return f"{argument.keyword}={shown(argument.value)}"

    def allowed(self, path: str) -> str:
        argument = self._arguments.get(path)
        return super().allowed(path) if argument is None else argument.accepts

    def example(self, example: contract.Example) -> str:
        """The corrected value in the type the user chose: an ``int`` stays an ``int``."""
        argument = self._arguments.get(example.path)
        if argument is not None and isinstance(argument.value, int) and example.text.isdigit():
            return example.text
        return super().example(example)


def type_problem(path: str, value: object) -> contract.Problem:
    """A value of a type the keyword does not take; the wording adds the keyword and what it accepts."""
    return contract.Problem(path, (f"is {type_phrase(value)}; expected ", contract.AllowedAt(path)), value)
