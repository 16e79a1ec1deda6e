"""The provider: one Lambda function per stack serves every execution in it.

One function, one role, one log group and one IAM statement for the associations,
whatever the number of executions (plus one for ListDataIntegrationAssociations once
an execution finds its association by lookup), so a stack adds exactly one
CloudFormation resource per execution and stays far from CloudFormation's
500-resource cap and IAM's policy size limit.
"""

from __future__ import annotations

from typing import cast

import jsii
from aws_cdk import (
    CfnResource,
    Duration,
    IStableListProducer,
    Lazy,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from ._lambda.appintegrations_cr.constants import FUNCTION_TIMEOUT_S, LIST_ACTION, UPDATE_ACTION
from .acknowledgments import acknowledge
from .bundling import handler_code
from .permissions import LIST_REASON, ArnContext, Grant, PolicyPlan, Sizes, plan_resources

PROVIDER_ID = "AppIntegrationsExecutionProvider"
#: The handler retries a throttled call until this deadline (minus one attempt and the
#: response), so it is the longest an execution waits for its turn under a rate limit.
FUNCTION_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_S)
#: How long CloudFormation waits for an answer: the function's timeout plus Lambda's first
#: asynchronous retry (about a minute later) and its run. A provider that never answers
#: (say, it fails to import) then fails the stack well before CloudFormation's default hour.
SERVICE_TIMEOUT = Duration.minutes(2 * FUNCTION_TIMEOUT.to_minutes() + 1)
MEMORY_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
RUNTIME = lambda_.Runtime.PYTHON_3_14


@jsii.implements(IStableListProducer)
class _ResourceList:
    """Produces the statement's resources at synth, from every execution registered by then."""

    def __init__(self, provider: ExecutionProvider) -> None:
        self._provider = provider

    def produce(self) -> list[str] | None:
        return [resource.render() for resource in self._provider.plan().resources]


def _depend_on(resource: CfnResource, target: CfnResource) -> None:
    """``DependsOn`` between two L1 resources, on every supported aws-cdk-lib.

    ``add_resource_dependency`` appeared after 2.257.0 (the lower bound) as the new name of
    ``add_dependency``, which 2.275 still has but deprecates; use the new name where it exists.
    """
    add = getattr(resource, "add_resource_dependency", None) or resource.add_dependency
    add(target)


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    """Records a cdk-nag acknowledgement for each wildcard the final statement holds, and no other.

    Validation runs after every construct (and every Aspect) has been added and
    before the templates are written, which is the first moment the final list is
    known; acknowledging earlier would leave stale entries behind when the list
    collapses further.
    """

    def __init__(self, provider: ExecutionProvider) -> None:
        self._provider = provider
        self._done: set[str] = set()

    def validate(self) -> list[str]:
        try:
            plan = self._provider.plan()
        except ValueError as error:
            return [str(error)]
        for resource, reason in plan.wildcard_reasons.items():
            rule = f"AwsSolutions-IAM5[{plan.sizes.nag_finding(resource)}]"
            if rule not in self._done:
                acknowledge(self._provider.role, "AwsSolutions", rule, reason)
                self._done.add(rule)
        return []


#: Context key: how many executions of one stack CloudFormation may run at once.
LANES_CONTEXT_KEY = "cdk-appintegrations:maxConcurrentExecutions"
#: Ten: with CloudFormation's few seconds per custom resource, ten lanes keep up with an
#: account rate of about 2 requests/s (Amazon Connect's API default) while holding the
#: provider's concurrency, and the retries a rate limit causes, to ten.
DEFAULT_LANES = 10


def lanes_of(stack: Stack) -> int:
    """The stack's lane count from the CDK context, checked."""
    value = stack.node.try_get_context(LANES_CONTEXT_KEY)
    if value is None:
        return DEFAULT_LANES
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # -c on the command line gives a string
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"context {LANES_CONTEXT_KEY!r} is {value!r}; expected a whole number of at least 1 "
            f"(the default is {DEFAULT_LANES})"
        )
    return value


def _dependency_order(executions: list[CfnResource]) -> list[CfnResource]:
    """The executions in an order that every declared dependency respects (dependencies first).

    Chaining lanes along this order only ever makes an execution wait for one that
    comes earlier in it, so the lanes cannot close a cycle with the dependencies the
    user declared (``add_dependency``, ``DependsOn``), whatever the creation order.
    """
    wanted = {execution.node.path for execution in executions}
    order: list[CfnResource] = []
    seen: set[str] = set()
    for root in executions:
        stack: list[tuple[CfnResource, bool]] = [(root, False)]
        while stack:
            resource, expanded = stack.pop()
            path = resource.node.path
            if expanded:
                if path in wanted:
                    order.append(resource)
                continue
            if path in seen:
                continue
            seen.add(path)
            stack.append((resource, True))
            dependencies = [d for d in resource.obtain_dependencies() if isinstance(d, CfnResource)]
            stack.extend((dependency, False) for dependency in reversed(dependencies))
    return order


