"""Synth-time validation: the handler's own rules, the construct path in every message, tokens skipped.

Nothing here synthesizes: the construct checks its properties when it is created.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from appintegrations_cr.contract import ContractError, parse_properties
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ValidationError
from cdk_appintegrations.provider import PROVIDER_ID

from tests.construct import stacks

pytestmark = pytest.mark.construct

_counter = itertools.count()


@pytest.fixture(scope="module")
def app() -> cdk.App:
    return cdk.App(context=stacks.CDK_CONTEXT)


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    return cdk.Stack(app, f"Stack{next(_counter)}")


def create(stack: cdk.Stack, **overrides: Any) -> DataIntegrationAssociationExecution:
    props: dict[str, Any] = {
        "data_integration_identifier": "di-1",
        "data_integration_association_identifier": "assoc-1",
        "execution_configuration": ExecutionConfiguration.on_demand(start_time=stacks.JAN_1),
        **overrides,
    }
    return DataIntegrationAssociationExecution(stack, "KnowledgeBaseSync", **props)


def refused(stack: cdk.Stack, **overrides: Any) -> str:
    """The message, checked to start with the construct path, and that the stack got no provider."""
    with pytest.raises(ValueError, match=r"^DataIntegrationAssociationExecution ") as caught:
        create(stack, **overrides)
    message = str(caught.value)
    assert message.startswith(f"DataIntegrationAssociationExecution '{stack.node.id}/KnowledgeBaseSync': "), message
    assert stack.node.try_find_child(PROVIDER_ID) is None, "an invalid execution must not create the provider"
    return message


def on_demand(**kwargs: Any) -> ExecutionConfiguration:
    return ExecutionConfiguration.on_demand(**kwargs)


def scheduled(**kwargs: Any) -> ExecutionConfiguration:
    return ExecutionConfiguration.scheduled(**{"schedule_expression": "rate(1 hour)", **kwargs})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"execution_configuration": on_demand(start_time="2025-01-01")},
            "ExecutionConfiguration.OnDemandConfiguration.StartTime: '2025-01-01' is not epoch milliseconds",
            id="start-not-epoch-ms",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=1735689600)},
            "StartTime: '1735689600' looks like epoch seconds, not milliseconds",
            id="start-in-seconds",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=-5)},
            "StartTime: '-5' is not epoch milliseconds",
            id="start-negative",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=stacks.JAN_2_MS, end_time=stacks.JAN_1_MS)},
            f"ExecutionConfiguration.OnDemandConfiguration.EndTime: '{stacks.JAN_1_MS}' is not after StartTime "
            f"'{stacks.JAN_2_MS}'; the window must be non-empty",
            id="end-before-start",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=stacks.JAN_1, end_time=stacks.JAN_1)},
            "is not after StartTime",
            id="end-equals-start",
        ),
        pytest.param(
            {"execution_configuration": scheduled(object="Account Name")},
            "ExecutionConfiguration.ScheduleConfiguration.Object: 'Account Name' does not match",
            id="object-pattern",
        ),
        pytest.param(
            {"execution_configuration": scheduled(schedule_expression="x" * 256)},
            "ScheduleExpression: 'xxx",
            id="expression-too-long",
        ),
        pytest.param(
            {"execution_configuration": scheduled(schedule_expression="   ")},
            "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression: '   ' is empty or blank",
            id="expression-blank",
        ),
        pytest.param(
            {"execution_configuration": scheduled(first_execution_from="yesterday")},
            "FirstExecutionFrom: 'yesterday' is neither epoch milliseconds nor ISO-8601 with a UTC offset",
            id="first-execution-unparseable",
        ),
        pytest.param(
            {"execution_configuration": scheduled(first_execution_from="2025-01-01T00:00:00")},
            "FirstExecutionFrom: '2025-01-01T00:00:00' is neither epoch milliseconds nor ISO-8601 with a UTC offset",
            id="first-execution-naive-iso",
        ),
        pytest.param({"data_integration_identifier": ""}, "DataIntegrationIdentifier: '' is empty", id="di-empty"),
        pytest.param(
            {"data_integration_association_identifier": "a" * 256},
            "DataIntegrationAssociationIdentifier: 'aaa",
            id="association-too-long",
        ),
        pytest.param({"rerun_token": " "}, "RerunToken: ' ' is empty or blank", id="rerun-token-blank"),
    ],
)
def test_every_contract_rule_fails_synth_with_the_construct_path(
    stack: cdk.Stack, overrides: dict[str, Any], expected: str
) -> None:
    assert expected in refused(stack, **overrides)


def test_too_long_names_the_length_and_the_limit(stack: cdk.Stack) -> None:
    message = refused(stack, execution_configuration=scheduled(schedule_expression="x" * 256))
    assert "is 256 characters; at most 255 are allowed" in message


def test_every_problem_is_reported_at_once(stack: cdk.Stack) -> None:
    message = refused(
        stack,
        data_integration_identifier=" ",
        execution_configuration=scheduled(object="a b", schedule_expression=""),
    )
    assert message.count("; ") >= 2
    for field in ("DataIntegrationIdentifier", "ScheduleExpression", "Object"):
        assert field in message


def test_the_error_is_typed_with_the_construct_path_and_one_problem_each(stack: cdk.Stack) -> None:
    with pytest.raises(ValidationError) as caught:
        create(
            stack,
            data_integration_identifier=" ",
            execution_configuration=scheduled(object="a b", schedule_expression=""),
        )
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.construct_path == f"{stack.node.id}/KnowledgeBaseSync"
    assert len(error.problems) == 3
    assert [p.split(":", 1)[0].rsplit(".", 1)[-1] for p in error.problems] == [
        "DataIntegrationIdentifier",
        "ScheduleExpression",
        "Object",
    ]
    assert str(error) == f"DataIntegrationAssociationExecution '{error.construct_path}': {'; '.join(error.problems)}"


def test_wording_is_the_handlers_own(stack: cdk.Stack) -> None:
    """The same properties, fed to the handler's contract module, give the same problems, word for word."""
    message = refused(
        stack, execution_configuration=on_demand(start_time=stacks.JAN_2_MS, end_time=stacks.JAN_1_MS), rerun_token=""
    )
    raw = {
        "DataIntegrationIdentifier": "di-1",
        "DataIntegrationAssociationIdentifier": "assoc-1",
        "ExecutionConfiguration": {
            "ExecutionMode": "ON_DEMAND",
            "OnDemandConfiguration": {"StartTime": stacks.JAN_2_MS, "EndTime": stacks.JAN_1_MS},
        },
        "RerunToken": "",
    }
    with pytest.raises(ContractError) as handler_says:
        parse_properties(raw)
    assert message.split("': ", 1)[1] == str(handler_says.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"execution_configuration": on_demand(start_time=datetime(2025, 1, 1))},
            "ExecutionConfiguration.on_demand(start_time=...) [ExecutionConfiguration.OnDemandConfiguration.StartTime]: "
            "datetime.datetime(2025, 1, 1, 0, 0) is a naive datetime; give it a time zone",
            id="naive-start",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=stacks.JAN_1, end_time=datetime(2025, 2, 1))},
            "ExecutionConfiguration.on_demand(end_time=...) [ExecutionConfiguration.OnDemandConfiguration.EndTime]: "
            "datetime.datetime(2025, 2, 1, 0, 0) is a naive datetime",
            id="naive-end",
        ),
        pytest.param(
            {"execution_configuration": scheduled(first_execution_from=datetime(2025, 1, 1))},
            "ExecutionConfiguration.scheduled(first_execution_from=...) "
            "[ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom]: datetime.datetime(2025, 1, 1, 0, 0) "
            "is a naive datetime",
            id="naive-first-execution",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=1735689600000.0)},
            "ExecutionConfiguration.on_demand(start_time=...) [ExecutionConfiguration.OnDemandConfiguration.StartTime]: "
            "1735689600000.0 is a float; expected a timezone-aware datetime, an int or a str of epoch milliseconds",
            id="float-start",
        ),
        pytest.param(
            {"execution_configuration": on_demand(start_time=True)},
            "on_demand(start_time=...) [ExecutionConfiguration.OnDemandConfiguration.StartTime]: True is a bool",
            id="bool-start",
        ),
        pytest.param(
            {"execution_configuration": scheduled(object=7)},
            "scheduled(object=...) [ExecutionConfiguration.ScheduleConfiguration.Object]: 7 is a int; expected a str",
            id="int-object",
        ),
        pytest.param(
            {"execution_configuration": scheduled(schedule_expression=stacks.JAN_1)},
            "scheduled(schedule_expression=...) [ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression]: "
            "datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc) is a datetime; expected a str",
            id="datetime-expression",
        ),
        pytest.param(
            {"data_integration_identifier": 42},
            "data_integration_identifier [DataIntegrationIdentifier]: 42 is a int; expected a str",
            id="int-identifier",
        ),
        pytest.param(
            {"data_integration_association_identifier": 5},
            "data_integration_association_identifier [DataIntegrationAssociationIdentifier]: 5 is a int; expected a "
            "str (an id or ARN, or a token), or None to find it at deploy",
            id="int-association",
        ),
        pytest.param(
            {"data_integration_identifier": SimpleNamespace(attr_id="x")},
            "data_integration_identifier [DataIntegrationIdentifier]: namespace(attr_id='x') is a SimpleNamespace; "
            "expected a str (an id or ARN, or a token) or a CfnDataIntegration (any object with attr_id and "
            "attr_data_integration_arn)",
            id="object-without-arn",
        ),
        pytest.param(
            {"data_integration_association_identifier": None, "destination_uri": 7},
            "destination_uri [DestinationURI]: 7 is a int; expected a str",
            id="int-destination",
        ),
        pytest.param({"rerun_token": 3}, "rerun_token [RerunToken]: 3 is a int; expected a str", id="int-rerun"),
        pytest.param(
            {"execution_configuration": "ON_DEMAND"},
            "execution_configuration [ExecutionConfiguration]: 'ON_DEMAND' is a str; build it with "
            "ExecutionConfiguration.on_demand(...) or ExecutionConfiguration.scheduled(...)",
            id="mode-as-string",
        ),
        pytest.param(
            {"execution_configuration": {"ExecutionMode": "ON_DEMAND"}},
            "execution_configuration [ExecutionConfiguration]: {'ExecutionMode': 'ON_DEMAND'} is a dict",
            id="raw-dict",
        ),
    ],
)
def test_python_type_errors_name_the_parameter_and_the_api_field(
    stack: cdk.Stack, overrides: dict[str, Any], expected: str
) -> None:
    assert expected in refused(stack, **overrides)


