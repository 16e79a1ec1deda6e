"""cdk-nag acknowledgements that work on every supported aws-cdk-lib, the lower bound 2.257.0 included.

Why a module of its own: ``Validations.of(scope).acknowledge(...)`` takes an id
``<pack>::<finding>``, and cdk-nag's finding ids for a wildcard carry ``::`` themselves
(``AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:...]``). aws-cdk-lib 2.275 parses the
id with brackets in mind; 2.257.0 splits it on every ``::`` and refuses it
(``InvalidValidationId``), which failed the synth of any stack with a lookup or a
wildcard. On such a version the acknowledgement is written the way cdk-nag 3 reads it
on 2.257.0: the ``aws:cdk:acknowledged-rules`` metadata of the construct, keyed by the
finding id itself, merged into the latest entry as ``Validations`` does it.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

INVALID_ID_ERROR = "InvalidValidationId"


def acknowledge(scope: IConstruct, pack: str, finding: str, reason: str) -> None:
    """Acknowledge cdk-nag ``pack``'s ``finding`` (e.g. ``AwsSolutions-IAM5[Resource::*]``) on ``scope``."""
    try:
        Validations.of(scope).acknowledge(Acknowledgment(id=f"{pack}::{finding}", reason=reason))
    except RuntimeError as error:  # jsii's wrapper of the JavaScript error
        if INVALID_ID_ERROR not in str(error):
            raise
        record_directly(scope, finding, reason)


def record_directly(scope: IConstruct, finding: str, reason: str) -> None:
    """The metadata ``Validations.acknowledge`` writes on aws-cdk-lib 2.257, without its id check."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    entries = [entry for entry in scope.node.metadata if entry.type == key]
    data = dict(entries[-1].data) if entries and isinstance(entries[-1].data, dict) else {}
    data[finding] = reason
    scope.node.add_metadata(key, data)
