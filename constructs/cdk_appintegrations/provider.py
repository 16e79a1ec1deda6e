"""``ExecutionProvider``: the Lambda function that serves a stack's executions, with what guardrails ask of it.

One function, one role (or the platform's), one log group (or yours) and one
customer-managed IAM policy, whatever the number of executions it serves: a stack adds
exactly one CloudFormation resource per execution and stays far from CloudFormation's
500-resource cap and IAM's policy size limit.

Without options it deploys in any account: no VPC, no reservation, no environment
variable, a year of logs in Lambda's JSON format. Each option follows "yours, or one is
created": a VPC (and a security group that allows only outbound HTTPS), a
customer-managed key for the logs, a platform-owned role, a dead-letter queue, tracing,
a reservation, log levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import jsii
from aws_cdk import (
    Annotations,
    AspectPriority,
    Aspects,
    CfnResource,
    Duration,
    IAspect,
    IStableListProducer,
    Lazy,
    RemovalPolicy,
    Stack,
    Token,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct, IValidation

from ._lambda.appintegrations_cr.constants import FUNCTION_TIMEOUT_S, LIST_ACTION, RESOURCE_TYPE, UPDATE_ACTION
from .acknowledgments import acknowledge
from .bundling import handler_code
from .errors import ValidationError
from .intrinsics import as_text, deployed_bound_characters, nag_name
from .permissions import (
    LIST_REASON,
    AssociationScope,
    PolicyPlan,
    Sizes,
    least_resources,
    overflow_text,
    plan_resources,
)
from .provider_principal import ProviderPrincipal
from .provider_statements import (
    Wildcard,
    log_key_statement,
    option_statements,
    readable_statement,
    readable_statements,
)
from .stack_executions import StackExecutions

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sqs as sqs

__all__ = ["ExecutionProvider"]

#: The construct id of a stack's default provider (created by the first execution that names none).
PROVIDER_ID = "AppIntegrationsExecutionProvider"
#: The handler retries a throttled call until this deadline (minus one attempt and the
#: response), so it is the longest an execution waits for its turn under a rate limit.
FUNCTION_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_S)
#: How long CloudFormation waits for an answer: the function's timeout plus Lambda's first
#: asynchronous retry (about a minute later) and its run. A provider that never answers
#: then fails the stack well before CloudFormation's default hour.
SERVICE_TIMEOUT = Duration.minutes(2 * FUNCTION_TIMEOUT.to_minutes() + 1)
MEMORY_MB = 256
#: One year: Control Tower's CT.CLOUDWATCH.PR.2 asks for at least that (or no expiry).
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
RUNTIME = lambda_.Runtime.PYTHON_3_14
#: IAM's limit for a customer-managed policy, in characters (whitespace not counted).
MANAGED_POLICY_CHARACTERS = 6144
#: CDK's context key for ``iam.Role.customize_roles``.
CUSTOMIZE_ROLES_CONTEXT_KEY = "@aws-cdk/iam:customizeRoles"
UPDATE_SID = "UpdateDataIntegrationAssociations"
#: The id of the synth warning that gives a role the construct may not change the policy it needs.
ROLE_NOT_CHANGED = "cdk-appintegrations:roleNotChanged"
#: When the provider's policy acknowledges its wildcards for cdk-nag 2, whose packs are Aspects that
#: ``Aspects.of(app).add(...)`` runs at the default priority: on the policy, just before them, and after
#: every mutating Aspect (``AspectPriority.MUTATING``), which may still grant the provider something.
NAG2_PRIORITY = AspectPriority.DEFAULT - 1
_WS1004 = "WS1004"
#: Why cfn-lint-serverless's WS1004 is suppressed on the function (in its template Metadata).
WS1004_REASON = (
    "WS1004 looks for a log group named /aws/lambda/<function name>; this function logs to its own log group "
    "through LoggingConfig, which has a retention, so the rule misfires."
)
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_KIND = "ExecutionProvider"
#: The metadata type of an error annotation (cloud-assembly-schema's ``ArtifactMetadataEntryType.ERROR``,
#: whose jsii enum gives Python its member name, not this value): what ``cdk synth`` stops on.
ERROR_METADATA = "aws:cdk:error"


@jsii.implements(IStableListProducer)
class _ResourceList:
    """Produces the statement's resources at synth, from every execution registered by then."""

    def __init__(self, provider: ExecutionProvider) -> None:
        self._provider = provider

    def produce(self) -> list[str] | None:
        try:
            resources = self._provider._plan().resources
        except ValueError:  # over IAM's limit: _FinishPermissions says so, once; a resolve must not fail before
            resources = least_resources(self._provider._scopes)
        return [resource.render() for resource in resources]