def test_there_is_no_third_execution_mode() -> None:
    """Only the two factories make an ExecutionConfiguration, so an unknown ExecutionMode cannot be built."""
    with pytest.raises(TypeError, match=r"use ExecutionConfiguration\.on_demand\(\.\.\.\) or"):
        ExecutionConfiguration("FULL", "full", (), object())
    assert {on_demand(start_time=1).execution_mode, scheduled().execution_mode} == {"ON_DEMAND", "SCHEDULED"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"data_integration_identifier": "arn:aws:s3:::bucket"},
            "DataIntegrationIdentifier: 'arn:aws:s3:::bucket' is an ARN, but not of a data integration; expected "
            "arn:<partition>:app-integrations:<region>:<account>:data-integration/<id> or a plain id",
            id="not-a-data-integration-arn",
        ),
        pytest.param(
            {"data_integration_association_identifier": stacks.DI_ARN},
            f"DataIntegrationAssociationIdentifier: '{stacks.DI_ARN}' is an ARN, but not of a data integration "
            "association; expected arn:<partition>:app-integrations:<region>:<account>:"
            "data-integration-association/<data-integration-id>/<id> or a plain id",
            id="data-integration-arn-as-association",
        ),
        pytest.param(
            {
                "data_integration_identifier": "di-1",
                "data_integration_association_identifier": stacks.FOREIGN_ASSOCIATION_ARN,
            },
            f"DataIntegrationAssociationIdentifier: the ARN names data integration '{stacks.OTHER_DI}', "
            "but DataIntegrationIdentifier is 'di-1'",
            id="association-of-another-data-integration",
        ),
        pytest.param(
            {"data_integration_identifier": stacks.DI_ARN, "data_integration_association_identifier": "*"},
            "DataIntegrationAssociationIdentifier: '*' contains '*', which IAM would read as a wildcard",
            id="iam-wildcard-in-id",
        ),
    ],
)
def test_identifiers_the_policy_cannot_be_derived_from_fail_synth(
    stack: cdk.Stack, overrides: dict[str, Any], expected: str
) -> None:
    assert expected in refused(stack, **overrides)


