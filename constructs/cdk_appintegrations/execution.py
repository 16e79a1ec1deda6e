"""``DataIntegrationAssociationExecution``: set an association's ExecutionConfiguration at deploy.

The construct renders exactly the handler's ResourceProperties and checks them with
the handler's own contract (``check_properties``) before anything is added to the
tree, so a mistake stops ``cdk synth`` with the problems the provider would have put
in a failed stack event, prefixed with the construct path and said with the keywords
and values the user wrote. A literal identifier that holds no id (a name, a
placeholder) gets a synth warning: the least-privilege policy cannot match it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from appintegrations_cr import contract
from appintegrations_cr.constants import RESOURCE_TYPE
from aws_cdk import Annotations, CfnResource, Stack, Token
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .errors import Argument, KeywordWording, ValidationError, shown, type_phrase, type_problem
from .execution_configuration import ExecutionConfiguration, rendered_properties
from .intrinsics import is_unresolved
from .permissions import scope_of
from .provider import PROVIDER_ID, SERVICE_TIMEOUT_S, ExecutionProvider
from .stack_executions import ProviderService, StackExecutions

#: The id of the synth warning for a literal identifier that holds no id (acknowledge it with this id).
IDENTIFIER_NOT_AN_ID = "cdk-appintegrations:identifierNotAnId"
#: The id of the synth warning for a rate in Amazon AppFlow's form, e.g. ``rate(5minutes)``.
SCHEDULE_IN_APPFLOW_FORM = "cdk-appintegrations:scheduleExpressionAppFlowForm"


class DataIntegrationReference(Protocol):
    """A data integration defined in CDK, e.g. ``aws_appintegrations.CfnDataIntegration``: its id and ARN as tokens."""

    @property
    def attr_id(self) -> str:
        """The data integration's id (``Fn::GetAtt ... Id``)."""
        ...

    @property
    def attr_data_integration_arn(self) -> str:
        """The data integration's ARN (``Fn::GetAtt ... DataIntegrationArn``)."""
        ...


def _reference_id(value: object) -> str | None:
    """``attr_id`` of an object shaped like ``CfnDataIntegration``; None for anything else."""
    attr_id = getattr(value, "attr_id", None)
    if isinstance(attr_id, str) and isinstance(getattr(value, "attr_data_integration_arn", None), str):
        return attr_id
    return None


