"""``DataIntegrationAssociationExecution``: set an association's ExecutionConfiguration at deploy.

The construct renders exactly the handler's ResourceProperties and checks them with
the handler's own contract (``parse_properties``) before anything is added to the
tree, so a mistake stops ``cdk synth`` with the message the provider would have put
in a failed stack event, prefixed with the construct path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import CfnResource, CustomResource, Stack, Token
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_appintegrations._lambda.appintegrations_cr import contract

from .execution_configuration import ExecutionConfiguration
from .permissions import ArnContext, IdentifierError, grant_for
from .provider import SERVICE_TIMEOUT, ExecutionProvider

RESOURCE_TYPE = "Custom::DataIntegrationAssociationExecution"


def is_unresolved(value: object) -> bool:
    """``Token.is_unresolved`` without a jsii round trip for plain values.

    A string can only be a token if it carries the ``${Token[...]}`` marker, and the
    mappings here are built by this module; skipping the call for them keeps a stack
    of hundreds of executions quick to synthesize.
    """
    if isinstance(value, str) and "Token[" not in value:
        return False
    if isinstance(value, Mapping):
        return False
    return Token.is_unresolved(value)


class DataIntegrationAssociationExecution(Construct):
    """Applies an ``ExecutionConfiguration`` to an Amazon AppIntegrations data integration association.

    It calls ``UpdateDataIntegrationAssociation`` when created, when its target or
    configuration changes, and when ``rerun_token`` changes. Every such call starts
    the association's data pull again, so an update that changes nothing makes no
    call. Deleting the construct leaves the association as it is: the API has no way
    to unset a configuration.

    All executions in a stack share one provider function (see ``provider_function``).

    Example::

        DataIntegrationAssociationExecution(
            stack, "KnowledgeBaseSync",
            data_integration_identifier=data_integration_arn,
            data_integration_association_identifier=association_id,
            execution_configuration=ExecutionConfiguration.on_demand(
                start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
        )
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_integration_identifier: str,
        data_integration_association_identifier: str,
        execution_configuration: ExecutionConfiguration,
        rerun_token: str | None = None,
    ) -> None:
        """Create the execution; raises ``ValueError`` naming the construct path if a property is invalid.

        :param scope: the parent construct.
        :param id: the construct id.
        :param data_integration_identifier: the data integration's id or ARN (may be a token).
        :param data_integration_association_identifier: the association's id or ARN (may be a token).
            An ARN also names the data integration, which must then match.
        :param execution_configuration: what to run: ``ExecutionConfiguration.on_demand(...)`` or
            ``ExecutionConfiguration.scheduled(...)``.
        :param rerun_token: any string; change it to run the job again with an unchanged configuration.

        :default: - ``rerun_token``: none; only a change of target or configuration re-runs the job.
        """
        super().__init__(scope, id)
        properties = self._properties(
            data_integration_identifier,
            data_integration_association_identifier,
            execution_configuration,
            rerun_token,
        )
        stack = Stack.of(self)
        provider = ExecutionProvider.find(stack)
        try:
            grant = grant_for(
                data_integration_identifier,
                data_integration_association_identifier,
                provider.context if provider else ArnContext.of_stack(stack),
                is_unresolved,
            )
        except IdentifierError as error:
            raise self._error(error.problems) from error
        # Only now, with valid input, may the first execution of a stack create the provider.
        provider = provider or ExecutionProvider.of(stack)
        provider.grant(grant)
        self._provider = provider
        #: The ``Custom::DataIntegrationAssociationExecution`` resource.
        self.resource = CustomResource(
            self,
            "Resource",
            resource_type=RESOURCE_TYPE,
            service_token=provider.service_token,
            service_timeout=SERVICE_TIMEOUT,
            properties=properties,
            pascal_case_properties=False,
        )
        provider.executions.append(cast("CfnResource", self.resource.node.default_child))

    @property
    def provider_function(self) -> lambda_.IFunction:
        """The stack's provider function, shared by every execution in the stack (e.g. for alarms).

        Its role is immutable: the provider's inline policy already holds all it needs.
        """
        return self._provider.function

    def _error(self, problems: list[str]) -> ValueError:
        return ValueError(f"DataIntegrationAssociationExecution '{self.node.path}': {'; '.join(problems)}")

    def _properties(
        self,
        data_integration_identifier: object,
        association_identifier: object,
        execution_configuration: object,
        rerun_token: object,
    ) -> dict[str, Any]:
        """The ResourceProperties, checked by the shared contract exactly as the handler will check them."""
        problems: list[str] = []
        properties: dict[str, Any] = {}
        for parameter, name, value, required in (
            ("data_integration_identifier", contract.DATA_INTEGRATION_IDENTIFIER, data_integration_identifier, True),
            ("data_integration_association_identifier", contract.ASSOCIATION_IDENTIFIER, association_identifier, True),
            ("rerun_token", contract.RERUN_TOKEN, rerun_token, False),
        ):
            if isinstance(value, str):
                properties[name] = value
            elif value is not None or required:
                problems.append(
                    f"{parameter} [{name}]: {value!r} is a {type(value).__name__}; expected a str"
                    + (" (an id or ARN, or a token)" if required else "")
                )
        if isinstance(execution_configuration, ExecutionConfiguration):
            rendered, config_problems = execution_configuration._to_properties()
            properties[contract.EXECUTION_CONFIGURATION] = rendered
            problems.extend(config_problems)
        else:
            problems.append(
                f"execution_configuration [{contract.EXECUTION_CONFIGURATION}]: {execution_configuration!r} is a "
                f"{type(execution_configuration).__name__}; build it with ExecutionConfiguration.on_demand(...) "
                f"or ExecutionConfiguration.scheduled(...)"
            )
        if problems:  # the Python-level problems first: without them the contract would misreport
            raise self._error(problems)
        try:
            contract.parse_properties(properties, unresolved=is_unresolved)
        except contract.ContractError as error:
            raise self._error(error.problems) from error
        return properties
