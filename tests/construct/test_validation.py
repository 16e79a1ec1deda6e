"""Synth-time validation: the handler's own rules, said with the user's keywords and values, once.

Nothing here synthesizes: the construct checks its properties when it is created, and
its warnings are read from the construct's metadata.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from appintegrations_cr.contract import ContractError, parse_properties
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ValidationError
from cdk_appintegrations.execution import IDENTIFIER_NOT_AN_ID, SCHEDULE_IN_APPFLOW_FORM
from cdk_appintegrations.provider import PROVIDER_ID

from tests.construct import stacks
from tests.construct.fresh_python import run_fresh_python

pytestmark = pytest.mark.construct

_counter = itertools.count()

DI = stacks.DI
ASSOC = "b2c3d4e5-6789-01ab-cdef-EXAMPLE22222"
LOCAL = f"arn:aws:app-integrations:{stacks.REGION}:{stacks.ACCOUNT}"  # where the test stacks are
ASSOC_ARN = f"{LOCAL}:data-integration-association/{DI}/{ASSOC}"
PLACEHOLDER_ARN = f"{LOCAL}:data-integration/..."
JAN_2 = datetime(2025, 1, 2, tzinfo=timezone.utc)
DI_ALLOWED = (
    "the data integration's id (e.g. 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111') or ARN "
    "(arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>), or a CfnDataIntegration"
)
ASSOC_ALLOWED = (
    "the association's id (e.g. 'b2c3d4e5-6789-01ab-cdef-EXAMPLE22222') or ARN (arn:<partition>:app-integrations:"
    "<region>:<account>:data-integration-association/<data-integration-id>/<id>), or None to find it at deploy"
)
INSTANT_ALLOWED = (
    "a timezone-aware datetime (e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)), or epoch milliseconds as an int "
    "or a digits-only str (e.g. 1735689600000)"
)
ON_DEMAND = "ExecutionConfiguration.OnDemandConfiguration"
SCHEDULE = "ExecutionConfiguration.ScheduleConfiguration"
SCHEDULE_ALLOWED = (
    "a str of at most 255 characters: rate(value unit) with a positive whole value and a unit of minute, minutes, "
    "hour, hours, day or days (singular only with 1), e.g. 'rate(1 hour)', or cron(...) with six fields, e.g. "
    "'cron(0 12 * * ? *)'"
)
NOT_AN_ID = (
    "is not an id of the form AppIntegrations gives (a UUID such as 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'; a name "
    "or a placeholder does not work): the provider's least-privilege policy is written from ids, so it cannot match "
    "this one, and the deploy would fail with AccessDeniedException; give "
)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    return cdk.App(context=stacks.CDK_CONTEXT)


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    return cdk.Stack(app, f"Stack{next(_counter)}")


def create(stack: cdk.Stack, **overrides: Any) -> DataIntegrationAssociationExecution:
    props: dict[str, Any] = {
        "data_integration_identifier": DI,
        "data_integration_association_identifier": ASSOC,
        "execution_configuration": ExecutionConfiguration.on_demand(start_time=stacks.JAN_1),
        **overrides,
    }
    return DataIntegrationAssociationExecution(stack, "KnowledgeBaseSync", **props)


def refusal(stack: cdk.Stack, **overrides: Any) -> ValidationError:
    """The error, checked to name the construct path, to chain nothing, and to leave the stack without a provider."""
    with pytest.raises(ValidationError) as caught:
        create(stack, **overrides)
    error = caught.value
    assert str(error).startswith(f"DataIntegrationAssociationExecution '{stack.node.id}/KnowledgeBaseSync': ")
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__, "an internal exception would print too"
    assert stack.node.try_find_child(PROVIDER_ID) is None, "an invalid execution must not create the provider"
    return error


def refused(stack: cdk.Stack, **overrides: Any) -> list[str]:
    return refusal(stack, **overrides).problems


def on_demand(**kwargs: Any) -> ExecutionConfiguration:
    return ExecutionConfiguration.on_demand(**kwargs)


def scheduled(**kwargs: Any) -> ExecutionConfiguration:
    return ExecutionConfiguration.scheduled(**{"schedule_expression": "rate(1 hour)", **kwargs})


def warnings_of(construct: DataIntegrationAssociationExecution) -> list[str]:
    return [str(entry.data) for entry in construct.node.metadata if entry.type == "aws:cdk:warning"]


#: The handler's rules (windows, instants, patterns, lengths, what goes with what), as the construct refuses them.
RULES = [
    pytest.param(
        {"execution_configuration": on_demand(start_time=JAN_2, end_time=stacks.JAN_1)},
        "end_time=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc) is not after "
        "start_time=datetime.datetime(2025, 1, 2, 0, 0, tzinfo=datetime.timezone.utc); the window must be "
        f"non-empty [{ON_DEMAND}.EndTime]",
        id="end-before-start",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=stacks.JAN_1_MS, end_time=int(stacks.JAN_1_MS))},
        f"end_time=1735689600000 is not after start_time='1735689600000'; the window must be non-empty "
        f"[{ON_DEMAND}.EndTime]",
        id="end-equals-start",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time="2025-01-01")},
        f"start_time='2025-01-01' is not epoch milliseconds; use {INSTANT_ALLOWED} [{ON_DEMAND}.StartTime]",
        id="start-not-epoch-ms",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=-5)},
        f"start_time=-5 is not epoch milliseconds; use {INSTANT_ALLOWED} [{ON_DEMAND}.StartTime]",
        id="start-negative",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=1735689600)},
        "start_time=1735689600 looks like epoch seconds, not milliseconds (it is before 1973); multiply by 1000, "
        f"e.g. 1735689600000 [{ON_DEMAND}.StartTime]",
        id="seconds-as-int-get-an-int",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time="1735689600")},
        "start_time='1735689600' looks like epoch seconds, not milliseconds (it is before 1973); multiply by "
        f"1000, e.g. '1735689600000' [{ON_DEMAND}.StartTime]",
        id="seconds-as-str-get-a-str",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=None)},
        f"start_time is required, but it is None; give {INSTANT_ALLOWED} [{ON_DEMAND}.StartTime]",
        id="start-none",
    ),
    pytest.param(
        {"execution_configuration": scheduled(object="Account Name")},
        "object='Account Name' does not match ^[a-zA-Z0-9/._-]+$ (letters, digits, '/', '.', '_', '-') "
        f"[{SCHEDULE}.Object]",
        id="object-pattern",
    ),
    pytest.param(
        {"execution_configuration": scheduled(schedule_expression="x" * 256)},
        f"schedule_expression='{'x' * 97}...{'x' * 97}' (256 characters) is 256 characters; at most 255 are "
        f"allowed [{SCHEDULE}.ScheduleExpression]",
        id="expression-too-long",
    ),
    pytest.param(
        {"execution_configuration": scheduled(schedule_expression="   ")},
        f"schedule_expression='   ' is blank; expected {SCHEDULE_ALLOWED} [{SCHEDULE}.ScheduleExpression]",
        id="expression-blank",
    ),
    pytest.param(
        {"execution_configuration": scheduled(first_execution_from="yesterday")},
        "first_execution_from='yesterday' is neither epoch milliseconds nor ISO-8601 with a UTC offset; use a "
        "timezone-aware datetime (e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)), epoch milliseconds as an int "
        "or a digits-only str (e.g. 1735689600000), or an ISO-8601 str with a UTC offset (e.g. "
        f"'2025-01-01T00:00:00Z') [{SCHEDULE}.FirstExecutionFrom]",
        id="first-execution-unparseable",
    ),
    pytest.param(
        {"execution_configuration": scheduled(first_execution_from="2025-01-01T00:00:00")},
        "first_execution_from='2025-01-01T00:00:00' is ISO-8601 without a UTC offset, so its instant would depend "
        "on the time zone of whoever reads it; add the offset, e.g. '2025-01-01T00:00:00+00:00' for UTC "
        f"[{SCHEDULE}.FirstExecutionFrom]",
        id="first-execution-iso-without-offset",
    ),
    pytest.param(
        {"data_integration_identifier": ""},
        f"data_integration_identifier='' is empty; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="data-integration-empty",
    ),
    pytest.param(
        {"data_integration_identifier": "  "},
        f"data_integration_identifier='  ' is blank; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="data-integration-blank",
    ),
    pytest.param(
        {"data_integration_association_identifier": ""},
        f"data_integration_association_identifier='' is empty; expected {ASSOC_ALLOWED} "
        "[DataIntegrationAssociationIdentifier]",
        id="association-empty",
    ),
    pytest.param(
        {"data_integration_association_identifier": "a" * 256},
        f"data_integration_association_identifier='{'a' * 97}...{'a' * 97}' (256 characters) is 256 characters; "
        "at most 255 are allowed "
        "[DataIntegrationAssociationIdentifier]",
        id="association-too-long",
    ),
    pytest.param(
        {"rerun_token": " "},
        "rerun_token=' ' is blank; expected a non-blank str of at most 255 characters [RerunToken]",
        id="rerun-token-blank",
    ),
    pytest.param(
        {"data_integration_association_identifier": None, "destination_uri": "u" * 1001},
        f"destination_uri='{'u' * 97}...{'u' * 97}' (1001 characters) is 1001 characters; at most 1000 are "
        "allowed [DestinationURI]",
        id="destination-too-long-shown-shortened",
    ),
    pytest.param(
        {"destination_uri": "s3://amzn-s3-demo-bucket"},
        "destination_uri='s3://amzn-s3-demo-bucket' filters the lookup of the association, which happens only "
        "without data_integration_association_identifier; give one or the other, not both [DestinationURI]",
        id="destination-with-association",
    ),
]

#: Identifiers the least-privilege policy cannot be derived from: another service's ARN, an association of
#: another data integration or account, an IAM wildcard.
UNDERIVABLE_IDENTIFIERS = [
    pytest.param(
        {"data_integration_identifier": "arn:aws:s3:::amzn-s3-demo-bucket"},
        "data_integration_identifier='arn:aws:s3:::amzn-s3-demo-bucket' is an ARN, but not of a data integration; "
        f"expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="not-a-data-integration-arn",
    ),
    pytest.param(
        {"data_integration_association_identifier": stacks.DI_ARN},
        f"data_integration_association_identifier='{stacks.DI_ARN}' is an ARN, but not of a data integration "
        f"association; expected {ASSOC_ALLOWED} [DataIntegrationAssociationIdentifier]",
        id="data-integration-arn-as-association",
    ),
    pytest.param(
        {"data_integration_association_identifier": stacks.FOREIGN_ASSOCIATION_ARN},
        f"data_integration_association_identifier='{stacks.FOREIGN_ASSOCIATION_ARN}' is an association of data "
        f"integration '{stacks.OTHER_DI}', but data_integration_identifier is data integration '{DI}' "
        "[DataIntegrationAssociationIdentifier]",
        id="association-of-another-data-integration",
    ),
    pytest.param(
        {
            "data_integration_identifier": stacks.DI_ARN,
            "data_integration_association_identifier": (
                f"arn:aws:app-integrations:eu-west-1:444455556666:data-integration-association/{DI}/{ASSOC}"
            ),
        },
        "data_integration_association_identifier='arn:aws:app-integrations:eu-west-1:444455556666:"
        f"data-integration-association/{DI}/{ASSOC}' has partition, Region and account (aws, eu-west-1, "
        "444455556666), which differ from those of data_integration_identifier "
        f"(aws, {stacks.REGION}, {stacks.ACCOUNT}) [DataIntegrationAssociationIdentifier]",
        id="association-in-another-account",
    ),
    pytest.param(
        {"data_integration_identifier": stacks.DI_ARN, "data_integration_association_identifier": "*"},
        "data_integration_association_identifier='*' holds '*', which contains '*': IAM would read it as a "
        "wildcard or a policy variable; AppIntegrations ids never contain them [DataIntegrationAssociationIdentifier]",
        id="iam-wildcard-in-id",
    ),
]

IAM_READS = "IAM would read it as a wildcard or a policy variable; "
IS_A_PARTITION = "a partition is 'aws' or 'aws-' then groups of letters, e.g. 'aws', 'aws-cn'"
IS_A_REGION = "a Region is groups of letters, then a number, e.g. 'us-east-1', 'cn-north-1'"
IS_AN_ACCOUNT = f"an account is exactly 12 digits, e.g. '{stacks.ACCOUNT}'"  # AWS documentation's, as the suite's
STACKS_OWN = " (for the stack's own, give the id alone)"


def di_arn(partition: str = "aws", region: str = stacks.REGION, account: str = stacks.ACCOUNT) -> str:
    return f"arn:{partition}:app-integrations:{region}:{account}:data-integration/{DI}"


def assoc_arn(partition: str = "aws", region: str = stacks.REGION, account: str = stacks.ACCOUNT) -> str:
    return f"arn:{partition}:app-integrations:{region}:{account}:data-integration-association/{DI}/{ASSOC}"


def arn_part_refused(keyword: str, value: str, holds: str, problem: str, id: str) -> Any:
    """A row: one bad part of a literal ARN, refused with the keyword, the ARN as written and the part named."""
    field = {
        "data_integration_identifier": "DataIntegrationIdentifier",
        "data_integration_association_identifier": "DataIntegrationAssociationIdentifier",
    }[keyword]
    return pytest.param({keyword: value}, f"{keyword}='{value}' holds {holds}, which {problem} [{field}]", id=id)


#: An ARN's partition, Region and account would land in the policy's Resource: no wildcard, a valid form.
ARN_PARTS = [
    arn_part_refused(
        "data_integration_identifier",
        di_arn(partition="*"),
        "partition '*'",
        f"contains '*': {IAM_READS}{IS_A_PARTITION}{STACKS_OWN}",
        id="di-partition-star",
    ),
    arn_part_refused(
        "data_integration_identifier",
        di_arn(region="us-east-?"),
        "Region 'us-east-?'",
        f"contains '?': {IAM_READS}{IS_A_REGION}{STACKS_OWN}",
        id="di-region-question-mark",
    ),
    arn_part_refused(
        "data_integration_identifier",
        di_arn(account="*"),
        "account '*'",
        f"contains '*': {IAM_READS}{IS_AN_ACCOUNT}{STACKS_OWN}",
        id="di-account-star",
    ),
    arn_part_refused(
        "data_integration_association_identifier",
        assoc_arn(partition="aws?"),
        "partition 'aws?'",
        f"contains '?': {IAM_READS}{IS_A_PARTITION}{STACKS_OWN}",
        id="association-partition-question-mark",
    ),
    arn_part_refused(
        "data_integration_association_identifier",
        assoc_arn(region="*"),
        "Region '*'",
        f"contains '*': {IAM_READS}{IS_A_REGION}{STACKS_OWN}",
        id="association-region-star",
    ),
    arn_part_refused(
        "data_integration_association_identifier",
        assoc_arn(account="?"),
        "account '?'",
        f"contains '?': {IAM_READS}{IS_AN_ACCOUNT}{STACKS_OWN}",
        id="association-account-question-mark",
    ),
    arn_part_refused(
        "data_integration_identifier",
        di_arn(region="${AWS::Region}"),
        "Region '${AWS::Region}'",
        f"contains '${{': {IAM_READS}{IS_A_REGION}{STACKS_OWN}",
        id="pseudo-parameter-as-text",
    ),
    arn_part_refused(
        "data_integration_identifier",
        di_arn(partition="amazon"),
        "partition 'amazon'",
        f"is not a valid partition; {IS_A_PARTITION}",
        id="partition-amazon",
    ),
    arn_part_refused(
        "data_integration_identifier",
        di_arn(region="useast1"),
        "Region 'useast1'",
        f"is not a valid Region; {IS_A_REGION}",
        id="region-without-hyphens",
    ),
    arn_part_refused(
        "data_integration_association_identifier",
        assoc_arn(account="11112222333"),
        "account '11112222333'",
        f"is not a valid account; {IS_AN_ACCOUNT}",
        id="account-of-11-digits",
    ),
    pytest.param(
        {"data_integration_identifier": f"arn:aws:*:{stacks.REGION}:{stacks.ACCOUNT}:data-integration/{DI}"},
        f"data_integration_identifier='arn:aws:*:{stacks.REGION}:{stacks.ACCOUNT}:data-integration/{DI}' is an ARN, "
        f"but not of a data integration; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="service-star",
    ),
]

#: Values of the wrong type: the type is named in plain English.
WRONG_TYPES = [
    pytest.param(
        {"execution_configuration": on_demand(start_time=datetime(2025, 1, 1))},
        "start_time=datetime.datetime(2025, 1, 1, 0, 0) is a naive datetime; give it a time zone, e.g. "
        "datetime(2025, 1, 1, tzinfo=timezone.utc), so the instant does not depend on the clock of the machine "
        f"that synthesizes [{ON_DEMAND}.StartTime]",
        id="naive-start",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=stacks.JAN_1, end_time=datetime(2025, 2, 1))},
        "end_time=datetime.datetime(2025, 2, 1, 0, 0) is a naive datetime; give it a time zone, e.g. "
        "datetime(2025, 2, 1, tzinfo=timezone.utc), so the instant does not depend on the clock of the machine "
        f"that synthesizes [{ON_DEMAND}.EndTime]",
        id="naive-end",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=1735689600000.0)},
        f"start_time=1735689600000.0 is a float; expected {INSTANT_ALLOWED} [{ON_DEMAND}.StartTime]",
        id="float-start",
    ),
    pytest.param(
        {"execution_configuration": on_demand(start_time=True)},
        f"start_time=True is a bool; expected {INSTANT_ALLOWED} [{ON_DEMAND}.StartTime]",
        id="bool-start",
    ),
    pytest.param(
        {"execution_configuration": scheduled(object=7)},
        "object=7 is an int; expected a str of at most 255 letters, digits, '/', '.', '_' and '-', e.g. "
        f"'Account' [{SCHEDULE}.Object]",
        id="int-object",
    ),
    pytest.param(
        {"execution_configuration": scheduled(schedule_expression=stacks.JAN_1)},
        "schedule_expression=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc) is a datetime; "
        f"expected {SCHEDULE_ALLOWED} [{SCHEDULE}.ScheduleExpression]",
        id="datetime-expression",
    ),
    pytest.param(
        {"data_integration_identifier": 42},
        f"data_integration_identifier=42 is an int; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="int-identifier",
    ),
    pytest.param(
        {"data_integration_identifier": None},
        f"data_integration_identifier is None; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        id="none-identifier",
    ),
    pytest.param(
        {"data_integration_association_identifier": 5},
        f"data_integration_association_identifier=5 is an int; expected {ASSOC_ALLOWED} "
        "[DataIntegrationAssociationIdentifier]",
        id="int-association",
    ),
    pytest.param(
        {"data_integration_identifier": SimpleNamespace(attr_id="x")},
        f"data_integration_identifier=namespace(attr_id='x') is a SimpleNamespace; expected {DI_ALLOWED} "
        "[DataIntegrationIdentifier]",
        id="object-without-arn",
    ),
    pytest.param(
        {"data_integration_association_identifier": None, "destination_uri": {"uri": "s3://b"}},
        "destination_uri={'uri': 's3://b'} is a dict; expected a non-blank str of at most 1000 characters (the "
        "DestinationURI of the association to find, e.g. a knowledge base's ARN), or None [DestinationURI]",
        id="dict-destination",
    ),
    pytest.param(
        {"rerun_token": 5},
        "rerun_token=5 is an int; expected a non-blank str of at most 255 characters [RerunToken]",
        id="int-rerun",
    ),
    pytest.param(
        {"execution_configuration": "ON_DEMAND"},
        "execution_configuration='ON_DEMAND' is a str; expected an ExecutionConfiguration: build it with "
        "ExecutionConfiguration.on_demand(...) or ExecutionConfiguration.scheduled(...) [ExecutionConfiguration]",
        id="mode-as-string",
    ),
    pytest.param(
        {"provider": "Provider"},
        "provider='Provider' is a str; expected an ExecutionProvider of this stack, or None",
        id="provider-name",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), [*RULES, *UNDERIVABLE_IDENTIFIERS, *ARN_PARTS, *WRONG_TYPES])
def test_each_refusal_names_the_keyword_and_the_value_as_written_then_the_api_field(
    stack: cdk.Stack, overrides: dict[str, Any], expected: str
) -> None:
    assert refused(stack, **overrides) == [expected]


def test_every_problem_is_reported_at_once_each_with_its_keyword(stack: cdk.Stack) -> None:
    error = refusal(
        stack,
        data_integration_identifier=" ",
        execution_configuration=scheduled(object="a b", schedule_expression=""),
    )
    assert error.construct_path == f"{stack.node.id}/KnowledgeBaseSync"
    assert isinstance(error, ValueError)
    assert [problem.split("=", 1)[0] for problem in error.problems] == [
        "data_integration_identifier",
        "schedule_expression",
        "object",
    ]
    assert str(error) == f"DataIntegrationAssociationExecution '{error.construct_path}': {'; '.join(error.problems)}"


def test_five_problems_of_every_kind_are_one_error(stack: cdk.Stack) -> None:
    """Wrong types, a rule of one field, a rule between fields, a wrong provider: all in the first error.

    Before, the wrong types came alone, and the rest only once they were fixed.
    """
    problems = refused(
        stack,
        data_integration_identifier=f"{LOCAL}:event-integration/x",
        destination_uri="s3://amzn-s3-demo-bucket",  # beside an association identifier
        execution_configuration=on_demand(start_time=JAN_2, end_time=stacks.JAN_1),
        rerun_token=5,
        provider="Provider",
    )
    assert [problem.split(" ", 1)[0].split("=", 1)[0] for problem in problems] == [
        "rerun_token",
        "data_integration_identifier",
        "destination_uri",
        "end_time",
        "provider",
    ]
    assert "is an int; expected" in problems[0]
    assert "is an ARN, but not of a data integration" in problems[1]
    assert "give one or the other, not both" in problems[2]
    assert "the window must be non-empty" in problems[3]
    assert problems[4].startswith("provider='Provider' is a str; expected an ExecutionProvider")


def test_a_wrong_type_drops_only_the_contracts_word_on_that_field(app: cdk.App, stack: cdk.Stack) -> None:
    """A left-out value is not reported again as missing, at its path or below it."""
    assert refused(stack, execution_configuration="ON_DEMAND", data_integration_identifier=42, rerun_token="") == [
        f"data_integration_identifier=42 is an int; expected {DI_ALLOWED} [DataIntegrationIdentifier]",
        "execution_configuration='ON_DEMAND' is a str; expected an ExecutionConfiguration: build it with "
        "ExecutionConfiguration.on_demand(...) or ExecutionConfiguration.scheduled(...) [ExecutionConfiguration]",
        "rerun_token='' is empty; expected a non-blank str of at most 255 characters [RerunToken]",
    ]
    naive = on_demand(start_time=datetime(2025, 1, 1))
    assert refused(cdk.Stack(app, f"Stack{next(_counter)}"), execution_configuration=naive) == [
        "start_time=datetime.datetime(2025, 1, 1, 0, 0) is a naive datetime; give it a time zone, e.g. "
        "datetime(2025, 1, 1, tzinfo=timezone.utc), so the instant does not depend on the clock of the machine "
        f"that synthesizes [{ON_DEMAND}.StartTime]"
    ]


def test_a_second_execution_of_an_association_is_one_error_with_its_other_problems(stack: cdk.Stack) -> None:
    create(stack)
    with pytest.raises(ValidationError) as caught:
        DataIntegrationAssociationExecution(
            stack,
            "Again",
            data_integration_identifier=DI,
            data_integration_association_identifier=ASSOC,
            execution_configuration=scheduled(schedule_expression="rate(0 hours)"),
            rerun_token=5,  # type: ignore[arg-type]
        )
    assert [api_field(problem) for problem in caught.value.problems] == [
        "RerunToken",
        f"{SCHEDULE}.ScheduleExpression",
        "DataIntegrationAssociationIdentifier",
    ]
    assert "is already configured by DataIntegrationAssociationExecution" in caught.value.problems[2]


def api_field(problem: str) -> str:
    """The API path a construct problem names last, in brackets."""
    found = re.search(r" \[([A-Za-z.]+)\]$", problem)
    assert found is not None, problem
    return found.group(1)


@pytest.mark.parametrize(
    ("overrides", "raw"),
    [
        pytest.param(
            {
                "execution_configuration": on_demand(start_time=stacks.JAN_2_MS, end_time=stacks.JAN_1_MS),
                "rerun_token": "",
            },
            {
                "ExecutionConfiguration": {
                    "ExecutionMode": "ON_DEMAND",
                    "OnDemandConfiguration": {"StartTime": stacks.JAN_2_MS, "EndTime": stacks.JAN_1_MS},
                },
                "RerunToken": "",
            },
            id="window-and-blank-token",
        ),
        pytest.param(
            {"destination_uri": "s3://amzn-s3-demo-bucket", "data_integration_identifier": "arn:aws:s3:::b"},
            {
                "DestinationURI": "s3://amzn-s3-demo-bucket",
                "DataIntegrationIdentifier": "arn:aws:s3:::b",
                "ExecutionConfiguration": {
                    "ExecutionMode": "ON_DEMAND",
                    "OnDemandConfiguration": {"StartTime": stacks.JAN_1_MS},
                },
            },
            id="destination-and-wrong-arn",
        ),
        pytest.param(
            {"execution_configuration": scheduled(first_execution_from="2025-01-01T00:00", object="a b")},
            {
                "ExecutionConfiguration": {
                    "ExecutionMode": "SCHEDULED",
                    "ScheduleConfiguration": {
                        "ScheduleExpression": "rate(1 hour)",
                        "Object": "a b",
                        "FirstExecutionFrom": "2025-01-01T00:00",
                    },
                }
            },
            id="object-and-naive-iso",
        ),
    ],
)
def test_the_construct_refuses_what_the_handler_refuses_at_the_same_api_fields(
    stack: cdk.Stack, overrides: dict[str, Any], raw: dict[str, Any]
) -> None:
    """One rule set: the same properties fed to the handler's contract give the same problems, field for field."""
    construct_says = refused(stack, **overrides)
    properties = {"DataIntegrationIdentifier": DI, "DataIntegrationAssociationIdentifier": ASSOC, **raw}
    with pytest.raises(ContractError) as handler_says:
        parse_properties(properties)
    handler_fields = [problem.split(":", 1)[0] for problem in handler_says.value.problems]
    assert [api_field(problem) for problem in construct_says] == handler_fields
    assert len(handler_fields) == 2