def test_mismatched_arn_environments_fail_synth(stack: cdk.Stack) -> None:
    message = refused(
        stack,
        data_integration_identifier=f"arn:aws:app-integrations:us-east-1:111122223333:data-integration/{stacks.OTHER_DI}",
        data_integration_association_identifier=stacks.FOREIGN_ASSOCIATION_ARN,
    )
    assert "(aws, eu-west-1, 444455556666) differ from those of DataIntegrationIdentifier (aws, us-east-1," in message


def test_tokens_skip_validation(stack: cdk.Stack) -> None:
    token = cdk.CfnParameter(stack, "Value").value_as_string
    create(
        stack,
        data_integration_identifier=token,
        data_integration_association_identifier=token,
        execution_configuration=on_demand(start_time=token, end_time=stacks.JAN_1_MS),
        rerun_token=token,
    )
    DataIntegrationAssociationExecution(
        stack,
        "Scheduled",
        data_integration_identifier="di-1",
        data_integration_association_identifier="assoc-2",
        execution_configuration=scheduled(schedule_expression=token, object=token, first_execution_from=token),
    )
    assert stack.node.try_find_child(PROVIDER_ID) is not None


def test_a_token_inside_a_string_is_a_token(stack: cdk.Stack) -> None:
    partly = f"arn:aws:app-integrations:us-east-1:111122223333:data-integration/{cdk.Aws.ACCOUNT_ID}"
    create(stack, data_integration_identifier=partly)


