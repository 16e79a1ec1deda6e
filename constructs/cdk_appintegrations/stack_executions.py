"""What holds for a whole stack, whatever the number of providers in it.

Three rules are the stack's, not a provider's: one association is configured by one
execution (two would race at deploy), CloudFormation, which starts every ready
resource at once, never runs more than ``maxConcurrentExecutions`` of them together (the
executions are chained with ``DependsOn``), and the executions must leave the stack
within CloudFormation's 500 resources. All must count every execution of
the stack, so they live in one hidden construct per stack, :class:`StackExecutions`,
which also knows the stack's providers and which one an execution gets by default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import jsii
from appintegrations_cr.arns import Environment
from aws_cdk import Annotations, CfnResource, Stack, Token
from constructs import Construct, IValidation

from .errors import ValidationError
from .permissions import AssociationScope, may_equal, stack_environment_of

if TYPE_CHECKING:
    from .provider import ExecutionProvider

REGISTRY_ID = "AppIntegrationsExecutions"
#: Context key: how many executions of one stack CloudFormation may run at once.
MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY = "cdk-appintegrations:maxConcurrentExecutions"
#: Ten: with CloudFormation's few seconds per custom resource, ten at once keep up with an
#: account rate of about 2 requests/s (Amazon Connect's API default) while holding the
#: provider's concurrency, and the retries a rate limit causes, to ten.
DEFAULT_MAX_CONCURRENT_EXECUTIONS = 10
#: CloudFormation's quota of resources in one stack; CDK stops a synth past it (``TooManyResourcesInStack``).
STACK_RESOURCE_LIMIT = 500
#: CDK's context key for that limit; 0 turns CDK's check off, and this construct's with it.
STACK_RESOURCE_LIMIT_CONTEXT_KEY = "@aws-cdk/core:stackResourceLimit"
#: The executions a stack of their own holds: the limit less the default provider's four resources,
#: CDKMetadata and five spare (see docs/limits.md).
EXECUTIONS_PER_STACK = 490


def jsii_identity(obj: object) -> str:
    """The jsii object reference of a CDK object (e.g. ``aws-cdk-lib.CfnResource@10042``), read in Python.

    Why: every ``node`` or ``node.path`` read is a round trip to the jsii process that also
    builds a new Python proxy, and objects made on the JavaScript side (a default child,
    what ``obtain_dependencies`` returns) come back as new proxies each time, so ``is``
    cannot tell them apart either. The reference is the same for every proxy of an object
    and costs nothing to read. Per-execution code must not read ``node`` (see
    ``tests/construct/test_synth_cost.py``).
    """
    return str(cast("Any", obj).__jsii_ref__.ref)


def max_concurrent_executions_of(stack: Stack) -> int:
    """The stack's ``maxConcurrentExecutions`` from the CDK context, checked."""
    value = stack.node.try_get_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY)
    if value is None:
        return DEFAULT_MAX_CONCURRENT_EXECUTIONS
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # -c on the command line gives a string
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            "Stack",
            stack.node.path,
            [
                f"context {MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY!r} is {value!r}; expected a whole number of at "
                f"least 1 (the default is {DEFAULT_MAX_CONCURRENT_EXECUTIONS})"
            ],
        )
    return value


def _dependency_order(executions: list[CfnResource]) -> list[CfnResource]:
    """The executions in an order that every declared dependency respects (dependencies first).

    Chaining executions along this order only ever makes one wait for one that
    comes earlier in it, so the chains cannot close a cycle with the dependencies the
    user declared (``add_dependency``, ``DependsOn``), whatever the creation order.
    """
    wanted = {jsii_identity(execution) for execution in executions}
    order: list[CfnResource] = []
    seen: set[str] = set()
    for root in executions:
        stack: list[tuple[CfnResource, bool]] = [(root, False)]
        while stack:
            resource, expanded = stack.pop()
            key = jsii_identity(resource)
            if expanded:
                if key in wanted:
                    order.append(resource)
                continue
            if key in seen:
                continue
            seen.add(key)
            stack.append((resource, True))
            dependencies = [d for d in resource.obtain_dependencies() if isinstance(d, CfnResource)]
            stack.extend((dependency, False) for dependency in reversed(dependencies))
    return order


