"""The role the provider's function is handed: the real role's identity, every grant routed to the provider's policy.

CDK grants to a function through its role (``function.add_to_role_policy``,
``bucket.grant_read(function)``, ``grant_*(provider)``): each ends in the role's
``add_to_principal_policy``. A created ``iam.Role`` would put the statement in a
``DefaultPolicy`` (an inline policy, which the HIPAA, NIST 800-53 and PCI DSS packs
refuse), and a role CDK may not change drops it without a word. So the function gets
this construct as its role instead: it stands for the real role (ARN, name, trust) and
writes each statement where the provider keeps its own, in one customer-managed policy
that it owns as a child, or, for a role the construct may not change, in the list the
synth warning and CDK's policy report give the platform team. The rest of the role's
contract is kept too: a managed or inline policy, a removal policy or a mixin reaches the
real role when the template can carry it, and is reported otherwise (see
:class:`ProviderPrincipal`).

It is a construct so that jsii hands the same JavaScript object to every caller, and so
that a dependency on the role (the function's own, or a grant's ``apply_before``) is a
dependency on the managed policy below it: the function waits for its permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct, IMixin

from .intrinsics import as_text

if TYPE_CHECKING:
    from aws_cdk import RemovalPolicy
    from aws_cdk.interfaces.aws_iam import RoleReference


@jsii.implements(iam.IRole)
class ProviderPrincipal(Construct):
    """``role`` to the function and to grantees; statements go to :meth:`add_to_principal_policy`'s list.

    Each call of ``iam.IRole`` that changes the role lands in the template or is reported:

    - a statement (``add_to_principal_policy``, every ``grant_*``): the provider's policy, or
      the synth warning and CDK's policy report;
    - a managed policy: the real role's ``ManagedPolicyArns`` for a role in the template, the
      policy's ``Roles`` for an imported role and an ``iam.ManagedPolicy``; otherwise the
      provider's synth warning (and CDK's policy report under ``Role.customize_roles``);
    - an inline policy: attached to the real role when the construct may change it;
      otherwise its statements join the provider's in the warning and the report;
    - a removal policy: the real role's (CDK raises for a role that is not in the template);
    - a mixin: applied to the real role, with a synth warning if nothing there takes it.

    While the function is being built CDK adds its own statements for the options it
    sees (X-Ray, the dead-letter queue); the provider writes those itself, scoped and
    for every kind of role, so they are ignored until :meth:`open` is called.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole) -> None:
        super().__init__(scope, construct_id)
        self._role = role
        self._open = False
        #: Statements granted to the provider after its function was built, in order.
        self.granted: list[iam.PolicyStatement] = []
        #: Where a granted statement is written too (the managed policy's document), if anywhere.
        self.document: iam.PolicyDocument | None = None
        #: Whether managed and inline policies reach the real role in the template: set by the provider
        #: (a role it may change, outside ``Role.customize_roles``).
        self.changes_role = False
        #: Managed policies that do not reach the role in the template, in order: the provider reports them.
        self.managed_policies: list[iam.IManagedPolicy] = []
        #: Inline policies not attached to the role: their statements are reported with the provider's.
        self.inline_policies: list[iam.Policy] = []

    def open(self) -> None:
        """From now on every statement is the user's: record it."""
        self._open = True

    # IPrincipal: where grants land.
    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        if self._open:
            self.granted.append(statement)
            if self.document is not None:
                self.document.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self)

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._role.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._role.principal_account

    # IIdentity: what CDK itself attaches while the function is built (nothing, for the options the
    # provider passes) is ignored, as its statements are; the user's policies reach the role or the report.
    def add_managed_policy(self, policy: iam.IManagedPolicy) -> None:
        """Attach it to the real role where the template can; otherwise the provider reports it at synth.

        A role in the template takes any managed policy (``ManagedPolicyArns``); an imported
        role only an ``iam.ManagedPolicy`` of this app (its ``Roles``): CloudFormation cannot
        attach an AWS-managed or imported policy to a role it does not hold.
        """
        if not self._open:
            return
        if self.changes_role and (isinstance(self._role, iam.Role) or isinstance(policy, iam.ManagedPolicy)):
            self._role.add_managed_policy(policy)
        else:
            self.managed_policies.append(policy)

    def attach_inline_policy(self, policy: iam.Policy) -> None:
        """Attach it to the real role when the construct may change it (an ``AWS::IAM::Policy``); else reported.

        An inline policy is what cdk-nag's HIPAA, NIST 800-53 and PCI DSS packs refuse
        (``IAMNoInlinePolicy``); ``add_to_role_policy`` keeps the statements in the provider's
        customer-managed policy instead.
        """
        if not self._open:
            return
        if self.changes_role:
            self._role.attach_inline_policy(policy)
        else:
            self.inline_policies.append(policy)

    # IRole: the real role's identity.
    @property
    def role_arn(self) -> str:
        return self._role.role_arn

    @property
    def role_name(self) -> str:
        return self._role.role_name

    @property
    def role_ref(self) -> RoleReference:
        reference: RoleReference = self._role.role_ref
        return reference

    def grant(self, grantee: iam.IPrincipal, *actions: str) -> iam.Grant:
        return self._role.grant(grantee, *actions)

    def grant_pass_role(self, grantee: iam.IPrincipal) -> iam.Grant:
        return self._role.grant_pass_role(grantee)

    def grant_assume_role(self, grantee: iam.IPrincipal) -> iam.Grant:
        return self._role.grant_assume_role(grantee)

    # IResource: the real role's place.
    @property
    def stack(self) -> Stack:
        return Stack.of(self._role)

    @property
    def env(self) -> Any:  # aws_cdk.ResourceEnvironment, which mypy cannot take as a type
        return self._role.env

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """The real role's: a role in the template gets it; for any other role CDK raises, as it does itself."""
        self._role.apply_removal_policy(policy)

    # IConstruct: mixins are for the real role's resources.
    def with_(self, *mixins: IMixin) -> IConstruct:
        """Apply the mixins to the real role; a mixin that finds nothing there to apply to is a synth warning."""
        self._role.with_(*mixins)
        constructs = self._role.node.find_all()
        for mixin in mixins:
            if not any(mixin.supports(construct) for construct in constructs):
                arn = as_text(Stack.of(self).resolve(self._role.role_arn))
                Annotations.of(self).add_warning_v2(
                    "cdk-appintegrations:mixinNotApplied",
                    f"the mixin {type(mixin).__name__} applies to nothing of the role {arn!r} (it is not in this "
                    f"stack's template, or the mixin is for another kind of resource), so it changes nothing",
                )
        return self
