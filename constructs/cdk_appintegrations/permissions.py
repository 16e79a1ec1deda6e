"""Least-privilege IAM for the provider: which ARNs each execution needs, and one statement for all.

``app-integrations:UpdateDataIntegrationAssociation`` is authorized against one resource
type (Service Authorization Reference), required, with no dependent actions: the
association,
``arn:${Partition}:app-integrations:${Region}:${Account}:data-integration-association/${DataIntegrationId}/${ResourceId}``.
A ``data-integration/...`` ARN grants nothing for it, so the policy holds none.

Every execution in a stack registers an :class:`AssociationScope`; the provider's
policy carries a single statement whose ``Resource`` list is produced lazily at synth
from all of them, deduplicated and sorted, so adding an execution never adds an IAM
resource. A customer-managed policy holds at most 6,144 characters, shared with the
provider's other statements and whatever is granted to it, so when the explicit list
would pass what is left (the provider's budget) it is collapsed, least first:

1. exact ARNs for every association;
2. per data integration, ``data-integration-association/<id>/*`` (the data
   integrations with the most associations first, only until the list fits);
3. ``data-integration-association/*`` in each account and Region involved.

An identifier that is a CDK token (a ``CfnDataIntegration``'s ``attr_id``, a parameter,
an import) still gets its exact ARN, written with intrinsics over the token. A token
that may hold an id or an ARN is reduced to the id, the ARN's last path segment, with
``Fn::Select``/``Fn::Split`` (see :func:`id_of`). An execution that resolves its
association at deploy (no association identifier) cannot name it at synth; it gets
``data-integration-association/<data-integration-id>/*``, the honest scope, acknowledged
for cdk-nag with the reason.

Each ARN is a plain string, ``Fn::Sub`` text where the stack's partition, Region or
account is unknown (``${AWS::Region}`` ...), or, around a token, the ``Fn::Join`` CDK
makes of it. Its size (:meth:`Sizes.of`) is exact in the template and an upper bound
of what IAM counts after deployment (``${AWS::Partition}`` is longer than any
partition, a token's value is an identifier of at most 255 characters, and so on).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from appintegrations_cr import contract
from appintegrations_cr.arns import Environment, association_resource, parse_identifier
from aws_cdk import Aws, Fn, Stack

from .intrinsics import is_unresolved, nag_name

PSEUDO_PARTITION = "${AWS::Partition}"
PSEUDO_REGION = "${AWS::Region}"
PSEUDO_ACCOUNT = "${AWS::AccountId}"
_PSEUDO = frozenset({PSEUDO_PARTITION, PSEUDO_REGION, PSEUDO_ACCOUNT})
_PSEUDO_TOKENS = {PSEUDO_PARTITION: Aws.PARTITION, PSEUDO_REGION: Aws.REGION, PSEUDO_ACCOUNT: Aws.ACCOUNT_ID}

# How a CDK token looks inside a string; no literal id can contain it (the contract refuses "${" in ids).
_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")
_TOKEN_MARKER = "${Token["

_LOOKUP_REASON = (
    "A DataIntegrationAssociationExecution in this stack gives no association identifier: the provider finds "
    "the association at deploy (ListDataIntegrationAssociations), so its id is unknown at synth and the provider "
    "may update {scope}. The statement allows only app-integrations:UpdateDataIntegrationAssociation."
)
_SIZE_REASON = (
    "This stack has more DataIntegrationAssociationExecutions than an explicit ARN list can hold within "
    "the provider's customer-managed policy (6,144 characters, IAM's limit), so the provider may update {scope}. "
    "The statement allows only app-integrations:UpdateDataIntegrationAssociation."
)
#: Why the List statement's ``Resource: *`` is acknowledged for cdk-nag.
LIST_REASON = (
    "app-integrations:ListDataIntegrationAssociations has no resource type in the Service Authorization Reference, "
    "so IAM matches it only with Resource '*'. The statement allows only that read-only action; the provider uses it "
    "to find the association of an execution that gives no association identifier."
)


def stack_environment_of(stack: Stack) -> Environment:
    """The stack's own environment; an env-agnostic stack gives ``${AWS::Region}`` and so on."""

    def piece(value: str, pseudo: str) -> str:
        return pseudo if is_unresolved(value) else value

    return Environment(
        piece(stack.partition, PSEUDO_PARTITION),
        piece(stack.region, PSEUDO_REGION),
        piece(stack.account, PSEUDO_ACCOUNT),
    )


