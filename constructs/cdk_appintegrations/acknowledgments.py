"""cdk-nag acknowledgements that both generations of cdk-nag read, on every supported aws-cdk-lib.

One call writes each acknowledgement twice, and the library depends on neither generation:

- cdk-nag 3 (a validation plugin) reads core ``Validations.of(scope).acknowledge(...)``,
  whose id is ``<pack>::<finding>``;
- cdk-nag 2 (an Aspect, what most existing apps still pin) reads the ``cdk_nag`` metadata of
  the resource it checks, the L1: ``{"rules_to_suppress": [{"reason": ..., "id":
  "AwsSolutions-IAM5", "applies_to": ["Resource::*"]}]}``, what its
  ``NagSuppressions.add_resource_suppressions`` writes there. The finding's part in
  brackets is the ``applies_to`` entry, which cdk-nag 2 compares with each finding of the
  rule as a whole string. Each generation ignores the other's form.

cdk-nag 2 checks a resource when its Aspect visits it, before any validation runs, so
whoever calls this for cdk-nag 2 must call it by then (the provider does, from an Aspect).

Why the cdk-nag 3 part has a fallback: cdk-nag's finding ids for a wildcard carry ``::``
themselves (``AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:...]``). aws-cdk-lib 2.275
parses the id with brackets in mind; 2.257.0 splits it on every ``::`` and refuses it
(``InvalidValidationId``), which failed the synth of any stack with a lookup or a
wildcard. On such a version the acknowledgement is written the way cdk-nag 3 reads it
on 2.257.0: the ``aws:cdk:acknowledged-rules`` metadata of the construct, keyed by the
finding id itself, merged into the latest entry as ``Validations`` does it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

INVALID_ID_ERROR = "InvalidValidationId"
#: The L1 metadata key cdk-nag 2 reads its suppressions from.
NAG2_METADATA_KEY = "cdk_nag"


def acknowledge(scope: IConstruct, pack: str, findings: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag ``pack``'s findings on ``scope``, both ways: ``findings`` maps each to its reason.

    A finding as cdk-nag names it, e.g. ``AwsSolutions-IAM5[Resource::*]``. All at once: a few
    jsii round trips for the lot, not per finding (the provider's synth cost is counted).
    """
    validations = Validations.of(scope)
    for finding, reason in findings.items():
        try:
            validations.acknowledge(Acknowledgment(id=f"{pack}::{finding}", reason=reason))
        except RuntimeError as error:  # jsii's wrapper of the JavaScript error
            if INVALID_ID_ERROR not in str(error):
                raise
            record_directly(scope, finding, reason)
    add_nag_suppressions(scope, findings)


def record_directly(scope: IConstruct, finding: str, reason: str) -> None:
    """The metadata ``Validations.acknowledge`` writes on aws-cdk-lib 2.257, without its id check."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    entries = [entry for entry in scope.node.metadata if entry.type == key]
    data = dict(entries[-1].data) if entries and isinstance(entries[-1].data, dict) else {}
    data[finding] = reason
    scope.node.add_metadata(key, data)


def add_nag_suppressions(scope: IConstruct, findings: Mapping[str, str]) -> None:
    """cdk-nag 2's suppressions of ``findings`` (each with its reason) on ``scope``'s L1, in its ``cdk_nag`` metadata.

    The L1 is ``scope`` itself or its default child, as ``NagSuppressions.add_resource_suppressions``
    finds it; the rules already there (the app's own suppressions) are kept, and one equal to
    a new one is not added twice.
    """
    child = scope.node.default_child or scope
    # isinstance first: it asks jsii nothing, and synth cost is counted in round trips.
    if not (isinstance(child, CfnResource) or CfnResource.is_cfn_resource(child)):
        raise TypeError(f"{scope.node.path}: cdk-nag 2 reads suppressions from an L1 (CfnResource); this has none")
    resource = cast("CfnResource", child)
    metadata: Any = resource.get_metadata(NAG2_METADATA_KEY)
    merged = dict(metadata) if isinstance(metadata, dict) else {}
    rules = list(merged.get("rules_to_suppress") or [])
    new = [rule for rule in (nag2_rule(finding, reason) for finding, reason in findings.items()) if rule not in rules]
    if new:
        merged["rules_to_suppress"] = [*rules, *new]
        resource.add_metadata(NAG2_METADATA_KEY, merged)


def nag2_rule(finding: str, reason: str) -> dict[str, Any]:
    """One entry of ``rules_to_suppress`` for ``finding``, in the form and key order cdk-nag 2 writes.

    ``AwsSolutions-IAM5[Resource::*]`` is the rule ``AwsSolutions-IAM5`` applied to the finding
    ``Resource::*``. A reason with a character beyond Latin-1 is stored base64-encoded and
    marked, as cdk-nag 2 stores it (and decodes it when it reads the rule).
    """
    rule_id, bracket, rest = finding.partition("[")
    rule: dict[str, Any] = {"reason": reason, "id": rule_id}
    if bracket:
        if not rest.endswith("]"):
            raise ValueError(f"malformed cdk-nag finding {finding!r}: no closing bracket")
        rule["applies_to"] = [rest[:-1]]
    if any(ord(character) > 255 for character in reason):
        rule["reason"] = base64.b64encode(reason.encode()).decode("ascii")
        rule["is_reason_encoded"] = True
    return rule
