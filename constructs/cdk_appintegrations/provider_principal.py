"""The role the provider's function is handed: the real role's identity, every grant routed to the provider's policy.

CDK grants to a function through its role (``function.add_to_role_policy``,
``bucket.grant_read(function)``, ``grant_*(provider)``): each ends in the role's
``add_to_principal_policy``. A created ``iam.Role`` would put the statement in a
``DefaultPolicy`` (an inline policy, which the HIPAA, NIST 800-53 and PCI DSS packs
refuse), and a role CDK may not change drops it without a word. So the function gets
this construct as its role instead: it stands for the real role (ARN, name, trust) and
writes each statement where the provider keeps its own, in one customer-managed policy
that it owns as a child, or, for a role the construct may not change, in the list the
synth warning and CDK's policy report give the platform team.

It is a construct so that jsii hands the same JavaScript object to every caller, and so
that a dependency on the role (the function's own, or a grant's ``apply_before``) is a
dependency on the managed policy below it: the function waits for its permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import RemovalPolicy
    from aws_cdk.interfaces.aws_iam import RoleReference


@jsii.implements(iam.IRole)
class ProviderPrincipal(Construct):
    """``role`` to the function and to grantees; statements go to :meth:`add_to_principal_policy`'s list.

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

    # IIdentity: the provider's policy is the only one it attaches; CDK's managed and inline
    # policies for a function (VPC access, a default policy) are what it replaces.
    def add_managed_policy(self, policy: iam.IManagedPolicy) -> None:
        """Ignored: the provider's own policy holds what the function needs."""

    def attach_inline_policy(self, policy: iam.Policy) -> None:
        """Ignored: inline policies are what the regulated rule packs refuse."""

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
        """Ignored: the role is not this construct's resource."""