def test_a_refusal_prints_once_with_no_internal_exception_before_it(tmp_path: Any) -> None:
    """What a user sees in the terminal: one traceback, ending in the ValidationError."""
    code = textwrap.dedent(
        """
        from datetime import datetime, timezone
        import aws_cdk as cdk
        from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration
        stack = cdk.Stack(cdk.App(), "Stack")
        DataIntegrationAssociationExecution(
            stack,
            "KnowledgeBaseSync",
            data_integration_identifier="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            data_integration_association_identifier="*",
            execution_configuration=ExecutionConfiguration.on_demand(
                start_time=datetime(2025, 1, 2, tzinfo=timezone.utc),
                end_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
            ),
        )
        """
    )
    result = run_fresh_python(code, stacks.REPO_ROOT)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("Traceback (most recent call last)") == 1, result.stderr
    assert "During handling of the above exception" not in result.stderr
    assert "direct cause of the following exception" not in result.stderr
    assert "ContractError" not in result.stderr
    [last] = [line for line in result.stderr.splitlines() if line.startswith("cdk_appintegrations.errors.")]
    assert last.startswith("cdk_appintegrations.errors.ValidationError: DataIntegrationAssociationExecution ")
    assert "end_time=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc) is not after" in last


def test_an_identifier_iam_would_misread_is_refused_without_a_chained_exception(stack: cdk.Stack) -> None:
    """The policy's own check (a wildcard in an id) raises internally; the user still sees one error."""
    error = refusal(stack, data_integration_identifier="di?")
    assert error.problems == [
        "data_integration_identifier='di?' holds 'di?', which contains '?': IAM would read it as a wildcard or a "
        "policy variable; AppIntegrations ids never contain them [DataIntegrationIdentifier]"
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"data_integration_identifier": "my documents"},
            [f"data_integration_identifier='my documents' {NOT_AN_ID}{DI_ALLOWED} [DataIntegrationIdentifier]"],
            id="a-name",
        ),
        pytest.param(
            {
                "data_integration_identifier": PLACEHOLDER_ARN,
                "data_integration_association_identifier": "...",
            },
            [
                f"data_integration_identifier='{PLACEHOLDER_ARN}' "
                f"holds '...', which {NOT_AN_ID}{DI_ALLOWED} [DataIntegrationIdentifier]",
                f"data_integration_association_identifier='...' {NOT_AN_ID}{ASSOC_ALLOWED} "
                "[DataIntegrationAssociationIdentifier]",
            ],
            id="placeholders",
        ),
        pytest.param(
            {"data_integration_identifier": "data-integration/...", "data_integration_association_identifier": None},
            [f"data_integration_identifier='data-integration/...' {NOT_AN_ID}{DI_ALLOWED} [DataIntegrationIdentifier]"],
            id="a-lookup-by-placeholder",
        ),
        pytest.param(
            {
                "data_integration_identifier": DI,
                "data_integration_association_identifier": (f"{LOCAL}:data-integration-association/{DI}/assoc-1"),
            },
            [
                f"data_integration_association_identifier='{LOCAL}:"
                f"data-integration-association/{DI}/assoc-1' holds 'assoc-1', which {NOT_AN_ID}{ASSOC_ALLOWED} "
                "[DataIntegrationAssociationIdentifier]"
            ],
            id="an-arn-around-a-short-id",
        ),
    ],
)
def test_a_literal_identifier_that_holds_no_id_gets_a_synth_warning(
    stack: cdk.Stack, overrides: dict[str, Any], expected: list[str]
) -> None:
    execution = create(stack, **overrides)
    assert warnings_of(execution) == [f"{warning} [ack: {IDENTIFIER_NOT_AN_ID}]" for warning in expected]


