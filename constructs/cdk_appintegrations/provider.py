"""The provider: one Lambda function per stack serves every execution in it.

One function, one role, one log group and one IAM statement for the associations,
whatever the number of executions (plus one for ListDataIntegrationAssociations once
an execution finds its association by lookup), so a stack adds exactly one
CloudFormation resource per execution and stays far from CloudFormation's
500-resource cap and IAM's policy size limit.
"""

from __future__ import annotations

import math
from typing import cast

import jsii
from aws_cdk import Acknowledgment, Duration, IStableListProducer, Lazy, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from ._lambda.appintegrations_cr.limits import ACTION as UPDATE_ACTION
from ._lambda.appintegrations_cr.limits import LIST_ACTION
from ._lambda.appintegrations_cr.limits import WORST_CASE_S as HANDLER_WORST_CASE_S
from .bundling import handler_code
from .permissions import LIST_REASON, ArnContext, Grant, PolicyPlan, Sizes, plan_resources

PROVIDER_ID = "AppIntegrationsExecutionProvider"
#: Head room over the handler's retry budget for a cold start (importing boto3) and for
#: crhelper's PUT of the response; rounded up to whole minutes.
TIMEOUT_MARGIN_S = 30
FUNCTION_TIMEOUT = Duration.minutes(math.ceil((HANDLER_WORST_CASE_S + TIMEOUT_MARGIN_S) / 60))
#: How long CloudFormation waits for an answer: the function's timeout plus Lambda's first
#: asynchronous retry (about a minute later) and its run. A provider that never answers
#: (say, it fails to import) then fails the stack in minutes instead of the default hour.
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
            rule = f"AwsSolutions::AwsSolutions-IAM5[{plan.sizes.nag_finding(resource)}]"
            if rule not in self._done:
                Validations.of(self._provider.role).acknowledge(Acknowledgment(id=rule, reason=reason))
                self._done.add(rule)
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
        Validations.of(self.role).acknowledge(
            Acknowledgment(id="AwsSolutions::AwsSolutions-IAM5[Resource::*]", reason=LIST_REASON)
        )

    def plan(self) -> PolicyPlan:
        """The statement's resources for the executions registered so far (grants only ever grow)."""
        if self._plan is None or self._plan[0] != len(self._grants):
            self._plan = (len(self._grants), plan_resources(self._grants, sizes=self._sizes))
        return self._plan[1]
