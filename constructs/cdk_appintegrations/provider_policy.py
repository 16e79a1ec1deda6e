"""What a provider's role must allow: the plan of its one policy, its budget, and its reports.

A provider's statements are known in three stages: its own (logs, the options) when it
is created; the associations, one execution at a time; what is granted to it, at any
time until synth. The policy must hold all three within IAM's 6,144 characters, so the
association list is planned last, at synth, from what is left (:meth:`ProviderPolicy.plan`),
and checked earlier, at each call that adds to it, so that an error names the user's line
(:meth:`ProviderPolicy.check_room`). What the role will not carry in the template is
reported at synth (:meth:`ProviderPolicy.report`).

This is the provider's internal interface for its executions (:meth:`serve`,
:meth:`room_for`); nothing here is public API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import jsii
from appintegrations_cr.constants import DESCRIBE_STACKS_ACTION, LIST_ACTION, UPDATE_ACTION
from aws_cdk import Annotations, AspectPriority, Aspects, CfnResource, IAspect, IStableListProducer, Lazy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct, IValidation

from .acknowledgments import acknowledge
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
from .provider_statements import OptionStatements, Wildcard, readable_statement, readable_statements

if TYPE_CHECKING:
    from .provider_principal import ProviderPrincipal

#: CDK's context key for ``iam.Role.customize_roles``.
CUSTOMIZE_ROLES_CONTEXT_KEY = "@aws-cdk/iam:customizeRoles"
#: IAM's limit for a customer-managed policy, in characters (whitespace not counted).
MANAGED_POLICY_CHARACTERS = 6144
UPDATE_SID = "UpdateDataIntegrationAssociations"
#: The id of the synth warning that gives a role the construct may not change the policy it needs.
ROLE_NOT_CHANGED = "cdk-appintegrations:roleNotChanged"
#: When the provider's policy acknowledges its wildcards for cdk-nag 2, whose packs are Aspects that
#: ``Aspects.of(app).add(...)`` runs at the default priority: on the policy, just before them, and after
#: every mutating Aspect (``AspectPriority.MUTATING``), which may still grant the provider something.
NAG2_PRIORITY = AspectPriority.DEFAULT - 1
#: The metadata type of an error annotation (cloud-assembly-schema's ``ArtifactMetadataEntryType.ERROR``,
#: whose jsii enum gives Python its member name, not this value): what ``cdk synth`` stops on.
ERROR_METADATA = "aws:cdk:error"
_KIND = "ExecutionProvider"


class ProviderPolicy:
    """The provider's statements, those granted to it and the association list, within one policy's budget."""

    def __init__(
        self,
        provider: Construct,
        stack: Stack,
        *,
        role: iam.IRole,
        principal: ProviderPrincipal,
        created_role: bool,
        log_group_arn: str,
        options: OptionStatements,
    ) -> None:
        self._provider = provider
        self._path = provider.node.path
        self._resolve = stack.resolve
        self._sizes = Sizes(stack.resolve)
        self._role = role
        self._principal = principal
        #: The provider's own statements, in the policy's order: its logs, its stack's status (a forward
        #: request watches for its rollback; the provider serves this stack only), the associations, its options.
        self.statements: list[iam.PolicyStatement] = [
            iam.PolicyStatement(
                sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group_arn]
            ),
            iam.PolicyStatement(sid="ReadOwnStackStatus", actions=[DESCRIBE_STACKS_ACTION], resources=[stack.stack_id]),
            iam.PolicyStatement(sid=UPDATE_SID, actions=[UPDATE_ACTION], resources=Lazy.list(_ResourceList(self))),
            *options.statements,
        ]
        # Wildcard resources of the statements other than the associations', with their reasons.
        self._wildcards: list[Wildcard] = options.wildcards
        self._lists = False
        self._scopes: set[AssociationScope] = set()
        self._cached_plan: tuple[tuple[int, int], PolicyPlan] | None = None
        customize = provider.node.try_get_context(CUSTOMIZE_ROLES_CONTEXT_KEY)
        #: Under ``Role.customize_roles``: the platform creates the role from CDK's policy report.
        self.reports = customize is not None
        #: The customer-managed policy that holds the statements in the template; None when the role is
        #: not the construct's to change (the statements then go to a warning or CDK's policy report).
        self.holder = self._place(created_role=created_role, customize=customize)
        principal.changes_role = self.holder is not None and not self.reports
        finish = _FinishPermissions(self)
        provider.node.add_validation(finish)
        if self.holder is not None:
            Aspects.of(self.holder).add(finish, priority=NAG2_PRIORITY)

    @property
    def scopes(self) -> frozenset[AssociationScope]:
        """What the provider's executions name, so far."""
        return frozenset(self._scopes)

    def serve(self, scope: AssociationScope) -> None:
        """Let the provider update what an execution names (its IAM statements grow with it)."""
        self._scopes.add(scope)
        if scope.is_lookup and not self._lists:
            self._allow_lookups()

    def check_room(self, statement: iam.PolicyStatement) -> None:
        """Refuse, naming the provider, a statement the policy could not hold even at its shortest."""
        problem = self.room_for(statement=statement)
        if problem is not None:
            raise ValidationError(_KIND, self._path, [problem])

    def room_for(
        self, *, scope: AssociationScope | None = None, statement: iam.PolicyStatement | None = None
    ) -> str | None:
        """Why the policy could not hold one more execution or granted statement, even at its shortest; or None.

        Checked where the user adds one (an execution, ``add_to_role_policy``), so that the
        error points at that line; :meth:`plan` checks again at synth, for what came in
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
        granted = len(self._granted) + (statement is not None)
        return _overflow(granted, others, overflow_text(len(least), self._sizes.total(least), budget))

    def plan(self) -> PolicyPlan:
        """The association statement's resources for what is registered so far (executions and grants only grow)."""
        key = (len(self._scopes), len(self._granted))
        if self._cached_plan is None or self._cached_plan[0] != key:
            others = self._other_statements_bound()
            try:
                plan = plan_resources(self._scopes, budget_bytes=MANAGED_POLICY_CHARACTERS - others, sizes=self._sizes)
            except ValueError as error:
                problem = _overflow(len(self._granted), others, str(error))
                raise ValueError(f"{_KIND} '{self._path}': {problem}") from None
            self._cached_plan = (key, plan)
        return self._cached_plan[1]

    @property
    def _granted(self) -> list[iam.PolicyStatement]:
        return self._principal.granted

    def _place(self, *, created_role: bool, customize: object) -> iam.ManagedPolicy | None:
        """The customer-managed policy that carries the statements in the template, attached to the role, if any.

        A created role, and a platform role the construct may change, get it. Under
        ``Role.customize_roles`` the platform creates the role from CDK's policy report
        (see :meth:`report`); only a created role whose synthesis is not prevented is also
        in the template, and gets the policy there too.
        """
        if customize is not None:
            if not (created_role and isinstance(customize, dict) and customize.get("preventSynthesis") is False):
                return None
            policy = self._new_policy()
            # CDK's role name for a precreated role names no real role here: attach to the template's role.
            cast("iam.CfnManagedPolicy", policy.node.default_child).add_property_override(
                "Roles", [cast("iam.CfnRole", self._role.node.default_child).ref]
            )
            return policy
        if not created_role and not _accepts_attached_policies(self._provider, self._role):
            return None
        policy = self._new_policy()
        policy.attach_to_role(self._role)
        return policy

    def _new_policy(self) -> iam.ManagedPolicy:
        """The managed policy, under the principal: a dependency on the function's role waits for it."""
        document = iam.PolicyDocument(statements=list(self.statements))
        self._principal.document = document
        return iam.ManagedPolicy(
            self._principal,
            "Policy",
            description="cdk-appintegrations provider: what its function may do",
            document=document,
        )

    def _allow_lookups(self) -> None:
        """``ListDataIntegrationAssociations`` in a statement of its own, only once an execution looks up."""
        self._lists = True
        statement = _list_statement()
        self.statements.append(statement)
        self._wildcards.insert(0, Wildcard("*", LIST_REASON))
        if self._principal.document is not None:
            self._principal.document.add_statements(statement)

    def _other_statements_bound(self, extra: Sequence[iam.PolicyStatement] = ()) -> int:
        """The most IAM can count for the policy without the association list (references at their longest)."""
        statements: list[Any] = []
        for statement in [*self.statements, *self._granted, *extra]:
            if statement.sid == UPDATE_SID:
                statements.append({"Action": UPDATE_ACTION, "Effect": "Allow", "Resource": [], "Sid": UPDATE_SID})
            else:
                statements.append(self._resolve(statement.to_statement_json()))
        return deployed_bound_characters({"Statement": statements, "Version": "2012-10-17"})

    def _required_statements(self) -> list[dict[str, Any]]:
        """Every statement the role must allow, as JSON whose resources are text (intrinsics in Fn::Sub notation).

        The provider's statements, those granted to it, and those of the inline policies
        attached to its role that the role did not take, as they are at synth.
        """
        final = [
            statement
            if statement.sid != UPDATE_SID
            else iam.PolicyStatement(
                sid=statement.sid,
                actions=[UPDATE_ACTION],
                resources=[resource.render() for resource in self.plan().resources],
            )
            for statement in [*self.statements, *self._granted]
        ]
        inline = [
            readable_statement(statement)
            for policy in self._principal.inline_policies
            for statement in (self._resolve(policy.document) or {}).get("Statement", [])
        ]
        return readable_statements(final, self._resolve) + inline

    def report(self) -> None:
        """Hand what the role will not carry to whoever owns it: a warning, and the policy report.

        That is the final statements and managed policies for a role the construct may not
        change, and, for an imported role it may change, the managed policies that
        CloudFormation cannot attach to it.
        """
        role = as_text(self._resolve(self._role.role_arn))
        managed = [as_text(self._resolve(policy.managed_policy_arn)) for policy in self._principal.managed_policies]
        if self.holder is not None and not self.reports:
            if managed:
                Annotations.of(self._provider).add_warning_v2(
                    "cdk-appintegrations:managedPolicyNotAttached",
                    f"the role {role!r} is imported, and CloudFormation attaches to an imported role only a "
                    f"customer-managed policy of this app (an iam.ManagedPolicy), so these managed policies are not "
                    f"attached here: {json.dumps(managed)}; attach them where the role is defined, or add their "
                    f"statements with add_to_role_policy",
                )
            return
        required = self._required_statements()
        if self.reports:  # customize_roles: CDK's report reads what is added to the (precreated) role
            for statement in required:
                self._role.add_to_principal_policy(iam.PolicyStatement.from_json(statement))
            for policy in self._principal.managed_policies:
                self._role.add_managed_policy(policy)
        if self.holder is None:  # the document as one line of JSON, last, to take from the synth output as it is
            document = json.dumps({"Version": "2012-10-17", "Statement": required})
            attached = f"it must have these managed policies attached: {json.dumps(managed)}; and " if managed else ""
            Annotations.of(self._provider).add_warning_v2(
                ROLE_NOT_CHANGED,
                f"the role {role!r} is not this construct's to change, so it gets no policy here; {attached}it must "
                f"allow this IAM policy document: {document}",
            )


