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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import jsii
from appintegrations_cr.constants import FUNCTION_TIMEOUT_S, RESOURCE_TYPE
from aws_cdk import (
    Annotations,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import handler_code
from .errors import ValidationError
from .intrinsics import is_unresolved
from .permissions import AssociationScope
from .provider_policy import ProviderPolicy
from .provider_principal import ProviderPrincipal
from .provider_statements import OptionStatements, log_key_statement, option_statements, readable_statements
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
#: then fails the stack well before CloudFormation's default hour. In whole seconds, as
#: ``ServiceTimeout`` takes it: plain arithmetic, no jsii round trip.
SERVICE_TIMEOUT_S = 2 * FUNCTION_TIMEOUT_S + 60
MEMORY_MB = 256
#: One year: Control Tower's CT.CLOUDWATCH.PR.2 asks for at least that (or no expiry).
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
RUNTIME = lambda_.Runtime.PYTHON_3_14
_WS1004 = "WS1004"
#: Why cfn-lint-serverless's WS1004 is suppressed on the function (in its template Metadata).
WS1004_REASON = (
    "WS1004 looks for a log group named /aws/lambda/<function name>; this function logs to its own log group "
    "through LoggingConfig, which has a retention, so the rule misfires."
)
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_KIND = "ExecutionProvider"


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
        options = _Options(
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            log_group=log_group,
            log_encryption_key=log_encryption_key,
            log_retention=log_retention,
            environment_encryption=environment_encryption,
            reserved_concurrent_executions=reserved_concurrent_executions,
            dead_letter_queue=dead_letter_queue,
            tracing=tracing,
            function_name=function_name,
            logging_format=logging_format,
            application_log_level=application_log_level,
            system_log_level=system_log_level,
        )
        _check_options(path, options)
        super().__init__(scope, id)
        stack = Stack.of(self)
        groups, subnet_ids = self._network(vpc, vpc_subnets, security_groups)
        self._log_group: logs.ILogGroup = log_group or self._create_log_group(log_encryption_key, log_retention)
        self._role: iam.IRole = role or self._create_role()
        self._principal = ProviderPrincipal(self, "Permissions", role=self._role)
        self._permissions = ProviderPolicy(
            self,
            stack,
            role=self._role,
            principal=self._principal,
            created_role=role is None,
            log_group_arn=self._log_group.log_group_arn,
            options=_option_statements(stack, options, groups, subnet_ids),
        )
        # What the stack's executions and its registry ask of this provider (see ProviderService).
        registry.register(_Service(self, self._permissions, reserved_concurrent_executions))
        self._function = self._create_function(options, groups)
        if role is None and self._permissions.holder is not None and self._permissions.reports:
            # customize_roles with preventSynthesis false: the role is in the template, but CDK's roleArn
            # names the precreated role, which has no name here ("arn:...:role"); use the real one.
            cast("lambda_.CfnFunction", self._function.node.default_child).add_property_override(
                "Role", cast("iam.CfnRole", self._role.node.default_child).attr_arn
            )
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
            if StackExecutions.of(self).default_provider is self:
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
        self._permissions.check_room(statement)
        self._principal.add_to_principal_policy(statement)

    def _network(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> tuple[list[ec2.ISecurityGroup], list[str] | None]:
        """The function's security groups (one that allows only outbound HTTPS, if none given) and subnets."""
        groups: list[ec2.ISecurityGroup] = list(security_groups or [])
        if vpc is None:
            return groups, None
        if not groups:
            groups = [_https_only_security_group(self, vpc)]
        return groups, list(vpc.select_subnets(**_selection(vpc_subnets)).subnet_ids)

    def _create_function(self, options: _Options, security_groups: list[ec2.ISecurityGroup]) -> _ProviderFunction:
        """The function, on the principal; from then on whatever is granted is the user's, and checked."""
        logging_format, application_log_level, system_log_level = (
            options.logging_format,
            options.application_log_level,
            options.system_log_level,
        )
        json_format = (logging_format or lambda_.LoggingFormat.JSON) == lambda_.LoggingFormat.JSON
        function = _ProviderFunction(
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
            vpc=options.vpc,
            vpc_subnets=options.vpc_subnets,
            security_groups=security_groups or None,
            environment_encryption=options.environment_encryption,
            reserved_concurrent_executions=options.reserved_concurrent_executions,
            dead_letter_queue=options.dead_letter_queue,
            tracing=options.tracing,
            function_name=options.function_name,
        )
        # CDK's own statements for the options (X-Ray, the queue) came in while the function was built; the
        # provider's statements are those, scoped. From here on, whatever is granted is the user's.
        self._principal.open()
        function.check_room = self._permissions.check_room
        function_resource = cast("lambda_.CfnFunction", function.node.default_child)
        function_resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [_WS1004]}})
        function_resource.add_metadata("cdk-appintegrations:suppressions", {_WS1004: WS1004_REASON})
        return function

    def _create_role(self) -> iam.IRole:
        return iam.Role(
            self,
            "Role",
            assumed_by=cast("iam.IPrincipal", iam.ServicePrincipal("lambda.amazonaws.com")),
            description="cdk-appintegrations provider: updates AppIntegrations data integration associations",
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


class _Service:
    """A provider's :class:`~cdk_appintegrations.stack_executions.ProviderService`: what executions ask of it."""

    def __init__(
        self, provider: ExecutionProvider, policy: ProviderPolicy, reserved_concurrent_executions: int | None
    ) -> None:
        self._provider = provider
        self._policy = policy
        self._reserved = reserved_concurrent_executions

    @property
    def provider(self) -> ExecutionProvider:
        return self._provider

    @property
    def reserved_concurrent_executions(self) -> int | None:
        return self._reserved

    def room_for(self, scope: AssociationScope) -> str | None:
        return self._policy.room_for(scope=scope)

    def serve(self, scope: AssociationScope) -> None:
        self._policy.serve(scope)


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


@dataclass(frozen=True)
class _Options:
    """The provider's options as the user gave them (checked by :func:`_check_options` before use)."""

    vpc: ec2.IVpc | None
    vpc_subnets: ec2.SubnetSelection | None
    security_groups: Sequence[ec2.ISecurityGroup] | None
    log_group: logs.ILogGroup | None
    log_encryption_key: kms.IKey | None
    log_retention: logs.RetentionDays | None
    environment_encryption: kms.IKey | None
    reserved_concurrent_executions: int | None
    dead_letter_queue: sqs.IQueue | None
    tracing: lambda_.Tracing | None
    function_name: str | None
    logging_format: lambda_.LoggingFormat | None
    application_log_level: lambda_.ApplicationLogLevel | None
    system_log_level: lambda_.SystemLogLevel | None


def _option_statements(
    stack: Stack, options: _Options, security_groups: list[ec2.ISecurityGroup], subnet_ids: list[str] | None
) -> OptionStatements:
    return option_statements(
        stack,
        subnet_ids=subnet_ids,
        security_group_ids=[group.security_group_id for group in security_groups],
        dead_letter_queue=options.dead_letter_queue,
        tracing_on=options.tracing is not None and options.tracing != lambda_.Tracing.DISABLED,
        environment_encryption=options.environment_encryption,
    )


def _named(**values: object) -> list[tuple[str, object]]:
    return list(values.items())


def _check_options(path: str, options: _Options) -> None:
    """Every problem with the options at once, before anything is added to the tree."""
    problems: list[str] = []
    if options.logging_format == lambda_.LoggingFormat.TEXT:
        pairs = _named(application_log_level=options.application_log_level, system_log_level=options.system_log_level)
        for name, value in pairs:
            if value is not None:
                problems.append(
                    f"{name}={value} is given with logging_format=LoggingFormat.TEXT; Lambda filters by level only "
                    f"in its JSON format, so leave logging_format out (JSON) or leave {name} out"
                )
    if options.vpc is None:
        for name, value in _named(vpc_subnets=options.vpc_subnets, security_groups=options.security_groups):
            if value:
                problems.append(f"{name} is given without vpc; give the VPC the function runs in, or leave {name} out")
    if options.log_group is not None:
        for name, value in _named(log_encryption_key=options.log_encryption_key, log_retention=options.log_retention):
            if value is not None:
                problems.append(
                    f"{name} is given with log_group; they configure the log group the provider creates, so set "
                    f"them on your own log group instead"
                )
    reserved: object = options.reserved_concurrent_executions
    if (
        reserved is not None
        and not (isinstance(reserved, int | float) and is_unresolved(reserved))
        and (isinstance(reserved, bool) or not isinstance(reserved, int) or reserved < 1)
    ):
        problems.append(
            f"reserved_concurrent_executions: {reserved!r} is not allowed; expected a whole number of at least 1, "
            f"or None for no reservation"
        )
    function_name: object = options.function_name
    if (
        function_name is not None
        and not (isinstance(function_name, str) and is_unresolved(function_name))
        and (not isinstance(function_name, str) or not _FUNCTION_NAME.match(function_name))
    ):
        problems.append(f"function_name: {function_name!r} is not allowed; expected 1-64 letters, digits, '-' or '_'")
    if problems:
        raise ValidationError(_KIND, path, problems)