def test_the_identifier_warning_can_be_acknowledged(stack: cdk.Stack) -> None:
    execution = create(stack, data_integration_identifier="my documents")
    cdk.Annotations.of(execution).acknowledge_warning(IDENTIFIER_NOT_AN_ID, "the platform grants it by name")
    assert warnings_of(execution) == []


def test_ids_arns_and_tokens_get_no_identifier_warning(stack: cdk.Stack) -> None:
    """UUIDs (the service's form, either case, docs-style too), their ARNs, tokens and CfnDataIntegration."""
    parameter = cdk.CfnParameter(stack, "Association").value_as_string
    quiet = [
        create(stack),
        DataIntegrationAssociationExecution(
            stack,
            "Arns",
            data_integration_identifier=stacks.DI_ARN,
            data_integration_association_identifier=ASSOC_ARN.replace(ASSOC, stacks.association_id(1)),
            execution_configuration=scheduled(),
        ),
        DataIntegrationAssociationExecution(
            stack,
            "ServiceIds",
            data_integration_identifier="0f3c9a52-8d1e-4b7a-9c64-2e5f7a1b3c8d",
            data_integration_association_identifier="0F3C9A52-8D1E-4B7A-9C64-2E5F7A1B3C8D",
            execution_configuration=scheduled(),
        ),
        DataIntegrationAssociationExecution(
            stack,
            "Tokens",
            data_integration_identifier=cdk.CfnParameter(stack, "DataIntegration").value_as_string,
            data_integration_association_identifier=parameter,
            execution_configuration=scheduled(),
        ),
        DataIntegrationAssociationExecution(
            stack,
            "TokenInsideArn",
            data_integration_identifier=f"{LOCAL}:data-integration/{parameter}",
            execution_configuration=scheduled(),
        ),
        DataIntegrationAssociationExecution(
            stack,
            "Reference",
            data_integration_identifier=stacks.data_integration(stack, "Documents"),
            execution_configuration=scheduled(),
        ),
    ]
    assert {execution.node.id: warnings_of(execution) for execution in quiet} == {
        execution.node.id: [] for execution in quiet
    }