def _depend_on(resource: CfnResource, target: CfnResource) -> None:
    """``DependsOn`` between two L1 resources, on every supported aws-cdk-lib.

    ``add_resource_dependency`` appeared after 2.257.0 (the lower bound) as the new name of
    ``add_dependency``, which 2.275 still has but deprecates; use the new name where it exists.
    """
    add = getattr(resource, "add_resource_dependency", None) or resource.add_dependency
    add(target)


@jsii.implements(IValidation)
class _ChainExecutions:
    """Chains the stack's executions with DependsOn so that at most k run at once, when the tree is complete.

    CloudFormation starts every resource whose dependencies are met at once, so a
    stack of N executions would call AppIntegrations N times at once and be throttled
    into failure. In k chains, at most k run at a time, and no resource is added.
    Validation runs after CDK has turned construct dependencies into resource ones,
    which the ordering needs. A provider with reserved concurrency caps k: more
    executions at once than the function may run would only queue in Lambda.
    """

    def __init__(self, registry: StackExecutions) -> None:
        self._registry = registry
        self._tails: list[CfnResource | None] = []
        self._chained: set[str] = set()

    def validate(self) -> list[str]:
        """Chain every execution not chained yet (a second synth may follow new executions)."""
        if not self._tails:
            try:
                self._tails = [None] * self._registry.max_concurrent_executions()
            except ValidationError as error:
                return [str(error)]
        for execution in _dependency_order(self._registry.executions):
            key = jsii_identity(execution)
            if key in self._chained:
                continue
            chain = len(self._chained) % len(self._tails)
            previous = self._tails[chain]
            if previous is not None:
                _depend_on(execution, previous)
            self._tails[chain] = execution
            self._chained.add(key)
        return []


def _over_limit(subject: str, executions: int, others: int, limit: int) -> str:
    """The stack is over CloudFormation's resource limit: how many executions fit, and how to spread them."""
    return (
        f"{subject} would hold {executions} DataIntegrationAssociationExecutions and {others} other "
        f"resources, {executions + others} in all, over CloudFormation's limit of {limit} resources per stack; "
        f"beside those other resources it has room for {max(limit - others, 0)} executions. Spread the executions "
        f"over stacks: give each group its own cdk.Stack (a stack of executions alone, with its default provider, "
        f"holds {EXECUTIONS_PER_STACK}); an association is still configured by one execution only"
    )


@jsii.implements(IValidation)
class _ResourceLimit:
    """At synth, before CDK's ``TooManyResourcesInStack``: the executions and every other resource of the stack."""

    def __init__(self, registry: StackExecutions) -> None:
        self._registry = registry

    def validate(self) -> list[str]:
        registry = self._registry
        limit = registry.resource_limit
        if not limit or not registry.executions:
            return []
        resources = registry.resources_in_stack()
        if resources <= limit:
            return []
        executions, stack = len(registry.executions), registry.stack
        problem = _over_limit("it", executions, resources - executions, limit)
        return [str(ValidationError("Stack", stack.node.path, [problem]))]


