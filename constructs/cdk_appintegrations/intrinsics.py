"""Resolved template values read as text: one walker over CloudFormation intrinsics, and its three renderings.

The provider shows its statements to people (a synth warning, CDK's policy report),
names them the way cdk-nag names its findings (to acknowledge exactly those), and
bounds what IAM will count once they are deployed. All three read the same resolved
values (``Fn::Join`` of literals and references, ``Fn::Sub`` text, ``Ref``,
``Fn::GetAtt``) and differ only in how a reference and a piece of literal text are
written, so the walk is :func:`joined` and each rendering passes its own writers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import Token

#: What IAM may count, once deployed, for a reference to another resource in a statement (a
#: log group's, a queue's or a key's ARN): an ARN whose name has 255 characters, after the
#: longest partition, Region and account.
REFERENCE_BOUND_CHARACTERS = 320
#: The pseudo parameters whose value can be longer than their ``${AWS::...}`` text, at their longest: a
#: stack's ARN (``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>``, a name of up to
#: 128 characters) and its name. Every other one (Region, account, partition, URL suffix) is shorter.
PSEUDO_BOUND_CHARACTERS = {"AWS::StackId": 240, "AWS::StackName": 128}
# ${Name} or ${Name.Attribute} in Fn::Sub text; ${!Literal} is an escape, not a reference.
_SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")


def joined(
    value: Any,
    *,
    reference: Callable[[str], str],
    text: Callable[[str], str] = str,
    sub: Callable[[str], str] | None = None,
    other: Callable[[Any], str],
) -> str:
    """``value`` as one string: literal ``text``, each ``Ref``/``Fn::GetAtt`` by ``reference`` (``Name.Attribute``).

    ``Fn::Join`` is joined; ``Fn::Sub`` text goes to ``sub`` (by default, each
    ``${...}`` in it to ``reference`` and the rest to ``text``); anything else to ``other``.
    """
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, parts = argument
            return str(delimiter).join(
                joined(part, reference=reference, text=text, sub=sub, other=other) for part in parts
            )
        if function == "Fn::Sub" and isinstance(argument, str):
            return sub(argument) if sub is not None else _substituted(argument, reference, text)
        if function == "Ref" and isinstance(argument, str):
            return reference(argument)
        if function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2:
            return reference(f"{argument[0]}.{argument[1]}")
    return other(value)


def _substituted(template: str, reference: Callable[[str], str], text: Callable[[str], str]) -> str:
    pieces: list[str] = []
    position = 0
    for match in _SUB_REFERENCE.finditer(template):
        pieces.append(text(template[position : match.start()]))
        pieces.append(reference(match.group(1)))
        position = match.end()
    pieces.append(text(template[position:]))
    return "".join(pieces)


def as_text(value: Any) -> str:
    """As a person reads it: literal text, references in ``Fn::Sub`` notation (``${Name.Arn}``), else JSON."""
    return joined(
        value,
        reference=lambda name: "${" + name + "}",
        sub=lambda template: template,
        other=lambda other: json.dumps(other, separators=(",", ":"), sort_keys=True),
    )


def _nag_text(text: str) -> str:
    return text.replace("${", "<").replace("}", ">")


def _nag_other(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1 and "Fn::ImportValue" in value:
        return nag_name(value["Fn::ImportValue"])
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def nag_name(value: Any) -> str:
    """As cdk-nag's ``flattenCfnReference`` names it in a finding (``<Name.Arn>``, ``<AWS::Region>``)."""
    return joined(value, reference=lambda name: f"<{name}>", text=_nag_text, sub=_nag_text, other=_nag_other)


def _bound_reference(name: str) -> str:
    """A pseudo parameter as its ``${AWS::...}`` text, or its bound if a value can be longer; else the bound."""
    if name in PSEUDO_BOUND_CHARACTERS:
        return "x" * PSEUDO_BOUND_CHARACTERS[name]
    return "${" + name + "}" if name.startswith("AWS::") else "x" * REFERENCE_BOUND_CHARACTERS


def deployed_bound(value: Any) -> Any:
    """A resolved policy document with every intrinsic replaced by text at least as long as what it resolves to."""
    if isinstance(value, list):
        return [deployed_bound(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")):
        return joined(value, reference=_bound_reference, other=lambda _: "x" * REFERENCE_BOUND_CHARACTERS)
    return {key: deployed_bound(item) for key, item in value.items()}


def deployed_bound_characters(document: Any) -> int:
    """The most characters IAM can count for a resolved policy document once deployed.

    Literal text counts as it is (minified JSON: IAM does not count whitespace, so this
    is never below its count); references count as :func:`deployed_bound` writes them.
    """
    return len(json.dumps(deployed_bound(document), separators=(",", ":")))


def is_unresolved(value: object) -> bool:
    """``Token.is_unresolved`` without a jsii round trip for plain values.

    A string can only be a token if it carries the ``${Token[...]}`` marker, and the
    mappings the construct checks are built by this library; skipping the call for them keeps a stack
    of hundreds of executions quick to synthesize.
    """
    if isinstance(value, str) and "Token[" not in value:
        return False
    if isinstance(value, Mapping):
        return False
    return Token.is_unresolved(value)