def test_valid_literals_in_every_accepted_form_create_the_execution(stack: cdk.Stack) -> None:
    execution = create(
        stack,
        execution_configuration=scheduled(first_execution_from=datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )
    resource = execution.node.default_child  # the custom resource, for users who need the L1 escape hatch
    assert resource is not None
    assert resource.node.path == f"{stack.node.id}/KnowledgeBaseSync/Resource"
    assert execution.provider_function.node.path == f"{stack.node.id}/{PROVIDER_ID}/Function"
    second = DataIntegrationAssociationExecution(
        stack,
        "Other",
        data_integration_identifier="di-1",
        data_integration_association_identifier="assoc-2",
        execution_configuration=on_demand(start_time="1735689600000", end_time=1735776000000),
    )
    assert second.provider_function is execution.provider_function


def test_a_foreign_construct_in_the_provider_slot_is_reported(stack: cdk.Stack) -> None:
    cdk.CfnOutput(stack, PROVIDER_ID, value="taken")
    with pytest.raises(ValueError, match=f"{stack.node.id}/{PROVIDER_ID} is taken by a CfnOutput"):
        create(stack)


def test_a_destination_uri_with_an_association_identifier_is_the_handlers_refusal(stack: cdk.Stack) -> None:
    message = refused(stack, destination_uri="s3://amzn-s3-demo-bucket")
    with pytest.raises(ContractError) as handler_says:
        parse_properties(
            {
                "DataIntegrationIdentifier": "di-1",
                "DataIntegrationAssociationIdentifier": "assoc-1",
                "DestinationURI": "s3://amzn-s3-demo-bucket",
                "ExecutionConfiguration": {
                    "ExecutionMode": "SCHEDULED",
                    "ScheduleConfiguration": {"ScheduleExpression": "x"},
                },
            }
        )
    assert message.split("': ", 1)[1] == str(handler_says.value)


def test_a_lookup_needs_no_association_identifier(stack: cdk.Stack) -> None:
    execution = create(stack, data_integration_association_identifier=None, destination_uri="s3://b")
    assert execution.attr_data_integration_association_arn.startswith("${Token[")


def duplicate_refused(stack: cdk.Stack, first: dict[str, Any], second: dict[str, Any]) -> str:
    DataIntegrationAssociationExecution(
        stack, "First", execution_configuration=on_demand(start_time=stacks.JAN_1), **first
    )
    with pytest.raises(ValueError, match=r"^DataIntegrationAssociationExecution ") as caught:
        DataIntegrationAssociationExecution(stack, "Second", execution_configuration=scheduled(), **second)
    return str(caught.value)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            {"data_integration_identifier": "di-1", "data_integration_association_identifier": "assoc-1"},
            {"data_integration_identifier": "di-1", "data_integration_association_identifier": "assoc-1"},
            id="same-ids",
        ),
        pytest.param(
            {"data_integration_identifier": "di-1", "data_integration_association_identifier": "assoc-1"},
            {
                "data_integration_identifier": "arn:aws:app-integrations:us-east-1:111122223333:data-integration/di-1",
                "data_integration_association_identifier": "arn:aws:app-integrations:us-east-1:111122223333:"
                "data-integration-association/di-1/assoc-1",
            },
            id="id-then-arn",
        ),
    ],
)
def test_two_executions_of_one_association_are_refused_naming_both(
    app: cdk.App, first: dict[str, Any], second: dict[str, Any]
) -> None:
    for env in (None, stacks.ENV):  # env-agnostic: an ARN's environment may be the stack's, so it counts
        stack = cdk.Stack(app, f"Stack{next(_counter)}", env=env)
        message = duplicate_refused(stack, first, second)
        assert message == (
            f"DataIntegrationAssociationExecution '{stack.node.id}/Second': DataIntegrationAssociationIdentifier: "
            f"association 'assoc-1' of data integration 'di-1' is already configured by "
            f"DataIntegrationAssociationExecution '{stack.node.id}/First'; two executions of one association race "
            f"at deploy (whichever answers last wins), so configure each association with one execution only"
        )


def test_executions_that_only_look_alike_are_not_refused(stack: cdk.Stack) -> None:
    """Another account's association of the same ids, lookups and tokens: none can be proven equal at synth."""
    pinned = cdk.Stack(stack.node.scope, f"Stack{next(_counter)}", env=stacks.ENV)  # type: ignore[arg-type]
    DataIntegrationAssociationExecution(
        pinned,
        "Local",
        data_integration_identifier="di-1",
        data_integration_association_identifier="assoc-1",
        execution_configuration=scheduled(),
    )
    DataIntegrationAssociationExecution(
        pinned,
        "Foreign",
        data_integration_identifier="arn:aws:app-integrations:eu-west-1:444455556666:data-integration/di-1",
        data_integration_association_identifier="assoc-1",
        execution_configuration=scheduled(),
    )
    token = cdk.CfnParameter(pinned, "Association").value_as_string
    for name, association in (("LookupA", None), ("LookupB", None), ("TokenA", token), ("TokenB", token)):
        DataIntegrationAssociationExecution(
            pinned,
            name,
            data_integration_identifier="di-2",
            data_integration_association_identifier=association,
            execution_configuration=scheduled(),
        )
