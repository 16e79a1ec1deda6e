"""Least-privilege IAM for the provider: which ARNs each execution needs, and one statement for all.

``UpdateDataIntegrationAssociation`` is authorized against two resources (Service
Authorization Reference): the data integration,
``arn:${Partition}:app-integrations:${Region}:${Account}:data-integration/${DataIntegrationId}``,
and the association,
``arn:${Partition}:app-integrations:${Region}:${Account}:data-integration-association/${DataIntegrationId}/${ResourceId}``.

Every execution in a stack registers a :class:`Grant`; the provider's role carries a
single statement whose ``Resource`` list is produced lazily at synth from all of
them, deduplicated and sorted, so adding an execution never adds an IAM resource.
A role's inline policies may total 10,240 characters, so when the explicit list
would pass :data:`RESOURCE_BUDGET_BYTES` it is collapsed, least first:

1. exact ARNs for every data integration and association;
2. per data integration, ``data-integration-association/<id>/*`` (the data
   integrations with the most associations first, only until the list fits);
3. ``data-integration/*`` and ``data-integration-association/*`` in each account
   and Region involved.

An identifier that is a CDK token is unknown until deploy, so it forces a wildcard
for that execution: ``data-integration-association/<id>/*`` when only the
association is a token, the step-3 pair when the data integration is.

Each ARN is a plain string, or ``Fn::Sub`` text where the stack's partition, Region
or account is unknown (``${AWS::Region}`` ...). Either way its size in the template
is known exactly without resolving tokens, and is an upper bound of what IAM counts
after deployment (``${AWS::Partition}`` is longer than any partition, and so on).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aws_cdk import Fn, Stack, Token

from cdk_appintegrations._lambda.appintegrations_cr import contract

#: Bytes of ``Resource`` entries (as minified template JSON) above which the list is collapsed.
#: The rest of the policy (actions, the logs statement, names) is about 500 bytes, so this
#: leaves well over 3 KB of IAM's 10,240 for statements that users add to the role.
RESOURCE_BUDGET_BYTES = 6000
IAM_ROLE_POLICY_LIMIT_BYTES = 10_240

PSEUDO_PARTITION = "${AWS::Partition}"
PSEUDO_REGION = "${AWS::Region}"
PSEUDO_ACCOUNT = "${AWS::AccountId}"
_PSEUDO = frozenset({PSEUDO_PARTITION, PSEUDO_REGION, PSEUDO_ACCOUNT})

# In a literal Resource, IAM reads these as wildcards or policy variables.
_IAM_SPECIAL = ("*", "?", "${")

_TOKEN_REASON = (
    "An identifier of a DataIntegrationAssociationExecution in this stack is a CDK token, unknown until "
    "deploy, so the provider may update {scope}. The statement allows only "
    "app-integrations:UpdateDataIntegrationAssociation."
)
_SIZE_REASON = (
    "This stack has more DataIntegrationAssociationExecutions than an explicit ARN list can hold within "
    "IAM's 10,240-byte role policy limit, so the provider may update {scope}. The statement allows only "
    "app-integrations:UpdateDataIntegrationAssociation."
)


class IdentifierError(ValueError):
    """Identifiers from which no ARN can be derived; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, order=True)
class ArnContext:
    """Partition, Region and account of an ARN: literals, or pseudo parameters in ``Fn::Sub`` syntax."""

    partition: str
    region: str
    account: str

    @staticmethod
    def of_stack(stack: Stack) -> ArnContext:
        """The stack's own environment; an env-agnostic stack gives ``${AWS::Region}`` and so on."""

        def piece(value: str, pseudo: str) -> str:
            return pseudo if Token.is_unresolved(value) else value

        return ArnContext(
            piece(stack.partition, PSEUDO_PARTITION),
            piece(stack.region, PSEUDO_REGION),
            piece(stack.account, PSEUDO_ACCOUNT),
        )

    @property
    def needs_sub(self) -> bool:
        return any(piece in _PSEUDO for piece in (self.partition, self.region, self.account))


@dataclass(frozen=True, order=True)
class Grant:
    """What one execution needs. ``None`` means "any": the identifier is a token."""

    context: ArnContext
    data_integration_id: str | None
    association_id: str | None


