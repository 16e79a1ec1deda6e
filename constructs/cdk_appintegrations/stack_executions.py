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

import heapq
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

import jsii
from appintegrations_cr.arns import Environment
from appintegrations_cr.constants import RESOURCE_TYPE
from aws_cdk import Annotations, CfnResource, MissingRemovalPolicies, Stack
from constructs import Construct, IValidation

from .errors import ValidationError
from .intrinsics import is_unresolved
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
#: Where a stack's Python object keeps its registry once found (see :meth:`StackExecutions.of_stack`).
_REGISTRY_ATTRIBUTE = "_cdk_appintegrations_registry"


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


class ProviderService(Protocol):
    """What a stack's executions and its registry ask of a provider: the library's internal interface.

    Each :class:`~cdk_appintegrations.ExecutionProvider` owns one and registers it with its
    stack's :class:`StackExecutions` (:meth:`StackExecutions.register`); executions reach it
    through :meth:`StackExecutions.service_of`, never through the provider's attributes.
    """

    @property
    def provider(self) -> ExecutionProvider:
        """The provider this serves for."""
        ...

    @property
    def reserved_concurrent_executions(self) -> int | None:
        """The function's reserved concurrency, as given (a number, a token, or None)."""
        ...

    def room_for(self, scope: AssociationScope) -> str | None:
        """Why the provider's policy could not hold one more execution of ``scope``; None when it can."""
        ...

    def serve(self, scope: AssociationScope) -> None:
        """Let the provider update what an execution of ``scope`` names (its policy grows with it)."""
        ...


def _dependency_graph(executions: list[CfnResource]) -> dict[str, list[str]]:
    """Each resource the executions reach through their dependencies, by jsii reference, and its dependencies.

    One ``obtain_dependencies`` round trip per execution and per other resource they
    reach (a knowledge base, say), by jsii reference: a resource made in JavaScript
    comes back as a new proxy each time.
    """
    graph: dict[str, list[str]] = {}
    pending = list(executions)
    while pending:
        resource = pending.pop()
        key = jsii_identity(resource)
        if key in graph:
            continue
        dependencies = [d for d in resource.obtain_dependencies() if isinstance(d, CfnResource)]
        graph[key] = [jsii_identity(d) for d in dependencies]
        pending.extend(d for d in dependencies if jsii_identity(d) not in graph)
    return graph


def _dependency_order(keys: list[str], graph: Mapping[str, list[str]]) -> tuple[list[str], bool]:
    """``keys`` in an order every dependency in ``graph`` respects, as close to creation order as it allows.

    Kahn's algorithm over every resource the graph holds: of those whose dependencies
    are placed, the one created first goes next (another resource, such as a knowledge
    base, as soon as it can). Chaining executions along this order only ever makes one
    wait for one that comes earlier in it, so the chains cannot close a cycle with the
    dependencies the user declared (``add_dependency``, ``DependsOn``), whatever the
    creation order; and where the user's dependencies allow creation order, it is kept.
    Executions on a cycle (which CloudFormation refuses) come last, in creation order,
    and the second value is False.
    """
    rank = {key: index for index, key in enumerate(keys)}
    nodes = {*keys, *graph, *(dependency for dependencies in graph.values() for dependency in dependencies)}
    waiting = {node: set(graph.get(node, ())) - {node} for node in nodes}
    dependents: dict[str, list[str]] = {node: [] for node in nodes}
    for node, dependencies in waiting.items():
        for dependency in dependencies:
            dependents[dependency].append(node)
    ready = [(rank.get(node, -1), node) for node, dependencies in waiting.items() if not dependencies]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        if node in rank:
            order.append(node)
        for dependent in dependents[node]:
            waiting[dependent].discard(node)
            if not waiting[dependent]:
                heapq.heappush(ready, (rank.get(dependent, -1), dependent))
    placed = set(order)
    return order + [key for key in keys if key not in placed], len(placed) == len(keys)


def _method(resource: CfnResource, new: str, old: str) -> Callable[[CfnResource], None]:
    """A dependency method of an L1 resource on every supported aws-cdk-lib.

    ``add_resource_dependency`` and ``remove_resource_dependency`` appeared after 2.257.0 (the
    lower bound) as the new names of ``add_dependency`` and ``remove_dependency``, which 2.275
    still has but deprecates; use the new name where it exists (a Python attribute lookup,
    no round trip).
    """
    return cast("Callable[[CfnResource], None]", getattr(resource, new, None) or getattr(resource, old))