@jsii.implements(IStableListProducer)
class _ResourceList:
    """Produces the statement's resources at synth, from every execution registered by then."""

    def __init__(self, policy: ProviderPolicy) -> None:
        self._policy = policy

    def produce(self) -> list[str] | None:
        try:
            resources = self._policy.plan().resources
        except ValueError:  # over IAM's limit: _FinishPermissions says so, once; a resolve must not fail before
            resources = least_resources(self._policy.scopes)
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

    def __init__(self, policy: ProviderPolicy) -> None:
        self._policy = policy
        self._acknowledged: set[str] = set()
        self._acknowledged_plan: PolicyPlan | None = None
        self._reported = False
        self._overflow_reported = False

    def visit(self, node: IConstruct) -> None:
        if CfnResource.is_cfn_resource(node):
            try:
                plan = self._policy.plan()
            except ValueError:  # a policy that cannot fit: validate() reports it
                return
            self._acknowledge_wildcards(plan)

    def validate(self) -> list[str]:
        policy = self._policy
        try:
            plan = policy.plan()
        except ValueError as error:
            # Only a grant made through CDK's own code (``bucket.grant_read(provider)``) gets here: the
            # provider's and its function's ``add_to_role_policy`` refuse at the call. An error returned
            # here would reach the user through jsii twice, inside a JavaScript stack; an error
            # annotation is printed once, by the CLI, which then stops (``cdk synth``/``deploy``).
            # Written as the metadata ``Annotations.add_error`` writes, without the JavaScript stack
            # trace it records (the CLI would print its first line as the error's location).
            if not self._overflow_reported:
                self._overflow_reported = True
                policy._provider.node.add_metadata(ERROR_METADATA, str(error))
            return []
        self._acknowledge_wildcards(plan)
        if not self._reported:
            self._reported = True
            policy.report()
        return []

    def _acknowledge_wildcards(self, plan: PolicyPlan) -> None:
        policy = self._policy
        holder = policy.holder
        if holder is None or plan is self._acknowledged_plan:  # the same plan: nothing new to acknowledge
            return
        reasons: dict[str, list[str]] = {}
        for resource, reason in plan.wildcard_reasons.items():
            reasons.setdefault(plan.sizes.nag_finding(resource), []).append(reason)
        for wildcard in policy._wildcards:
            finding = "Resource::" + nag_name(policy._resolve(wildcard.resource))
            reasons.setdefault(finding, []).append(wildcard.reason)
        # One finding per distinct resource, whichever statements hold it; each acknowledged once.
        new = {f"AwsSolutions-IAM5[{finding}]": " ".join(why) for finding, why in reasons.items()}
        new = {rule: reason for rule, reason in new.items() if rule not in self._acknowledged}
        if new:
            acknowledge(holder, "AwsSolutions", new)
            self._acknowledged.update(new)
        self._acknowledged_plan = plan


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