@dataclass(frozen=True, order=True)
class PolicyResource:
    """One entry of the statement's ``Resource`` list."""

    context: ArnContext
    resource: str  # e.g. 'data-integration/<id>' or 'data-integration-association/<id>/*'

    @property
    def text(self) -> str:
        """The ARN as written in the template: ``Fn::Sub`` text (literals escaped) or a plain string."""
        ctx = self.context

        def piece(value: str) -> str:
            return value if not ctx.needs_sub or value in _PSEUDO else value.replace("${", "${!")

        partition, region, account = piece(ctx.partition), piece(ctx.region), piece(ctx.account)
        return f"arn:{partition}:app-integrations:{region}:{account}:{piece(self.resource)}"

    def render(self) -> str:
        """The value for the policy: a plain string, or an ``Fn::Sub`` token."""
        return Fn.sub(self.text) if self.context.needs_sub else self.text

    @property
    def template_bytes(self) -> int:
        """Size of this entry in the minified template JSON (an upper bound of IAM's count)."""
        value: object = {"Fn::Sub": self.text} if self.context.needs_sub else self.text
        return len(json.dumps(value, separators=(",", ":")))

    @property
    def nag_finding(self) -> str:
        """How cdk-nag's AwsSolutions-IAM5 names this entry (its ``flattenCfnReference``)."""
        return "Resource::" + self.text.replace("${", "<").replace("}", ">")

    @property
    def is_wildcard(self) -> bool:
        return self.resource.endswith("*")


def _data_integration(ctx: ArnContext, data_integration_id: str | None) -> PolicyResource:
    return PolicyResource(ctx, f"data-integration/{data_integration_id or '*'}")


def _associations(ctx: ArnContext, data_integration_id: str | None, association_id: str | None) -> PolicyResource:
    if data_integration_id is None:
        return PolicyResource(ctx, "data-integration-association/*")
    return PolicyResource(ctx, f"data-integration-association/{data_integration_id}/{association_id or '*'}")


def _size(resources: Iterable[PolicyResource]) -> int:
    return sum(resource.template_bytes + 1 for resource in resources)  # +1: the comma


def grant_for(
    data_integration_identifier: str,
    association_identifier: str,
    stack_context: ArnContext,
    unresolved: Callable[[object], bool],
) -> Grant:
    """Derive what an execution needs from its two identifiers (each an id, an ARN or a token).

    An association ARN names its data integration too; a data integration ARN gives
    the partition, Region and account. Plain ids take the stack's environment.
    """
    di_name, association_name = contract.DATA_INTEGRATION_IDENTIFIER, contract.ASSOCIATION_IDENTIFIER
    literal = {
        name: identifier
        for name, identifier in ((di_name, data_integration_identifier), (association_name, association_identifier))
        if not unresolved(identifier)
    }
    problems = contract.identifier_problems(literal.get(di_name), literal.get(association_name))
    parsed = {
        name: found
        for name, identifier in literal.items()
        if (found := contract.parse_identifier(identifier, association=name == association_name)) is not None
    }
    for name, found in parsed.items():
        for identifier in filter(None, (found.data_integration_id, found.association_id)):
            marks = [mark for mark in _IAM_SPECIAL if mark in identifier]
            if marks:
                problems.append(
                    f"{name}: {identifier!r} contains {' and '.join(map(repr, marks))}, which IAM "
                    f"would read as a wildcard or a policy variable; AppIntegrations identifiers never contain them"
                )
    if problems:
        raise IdentifierError(problems)
    given, named = parsed.get(di_name, contract.Identifier()), parsed.get(association_name, contract.Identifier())
    environment = given.environment or named.environment
    data_integration_id = given.data_integration_id or named.data_integration_id
    return Grant(
        ArnContext(*environment) if environment else stack_context,
        data_integration_id,
        named.association_id if data_integration_id is not None else None,
    )


@dataclass
class PolicyPlan:
    """The statement's resources, plus why each wildcard in it is there."""

    resources: list[PolicyResource]
    wildcard_reasons: dict[PolicyResource, str] = field(default_factory=dict)

    @property
    def resource_bytes(self) -> int:
        return _size(self.resources)