def needs_sub(environment: Environment) -> bool:
    """Whether a piece is known only at deploy, so an ARN in it is ``Fn::Sub`` text."""
    return any(piece in _PSEUDO for piece in (environment.partition, environment.region, environment.account))


def may_equal(first: Environment, second: Environment) -> bool:
    """Whether both may be the same environment at deploy: each piece equal, or unknown in one of them."""
    return all(
        mine == theirs or mine in _PSEUDO or theirs in _PSEUDO
        for mine, theirs in zip(
            (first.partition, first.region, first.account),
            (second.partition, second.region, second.account),
            strict=True,
        )
    )


@dataclass(frozen=True, order=True)
class AssociationScope:
    """What one execution may update: its association, or (``association_id=None``) any of its data integration.

    Each id is a literal, or a CDK token string that resolves to the id at deploy.
    """

    environment: Environment
    data_integration_id: str
    association_id: str | None

    @property
    def is_lookup(self) -> bool:
        return self.association_id is None

    @property
    def has_tokens(self) -> bool:
        return any(_TOKEN_MARKER in part for part in (self.data_integration_id, self.association_id or ""))


@dataclass(frozen=True, order=True)
class PolicyResource:
    """One entry of the statement's ``Resource`` list."""

    environment: Environment
    resource: str  # e.g. 'data-integration-association/<id>/<id>' or '.../<id>/*'; ids may be token strings

    @property
    def has_tokens(self) -> bool:
        return _TOKEN_MARKER in self.resource

    @property
    def text(self) -> str:
        """The ARN as ``Fn::Sub`` text (literals escaped) or a plain string; tokens stay as their markers."""
        environment, sub = self.environment, needs_sub(self.environment)

        def piece(value: str) -> str:
            return value if not sub or value in _PSEUDO else value.replace("${", "${!")

        escaped = Environment(piece(environment.partition), piece(environment.region), piece(environment.account))
        return escaped.arn(self.resource if self.has_tokens else piece(self.resource))

    def render(self) -> str:
        """The value for the policy: a plain string, an ``Fn::Sub`` token, or a string with tokens (``Fn::Join``)."""
        if self.has_tokens:
            environment = self.environment
            return Environment(
                *(
                    _PSEUDO_TOKENS.get(piece, piece)
                    for piece in (environment.partition, environment.region, environment.account)
                )
            ).arn(self.resource)
        return Fn.sub(self.text) if needs_sub(self.environment) else self.text

    @property
    def template_bytes(self) -> int:
        """Size of a literal entry in the minified template JSON (an upper bound of IAM's count).

        An entry with tokens must be resolved to be measured: see :class:`Sizes`.
        """
        if self.has_tokens:
            raise ValueError(f"{self.text} holds tokens; measure it with Sizes")
        value: object = {"Fn::Sub": self.text} if needs_sub(self.environment) else self.text
        return _json_bytes(value)

    @property
    def deployed_bound_bytes(self) -> int:
        """The most IAM can count for this entry once deployed: each token an identifier of 255 characters."""
        return _json_bytes(_TOKEN.sub("x" * contract.MAX_STRING_LENGTH, self.text))

    @property
    def is_wildcard(self) -> bool:
        return self.resource.endswith("*")


