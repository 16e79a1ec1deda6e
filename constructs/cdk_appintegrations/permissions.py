"""Least-privilege IAM for the provider: which ARNs each execution needs, and one statement for all.

``app-integrations:UpdateDataIntegrationAssociation`` is authorized against one resource
type (Service Authorization Reference), required, with no dependent actions: the
association,
``arn:${Partition}:app-integrations:${Region}:${Account}:data-integration-association/${DataIntegrationId}/${ResourceId}``.
A ``data-integration/...`` ARN grants nothing for it, so the policy holds none.

Every execution in a stack registers a :class:`Grant`; the provider's role carries a
single statement whose ``Resource`` list is produced lazily at synth from all of
them, deduplicated and sorted, so adding an execution never adds an IAM resource.
A role's inline policies may total 10,240 characters, so when the explicit list
would pass :data:`RESOURCE_BUDGET_BYTES` it is collapsed, least first:

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

from aws_cdk import Aws, Fn, Stack, Token

from cdk_appintegrations._lambda.appintegrations_cr import contract

#: Bytes of ``Resource`` entries (as minified template JSON) above which the list is collapsed.
#: The rest of the policy (actions, the logs statement, names) is about 500 bytes, so this
#: leaves well over 3 KB of IAM's 10,240 for statements that users add to the role.
RESOURCE_BUDGET_BYTES = 6000
#: What IAM may count, once deployed, for a reference to another resource in a statement (a
#: log group's, a queue's or a key's ARN): an ARN whose name has 255 characters, after the
#: longest partition, Region and account.
REFERENCE_BOUND_CHARACTERS = 320

PSEUDO_PARTITION = "${AWS::Partition}"
PSEUDO_REGION = "${AWS::Region}"
PSEUDO_ACCOUNT = "${AWS::AccountId}"
_PSEUDO = frozenset({PSEUDO_PARTITION, PSEUDO_REGION, PSEUDO_ACCOUNT})
_PSEUDO_TOKENS = {PSEUDO_PARTITION: Aws.PARTITION, PSEUDO_REGION: Aws.REGION, PSEUDO_ACCOUNT: Aws.ACCOUNT_ID}

# In a literal Resource, IAM reads these as wildcards or policy variables.
_IAM_SPECIAL = ("*", "?", "${")
# How a CDK token looks inside a string; no literal id can contain it (see _IAM_SPECIAL).
_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")
_TOKEN_MARKER = "${Token["

_LOOKUP_REASON = (
    "A DataIntegrationAssociationExecution in this stack gives no association identifier: the provider finds "
    "the association at deploy (ListDataIntegrationAssociations), so its id is unknown at synth and the provider "
    "may update {scope}. The statement allows only app-integrations:UpdateDataIntegrationAssociation."
)
_SIZE_REASON = (
    "This stack has more DataIntegrationAssociationExecutions than an explicit ARN list can hold within "
    "IAM's 10,240-byte role policy limit, so the provider may update {scope}. The statement allows only "
    "app-integrations:UpdateDataIntegrationAssociation."
)
#: Why the List statement's ``Resource: *`` is acknowledged for cdk-nag.
LIST_REASON = (
    "app-integrations:ListDataIntegrationAssociations has no resource type in the Service Authorization Reference, "
    "so IAM matches it only with Resource '*'. The statement allows only that read-only action; the provider uses it "
    "to find the association of an execution that gives no association identifier."
)


class IdentifierError(ValueError):
    """Identifiers from which no ARN can be derived; carries every problem found.

    ``found`` keeps them structured, for the construct to say with the user's keywords;
    ``problems`` and ``str()`` say them in the API's terms.
    """

    def __init__(self, found: list[contract.Problem]) -> None:
        self.found = list(found)
        self.problems = [str(problem) for problem in self.found]
        super().__init__("; ".join(self.problems))


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

    def may_equal(self, other: ArnContext) -> bool:
        """Whether both may be the same environment at deploy: each piece equal, or unknown in one of them."""
        return all(
            mine == theirs or mine in _PSEUDO or theirs in _PSEUDO
            for mine, theirs in zip(
                (self.partition, self.region, self.account),
                (other.partition, other.region, other.account),
                strict=True,
            )
        )


@dataclass(frozen=True, order=True)
class Grant:
    """What one execution needs: the association it names, or (``association_id=None``) any of its data integration.

    Each id is a literal, or a CDK token string that resolves to the id at deploy.
    """

    context: ArnContext
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

    context: ArnContext
    resource: str  # e.g. 'data-integration-association/<id>/<id>' or '.../<id>/*'; ids may be token strings

    @property
    def has_tokens(self) -> bool:
        return _TOKEN_MARKER in self.resource

    @property
    def text(self) -> str:
        """The ARN as ``Fn::Sub`` text (literals escaped) or a plain string; tokens stay as their markers."""
        ctx = self.context

        def piece(value: str) -> str:
            return value if not ctx.needs_sub or value in _PSEUDO else value.replace("${", "${!")

        partition, region, account = piece(ctx.partition), piece(ctx.region), piece(ctx.account)
        resource = self.resource if self.has_tokens else piece(self.resource)
        return f"arn:{partition}:app-integrations:{region}:{account}:{resource}"

    def render(self) -> str:
        """The value for the policy: a plain string, an ``Fn::Sub`` token, or a string with tokens (``Fn::Join``)."""
        if self.has_tokens:
            partition, region, account = (
                _PSEUDO_TOKENS.get(value, value)
                for value in (self.context.partition, self.context.region, self.context.account)
            )
            return f"arn:{partition}:app-integrations:{region}:{account}:{self.resource}"
        return Fn.sub(self.text) if self.context.needs_sub else self.text

    @property
    def template_bytes(self) -> int:
        """Size of a literal entry in the minified template JSON (an upper bound of IAM's count).

        An entry with tokens must be resolved to be measured: see :class:`Sizes`.
        """
        if self.has_tokens:
            raise ValueError(f"{self.text} holds tokens; measure it with Sizes")
        value: object = {"Fn::Sub": self.text} if self.context.needs_sub else self.text
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


def deployed_bound_characters(document: Any) -> int:
    """The most characters IAM can count for a resolved policy document once deployed.

    Literal text counts as it is (minified JSON: IAM does not count whitespace, so this
    is never below its count). A pseudo parameter counts as its ``${AWS::...}`` text,
    longer than any value it takes; any other reference as
    :data:`REFERENCE_BOUND_CHARACTERS`.
    """
    return _json_bytes(_bounded(document))


def _bounded(value: Any) -> Any:
    """``value`` with every intrinsic replaced by a string at least as long as what it resolves to."""
    if isinstance(value, list):
        return [_bounded(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str) and argument.startswith("AWS::"):
            return "${" + argument + "}"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, parts = argument
            return str(delimiter).join(str(_bounded(part)) for part in parts)
        if function == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{(?!AWS::)[^}!]+\}", "x" * REFERENCE_BOUND_CHARACTERS, argument)
        if function == "Ref" or function.startswith("Fn::"):
            return "x" * REFERENCE_BOUND_CHARACTERS
    return {key: _bounded(item) for key, item in value.items()}


def flatten_cfn_reference(value: Any) -> str:
    """cdk-nag's ``flattenCfnReference``: how its findings name a resolved ``Resource`` entry."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and value.get("Fn::Join"):
        delimiter, items = value["Fn::Join"]
        return str(delimiter).join(flatten_cfn_reference(item) for item in items)
    if isinstance(value, dict) and value.get("Fn::Sub"):
        return flatten_cfn_reference(value["Fn::Sub"])
    if isinstance(value, dict) and value.get("Fn::GetAtt"):
        resource, attribute = value["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if isinstance(value, dict) and value.get("Fn::ImportValue"):
        return flatten_cfn_reference(value["Fn::ImportValue"])
    if isinstance(value, dict) and value.get("Ref"):
        return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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
            return {"Fn::Sub": resource.text} if resource.context.needs_sub else resource.text
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
        return "Resource::" + flatten_cfn_reference(self.resolved(resource))


def _associations(ctx: ArnContext, data_integration_id: str | None, association_id: str | None) -> PolicyResource:
    if data_integration_id is None:
        return PolicyResource(ctx, "data-integration-association/*")
    return PolicyResource(ctx, f"data-integration-association/{data_integration_id}/{association_id or '*'}")


def id_of(token: str, segments: int) -> str:
    """The id in a token that holds an id, or an ARN whose path has ``segments`` parts (the id last).

    ``Fn::Select [segments-1, Fn::Split ["/", Fn::Join ["/", [token] * segments]]]``: an id
    has no "/", so the joined copies split into ``[id, id, ...]``; an ARN splits into its
    parts once per copy, and index ``segments-1`` is the first copy's last part, the id.
    """
    return Fn.select(segments - 1, Fn.split("/", Fn.join("/", [token] * segments)))


def grant_for(
    data_integration_identifier: str,
    association_identifier: str | None,
    stack_context: ArnContext,
    unresolved: Callable[[object], bool],
    *,
    data_integration_is_id: bool = False,
) -> Grant:
    """Derive what an execution needs from its identifiers (each an id, an ARN or a token).

    An association ARN names its data integration too; an ARN gives the partition,
    Region and account. Plain ids and tokens take the stack's environment. A token is
    reduced to the id it holds, unless ``data_integration_is_id`` says it is one already
    (``CfnDataIntegration.attr_id``). ``association_identifier=None`` is a lookup.
    """
    di_name, association_name = contract.DATA_INTEGRATION_IDENTIFIER, contract.ASSOCIATION_IDENTIFIER
    given_identifiers = ((di_name, data_integration_identifier), (association_name, association_identifier))
    literal = {
        name: identifier
        for name, identifier in given_identifiers
        if identifier is not None and not unresolved(identifier)
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
                    contract.Problem(
                        name,
                        (
                            f"holds {identifier!r}, which contains {' and '.join(map(repr, marks))}: IAM would read "
                            f"it as a wildcard or a policy variable; AppIntegrations ids never contain them",
                        ),
                        literal[name],
                    )
                )
    if problems:
        raise IdentifierError(problems)
    given, named = parsed.get(di_name, contract.Identifier()), parsed.get(association_name, contract.Identifier())
    environment = given.environment or named.environment
    data_integration_id = given.data_integration_id or named.data_integration_id
    if data_integration_id is None:  # a token, and no literal association ARN names the data integration
        data_integration_id = (
            data_integration_identifier if data_integration_is_id else id_of(data_integration_identifier, 2)
        )
    association_id = named.association_id
    if association_identifier is not None and association_id is None:  # a token
        association_id = id_of(association_identifier, 3)
    return Grant(ArnContext(*environment) if environment else stack_context, data_integration_id, association_id)


@dataclass
class PolicyPlan:
    """The statement's resources, plus why each wildcard in it is there."""

    resources: list[PolicyResource]
    sizes: Sizes
    wildcard_reasons: dict[PolicyResource, str] = field(default_factory=dict)

    @property
    def resource_bytes(self) -> int:
        return self.sizes.total(self.resources)


def _any_of(data_integration_id: str) -> str:
    if _TOKEN_MARKER in data_integration_id:
        return "any association of the data integration it names"
    return f"any association of data integration {data_integration_id!r}"


class _Planner:
    """The statement's resources as sets, with the two ways to make them fewer."""

    def __init__(self, grants: set[Grant], sizes: Sizes) -> None:
        self.sizes = sizes
        self.reasons: dict[PolicyResource, str] = {}
        self.any_context: set[ArnContext] = set()
        self.any_association = {(g.context, g.data_integration_id) for g in grants if g.is_lookup}
        for ctx, di in self.any_association:
            self._mark(_associations(ctx, di, None), _LOOKUP_REASON, _any_of(di))
        self.exact: dict[tuple[ArnContext, str], set[str]] = defaultdict(set)
        for g in grants:
            key = (g.context, g.data_integration_id)
            if g.association_id is not None and key not in self.any_association:
                self.exact[key].add(g.association_id)

    def _mark(self, resource: PolicyResource, template: str, scope: str) -> None:
        self.reasons.setdefault(resource, template.format(scope=scope))

    def entries(self) -> list[PolicyResource]:
        resources = {_associations(ctx, None, None) for ctx in self.any_context}
        resources |= {_associations(ctx, di, None) for ctx, di in self.any_association}
        resources |= {_associations(ctx, di, a) for (ctx, di), ids in self.exact.items() for a in ids}
        return sorted(resources, key=lambda r: r.text)

    def collapse_per_data_integration(self, budget_bytes: int) -> None:
        """Step 2: ``<id>/*`` for the data integrations whose collapse saves most, until the list fits."""
        size = self.sizes.total(self.entries())
        savings = {
            (ctx, di): self.sizes.total(_associations(ctx, di, a) for a in ids)
            - self.sizes.total([_associations(ctx, di, None)])
            for (ctx, di), ids in self.exact.items()
        }
        for key in sorted(savings, key=lambda k: (-savings[k], k)):
            if size <= budget_bytes:
                return
            del self.exact[key]
            self.any_association.add(key)
            self._mark(_associations(*key, None), _SIZE_REASON, _any_of(key[1]))
            size -= savings[key]

    def collapse_per_context(self) -> None:
        """Step 3: one wildcard per account and Region."""
        self.any_context |= {ctx for ctx, _ in self.any_association} | {ctx for ctx, _ in self.exact}
        self.any_association.clear()
        self.exact.clear()
        for ctx in self.any_context:
            self._mark(_associations(ctx, None, None), _SIZE_REASON, "any association in its account and Region")


def plan_resources(
    grants: Iterable[Grant], budget_bytes: int = RESOURCE_BUDGET_BYTES, sizes: Sizes | None = None
) -> PolicyPlan:
    """The fewest wildcards that keep the resource list within ``budget_bytes``."""
    sizes = sizes or Sizes()
    planner = _Planner(set(grants), sizes)
    if sizes.total(planner.entries()) > budget_bytes:
        planner.collapse_per_data_integration(budget_bytes)
    if sizes.total(planner.entries()) > budget_bytes:
        planner.collapse_per_context()
    resources = planner.entries()
    if sizes.total(resources) > budget_bytes:
        raise ValueError(
            f"the associations, even as one wildcard for each of the {len(planner.any_context)} partitions, accounts "
            f"and Regions they span, need {sizes.total(resources):,} characters, over the {max(budget_bytes, 0):,} left"
        )
    return PolicyPlan(resources, sizes, {r: planner.reasons[r] for r in resources if r.is_wildcard})