class StackExecutions(Construct):
    """The stack's executions, their claims on associations, its providers and its concurrency (no resources)."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack, REGISTRY_ID)
        self._stack = stack
        #: The stack's partition, Region and account, read once (each read is a round trip).
        self.environment = stack_environment_of(stack)
        limit = stack.node.try_get_context(STACK_RESOURCE_LIMIT_CONTEXT_KEY)
        #: CloudFormation's resource limit as CDK applies it to this stack (0: not checked).
        self.resource_limit = int(limit) if str(limit).isdigit() else STACK_RESOURCE_LIMIT
        # At least this many resources of the stack are not executions: a guess until the tree is counted,
        # which happens only when it says the limit may be near (see room_for_one_more).
        self._others_at_least = STACK_RESOURCE_LIMIT - EXECUTIONS_PER_STACK
        #: Every execution resource of the stack, in creation order (see ``_ChainExecutions``).
        self.executions: list[CfnResource] = []
        #: Explicit providers, in creation order; the default one is kept apart.
        self.providers: list[ExecutionProvider] = []
        self.default_provider: ExecutionProvider | None = None
        # Literal associations already configured, by (data integration id, association id).
        self._claims: dict[tuple[str, str], list[tuple[Environment, Construct]]] = {}
        self.node.add_validation(_ChainExecutions(self))
        self.node.add_validation(_ResourceLimit(self))

    @staticmethod
    def of(scope: Construct) -> StackExecutions:
        """The registry of ``scope``'s stack, created on first use."""
        return StackExecutions.of_stack(Stack.of(scope))

    @staticmethod
    def of_stack(stack: Stack) -> StackExecutions:
        """The registry of ``stack``: remembered per stack, so the tree is searched once, not per execution."""
        known = _REGISTRIES.get(jsii_identity(stack))
        if known is not None:
            return known
        existing = stack.node.try_find_child(REGISTRY_ID)
        if existing is None:
            created = StackExecutions(stack)
            _REGISTRIES[jsii_identity(stack)] = created
            return created
        if not isinstance(existing, StackExecutions):
            raise ValidationError(
                "Stack",
                stack.node.path,
                [
                    f"{stack.node.path}/{REGISTRY_ID} is taken by a {type(existing).__name__}; "
                    f"cdk-appintegrations keeps its stack-wide state under that id"
                ],
            )
        _REGISTRIES[jsii_identity(stack)] = existing
        return existing

    @property
    def stack(self) -> Stack:
        """The stack whose executions these are."""
        return self._stack

    def resources_in_stack(self) -> int:
        """The stack's CloudFormation resources now: every ``CfnResource`` in its tree but a nested stack's."""
        found = self._stack.node.find_all()
        own = jsii_identity(self._stack)
        nested = {
            jsii_identity(inner)
            for construct in found
            if isinstance(construct, Stack) and jsii_identity(construct) != own
            for inner in construct.node.find_all()
        }
        return sum(isinstance(construct, CfnResource) and jsii_identity(construct) not in nested for construct in found)

    def room_for_one_more(self) -> str | None:
        """Why one more execution would pass the stack's resource limit; None while it fits.

        Asked by each new execution, so that the error names the line that passed the
        limit; the tree is counted (one search) only when the executions come near it.
        What is added after the executions is counted at synth (``_ResourceLimit``).
        """
        wanted = len(self.executions) + 1
        if not self.resource_limit or wanted + self._others_at_least <= self.resource_limit:
            return None
        self._others_at_least = self.resources_in_stack() - len(self.executions)
        if wanted + self._others_at_least <= self.resource_limit:
            return None
        return _over_limit(f"stack '{self._stack.node.path}'", wanted, self._others_at_least, self.resource_limit)

    def max_concurrent_executions(self) -> int:
        """The context's ``maxConcurrentExecutions``, capped by the smallest reserved concurrency of the providers.

        A reservation given as a token is known only at deploy, so it cannot cap it.
        """
        wanted = max_concurrent_executions_of(self._stack)
        providers = [*self.providers, *([self.default_provider] if self.default_provider else [])]
        reserved = [
            (p._reserved_concurrent_executions, p)
            for p in providers
            if p._reserved_concurrent_executions is not None
            and not Token.is_unresolved(p._reserved_concurrent_executions)
        ]
        if not reserved:
            return wanted
        cap, provider = min(reserved, key=lambda pair: pair[0])
        if cap >= wanted:
            return wanted
        if self._stack.node.try_get_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY) is not None:
            Annotations.of(self._stack).add_warning_v2(
                "cdk-appintegrations:maxConcurrentExecutionsCapped",
                f"context {MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY!r} asks for {wanted} executions at once, but "
                f"ExecutionProvider '{provider.node.path}' reserves {cap} concurrent executions; the stack runs "
                f"at most {cap} at once",
            )
        return cap

    def claimed_by(self, scope: AssociationScope) -> Construct | None:
        """The execution that already configures this scope's association, if any.

        Only literal associations can be compared at synth: a lookup or a token is
        known only at deploy. Environments compare as equal when one is unknown
        (an env-agnostic stack's plain ids against an ARN).
        """
        if scope.is_lookup or scope.has_tokens:
            return None
        key = (scope.data_integration_id, scope.association_id or "")
        claims = self._claims.get(key, [])
        return next((owner for environment, owner in claims if may_equal(environment, scope.environment)), None)

    def claim(self, scope: AssociationScope, owner: Construct) -> None:
        """Record that ``owner`` configures this scope's association (see :meth:`claimed_by`)."""
        if not scope.is_lookup and not scope.has_tokens:
            self._claims.setdefault((scope.data_integration_id, scope.association_id or ""), []).append(
                (scope.environment, owner)
            )


#: Each stack's registry, by the stack's jsii reference. jsii keeps every construct made
#: from Python alive for the kernel's lifetime anyway, so this frees nothing it would not.
_REGISTRIES: dict[str, StackExecutions] = {}
