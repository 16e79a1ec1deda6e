"""Evaluate the CloudFormation intrinsics our templates use, as CloudFormation would at deploy.

The tests need to know what an intrinsic-built ARN *becomes* (the IAM policy's
``Fn::Select``/``Fn::Split`` over a token, the custom resource's ``Fn::GetAtt`` inputs),
not only how it is written. Only what the synthesized templates contain is supported;
anything else fails loudly rather than being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["evaluate"]


def evaluate(value: Any, refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any] | None = None) -> Any:
    """``value`` with every intrinsic replaced by its result.

    ``refs`` answers ``Ref`` (parameters and pseudo parameters such as ``AWS::Partition``);
    ``attributes`` answers ``Fn::GetAtt`` by ``(logical id, attribute)``.
    """
    attributes = attributes or {}
    if isinstance(value, list):
        return [evaluate(item, refs, attributes) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Fn::", "Ref")):
        return {key: evaluate(item, refs, attributes) for key, item in value.items()}
    [(name, argument)] = value.items()
    if name == "Ref":
        return refs[argument]
    if name == "Fn::GetAtt":
        return attributes[(argument[0], argument[1])]
    if name == "Fn::Join":
        delimiter, items = argument
        return str(delimiter).join(str(evaluate(item, refs, attributes)) for item in items)
    if name == "Fn::Split":
        delimiter, source = argument
        return str(evaluate(source, refs, attributes)).split(delimiter)
    if name == "Fn::Select":
        index, items = argument
        return evaluate(items, refs, attributes)[int(index)]
    if name == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {**refs, **{key: evaluate(item, refs, attributes) for key, item in variables.items()}}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if "." in name:
                return str(attributes[tuple(name.split(".", 1))])
            return str(values[name])

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
    raise ValueError(f"intrinsic {name} is not supported here: {value}")
