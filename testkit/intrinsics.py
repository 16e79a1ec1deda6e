"""Evaluate a fragment's intrinsics, as CloudFormation would at deploy, from plain answers.

The construct tests need to know what an intrinsic-built ARN *becomes* (the IAM policy's
``Fn::Select``/``Fn::Split`` over a token, the custom resource's ``Fn::GetAtt`` inputs),
not only how it is written, without a whole template at hand. This is a thin front on
:mod:`testkit.cfn_template`, the one evaluator of the test suite, so the deploy
driver and these tests cannot disagree about what an intrinsic means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testkit.cfn_template import StaticResolver, Template, resolve

__all__ = ["evaluate"]


class _Answers(StaticResolver):
    """Pseudo parameters and parameters from ``refs`` too, where the caller gives them."""

    def __init__(self, refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any]) -> None:
        super().__init__(refs=refs, attributes=attributes)

    def pseudo(self, name: str) -> Any:
        return self.refs[name] if name in self.refs else super().pseudo(name)


def evaluate(value: Any, refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any] | None = None) -> Any:
    """``value`` with every intrinsic replaced by its result.

    ``refs`` answers ``Ref`` (parameters and pseudo parameters such as ``AWS::Partition``);
    ``attributes`` answers ``Fn::GetAtt`` by ``(logical id, attribute)``. An intrinsic the
    evaluator does not model, or a name with no answer, fails loudly rather than being guessed.
    """
    resources = {logical_id: {"Type": "AWS::CloudFormation::WaitConditionHandle"} for logical_id, _ in attributes or {}}
    fragment = Template({"Resources": resources})
    return resolve(value, _Answers(refs, attributes or {}), fragment)