def _json_bytes(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


class Sizes:
    """Each entry's size: exact in the template, and never below what IAM counts once deployed.

    Literal entries are measured from their text. Entries with tokens are resolved in the
    stack first, which is only exact once logical ids are final, i.e. at synth; hence a
    class that the provider creates with its stack's ``resolve`` when it plans.
    """

    def __init__(self, resolve: Callable[[Any], Any] | None = None) -> None:
        self._resolve = resolve
        self._bytes: dict[PolicyResource, int] = {}

    def resolved(self, resource: PolicyResource) -> Any:
        """The entry as the template holds it."""
        if not resource.has_tokens:
            return {"Fn::Sub": resource.text} if needs_sub(resource.environment) else resource.text
        if self._resolve is None:
            raise ValueError(f"{resource.text} holds tokens; Sizes needs the stack's resolve to measure it")
        return self._resolve(resource.render())

    def of(self, resource: PolicyResource) -> int:
        found = self._bytes.get(resource)
        if found is None:
            if resource.has_tokens:
                found = max(_json_bytes(self.resolved(resource)), resource.deployed_bound_bytes)
            else:
                found = resource.template_bytes
            self._bytes[resource] = found
        return found

    def total(self, resources: Iterable[PolicyResource]) -> int:
        return sum(self.of(resource) + 1 for resource in resources)  # +1: the comma

    def nag_finding(self, resource: PolicyResource) -> str:
        """How cdk-nag's AwsSolutions-IAM5 names this entry."""
        return "Resource::" + nag_name(self.resolved(resource))


def _associations(
    environment: Environment, data_integration_id: str | None, association_id: str | None
) -> PolicyResource:
    if data_integration_id is None:
        return PolicyResource(environment, "data-integration-association/*")
    return PolicyResource(environment, association_resource(data_integration_id, association_id or "*"))


def id_of(token: str, segments: int) -> str:
    """The id in a token that holds an id, or an ARN whose path has ``segments`` parts (the id last).

    ``Fn::Select [segments-1, Fn::Split ["/", Fn::Join ["/", [token] * segments]]]``: an id
    has no "/", so the joined copies split into ``[id, id, ...]``; an ARN splits into its
    parts once per copy, and index ``segments-1`` is the first copy's last part, the id.
    """
    return Fn.select(segments - 1, Fn.split("/", Fn.join("/", [token] * segments)))


def scope_of(
    data_integration_identifier: str,
    association_identifier: str | None,
    stack_environment: Environment,
    unresolved: Callable[[object], bool],
    *,
    data_integration_is_id: bool = False,
) -> AssociationScope:
    """What an execution may update, from identifiers the contract has already checked (ids, ARNs or tokens).

    An association ARN names its data integration too; an ARN gives the partition,
    Region and account. Plain ids and tokens take the stack's environment. A token is
    reduced to the id it holds, unless ``data_integration_is_id`` says it is one already
    (``CfnDataIntegration.attr_id``). ``association_identifier=None`` is a lookup.
    """
    given, named = (
        parse_identifier(identifier, association=is_association)
        if identifier is not None and not unresolved(identifier)
        else None
        for identifier, is_association in ((data_integration_identifier, False), (association_identifier, True))
    )
    environment = (given and given.environment) or (named and named.environment) or stack_environment
    data_integration_id = (given.data_integration_id if given else None) or (
        named.data_integration_id if named else None
    )
    if data_integration_id is None:  # a token, and no literal association ARN names the data integration
        data_integration_id = (
            data_integration_identifier if data_integration_is_id else id_of(data_integration_identifier, 2)
        )
    association_id = named.association_id if named is not None else None
    if association_identifier is not None and association_id is None:  # a token
        association_id = id_of(association_identifier, 3)
    return AssociationScope(environment, data_integration_id, association_id)


@dataclass
class PolicyPlan:
    """The statement's resources, plus why each wildcard in it is there."""

    resources: list[PolicyResource]
    sizes: Sizes
    wildcard_reasons: dict[PolicyResource, str] = field(default_factory=dict)


def _any_of(data_integration_id: str) -> str:
    if _TOKEN_MARKER in data_integration_id:
        return "any association of the data integration it names"
    return f"any association of data integration {data_integration_id!r}"


class _Planner:
    """The statement's resources as sets, with the two ways to make them fewer."""

    def __init__(self, scopes: set[AssociationScope], sizes: Sizes) -> None:
        self.sizes = sizes
        self.reasons: dict[PolicyResource, str] = {}
        self.any_environment: set[Environment] = set()
        self.any_association = {(s.environment, s.data_integration_id) for s in scopes if s.is_lookup}
        for environment, di in self.any_association:
            self._mark(_associations(environment, di, None), _LOOKUP_REASON, _any_of(di))
        self.exact: dict[tuple[Environment, str], set[str]] = defaultdict(set)
        for s in scopes:
            key = (s.environment, s.data_integration_id)
            if s.association_id is not None and key not in self.any_association:
                self.exact[key].add(s.association_id)

    def _mark(self, resource: PolicyResource, template: str, scope: str) -> None:
        self.reasons.setdefault(resource, template.format(scope=scope))

    def entries(self) -> list[PolicyResource]:
        resources = {_associations(environment, None, None) for environment in self.any_environment}
        resources |= {_associations(environment, di, None) for environment, di in self.any_association}
        resources |= {_associations(env, di, a) for (env, di), ids in self.exact.items() for a in ids}
        return sorted(resources, key=lambda r: r.text)

    def collapse_per_data_integration(self, budget_bytes: int) -> None:
        """Step 2: ``<id>/*`` for the data integrations whose collapse saves most, until the list fits."""
        size = self.sizes.total(self.entries())
        savings = {
            (env, di): self.sizes.total(_associations(env, di, a) for a in ids)
            - self.sizes.total([_associations(env, di, None)])
            for (env, di), ids in self.exact.items()
        }
        for key in sorted(savings, key=lambda k: (-savings[k], k)):
            if size <= budget_bytes:
                return
            del self.exact[key]
            self.any_association.add(key)
            self._mark(_associations(*key, None), _SIZE_REASON, _any_of(key[1]))
            size -= savings[key]

    def collapse_per_environment(self) -> None:
        """Step 3: one wildcard per account and Region."""
        self.any_environment |= {env for env, _ in self.any_association} | {env for env, _ in self.exact}
        self.any_association.clear()
        self.exact.clear()
        for environment in self.any_environment:
            self._mark(
                _associations(environment, None, None), _SIZE_REASON, "any association in its account and Region"
            )


def plan_resources(scopes: Iterable[AssociationScope], budget_bytes: int, sizes: Sizes | None = None) -> PolicyPlan:
    """The fewest wildcards that keep the resource list within ``budget_bytes``."""
    sizes = sizes or Sizes()
    planner = _Planner(set(scopes), sizes)
    if sizes.total(planner.entries()) > budget_bytes:
        planner.collapse_per_data_integration(budget_bytes)
    if sizes.total(planner.entries()) > budget_bytes:
        planner.collapse_per_environment()
    resources = planner.entries()
    if sizes.total(resources) > budget_bytes:
        raise ValueError(overflow_text(len(planner.any_environment), sizes.total(resources), budget_bytes))
    return PolicyPlan(resources, sizes, {r: planner.reasons[r] for r in resources if r.is_wildcard})


def least_resources(scopes: Iterable[AssociationScope]) -> list[PolicyResource]:
    """The shortest list that covers the scopes: one wildcard per partition, account and Region (step 3)."""
    return sorted({_associations(scope.environment, None, None) for scope in scopes}, key=lambda r: r.text)


def overflow_text(environments: int, needed: int, budget_bytes: int) -> str:
    """Why even :func:`least_resources` does not fit: the end of the provider's message."""
    if not environments:
        return "that is over the limit before a single association is listed"
    return (
        f"the associations, even as one wildcard for each of the {environments} partitions, accounts and Regions "
        f"they span, need {needed:,} characters, over the {max(budget_bytes, 0):,} left"
    )