class _Planner:
    """The statement's resources as sets, with the two ways to make them fewer."""

    def __init__(self, grants: set[Grant]) -> None:
        self.reasons: dict[PolicyResource, str] = {}
        # Tokens first: what they force subsumes the exact ARNs under it.
        self.any_context = {g.context for g in grants if g.data_integration_id is None}
        self.any_association = {
            (g.context, g.data_integration_id)
            for g in grants
            if g.data_integration_id is not None and g.association_id is None and g.context not in self.any_context
        }
        for ctx in self.any_context:
            self._mark_context(ctx, _TOKEN_REASON)
        for ctx, di in self.any_association:
            self._mark(_associations(ctx, di, None), _TOKEN_REASON, f"any association of data integration {di!r}")
        self.data_integrations = {
            (g.context, g.data_integration_id)
            for g in grants
            if g.data_integration_id is not None and g.context not in self.any_context
        }
        self.exact: dict[tuple[ArnContext, str], set[str]] = defaultdict(set)
        for g in grants:
            key = (g.context, g.data_integration_id or "")
            if g.association_id is not None and key in self.data_integrations and key not in self.any_association:
                self.exact[key].add(g.association_id)

    def _mark(self, resource: PolicyResource, template: str, scope: str) -> None:
        self.reasons.setdefault(resource, template.format(scope=scope))

    def _mark_context(self, ctx: ArnContext, template: str) -> None:
        for resource in (_data_integration(ctx, None), _associations(ctx, None, None)):
            self._mark(resource, template, "any data integration and association in its account and Region")

    def entries(self) -> list[PolicyResource]:
        resources = {
            r for ctx in self.any_context for r in (_data_integration(ctx, None), _associations(ctx, None, None))
        }
        resources |= {_data_integration(ctx, di) for ctx, di in self.data_integrations}
        resources |= {_associations(ctx, di, None) for ctx, di in self.any_association}
        resources |= {_associations(ctx, di, a) for (ctx, di), ids in self.exact.items() for a in ids}
        return sorted(resources, key=lambda r: r.text)

    def collapse_per_data_integration(self, budget_bytes: int) -> None:
        """Step 2: ``<id>/*`` for the data integrations whose collapse saves most, until the list fits."""
        size = _size(self.entries())
        savings = {
            (ctx, di): _size(_associations(ctx, di, a) for a in ids) - _size([_associations(ctx, di, None)])
            for (ctx, di), ids in self.exact.items()
        }
        for key in sorted(savings, key=lambda k: (-savings[k], k)):
            if size <= budget_bytes:
                return
            del self.exact[key]
            self.any_association.add(key)
            self._mark(_associations(*key, None), _SIZE_REASON, f"any association of data integration {key[1]!r}")
            size -= savings[key]

    def collapse_per_context(self) -> None:
        """Step 3: one wildcard pair per account and Region."""
        self.any_context |= {ctx for ctx, _ in self.data_integrations}
        self.data_integrations.clear()
        self.any_association.clear()
        self.exact.clear()
        for ctx in self.any_context:
            self._mark_context(ctx, _SIZE_REASON)


def plan_resources(grants: Iterable[Grant], budget_bytes: int = RESOURCE_BUDGET_BYTES) -> PolicyPlan:
    """The fewest wildcards that keep the resource list within ``budget_bytes``."""
    planner = _Planner(set(grants))
    if _size(planner.entries()) > budget_bytes:
        planner.collapse_per_data_integration(budget_bytes)
    if _size(planner.entries()) > budget_bytes:
        planner.collapse_per_context()
    resources = planner.entries()
    if _size(resources) > budget_bytes:
        raise ValueError(
            f"the executions in this stack span {len(planner.any_context)} partitions/accounts/Regions; even one "
            f"wildcard pair for each needs {_size(resources)} bytes of IAM policy, over the budget of {budget_bytes}"
        )
    return PolicyPlan(resources, {r: planner.reasons[r] for r in resources if r.is_wildcard})