def _depend_on(resource: CfnResource, target: CfnResource) -> None:
    """``DependsOn`` between two L1 resources."""
    _method(resource, "add_resource_dependency", "add_dependency")(target)


def _stop_depending_on(resource: CfnResource, target: CfnResource) -> None:
    """Remove a ``DependsOn`` between two L1 resources."""
    _method(resource, "remove_resource_dependency", "remove_dependency")(target)


class _Chains:
    """Chains the stack's executions with DependsOn as they are created, so that at most k run at once.

    CloudFormation starts every resource whose dependencies are met at once, so a
    stack of N executions would call AppIntegrations N times at once and be throttled
    into failure. In k chains, at most k run at a time, and no resource is added. A
    provider with reserved concurrency caps k: more executions at once than the function
    may run would only queue in Lambda.

    Each new execution waits for the one k places before it, in creation order: one
    ``add_dependency`` round trip, when it is created. A dependency the user declares
    later may run the other way (an execution that waits for one created after it,
    directly or through other resources), which would close a cycle with the chains;
    and a provider created after the executions may reserve less concurrency than k.
    So :meth:`check` reads the dependencies once the tree is complete (at validation,
    after CDK has turned construct dependencies into resource ones) and, only when the
    creation order is not an order the dependencies allow or k has changed, chains the
    executions again along one that is.
    """

    def __init__(self, registry: StackExecutions) -> None:
        self._registry = registry
        self._width: int | None = None
        self._tails: list[CfnResource | None] = []
        #: How many executions are chained so far, and the DependsOn this class added.
        self._chained = 0
        self._edges: dict[str, tuple[CfnResource, CfnResource]] = {}

    def add(self, execution: CfnResource) -> None:
        """Chain a new execution behind the last one of its chain (creation order)."""
        if self._width is None:
            try:
                self._width = self._registry.max_concurrent_executions(warn=False)
            except ValidationError:
                self._width = 0  # the context is wrong: check() reports it at synth, and nothing is chained
            self._tails = [None] * self._width
        if self._width:
            self._append(execution)

    def _append(self, execution: CfnResource) -> None:
        chain = self._chained % self._width_or_fail()
        previous = self._tails[chain]
        if previous is not None:
            _depend_on(execution, previous)
            self._edges[jsii_identity(execution)] = (execution, previous)
        self._tails[chain] = execution
        self._chained += 1

    def _width_or_fail(self) -> int:
        if not self._width:
            raise AssertionError("chains have no width")
        return self._width

    def check(self) -> list[str]:
        """At validation: keep the chains if the dependencies allow them, else chain along an order they allow."""
        try:
            width = self._registry.max_concurrent_executions(warn=True)
        except ValidationError as error:
            return [str(error)]
        executions = self._registry.executions
        if not executions:
            return []
        graph = _dependency_graph(executions)
        keys = [jsii_identity(execution) for execution in executions]
        # The chains as they are, with every dependency declared: no cycle and the same k, nothing to do.
        order, acyclic = _dependency_order(keys, graph)
        if acyclic and width == self._width:
            return []
        if not acyclic:
            # A dependency runs against creation order: chain along an order the declared ones allow.
            # A DependsOn the user declared that is also a chain link cannot be told from it (CDK keeps
            # one set per resource), so it is read as the link's, and taken out with the chains below.
            added = {key: jsii_identity(target) for key, (_, target) in self._edges.items()}
            declared = {key: [d for d in deps if d != added.get(key)] for key, deps in graph.items()}
            order, _ = _dependency_order(keys, declared)
        by_key = {jsii_identity(execution): execution for execution in executions}
        old = list(self._edges.values())
        for execution, previous in old:
            _stop_depending_on(execution, previous)
        self._width, self._tails, self._chained, self._edges = width, [None] * width, 0, {}
        for key in order:
            self._append(by_key[key])
        # ... and every old link the new order allows goes back, so such a dependency survives unless
        # the new order contradicts it.
        position = {key: index for index, key in enumerate(order)}
        kept = {(jsii_identity(execution), jsii_identity(previous)) for execution, previous in self._edges.values()}
        for execution, previous in old:
            link = (jsii_identity(execution), jsii_identity(previous))
            if link not in kept and position[link[1]] < position[link[0]]:
                _depend_on(execution, previous)
        return []