@jsii.implements(IValidation)
class _ChainLanes:
    """Chains the stack's executions into lanes with DependsOn, once, when the tree is complete.

    CloudFormation starts every resource whose dependencies are met at once, so a
    stack of N executions would call AppIntegrations N times at once and be throttled
    into failure. In k lanes, at most k run at a time, and no resource is added.
    Validation runs after CDK has turned construct dependencies into resource ones,
    which the ordering needs.
    """

    def __init__(self, provider: ExecutionProvider) -> None:
        self._provider = provider
        self._tails: list[CfnResource | None] = []
        self._chained: set[str] = set()

    def validate(self) -> list[str]:
        """Chain every execution not chained yet (a second synth may follow new executions)."""
        try:
            lanes = lanes_of(Stack.of(self._provider))
        except ValueError as error:
            return [str(error)]
        if not self._tails:
            self._tails = [None] * lanes
        for execution in _dependency_order(self._provider.executions):
            path = execution.node.path
            if path in self._chained:
                continue
            lane = len(self._chained) % len(self._tails)
            previous = self._tails[lane]
            if previous is not None:
                _depend_on(execution, previous)
            self._tails[lane] = execution
            self._chained.add(path)
        return []


class ExecutionProvider(Construct):
    """The stack's singleton provider; executions find it with :meth:`of`.

    The log group is kept when it leaves the stack (``RemovalPolicy.RETAIN``): a
    failed first deployment rolls back by deleting everything it created, and the log
    that explains the failure must outlive that. Its one-month retention still bounds
    what is kept; only the empty group remains after that.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._grants: set[Grant] = set()
        #: The stack's execution resources, in creation order (see ``_ChainLanes``).
        self.executions: list[CfnResource] = []
        self._plan: tuple[int, PolicyPlan] | None = None
        self._sizes = Sizes(Stack.of(self).resolve)
        # Literal associations already configured in this stack, by (data integration id, association id).
        self._claims: dict[tuple[str, str], list[tuple[ArnContext, Construct]]] = {}
        self.context = ArnContext.of_stack(Stack.of(self))

        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN)
        write_logs = iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        )
        update_associations = iam.PolicyStatement(
            sid="UpdateDataIntegrationAssociations",
            actions=[UPDATE_ACTION],
            resources=Lazy.list(_ResourceList(self)),
        )
        self._policy = iam.PolicyDocument(statements=[write_logs, update_associations])
        self._lists = False
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=cast("iam.IPrincipal", iam.ServicePrincipal("lambda.amazonaws.com")),
            description="cdk-appintegrations provider: updates AppIntegrations data integration associations",
            inline_policies={"ExecutionProvider": self._policy},
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="cdk-appintegrations: Custom::DataIntegrationAssociationExecution provider",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=handler_code(),
            memory_size=MEMORY_MB,
            timeout=FUNCTION_TIMEOUT,
            environment={"LOG_LEVEL": "INFO"},
            log_group=self.log_group,
            # Referenced by ARN and immutable: the inline policy above is the whole of the
            # provider's permissions, so there is no separate policy resource for the function
            # to wait for, and its GetAtt on the role is all the ordering needed.
            role=iam.Role.from_role_arn(self, "FunctionRole", self.role.role_arn, mutable=False),
        )
        self.node.add_validation(_AcknowledgeWildcards(self))
        self.node.add_validation(_ChainLanes(self))

    @staticmethod
    def find(stack: Stack) -> ExecutionProvider | None:
        """The provider of ``stack``, if an execution has created it."""
        existing = stack.node.try_find_child(PROVIDER_ID)
        if existing is not None and not isinstance(existing, ExecutionProvider):
            raise ValueError(
                f"{stack.node.path}/{PROVIDER_ID} is taken by a {type(existing).__name__}; "
                f"cdk-appintegrations keeps its provider under that id"
            )
        return existing

    @staticmethod
    def of(stack: Stack) -> ExecutionProvider:
        """The provider of ``stack``, created on first use."""
        return ExecutionProvider.find(stack) or ExecutionProvider(stack, PROVIDER_ID)

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def claimed_by(self, grant: Grant) -> Construct | None:
        """The execution that already configures this grant's association, if any.

        Only literal associations can be compared at synth: a lookup or a token is
        known only at deploy. Environments compare as equal when one is unknown
        (an env-agnostic stack's plain ids against an ARN).
        """
        if grant.is_lookup or grant.has_tokens:
            return None
        key = (grant.data_integration_id, grant.association_id or "")
        return next((owner for ctx, owner in self._claims.get(key, []) if ctx.may_equal(grant.context)), None)

    def grant(self, grant: Grant, owner: Construct) -> None:
        """Add an execution's needs to the provider's IAM statements; ``owner`` is named by :meth:`claimed_by`."""
        self._grants.add(grant)
        if not grant.is_lookup and not grant.has_tokens:
            self._claims.setdefault((grant.data_integration_id, grant.association_id or ""), []).append(
                (grant.context, owner)
            )
        if grant.is_lookup and not self._lists:
            self._allow_lookups()

    def _allow_lookups(self) -> None:
        """``ListDataIntegrationAssociations`` in a statement of its own, only in a stack that resolves by lookup."""
        self._lists = True
        self._policy.add_statements(
            iam.PolicyStatement(sid="FindDataIntegrationAssociations", actions=[LIST_ACTION], resources=["*"])
        )
        acknowledge(self.role, "AwsSolutions", "AwsSolutions-IAM5[Resource::*]", LIST_REASON)

    def plan(self) -> PolicyPlan:
        """The statement's resources for the executions registered so far (grants only ever grow)."""
        if self._plan is None or self._plan[0] != len(self._grants):
            self._plan = (len(self._grants), plan_resources(self._grants, sizes=self._sizes))
        return self._plan[1]