def test_every_bad_part_of_both_arns_is_refused_at_once_by_keyword(stack: cdk.Stack) -> None:
    """One problem per bad part; the two ARNs are not also said to differ, the refused parts say it all."""
    problems = refused(
        stack,
        data_integration_identifier=di_arn(region="*", account="*"),
        data_integration_association_identifier=assoc_arn(partition="amazon", region="*", account="*"),
    )
    assert [(problem.split("=", 1)[0], problem.split(" holds ", 1)[1].split(",", 1)[0]) for problem in problems] == [
        ("data_integration_identifier", "Region '*'"),
        ("data_integration_identifier", "account '*'"),
        ("data_integration_association_identifier", "partition 'amazon'"),
        ("data_integration_association_identifier", "Region '*'"),
        ("data_integration_association_identifier", "account '*'"),
    ]


@pytest.mark.parametrize(
    ("partition", "region"),
    [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-iso-b", "us-isob-east-1")],
)
def test_arns_of_other_partitions_are_accepted(stack: cdk.Stack, partition: str, region: str) -> None:
    execution = create(
        stack,
        data_integration_identifier=di_arn(partition, region, "444455556666"),
        data_integration_association_identifier=assoc_arn(partition, region, "444455556666"),
    )
    assert warnings_of(execution) == []
    assert stack.node.try_find_child(PROVIDER_ID) is not None


def test_a_wildcard_beside_a_token_in_an_arn_is_left_to_deploy(stack: cdk.Stack) -> None:
    """A string with a token is unknown at synth as a whole: the handler refuses the Region at deploy.

    The policy takes the stack's environment for such a string, not the ARN's, so the wildcard never reaches it.
    """
    create(stack, data_integration_identifier=f"arn:aws:app-integrations:*:{cdk.Aws.ACCOUNT_ID}:data-integration/{DI}")
    assert stack.node.try_find_child(PROVIDER_ID) is not None


def test_there_is_no_third_execution_mode() -> None:
    """Only the two factories make an ExecutionConfiguration, so an unknown ExecutionMode cannot be built."""
    with pytest.raises(TypeError, match=r"use ExecutionConfiguration\.on_demand\(\.\.\.\) or"):
        ExecutionConfiguration("FULL", "full", (), object())
    assert {on_demand(start_time=1).execution_mode, scheduled().execution_mode} == {"ON_DEMAND", "SCHEDULED"}


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        pytest.param("every hour please", "is neither rate(value unit) nor cron(...); expected", id="free-text"),
        pytest.param("rate(0 minutes)", "has the value '0', which is not a positive whole number; expected", id="zero"),
        pytest.param(
            "rate(1.5 hours)", "has the value '1.5', which is not a positive whole number; expected", id="fraction"
        ),
        pytest.param("rate(2 weeks)", "has the unit 'weeks', not minute(s), hour(s) or day(s); expected", id="weeks"),
        pytest.param(
            "rate(5 minute)",
            "has the singular unit 'minute' with the value 5; a value above 1 takes the plural, e.g. 'rate(5 minutes)'",
            id="singular-above-1",
        ),
        pytest.param("cron(0 12 * * ?)", "is a cron expression with 5 fields, not 6; expected", id="cron-5-fields"),
        pytest.param("RATE(1 hour)", "is neither rate(value unit) nor cron(...); expected", id="upper-case"),
    ],
)
def test_a_schedule_no_aws_service_documents_is_refused_at_synth(stack: cdk.Stack, expression: str, why: str) -> None:
    [problem] = refused(stack, execution_configuration=scheduled(schedule_expression=expression))
    assert problem.startswith(f"schedule_expression={expression!r} {why}")
    assert problem.endswith(f" [{SCHEDULE}.ScheduleExpression]")
    if why.endswith("expected"):
        assert problem == f"schedule_expression={expression!r} {why} {SCHEDULE_ALLOWED} [{SCHEDULE}.ScheduleExpression]"