@jsii.implements(IValidation, IAspect)
class _FinishPermissions:
    """Once the tree is complete: acknowledge the real wildcards, and tell whoever owns the role what it needs.

    Validation runs after every construct (and every Aspect) has been added and
    before the templates are written, which is the first moment the final
    association list, and every statement granted to the provider, is known;
    acknowledging earlier would leave stale entries behind when the list collapses
    further. It is also the moment to hand the final statements, as text, to a role
    that will not carry them in the template: a warning that names every action and
    resource, and CDK's policy report under ``Role.customize_roles``.

    cdk-nag 2 cannot wait for it: its packs are Aspects, which check the policy before
    any validation runs. So this is also an Aspect of the policy (:data:`NAG2_PRIORITY`):
    on the policy's resource it acknowledges the wildcards of the statements as they are
    then, the very statements cdk-nag 2 resolves next, on the same resource. Validation
    then acknowledges what an Aspect added after that, if anything did.
    """

    def __init__(self, provider: ExecutionProvider) -> None:
        self._provider = provider
        self._acknowledged: set[str] = set()
        self._acknowledged_plan: PolicyPlan | None = None
        self._reported = False
        self._overflow_reported = False

    def visit(self, node: IConstruct) -> None:
        if CfnResource.is_cfn_resource(node):
            try:
                plan = self._provider._plan()
            except ValueError:  # a policy that cannot fit: validate() reports it
                return
            self._acknowledge_wildcards(plan)

    def validate(self) -> list[str]:
        provider = self._provider
        try:
            plan = provider._plan()
        except ValueError as error:
            # Only a grant made through CDK's own code (``bucket.grant_read(provider)``) gets here: the
            # provider's and its function's ``add_to_role_policy`` refuse at the call. An error returned
            # here would reach the user through jsii twice, inside a JavaScript stack; an error
            # annotation is printed once, by the CLI, which then stops (``cdk synth``/``deploy``).
            # Written as the metadata ``Annotations.add_error`` writes, without the JavaScript stack
            # trace it records (the CLI would print its first line as the error's location).
            if not self._overflow_reported:
                self._overflow_reported = True
                provider.node.add_metadata(ERROR_METADATA, str(error))
            return []
        self._acknowledge_wildcards(plan)
        if not self._reported:
            self._reported = True
            provider._report_statements()
        return []

    def _acknowledge_wildcards(self, plan: PolicyPlan) -> None:
        provider = self._provider
        holder = provider._policy
        if holder is None or plan is self._acknowledged_plan:  # the same plan: nothing new to acknowledge
            return
        reasons: dict[str, list[str]] = {}
        for resource, reason in plan.wildcard_reasons.items():
            reasons.setdefault(plan.sizes.nag_finding(resource), []).append(reason)
        if provider._wildcards:
            resolve = Stack.of(provider).resolve
            for wildcard in provider._wildcards:
                finding = "Resource::" + nag_name(resolve(wildcard.resource))
                reasons.setdefault(finding, []).append(wildcard.reason)
        # One finding per distinct resource, whichever statements hold it; each acknowledged once.
        new = {f"AwsSolutions-IAM5[{finding}]": " ".join(why) for finding, why in reasons.items()}
        new = {rule: reason for rule, reason in new.items() if rule not in self._acknowledged}
        if new:
            acknowledge(holder, "AwsSolutions", new)
            self._acknowledged.update(new)
        self._acknowledged_plan = plan


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class ExecutionProvider(Construct):
    """The Lambda function behind the stack's executions, configurable for locked-down accounts.

    Create one before the executions of a stack to choose its network, keys, role,
    limits and logging; every execution of the stack then uses it (or pass ``provider=``
    to each execution when a stack has several). Without one, the first execution
    creates a default provider with no options.

    It is an ``iam.IGrantable`` and, in a VPC, an ``ec2.IConnectable``, like CDK's own
    ``lambda.Function``: ``bucket.grant_read(provider)``, ``provider.add_to_role_policy(...)``
    and ``database.connections.allow_default_port_from(provider)`` work as usual. Every
    statement granted to it, or to its ``function``, lands in the provider's one
    customer-managed policy (or, for a role it may not change, in the synth warning and
    CDK's policy report), never in an inline policy and never silently nowhere. The rest of
    the role's contract holds on ``function.role`` too: a managed policy
    (``add_managed_policy``), an inline policy (``attach_inline_policy``), a removal policy
    or a mixin reaches the role when the template can carry it, and is reported otherwise.

    The log group it creates is kept when it leaves the stack (``RemovalPolicy.RETAIN``):
    a failed first deployment rolls back by deleting everything it created, and the log
    that explains the failure must outlive that. Its retention still bounds what is kept.

    Example::

        provider = ExecutionProvider(
            stack, "Provider",
            vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            log_encryption_key=key, dead_letter_queue=queue, tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=5,
        )
        DataIntegrationAssociationExecution(stack, "Sync", provider=provider, ...)
    """

    _is_default = False

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        role: iam.IRole | None = None,
        log_group: logs.ILogGroup | None = None,
        log_encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays | None = None,
        environment_encryption: kms.IKey | None = None,
        reserved_concurrent_executions: int | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        tracing: lambda_.Tracing | None = None,
        function_name: str | None = None,
        logging_format: lambda_.LoggingFormat | None = None,
        application_log_level: lambda_.ApplicationLogLevel | None = None,
        system_log_level: lambda_.SystemLogLevel | None = None,
    ) -> None:
        """Create the provider; raises :class:`ValidationError` naming the construct path if an option is invalid.

        :param scope: the parent construct (any construct in the stack).
        :param id: the construct id.
        :param vpc: the VPC to run the function in. Its subnets must reach the AppIntegrations endpoint and
            Amazon S3 (the CloudFormation response URL): see the docs' Locked-down accounts page, Network.
        :param vpc_subnets: which of the VPC's subnets (only with ``vpc``).
        :param security_groups: the function's security groups (only with ``vpc``).
        :param role: the function's execution role, e.g. one the platform team created. A role the construct
            may change (``iam.Role``, or ``Role.from_role_arn(...)`` with ``mutable=True``) gets the provider's
            customer-managed policy attached, and the function waits for it; a role it may not change
            (``mutable=False``, or any role under ``Role.customize_roles``) gets nothing, and synth warns with
            every action and resource it must allow.
        :param log_group: the function's log group. The role may write to it; no group is created.
        :param log_encryption_key: the key for the created log group; its key policy gets a statement that
            lets CloudWatch Logs of the stack's account and Region use it (not with ``log_group``).
        :param log_retention: the created log group's retention (not with ``log_group``).
        :param environment_encryption: the key for the function's environment (it has no variables).
        :param reserved_concurrent_executions: concurrency reserved for the function; at most that many of the
            stack's executions run at once. It comes out of the account's unreserved pool.
        :param dead_letter_queue: where Lambda sends an invocation that failed all its asynchronous tries.
            The role may send to it (and use its key, if it is KMS-encrypted).
        :param tracing: X-Ray tracing for the function; the role may write traces.
        :param function_name: the function's physical name.
        :param logging_format: Lambda's log format for the function: ``JSON`` (every record one object that
            CloudWatch Logs Insights and the Lambda console filter by level) or ``TEXT`` (one line each).
        :param application_log_level: the lowest level of the handler's own records that Lambda keeps
            (``LoggingConfig.ApplicationLogLevel``); JSON format only.
        :param system_log_level: the lowest level of the Lambda platform's records (``START``, ``REPORT``...)
            that Lambda keeps (``LoggingConfig.SystemLogLevel``); JSON format only.

        :default: - ``vpc``: none, the function runs outside any VPC. ``vpc_subnets``: the VPC's private
            subnets (CDK's default for a function). ``security_groups``: one is created that allows only
            outbound HTTPS (443). ``role``: one is created, with the provider's customer-managed policy and
            no inline policy. ``log_group``: one is created, kept on removal. ``log_encryption_key``: none
            (CloudWatch Logs' own encryption). ``log_retention``: one year. ``environment_encryption``: none
            (Lambda's own key). ``reserved_concurrent_executions``: none; a reservation fails in accounts
            whose Lambda quota is reduced (for example to 10). ``dead_letter_queue``: none. ``tracing``:
            none. ``function_name``: generated by CloudFormation. ``logging_format``: ``JSON``.
            ``application_log_level``: ``INFO`` (with ``JSON``). ``system_log_level``: ``WARN`` (with ``JSON``).
        """
        path = f"{scope.node.path}/{id}" if scope.node.path else id
        registry = StackExecutions.of(scope)
        self._check_order(registry, path)
        _check_options(
            path,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            log_group=log_group,
            log_encryption_key=log_encryption_key,
            log_retention=log_retention,
            reserved_concurrent_executions=reserved_concurrent_executions,
            function_name=function_name,
            logging_format=logging_format,
            application_log_level=application_log_level,
            system_log_level=system_log_level,
        )
        super().__init__(scope, id)
        stack = Stack.of(self)
        # What the stack's executions and its registry ask of this provider (see ProviderService).
        registry.register(_Service(self, reserved_concurrent_executions), default=self._is_default)
        self._scopes: set[AssociationScope] = set()
        self._cached_plan: tuple[tuple[int, int], PolicyPlan] | None = None
        self._sizes = Sizes(stack.resolve)
        security_group_list: list[ec2.ISecurityGroup] = list(security_groups or [])
        subnet_ids: list[str] | None = None
        if vpc is not None:
            if not security_group_list:
                security_group_list = [_https_only_security_group(self, vpc)]
            subnet_ids = list(vpc.select_subnets(**_selection(vpc_subnets)).subnet_ids)
        self._log_group: logs.ILogGroup = log_group or self._create_log_group(log_encryption_key, log_retention)

        self._statements: list[iam.PolicyStatement] = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_group.log_group_arn],
            ),
            iam.PolicyStatement(sid=UPDATE_SID, actions=[UPDATE_ACTION], resources=Lazy.list(_ResourceList(self))),
        ]
        options = option_statements(
            stack,
            subnet_ids=subnet_ids,
            security_group_ids=[group.security_group_id for group in security_group_list],
            dead_letter_queue=dead_letter_queue,
            tracing_on=tracing is not None and tracing != lambda_.Tracing.DISABLED,
            environment_encryption=environment_encryption,
        )
        self._statements.extend(options.statements)
        # Wildcard resources of the statements other than the associations', with their reasons.
        self._wildcards: list[Wildcard] = options.wildcards
        self._lists = False

        self._role: iam.IRole = role or self._create_role()
        self._principal = ProviderPrincipal(self, "Permissions", role=self._role)
        customize = self.node.try_get_context(CUSTOMIZE_ROLES_CONTEXT_KEY)
        self._reports = customize is not None
        # The customer-managed policy that holds the statements in the template; None when the role is
        # not the construct's to change (the statements then go to a warning or CDK's policy report).
        self._policy = self._place_statements(created=role is None, customize=customize)
        self._principal.changes_role = self._policy is not None and not self._reports

        json_format = (logging_format or lambda_.LoggingFormat.JSON) == lambda_.LoggingFormat.JSON
        self._function = _ProviderFunction(
            self,
            "Function",
            description=f"cdk-appintegrations: {RESOURCE_TYPE} provider",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=handler_code(),
            memory_size=MEMORY_MB,
            timeout=FUNCTION_TIMEOUT,
            log_group=self._log_group,
            logging_format=lambda_.LoggingFormat.JSON if json_format else lambda_.LoggingFormat.TEXT,
            application_log_level_v2=(application_log_level or lambda_.ApplicationLogLevel.INFO)
            if json_format
            else None,
            system_log_level_v2=(system_log_level or lambda_.SystemLogLevel.WARN) if json_format else None,
            role=self._principal,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_group_list or None,
            environment_encryption=environment_encryption,
            reserved_concurrent_executions=reserved_concurrent_executions,
            dead_letter_queue=dead_letter_queue,
            tracing=tracing,
            function_name=function_name,
        )
        # CDK's own statements for the options (X-Ray, the queue) came in while the function was built; the
        # provider's statements above are those, scoped. From here on, whatever is granted is the user's.
        self._principal.open()
        self._function.check_room = self._check_room
        function_resource = cast("lambda_.CfnFunction", self._function.node.default_child)
        if role is None and self._policy is not None and customize is not None:
            # customize_roles with preventSynthesis false: the role is in the template, but CDK's roleArn
            # names the precreated role, which has no name here ("arn:...:role"); use the real one.
            function_resource.add_property_override("Role", cast("iam.CfnRole", self._role.node.default_child).attr_arn)
        function_resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [_WS1004]}})
        function_resource.add_metadata("cdk-appintegrations:suppressions", {_WS1004: WS1004_REASON})
        finish = _FinishPermissions(self)
        self.node.add_validation(finish)
        if self._policy is not None:
            Aspects.of(self._policy).add(finish, priority=NAG2_PRIORITY)
        self._service_token = self._function.function_arn  # read once: executions read it, one each

    @property
    def function(self) -> lambda_.Function:
        """The Lambda function: for alarms, metrics and grants; a grant to it lands in the provider's policy."""
        return self._function

    @property
    def role(self) -> iam.IRole:
        """The function's execution role: yours, or the one the provider created.

        This is the role itself, with CDK's own behaviour: a statement added to it goes to
        an inline policy (a role the construct may change) or nowhere (``mutable=False``).
        To grant, use the provider or ``function``: ``function.role`` routes every call to
        the provider's policy, the role, or the synth warning.
        """
        return self._role

    @property
    def log_group(self) -> logs.ILogGroup:
        """The function's log group, yours or the one created: where every execution's outcome is logged."""
        return self._log_group

    @property
    def service_token(self) -> str:
        """The function's ARN: the ``ServiceToken`` of a ``Custom::DataIntegrationAssociationExecution``.

        Only for resources written by hand (a ``CfnResource``, or raw CloudFormation through
        an output or an export); executions set it themselves.
        """
        return self._service_token

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal to grant to: grants land in the provider's policy (``iam.IGrantable``)."""
        return self._principal

    @property
    def connections(self) -> ec2.Connections:
        """The function's security groups, to open them the CDK way (``ec2.IConnectable``); only in a VPC."""
        if not self._function.is_bound_to_vpc:
            if self._is_default:
                problem = (
                    "connections: this is the stack's default provider, created by the first execution that named "
                    "no provider; it runs outside any VPC, so it has no security groups to open; create an "
                    "ExecutionProvider(vpc=...) (and, if you like, security_groups=) in this stack before its "
                    "executions, and pass it to each as provider="
                )
            else:
                problem = (
                    "connections: this provider runs outside any VPC, so it has no security groups to open; give "
                    "vpc= (and, if you like, security_groups=) to run it in your subnets"
                )
            raise ValidationError(_KIND, self.node.path, [problem])
        return self._function.connections

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a statement to the provider's policy (or, for a role it may not change, to the list synth reports).

        It counts in the policy's 6,144-character budget, as the associations do: the
        association list collapses to wildcards sooner to make room for it. A statement
        that leaves the policy no room even for one wildcard per account and Region is
        refused here, with a :class:`ValidationError`.
        """
        self._check_room(statement)
        self._principal.add_to_principal_policy(statement)

    def _check_room(self, statement: iam.PolicyStatement) -> None:
        problem = self._room_for(statement=statement)
        if problem is not None:
            raise ValidationError(_KIND, self.node.path, [problem])

    def _create_role(self) -> iam.IRole:
        return iam.Role(
            self,
            "Role",
            assumed_by=cast("iam.IPrincipal", iam.ServicePrincipal("lambda.amazonaws.com")),
            description="cdk-appintegrations provider: updates AppIntegrations data integration associations",
        )

    def _place_statements(self, *, created: bool, customize: object) -> iam.ManagedPolicy | None:
        """The customer-managed policy that carries the statements in the template, attached to the role, if any.

        A created role, and a platform role the construct may change, get it. Under
        ``Role.customize_roles`` the platform creates the role from CDK's policy report
        (see :meth:`_report_statements`); only a created role whose synthesis is not
        prevented is also in the template, and gets the policy there too.
        """
        if customize is not None:
            if not (created and isinstance(customize, dict) and customize.get("preventSynthesis") is False):
                return None
            policy = self._new_policy()
            # CDK's role name for a precreated role names no real role here: attach to the template's role.
            cast("iam.CfnManagedPolicy", policy.node.default_child).add_property_override(
                "Roles", [cast("iam.CfnRole", self._role.node.default_child).ref]
            )
            return policy
        if not created and not _accepts_attached_policies(self, self._role):
            return None
        policy = self._new_policy()
        policy.attach_to_role(self._role)
        return policy

    def _new_policy(self) -> iam.ManagedPolicy:
        """The managed policy, under the principal: a dependency on the function's role waits for it."""
        document = iam.PolicyDocument(statements=list(self._statements))
        self._principal.document = document
        return iam.ManagedPolicy(
            self._principal,
            "Policy",
            description="cdk-appintegrations provider: what its function may do",
            document=document,
        )

    def _create_log_group(self, key: kms.IKey | None, retention: logs.RetentionDays | None) -> logs.ILogGroup:
        group = logs.LogGroup(
            self,
            "LogGroup",
            retention=retention or LOG_RETENTION,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if key is not None:
            stack = Stack.of(self)
            if not key.add_to_resource_policy(log_key_statement(stack)).statement_added:
                Annotations.of(self).add_warning_v2(
                    "cdk-appintegrations:logKeyPolicy",
                    "log_encryption_key is an imported key, so its key policy cannot be changed here; it must let "
                    f"CloudWatch Logs use it: {readable_statements([log_key_statement(stack)], stack.resolve)}",
                )
        return group

    @staticmethod
    def _check_order(registry: StackExecutions, path: str) -> None:
        default = registry.default_provider
        if default is not None:
            raise ValidationError(
                _KIND,
                path,
                [
                    f"executions of this stack already use the default provider '{default.node.path}', created by "
                    f"the first execution that named no provider; create the ExecutionProvider before the "
                    f"executions, so that they use it"
                ],
            )

    def _serve(self, scope: AssociationScope) -> None:
        """Let the provider update what an execution names (its IAM statements grow with it)."""
        self._scopes.add(scope)
        if scope.is_lookup and not self._lists:
            self._allow_lookups()

    def _allow_lookups(self) -> None:
        """``ListDataIntegrationAssociations`` in a statement of its own, only once an execution looks up."""
        self._lists = True
        statement = _list_statement()
        self._statements.append(statement)
        self._wildcards.insert(0, Wildcard("*", LIST_REASON))
        if self._principal.document is not None:
            self._principal.document.add_statements(statement)

    def _plan(self) -> PolicyPlan:
        """The association statement's resources for what is registered so far (executions and grants only grow)."""
        key = (len(self._scopes), len(self._principal.granted))
        if self._cached_plan is None or self._cached_plan[0] != key:
            others = self._other_statements_bound()
            try:
                plan = plan_resources(self._scopes, budget_bytes=MANAGED_POLICY_CHARACTERS - others, sizes=self._sizes)
            except ValueError as error:
                problem = _overflow(len(self._principal.granted), others, str(error))
                raise ValueError(f"{_KIND} '{self.node.path}': {problem}") from None
            self._cached_plan = (key, plan)
        return self._cached_plan[1]

    def _room_for(
        self, *, scope: AssociationScope | None = None, statement: iam.PolicyStatement | None = None
    ) -> str | None:
        """Why the policy could not hold one more execution or granted statement, even at its shortest; or None.

        Checked where the user adds one (an execution, ``add_to_role_policy``), so that the
        error points at that line; :meth:`_plan` checks again at synth, for what came in
        another way (a grant through CDK, a statement changed after it was added).
        """
        scopes = self._scopes if scope is None else {*self._scopes, scope}
        extra = [] if statement is None else [statement]
        if scope is not None and scope.is_lookup and not self._lists:
            extra.append(_list_statement())
        elif not extra and scope is not None and any(s.environment == scope.environment for s in self._scopes):
            return None  # neither the statements nor the shortest association list grow
        others = self._other_statements_bound(extra)
        least = least_resources(scopes)
        budget = MANAGED_POLICY_CHARACTERS - others
        if self._sizes.total(least) <= budget:
            return None
        granted = len(self._principal.granted) + (statement is not None)
        return _overflow(granted, others, overflow_text(len(least), self._sizes.total(least), budget))

    def _other_statements_bound(self, extra: Sequence[iam.PolicyStatement] = ()) -> int:
        """The most IAM can count for the policy without the association list (references at their longest)."""
        resolve = Stack.of(self).resolve
        statements: list[Any] = []
        for statement in [*self._statements, *self._principal.granted, *extra]:
            if statement.sid == UPDATE_SID:
                statements.append({"Action": UPDATE_ACTION, "Effect": "Allow", "Resource": [], "Sid": UPDATE_SID})
            else:
                statements.append(resolve(statement.to_statement_json()))
        return deployed_bound_characters({"Statement": statements, "Version": "2012-10-17"})

    def _required_statements(self) -> list[dict[str, Any]]:
        """Every statement the role must allow, as JSON whose resources are text (intrinsics in Fn::Sub notation).

        The provider's statements, those granted to it, and those of the inline policies
        attached to its role that the role did not take, as they are at synth.
        """
        resolve = Stack.of(self).resolve
        final = [
            statement
            if statement.sid != UPDATE_SID
            else iam.PolicyStatement(
                sid=statement.sid,
                actions=[UPDATE_ACTION],
                resources=[resource.render() for resource in self._plan().resources],
            )
            for statement in [*self._statements, *self._principal.granted]
        ]
        inline = [
            readable_statement(statement)
            for policy in self._principal.inline_policies
            for statement in (resolve(policy.document) or {}).get("Statement", [])
        ]
        return readable_statements(final, resolve) + inline

    def _report_statements(self) -> None:
        """Hand what the role will not carry to whoever owns it: a warning, and the policy report.

        That is the final statements and managed policies for a role the construct may not
        change, and, for an imported role it may change, the managed policies that
        CloudFormation cannot attach to it.
        """
        resolve = Stack.of(self).resolve
        role = as_text(resolve(self._role.role_arn))
        managed = [as_text(resolve(policy.managed_policy_arn)) for policy in self._principal.managed_policies]
        if self._policy is not None and not self._reports:
            if managed:
                Annotations.of(self).add_warning_v2(
                    "cdk-appintegrations:managedPolicyNotAttached",
                    f"the role {role!r} is imported, and CloudFormation attaches to an imported role only a "
                    f"customer-managed policy of this app (an iam.ManagedPolicy), so these managed policies are not "
                    f"attached here: {json.dumps(managed)}; attach them where the role is defined, or add their "
                    f"statements with add_to_role_policy",
                )
            return
        required = self._required_statements()
        if self._reports:  # customize_roles: CDK's report reads what is added to the (precreated) role
            for statement in required:
                self._role.add_to_principal_policy(iam.PolicyStatement.from_json(statement))
            for policy in self._principal.managed_policies:
                self._role.add_managed_policy(policy)
        if self._policy is None:  # the document as one line of JSON, last, to take from the synth output as it is
            document = json.dumps({"Version": "2012-10-17", "Statement": required})
            attached = f"it must have these managed policies attached: {json.dumps(managed)}; and " if managed else ""
            Annotations.of(self).add_warning_v2(
                ROLE_NOT_CHANGED,
                f"the role {role!r} is not this construct's to change, so it gets no policy here; {attached}it must "
                f"allow this IAM policy document: {document}",
            )


class _Service:
    """A provider's :class:`~cdk_appintegrations.stack_executions.ProviderService`: what executions ask of it."""

    def __init__(self, provider: ExecutionProvider, reserved_concurrent_executions: int | None) -> None:
        self._provider = provider
        self._reserved = reserved_concurrent_executions

    @property
    def provider(self) -> ExecutionProvider:
        return self._provider

    @property
    def reserved_concurrent_executions(self) -> int | None:
        return self._reserved

    def room_for(self, scope: AssociationScope) -> str | None:
        return self._provider._room_for(scope=scope)

    def serve(self, scope: AssociationScope) -> None:
        self._provider._serve(scope)


class _ProviderFunction(lambda_.Function):
    """The provider's function: ``add_to_role_policy`` refuses, at the call, a statement the policy cannot hold.

    The statement reaches the provider's principal through JavaScript (``Function`` calls
    its role), where an exception would come back to the user twice, in a JavaScript
    stack; checked here, in Python, the error points at the user's line.
    """

    #: The provider's check, set once the function is built (CDK's own statements come earlier).
    check_room: Callable[[iam.PolicyStatement], None] | None = None

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        if self.check_room is not None:
            self.check_room(statement)
        super().add_to_role_policy(statement)


def _list_statement() -> iam.PolicyStatement:
    """``ListDataIntegrationAssociations``, which has no resource type: ``Resource: *``, alone in its statement."""
    return iam.PolicyStatement(sid="FindDataIntegrationAssociations", actions=[LIST_ACTION], resources=["*"])


def _overflow(granted: int, others: int, why: str) -> str:
    """The provider's policy is over IAM's limit: what takes the room, and what to do."""
    return (
        f"its policy cannot hold what it needs within IAM's limit of {MANAGED_POLICY_CHARACTERS:,} characters for a "
        f"managed policy: the statements other than the associations' (its own, and {granted} granted to it) take "
        f"up to {others:,} characters once deployed, and {why}. Grant the provider fewer or shorter statements, or "
        f"spread the executions over stacks"
    )


def _accepts_attached_policies(scope: Construct, role: iam.IRole) -> bool:
    """Whether a policy attached to ``role`` reaches it: an immutable role ignores the attachment.

    Asked of an ``iam.Policy``, whose ``Roles`` stay empty for such a role (a
    ``ManagedPolicy`` lists whatever it is attached to); the probe never reaches the template.
    """
    probe = iam.Policy(scope, "RoleProbe")
    role.attach_inline_policy(probe)
    attached = bool(Stack.of(scope).resolve(cast("iam.CfnPolicy", probe.node.default_child).roles))
    scope.node.try_remove_child("RoleProbe")
    return attached


class DefaultExecutionProvider(ExecutionProvider):
    """The provider a stack's first execution creates when it names none and the stack has no explicit one."""

    _is_default = True


_SELECTION_FIELDS = (
    "availability_zones",
    "one_per_az",
    "subnet_filters",
    "subnet_group_name",
    "subnets",
    "subnet_type",
)


def _selection(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    """``select_subnets`` takes the selection's fields as keywords in Python."""
    if selection is None:
        return {}
    return {name: value for name in _SELECTION_FIELDS if (value := getattr(selection, name, None)) is not None}


def _https_only_security_group(scope: Construct, vpc: ec2.IVpc) -> ec2.ISecurityGroup:
    """A group that lets the function reach AppIntegrations and the response URL, and nothing else."""
    group = ec2.SecurityGroup(
        scope,
        "SecurityGroup",
        vpc=vpc,
        description="cdk-appintegrations provider: outbound HTTPS only (AppIntegrations, CloudFormation response URL)",
        allow_all_outbound=False,
    )
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AppIntegrations and Amazon S3")
    return group


def _check_options(
    path: str,
    *,
    vpc: object,
    vpc_subnets: object,
    security_groups: Sequence[object] | None,
    log_group: object,
    log_encryption_key: object,
    log_retention: object,
    reserved_concurrent_executions: object,
    function_name: object,
    logging_format: object,
    application_log_level: object,
    system_log_level: object,
) -> None:
    """Every problem with the options at once, before anything is added to the tree."""
    problems: list[str] = []
    if logging_format == lambda_.LoggingFormat.TEXT:
        for name, value in (("application_log_level", application_log_level), ("system_log_level", system_log_level)):
            if value is not None:
                problems.append(
                    f"{name}={value} is given with logging_format=LoggingFormat.TEXT; Lambda filters by level only "
                    f"in its JSON format, so leave logging_format out (JSON) or leave {name} out"
                )
    if vpc is None:
        for name, value in (("vpc_subnets", vpc_subnets), ("security_groups", security_groups)):
            if value:
                problems.append(f"{name} is given without vpc; give the VPC the function runs in, or leave {name} out")
    if log_group is not None:
        for name, value in (("log_encryption_key", log_encryption_key), ("log_retention", log_retention)):
            if value is not None:
                problems.append(
                    f"{name} is given with log_group; they configure the log group the provider creates, so set "
                    f"them on your own log group instead"
                )
    reserved = reserved_concurrent_executions
    if (
        reserved is not None
        and not (isinstance(reserved, int | float) and Token.is_unresolved(reserved))
        and (isinstance(reserved, bool) or not isinstance(reserved, int) or reserved < 1)
    ):
        problems.append(
            f"reserved_concurrent_executions: {reserved!r} is not allowed; expected a whole number of at least 1, "
            f"or None for no reservation"
        )
    if (
        function_name is not None
        and not (isinstance(function_name, str) and Token.is_unresolved(function_name))
        and (not isinstance(function_name, str) or not _FUNCTION_NAME.match(function_name))
    ):
        problems.append(f"function_name: {function_name!r} is not allowed; expected 1-64 letters, digits, '-' or '_'")
    if problems:
        raise ValidationError(_KIND, path, problems)