@jsii.implements(IValidation)
class _CheckChains:
    """The validation hook of :class:`_Chains` (a jsii interface, so a class of its own)."""

    def __init__(self, chains: _Chains) -> None:
        self._chains = chains

    def validate(self) -> list[str]:
        return self._chains.check()


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
        #: Every execution resource of the stack, in creation order (see :meth:`add_execution`).
        self.executions: list[CfnResource] = []
        # Each provider's service (see ProviderService), by the provider's jsii reference, in creation order:
        # the one record of the stack's providers; the default one is named by its reference.
        self._services: dict[str, ProviderService] = {}
        self._default: str | None = None
        # Literal associations already configured, by (data integration id, association id).
        self._claims: dict[tuple[str, str], list[tuple[Environment, Construct]]] = {}
        self._chains = _Chains(self)
        self._warned_cap = False
        self.node.add_validation(_CheckChains(self._chains))
        self.node.add_validation(_ResourceLimit(self))

    @staticmethod
    def of(scope: Construct) -> StackExecutions:
        """The registry of ``scope``'s stack, created on first use."""
        return StackExecutions.of_stack(Stack.of(scope))

    @staticmethod
    def of_stack(stack: Stack) -> StackExecutions:
        """The registry of ``stack``: the construct ``REGISTRY_ID`` of its tree, created on first use.

        Found in the tree once per stack object: the stack's Python object keeps it
        (``_REGISTRY_ATTRIBUTE``), because a tree search per execution is a jsii round
        trip each. jsii gives back the same Python object for a stack made in Python;
        another proxy of it (a stack made in JavaScript) finds the same construct again.
        """
        known = getattr(stack, _REGISTRY_ATTRIBUTE, None)
        if isinstance(known, StackExecutions):
            return known
        existing = stack.node.try_find_child(REGISTRY_ID)
        if existing is None:
            existing = StackExecutions(stack)
        elif not isinstance(existing, StackExecutions):
            raise ValidationError(
                "Stack",
                stack.node.path,
                [
                    f"{stack.node.path}/{REGISTRY_ID} is taken by a {type(existing).__name__}; "
                    f"cdk-appintegrations keeps its stack-wide state under that id"
                ],
            )
        setattr(stack, _REGISTRY_ATTRIBUTE, existing)
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

    def register(self, service: ProviderService) -> None:
        """Record a provider of this stack, and its service (an explicit provider until :meth:`make_default`)."""
        self._services[jsii_identity(service.provider)] = service

    def make_default(self, provider: ExecutionProvider) -> None:
        """Name ``provider``, just registered, the stack's default: the one executions get when they name none."""
        self._default = jsii_identity(provider)

    @property
    def default_provider(self) -> ExecutionProvider | None:
        """The stack's default provider, once an execution that named none has created it."""
        return None if self._default is None else self._services[self._default].provider

    @property
    def providers(self) -> list[ExecutionProvider]:
        """The stack's explicit providers, in creation order (the default one is not one of them)."""
        return [service.provider for ref, service in self._services.items() if ref != self._default]

    def service_of(self, provider: ExecutionProvider) -> ProviderService | None:
        """The service of a provider of this stack; None for a provider of another stack."""
        return self._services.get(jsii_identity(provider))

    def add_execution(self, execution: CfnResource) -> None:
        """Count a new execution resource, and chain it (see ``_Chains``): one or two round trips.

        The first one also gives the stack's executions their removal policy, once for all:
        ``DESTROY``, as CDK's ``CustomResource`` sets by default, on each one that has no
        removal policy of its own by synth (one Aspect, instead of a round trip per execution).
        """
        if not self.executions:
            MissingRemovalPolicies.of(self._stack).destroy(apply_to_resource_types=[RESOURCE_TYPE])
        self.executions.append(execution)
        self._chains.add(execution)

    def max_concurrent_executions(self, *, warn: bool = True) -> int:
        """The context's ``maxConcurrentExecutions``, capped by the smallest reserved concurrency of the providers.

        A reservation given as a token is known only at deploy, so it cannot cap it. With
        ``warn``, a cap below what the context asks for is a synth warning (once).
        """
        wanted = max_concurrent_executions_of(self._stack)
        reserved = [
            (limit, service.provider)
            for service in self._services.values()
            if (limit := service.reserved_concurrent_executions) is not None and not is_unresolved(limit)
        ]
        if not reserved:
            return wanted
        cap, provider = min(reserved, key=lambda pair: pair[0])
        if cap >= wanted:
            return wanted
        if not warn or self._warned_cap:
            return cap
        self._warned_cap = True
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