@pytest.mark.parametrize(
    ("expression", "written"),
    [
        pytest.param("rate(5minutes)", "rate(5 minutes)", id="appflow-no-space"),
        pytest.param("rate(1 hours)", "rate(1 hour)", id="appflow-plural-1"),
        pytest.param("rate(1days)", "rate(1 day)", id="appflow-both"),
    ],
)
def test_a_rate_in_appflows_form_is_accepted_with_a_warning(stack: cdk.Stack, expression: str, written: str) -> None:
    execution = create(stack, execution_configuration=scheduled(schedule_expression=expression))
    assert warnings_of(execution) == [
        f"schedule_expression={expression!r} is a rate in Amazon AppFlow's form (no space, or a plural unit with 1), "
        "which AppIntegrations does not document: its examples write rate(value unit) as EventBridge does, e.g. "
        f"{written!r}; if the deploy fails with InvalidRequestException, write it that way "
        f"[{SCHEDULE}.ScheduleExpression] [ack: {SCHEDULE_IN_APPFLOW_FORM}]"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 12 * * ? *)",
        "cron(0/15 8-17 ? * MON-FRI *)",
    ],
)
def test_eventbridge_rates_and_six_field_crons_are_accepted_quietly(stack: cdk.Stack, expression: str) -> None:
    """And a first execution in the past, which a schedule that starts pulling from history needs."""
    past = datetime(2001, 1, 1, tzinfo=timezone.utc)
    execution = create(
        stack, execution_configuration=scheduled(schedule_expression=expression, first_execution_from=past)
    )
    assert warnings_of(execution) == []


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
        data_integration_identifier=DI,
        data_integration_association_identifier=stacks.association_id(2),
        execution_configuration=scheduled(schedule_expression=token, object=token, first_execution_from=token),
    )
    assert stack.node.try_find_child(PROVIDER_ID) is not None


