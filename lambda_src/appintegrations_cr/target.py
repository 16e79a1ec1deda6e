"""The association a request configures, once known: its PhysicalResourceId and its attributes.

The attributes (the response ``Data``, read with ``Fn::GetAtt``) are full ARNs even when
the properties give plain ids, so that the rest of the stack can reference the
association without knowing how it was named. CloudFormation keeps only what the
latest response carries, so every successful Create and Update answers with them,
including an Update that makes no call.

Pure Python, no third-party imports: the construct reads the attribute names through
the contract, and the handler builds the values here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arns import (
    ASSOCIATION_ARN,
    Environment,
    association_resource,
    data_integration_resource,
    parse_identifier,
    stack_environment,
)
from .errors import TargetError
from .fields import (
    ASSOCIATION_ARN_ATTRIBUTE,
    ASSOCIATION_ID_ATTRIBUTE,
    DATA_INTEGRATION_ARN_ATTRIBUTE,
    MAX_STRING_LENGTH,
)
from .request import AssociationRequest


@dataclass(frozen=True)
class Target:
    """One association: how the API is called for it, and how CloudFormation names it."""

    data_integration_identifier: str  # as the properties give it (id or ARN)
    association_identifier: str  # as the properties give it, or the id the lookup found
    data_integration_arn: str
    association_arn: str
    association_id: str

    @property
    def physical_resource_id(self) -> str:
        """``<DataIntegrationIdentifier>|<association>``: a new target means a new resource.

        Both parts are at most 255 characters, so this stays far below the 1 KB limit.
        """
        return f"{self.data_integration_identifier}|{self.association_identifier}"

    def attributes(self) -> dict[str, str]:
        """The response ``Data``: at most three short ARNs and ids (see ``resource.fit_body``)."""
        return {
            DATA_INTEGRATION_ARN_ATTRIBUTE: self.data_integration_arn,
            ASSOCIATION_ARN_ATTRIBUTE: self.association_arn,
            ASSOCIATION_ID_ATTRIBUTE: self.association_id,
        }


def environment_of_stack(stack_id: str) -> Environment:
    """Partition, Region and account of the stack, from the event's StackId."""
    environment = stack_environment(stack_id)
    if environment is None:
        raise TargetError(f"StackId {stack_id!r} is not a CloudFormation stack ARN; cannot build the attributes")
    return environment


def from_request(request: AssociationRequest, stack_id: str) -> Target:
    """The target named by the properties: ARNs taken as given, or built in the stack's environment.

    The contract has already checked that each identifier is an id or an ARN of the
    right kind, and that an association ARN agrees with the data integration.
    """
    if request.association_identifier is None:
        raise ValueError("a lookup request has no target until the lookup has run")
    given = parse_identifier(request.data_integration_identifier, association=False)
    named = parse_identifier(request.association_identifier, association=True)
    if given is None or named is None:  # pragma: no cover - the contract refuses such ARNs first
        raise TargetError("an identifier is an ARN of the wrong kind")
    environment = given.environment or named.environment or environment_of_stack(stack_id)
    data_integration_id = given.data_integration_id or named.data_integration_id or ""
    association_id = named.association_id or ""
    return Target(
        data_integration_identifier=request.data_integration_identifier,
        association_identifier=request.association_identifier,
        data_integration_arn=environment.arn(data_integration_resource(data_integration_id)),
        association_arn=environment.arn(association_resource(data_integration_id, association_id)),
        association_id=association_id,
    )


def from_lookup(request: AssociationRequest, association_arn: str) -> Target:
    """The target the lookup found: the service's association ARN, and its id for the API call.

    The ARN is checked like any identifier (its shape, and parts of at most 255
    characters, which also bounds the response body). The data integration's ARN is
    the association ARN's own prefix, so the two always agree.
    """
    match = ASSOCIATION_ARN.fullmatch(association_arn)
    if match is None or any(len(part) > MAX_STRING_LENGTH for part in match.groupdict().values()):
        raise TargetError(
            f"ListDataIntegrationAssociations returned {association_arn[:300]!r}, which is not a data integration "
            f"association ARN with parts of at most {MAX_STRING_LENGTH} characters"
        )
    environment = Environment(match["partition"], match["region"], match["account"])
    return Target(
        data_integration_identifier=request.data_integration_identifier,
        association_identifier=match["association"],
        data_integration_arn=environment.arn(data_integration_resource(match["data_integration"])),
        association_arn=association_arn,
        association_id=match["association"],
    )


def association_of(physical_resource_id: str, stack_id: str) -> str | None:
    """The association ARN a PhysicalResourceId of ours stands for; None when it is not one.

    The id keeps the identifiers in the form the properties gave them, so the same
    association can appear as an id, an ARN or a lookup's answer. Comparing ARNs tells
    a real change of target (a new resource, a new job run) from a change of notation.
    """
    data_integration, separator, association = physical_resource_id.partition("|")
    if not separator or not data_integration or not association:
        return None
    given = parse_identifier(data_integration, association=False)
    named = parse_identifier(association, association=True)
    if given is None or named is None:
        return None
    environment = given.environment or named.environment or stack_environment(stack_id)
    data_integration_id = given.data_integration_id or named.data_integration_id
    if environment is None or data_integration_id is None or named.association_id is None:
        return None
    return environment.arn(association_resource(data_integration_id, named.association_id))