class DataIntegrationAssociationExecution(Construct):
    """Applies an ``ExecutionConfiguration`` to an Amazon AppIntegrations data integration association.

    It calls ``UpdateDataIntegrationAssociation`` when created, when its target or
    configuration changes, and when ``rerun_token`` changes. Every such call starts
    the association's data pull again, so an update that changes nothing makes no
    call. Deleting the construct leaves the association as it is: the API has no way
    to unset a configuration.

    Without ``data_integration_association_identifier`` the provider finds the
    association at deploy: the data integration's only one, or the one whose
    ``DestinationURI`` is ``destination_uri``. That is the common case when a consumer
    such as a Q in Connect knowledge base creates the association itself.

    One association, one execution: a second execution naming the same association in
    the stack is refused at synth (lookups and tokens are known only at deploy, so
    they cannot be compared). The executions of a stack share one provider function
    (see ``provider_function``): the stack's :class:`ExecutionProvider` if you created
    one, or one you name with ``provider``, or else a default one. The ``attr_*``
    properties are the association's ARNs and id, as tokens. ``node.default_child`` is the
    ``Custom::DataIntegrationAssociationExecution`` itself, a ``CfnResource``, as on CDK's
    own constructs: the escape hatch (``add_property_override``, ``add_override``,
    ``cfn_options``).

    Example::

        sync = DataIntegrationAssociationExecution(
            stack, "KnowledgeBaseSync",
            data_integration_identifier=data_integration,  # a CfnDataIntegration, an id or an ARN
            execution_configuration=ExecutionConfiguration.on_demand(
                start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
        )
        sync.node.add_dependency(knowledge_base)  # the knowledge base creates the association
        CfnOutput(stack, "AssociationArn", value=sync.attr_data_integration_association_arn)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_integration_identifier: str | DataIntegrationReference,
        execution_configuration: ExecutionConfiguration,
        data_integration_association_identifier: str | None = None,
        destination_uri: str | None = None,
        rerun_token: str | None = None,
        provider: ExecutionProvider | None = None,
    ) -> None:
        """Create the execution; raises :class:`ValidationError` naming the construct path if a property is invalid.

        :param scope: the parent construct.
        :param id: the construct id.
        :param data_integration_identifier: the data integration: its id or ARN (may be a token), or a
            ``CfnDataIntegration`` (any object with ``attr_id`` and ``attr_data_integration_arn``).
        :param execution_configuration: what to run: ``ExecutionConfiguration.on_demand(...)`` or
            ``ExecutionConfiguration.scheduled(...)``.
        :param data_integration_association_identifier: the association's id or ARN (may be a token).
            An ARN also names the data integration, which must then match.
        :param destination_uri: with no association identifier only: pick the association whose
            ``DestinationURI`` equals this (e.g. the knowledge base's ARN; may be a token).
        :param rerun_token: any string; change it to run the job again with an unchanged configuration.
        :param provider: the :class:`ExecutionProvider` (of this stack) that serves this execution.

        :default: - ``data_integration_association_identifier``: none; the provider finds the data
            integration's only association at deploy (ListDataIntegrationAssociations), so the association's
            consumer (e.g. a knowledge base) must exist first: add a dependency on it.
            ``destination_uri``: no filter; the data integration must have exactly one association.
            ``rerun_token``: none; only a change of target or configuration re-runs the job.
            ``provider``: the stack's only ExecutionProvider if it has one (with two or more, name one);
            otherwise the stack's default provider, created by the first execution that needs it.
        """
        super().__init__(scope, id)
        reference_id = _reference_id(data_integration_identifier)
        data_integration = data_integration_identifier if reference_id is None else reference_id
        properties, wording, found = self._properties(
            data_integration_argument=data_integration_identifier,
            data_integration_identifier=data_integration,
            association_identifier=data_integration_association_identifier,
            destination_uri=destination_uri,
            execution_configuration=execution_configuration,
            rerun_token=rerun_token,
        )
        stack = scope if isinstance(scope, Stack) else Stack.of(self)  # a stack scope costs no jsii round trip
        registry = StackExecutions.of_stack(stack)
        chosen, problems = self._choose_provider(stack, registry, provider)
        problems[:0] = [wording.sentence(problem) for problem in found]
        association = None
        if not {contract.DATA_INTEGRATION_IDENTIFIER, contract.ASSOCIATION_IDENTIFIER} & {p.path for p in found}:
            association = scope_of(
                properties[contract.DATA_INTEGRATION_IDENTIFIER],
                data_integration_association_identifier,
                registry.environment,
                is_unresolved,
                data_integration_is_id=reference_id is not None,
            )
            other = registry.claimed_by(association)
            if other is not None:
                claimed = contract.Problem(
                    contract.ASSOCIATION_IDENTIFIER,
                    (
                        f"is association {association.association_id!r} of data integration "
                        f"{association.data_integration_id!r}, "
                        f"which is already configured by DataIntegrationAssociationExecution '{other.node.path}'; "
                        f"two executions of one association race at deploy (whichever answers last wins), so "
                        f"configure each association with one execution only",
                    ),
                    data_integration_association_identifier,
                )
                problems.append(wording.sentence(claimed))
        serving = chosen or registry.default_provider
        if association is not None and serving is not None:
            no_room = _service(registry, serving).room_for(association)
            if no_room is not None:
                problems.append(f"provider: ExecutionProvider '{serving.node.path}': {no_room}")
        problems.extend(filter(None, [registry.room_for_one_more()]))
        if problems or association is None:  # no problem with either identifier gives an association
            raise self._error(problems)
        self._warn(properties, wording)
        # Only now, with valid input, may the first execution of a stack create the default provider.
        provider = chosen or _default_provider(stack, registry)
        _service(registry, provider).serve(association)
        registry.claim(association, self)
        self._provider = provider
        # The Custom::DataIntegrationAssociationExecution, the L1 itself, as CDK's CustomResource would write
        # it (ServiceToken and ServiceTimeout first; DESTROY, see StackExecutions.add_execution). Its id,
        # "Resource", makes it node.default_child, the escape hatch, as on CDK's L2s, and keeps the logical id
        # of every release: "Default", the id it had under the CustomResource that held it up to 0.5.0, takes
        # no part in a logical id. One round trip, where the CustomResource and reaching its child took four.
        self._resource = CfnResource(
            self,
            "Resource",
            type=RESOURCE_TYPE,
            properties={"ServiceToken": provider.service_token, "ServiceTimeout": str(SERVICE_TIMEOUT_S), **properties},
        )
        registry.add_execution(self._resource)

    @property
    def attr_data_integration_arn(self) -> str:
        """The data integration's ARN (``Fn::GetAtt``), e.g. for a ``CfnOutput`` or another resource."""
        return Token.as_string(self._resource.get_att(contract.DATA_INTEGRATION_ARN_ATTRIBUTE))

    @property
    def attr_data_integration_association_arn(self) -> str:
        """The association's ARN (``Fn::GetAtt``); with a lookup, the one the provider found at deploy."""
        return Token.as_string(self._resource.get_att(contract.ASSOCIATION_ARN_ATTRIBUTE))

    @property
    def attr_data_integration_association_id(self) -> str:
        """The association's id (``Fn::GetAtt``); with a lookup, the one the provider found at deploy."""
        return Token.as_string(self._resource.get_att(contract.ASSOCIATION_ID_ATTRIBUTE))

    @property
    def provider_function(self) -> lambda_.Function:
        """The provider function that serves this execution, shared with the others it serves (e.g. for alarms).

        The same object as ``provider.function``, with the same type.
        """
        return self._provider.function

    @property
    def provider(self) -> ExecutionProvider:
        """The provider that serves this execution."""
        return self._provider

    def _choose_provider(
        self, stack: Stack, registry: StackExecutions, provider: ExecutionProvider | None
    ) -> tuple[ExecutionProvider | None, list[str]]:
        """The named provider, or the stack's only explicit one (None: the default provider), or the problems."""
        if provider is not None:
            if not isinstance(provider, ExecutionProvider):
                return None, [
                    f"provider={shown(provider)} is {type_phrase(provider)}; expected an ExecutionProvider of "
                    f"this stack, or None"
                ]
            if registry.service_of(provider) is None:  # registered with its own stack's registry
                return None, [
                    f"provider: ExecutionProvider '{provider.node.path}' is in stack "
                    f"'{Stack.of(provider).node.path}', not in this execution's stack '{stack.node.path}'. "
                    f"CloudFormation would accept it (a ServiceToken may be any Lambda function of the "
                    f"Region), but this library refuses it, because a provider's limits hold per stack: "
                    f"maxConcurrentExecutions chains the executions of one stack, within the reserved "
                    f"concurrency of that stack's providers, and a provider's policy and its 6,144-character "
                    f"budget are written from the executions of its own stack; create an ExecutionProvider in "
                    f"this stack, or leave provider= out to use this stack's own"
                ]
            return provider, []
        providers = registry.providers  # derived from the registry's record on each read: read once
        if len(providers) > 1:
            paths = ", ".join(f"'{p.node.path}'" for p in providers)
            return None, [
                f"provider: this stack has {len(providers)} ExecutionProviders ({paths}); "
                f"name the one for this execution with provider="
            ]
        return (providers[0] if providers else None), []

    def _error(self, problems: list[str]) -> ValidationError:
        return ValidationError("DataIntegrationAssociationExecution", self.node.path, problems)

    def _warn(self, properties: Mapping[str, Any], wording: KeywordWording) -> None:
        """Synth warnings: an identifier that holds no id (the policy cannot match it), a rate in AppFlow's form."""
        literal = {
            name: value
            for name in (contract.DATA_INTEGRATION_IDENTIFIER, contract.ASSOCIATION_IDENTIFIER)
            if isinstance(value := properties.get(name), str) and not is_unresolved(value)
        }
        for problem in contract.identifier_warnings(
            literal.get(contract.DATA_INTEGRATION_IDENTIFIER), literal.get(contract.ASSOCIATION_IDENTIFIER)
        ):
            Annotations.of(self).add_warning_v2(IDENTIFIER_NOT_AN_ID, wording.sentence(problem))
        schedule = properties[contract.EXECUTION_CONFIGURATION].get(contract.SCHEDULE_CONFIGURATION, {})
        expression = schedule.get(contract.SCHEDULE_EXPRESSION)
        if isinstance(expression, str) and not is_unresolved(expression):
            for problem in contract.schedule_expression_warnings(expression):
                Annotations.of(self).add_warning_v2(SCHEDULE_IN_APPFLOW_FORM, wording.sentence(problem))

    def _properties(
        self,
        *,
        data_integration_argument: object,
        data_integration_identifier: object,
        association_identifier: object,
        destination_uri: object,
        execution_configuration: object,
        rerun_token: object,
    ) -> tuple[dict[str, Any], KeywordWording, list[contract.Problem]]:
        """The ResourceProperties, checked by the shared contract exactly as the handler will check them.

        Every problem is said with the keyword and the value the user wrote (see
        :class:`KeywordWording`), and all of them are reported at once: a value of a type
        the keyword does not take is left out of the properties, so the contract checks
        every other field, and its word on the left-out one ("is required") is dropped.
        """
        problems: list[contract.Problem] = []
        properties: dict[str, Any] = {}
        arguments = {
            contract.DATA_INTEGRATION_IDENTIFIER: Argument(
                "data_integration_identifier",
                data_integration_argument,
                f"{contract.DATA_INTEGRATION_EXPECTED}, or a CfnDataIntegration",
            ),
            contract.ASSOCIATION_IDENTIFIER: Argument(
                "data_integration_association_identifier",
                association_identifier,
                f"{contract.ASSOCIATION_EXPECTED}, or None to find it at deploy",
            ),
            contract.DESTINATION_URI: Argument(
                "destination_uri",
                destination_uri,
                "a non-blank str of at most 1000 characters (the DestinationURI of the association to find, "
                "e.g. a knowledge base's ARN), or None",
            ),
            contract.RERUN_TOKEN: Argument("rerun_token", rerun_token, "a non-blank str of at most 255 characters"),
            contract.EXECUTION_CONFIGURATION: Argument(
                "execution_configuration",
                execution_configuration,
                "an ExecutionConfiguration: build it with ExecutionConfiguration.on_demand(...) or "
                "ExecutionConfiguration.scheduled(...)",
            ),
        }
        for name, value in (
            (contract.DATA_INTEGRATION_IDENTIFIER, data_integration_identifier),
            (contract.ASSOCIATION_IDENTIFIER, association_identifier),
            (contract.DESTINATION_URI, destination_uri),
            (contract.RERUN_TOKEN, rerun_token),
        ):
            if isinstance(value, str):
                properties[name] = value
            elif value is not None or name == contract.DATA_INTEGRATION_IDENTIFIER:
                problems.append(type_problem(name, value))
        if isinstance(execution_configuration, ExecutionConfiguration):
            rendered, config_problems, config_arguments = rendered_properties(execution_configuration)
            properties[contract.EXECUTION_CONFIGURATION] = rendered
            problems.extend(config_problems)
            arguments.update(config_arguments)
        else:
            problems.append(type_problem(contract.EXECUTION_CONFIGURATION, execution_configuration))
        wording = KeywordWording(arguments)
        typed = tuple(problem.path for problem in problems)
        _, checked = contract.check_properties(properties, unresolved=is_unresolved)
        problems.extend(
            problem
            for problem in checked
            if not any(problem.path == path or problem.path.startswith(f"{path}.") for path in typed)
        )
        return properties, wording, problems


def _service(registry: StackExecutions, provider: ExecutionProvider) -> ProviderService:
    """The service of a provider of the registry's stack (checked by ``_choose_provider`` for a named one)."""
    service = registry.service_of(provider)
    if service is None:
        raise AssertionError(f"ExecutionProvider '{provider.node.path}' is not registered with this stack")
    return service


def _default_provider(stack: Stack, registry: StackExecutions) -> ExecutionProvider:
    """The stack's default provider, created on first use under its well-known id."""
    if registry.default_provider is not None:
        return registry.default_provider
    existing = stack.node.try_find_child(PROVIDER_ID)
    if existing is not None:
        raise ValidationError(
            "Stack",
            stack.node.path,
            [
                f"{stack.node.path}/{PROVIDER_ID} is taken by {type_phrase(existing)}; "
                f"cdk-appintegrations keeps its default provider under that id"
            ],
        )
    provider = ExecutionProvider(stack, PROVIDER_ID)
    registry.make_default(provider)
    return provider