def test_a_token_inside_a_string_is_a_token(stack: cdk.Stack) -> None:
    partly = f"{LOCAL}:data-integration/{cdk.Aws.ACCOUNT_ID}"
    create(stack, data_integration_identifier=partly)


def test_valid_literals_in_every_accepted_form_create_the_execution(stack: cdk.Stack) -> None:
    execution = create(
        stack,
        execution_configuration=scheduled(first_execution_from=datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )
    resource = execution.node.default_child  # the CfnResource, for users who need the L1 escape hatch
    assert isinstance(resource, cdk.CfnResource)
    # The execution's child "Resource" (up to 0.5.0 ".../Resource/Default", under a CustomResource: same logical id).
    assert resource.node.path == f"{stack.node.id}/KnowledgeBaseSync/Resource"
    assert execution.provider_function.node.path == f"{stack.node.id}/{PROVIDER_ID}/Function"
    second = DataIntegrationAssociationExecution(
        stack,
        "Other",
        data_integration_identifier=DI,
        data_integration_association_identifier=stacks.association_id(2),
        execution_configuration=on_demand(start_time="1735689600000", end_time=1735776000000),
    )
    assert second.provider_function is execution.provider_function


def test_a_foreign_construct_in_the_provider_slot_is_reported(stack: cdk.Stack) -> None:
    cdk.CfnOutput(stack, PROVIDER_ID, value="taken")
    with pytest.raises(ValueError, match=f"{stack.node.id}/{PROVIDER_ID} is taken by a CfnOutput"):
        create(stack)


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
    ("first", "second", "written"),
    [
        pytest.param(
            {"data_integration_identifier": DI, "data_integration_association_identifier": ASSOC},
            {"data_integration_identifier": DI, "data_integration_association_identifier": ASSOC},
            repr(ASSOC),
            id="same-ids",
        ),
        pytest.param(
            {"data_integration_identifier": DI, "data_integration_association_identifier": ASSOC},
            {"data_integration_identifier": stacks.DI_ARN, "data_integration_association_identifier": ASSOC_ARN},
            repr(ASSOC_ARN),
            id="id-then-arn",
        ),
    ],
)
def test_two_executions_of_one_association_are_refused_naming_both(
    app: cdk.App, first: dict[str, Any], second: dict[str, Any], written: str
) -> None:
    for env in (None, stacks.ENV):  # env-agnostic: an ARN's environment may be the stack's, so it counts
        stack = cdk.Stack(app, f"Stack{next(_counter)}", env=env)
        message = duplicate_refused(stack, first, second)
        assert message == (
            f"DataIntegrationAssociationExecution '{stack.node.id}/Second': data_integration_association_identifier="
            f"{written} is association '{ASSOC}' of data integration '{DI}', which is already configured by "
            f"DataIntegrationAssociationExecution '{stack.node.id}/First'; two executions of one association race "
            f"at deploy (whichever answers last wins), so configure each association with one execution only "
            f"[DataIntegrationAssociationIdentifier]"
        )


def test_executions_that_only_look_alike_are_not_refused(stack: cdk.Stack) -> None:
    """Another account's association of the same ids, lookups and tokens: none can be proven equal at synth."""
    pinned = cdk.Stack(stack.node.scope, f"Stack{next(_counter)}", env=stacks.ENV)  # type: ignore[arg-type]
    DataIntegrationAssociationExecution(
        pinned,
        "Local",
        data_integration_identifier=DI,
        data_integration_association_identifier=ASSOC,
        execution_configuration=scheduled(),
    )
    DataIntegrationAssociationExecution(
        pinned,
        "Foreign",
        data_integration_identifier=f"arn:aws:app-integrations:eu-west-1:444455556666:data-integration/{DI}",
        data_integration_association_identifier=ASSOC,
        execution_configuration=scheduled(),
    )
    token = cdk.CfnParameter(pinned, "Association").value_as_string
    for name, association in (("LookupA", None), ("LookupB", None), ("TokenA", token), ("TokenB", token)):
        DataIntegrationAssociationExecution(
            pinned,
            name,
            data_integration_identifier=stacks.OTHER_DI,
            data_integration_association_identifier=association,
            execution_configuration=scheduled(),
        )
