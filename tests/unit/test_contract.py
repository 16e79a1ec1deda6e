"""The shared rule set: every rule, its wording, and comparison by meaning."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from appintegrations_cr.arns import ACCOUNT_PATTERN, ID_PATTERN, PARTITION_PATTERN, REGION_PATTERN
from appintegrations_cr.contract import (
    ABSENT,
    AllowedAt,
    ContractError,
    Example,
    Mention,
    Problem,
    Wording,
    check_properties,
    identifier_warnings,
    parse_properties,
    schedule_expression_warnings,
    show,
)

from testkit.account import ACCOUNT, REGION, arn
from testkit.association_properties import ON_DEMAND, SCHEDULED, changed

pytestmark = pytest.mark.unit

DI_ARN = arn("app-integrations", "data-integration/di-1")
ASSOCIATION_ARN = arn("app-integrations", "data-integration-association/di-1/assoc-1")
DI = "DataIntegrationIdentifier"
ASSOCIATION = "DataIntegrationAssociationIdentifier"
IAM_READS = "IAM would read it as a wildcard or a policy variable; "
IS_A_PARTITION = "a partition is 'aws' or 'aws-' then groups of letters, e.g. 'aws', 'aws-cn'"
IS_A_REGION = "a Region is groups of letters, then a number, e.g. 'us-east-1', 'cn-north-1'"
IS_AN_ACCOUNT = f"an account is exactly 12 digits, e.g. '{ACCOUNT}'"  # AWS documentation's, as the suite's
STACKS_OWN = " (for the stack's own, give the id alone)"


def di_arn(**environment: str) -> str:
    """``DI_ARN`` with another partition, Region or account."""
    return arn("app-integrations", "data-integration/di-1", **environment)


def association_arn(**environment: str) -> str:
    """``ASSOCIATION_ARN`` with another partition, Region or account."""
    return arn("app-integrations", "data-integration-association/di-1/assoc-1", **environment)


def problems(properties: Any) -> list[str]:
    with pytest.raises(ContractError) as caught:
        parse_properties(properties)
    return caught.value.problems


def test_valid_on_demand_builds_the_exact_api_request() -> None:
    request = parse_properties(ON_DEMAND)
    assert request.api_arguments() == {
        "DataIntegrationIdentifier": "di-1",
        "DataIntegrationAssociationIdentifier": "assoc-1",
        "ExecutionConfiguration": {
            "ExecutionMode": "ON_DEMAND",
            "OnDemandConfiguration": {"StartTime": "1735689600000", "EndTime": "1735776000000"},
        },
    }
    assert request.rerun_token is None
    assert not request.is_lookup


def test_valid_scheduled_passes_values_through_as_given() -> None:
    request = parse_properties(SCHEDULED)
    assert request.execution_configuration["ScheduleConfiguration"] == {
        "ScheduleExpression": "rate(1 hour)",
        "Object": "Account",
        "FirstExecutionFrom": "2025-01-01T00:00:00Z",
    }


def test_without_an_association_identifier_the_request_is_a_lookup() -> None:
    lookup = parse_properties(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...))
    assert lookup.is_lookup
    assert lookup.association_identifier is None
    with pytest.raises(ValueError, match="not resolved yet"):
        lookup.api_arguments()
    assert lookup.with_association("assoc-9").api_arguments()["DataIntegrationAssociationIdentifier"] == "assoc-9"


def test_destination_uri_filters_a_lookup_up_to_the_api_length() -> None:
    uri = arn("wisdom", "knowledge-base/" + "k" * 900)
    lookup = parse_properties(
        changed(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...), "DestinationURI", uri)
    )
    assert lookup.destination_uri == uri
    too_long = changed(changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...), "DestinationURI", "u" * 1001)
    assert problems(too_long) == [
        f"DestinationURI: {show('u' * 1001)} is 1001 characters; at most 1000 are allowed",
    ]


def test_destination_uri_with_an_association_identifier_is_refused() -> None:
    assert problems(changed(ON_DEMAND, "DestinationURI", "s3://bucket/prefix")) == [
        "DestinationURI: 's3://bucket/prefix' filters the lookup of the association, which happens only without "
        "DataIntegrationAssociationIdentifier; give one or the other, not both"
    ]


def at(base: dict[str, Any], path: str, value: Any, problem: str) -> tuple[dict[str, Any], str]:
    """A row: ``base`` with ``path`` set to ``value`` (``...`` removes it), and the problem said after that path."""
    return changed(base, path, value), f"{path}: {problem}"


ON_DEMAND_AT = "ExecutionConfiguration.OnDemandConfiguration"
SCHEDULE_AT = "ExecutionConfiguration.ScheduleConfiguration"
SCHEDULE_RULE = (
    "rate(value unit) with a positive whole value and a unit of minute, minutes, hour, hours, day or days (singular "
    "only with 1), e.g. 'rate(1 hour)', or cron(...) with six fields, e.g. 'cron(0 12 * * ? *)'"
)


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        at(ON_DEMAND, "DataIntegrationIdentifier", ..., "is required and missing"),
        at(
            ON_DEMAND,
            "DataIntegrationAssociationIdentifier",
            "   ",
            "'   ' is blank; expected the association's id (e.g. 'b2c3d4e5-6789-01ab-cdef-EXAMPLE22222') or ARN "
            "(arn:<partition>:app-integrations:<region>:<account>:data-integration-association/<data-integration-id>"
            "/<id>)",
        ),
        at(ON_DEMAND, "ExecutionConfiguration", "ON_DEMAND", "'ON_DEMAND' is not an object"),
        at(ON_DEMAND, "ExecutionConfiguration", ..., "is required and missing"),
        at(
            ON_DEMAND,
            "ExecutionConfiguration.ExecutionMode",
            "HOURLY",
            "'HOURLY' is not allowed; allowed: ON_DEMAND, SCHEDULED",
        ),
        at(ON_DEMAND, ON_DEMAND_AT, ..., "is required when ExecutionMode is ON_DEMAND"),
        at(
            ON_DEMAND,
            SCHEDULE_AT,
            {"ScheduleExpression": "rate(1 hour)"},
            "is only allowed with ExecutionMode SCHEDULED, not ON_DEMAND",
        ),
        at(
            ON_DEMAND,
            f"{ON_DEMAND_AT}.StartTime",
            "2025-01-01",
            "'2025-01-01' is not epoch milliseconds; use a whole number of milliseconds since 1970-01-01T00:00:00Z, "
            "e.g. '1735689600000'",
        ),
        at(ON_DEMAND, f"{ON_DEMAND_AT}.EndTime", "-5", "'-5' is not epoch milliseconds"),
        at(
            ON_DEMAND,
            f"{ON_DEMAND_AT}.StartTime",
            "1735689600",
            "'1735689600' looks like epoch seconds, not milliseconds (it is before 1973); multiply by 1000, "
            "e.g. '1735689600000'",
        ),
        at(
            ON_DEMAND,
            f"{ON_DEMAND_AT}.EndTime",
            "1735600000000",
            "'1735600000000' is not after StartTime '1735689600000'",
        ),
        at(ON_DEMAND, f"{ON_DEMAND_AT}.EndTime", "1735689600000", "'1735689600000' is not after StartTime"),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.FirstExecutionFrom",
            "next tuesday",
            "'next tuesday' is neither epoch milliseconds nor ISO-8601 with a UTC offset",
        ),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.FirstExecutionFrom",
            "2025-01-01T00:00:00",
            "'2025-01-01T00:00:00' is ISO-8601 without a UTC offset, so its instant would depend on the time zone of "
            "whoever reads it; add the offset, e.g. '2025-01-01T00:00:00+00:00' for UTC",
        ),
        at(SCHEDULED, f"{SCHEDULE_AT}.Object", "Account Name", r"'Account Name' does not match ^[a-zA-Z0-9/._-]+$"),
        at(SCHEDULED, f"{SCHEDULE_AT}.ScheduleExpression", "", f"'' is empty; expected {SCHEDULE_RULE}"),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.ScheduleExpression",
            "every hour please",
            f"'every hour please' is neither rate(value unit) nor cron(...); expected {SCHEDULE_RULE}",
        ),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.ScheduleExpression",
            "rate(0 minutes)",
            f"'rate(0 minutes)' has the value '0', which is not a positive whole number; expected {SCHEDULE_RULE}",
        ),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.ScheduleExpression",
            "rate(3 hour)",
            "'rate(3 hour)' has the singular unit 'hour' with the value 3; a value above 1 takes the plural, e.g. "
            "'rate(3 hours)'",
        ),
        at(
            SCHEDULED,
            f"{SCHEDULE_AT}.ScheduleExpression",
            "r" * 256,
            f"{show('r' * 256)} is 256 characters; at most 255 are allowed",
        ),
        at(ON_DEMAND, "RerunToken", "x" * 300, f"{show('x' * 300)} is 300 characters; at most 255 are allowed"),
        at(ON_DEMAND, "DataIntegrationIdentifier", True, "true is not a string"),
        at(ON_DEMAND, "DataIntegrationIdentifier", ["di"], '["di"] is not a string'),
        ([], "ResourceProperties: [] is not an object"),
        at(
            ON_DEMAND,
            "DataIntegrationIdentifier",
            "arn:aws:s3:::bucket",
            "'arn:aws:s3:::bucket' is an ARN, but not of a data integration; expected the data integration's id "
            "(e.g. 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111') or ARN "
            "(arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>)",
        ),
        at(
            ON_DEMAND,
            "DataIntegrationAssociationIdentifier",
            arn("app-integrations", "data-integration-association/di-2/assoc-1"),
            f"{show(arn('app-integrations', 'data-integration-association/di-2/assoc-1'))} is an association of "
            "data integration 'di-2', but DataIntegrationIdentifier is data integration 'di-1'",
        ),
        # An ARN's partition, Region and account: never a wildcard or a policy variable, and of a valid form.
        at(
            ON_DEMAND,
            DI,
            di_arn(partition="*"),
            f"{show(di_arn(partition='*'))} holds partition '*', which contains '*': {IAM_READS}{IS_A_PARTITION}"
            f"{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            DI,
            di_arn(region="us-east-?"),
            f"{show(di_arn(region='us-east-?'))} holds Region 'us-east-?', which contains '?': {IAM_READS}"
            f"{IS_A_REGION}{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            DI,
            di_arn(account="*"),
            f"{show(di_arn(account='*'))} holds account '*', which contains '*': {IAM_READS}{IS_AN_ACCOUNT}"
            f"{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            DI,
            di_arn(region="${AWS::Region}"),
            f"{show(di_arn(region='${AWS::Region}'))} holds Region '${{AWS::Region}}', which contains '${{': "
            f"{IAM_READS}{IS_A_REGION}{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            ASSOCIATION,
            association_arn(partition="aws?"),
            f"{show(association_arn(partition='aws?'))} holds partition 'aws?', which contains '?': {IAM_READS}"
            f"{IS_A_PARTITION}{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            ASSOCIATION,
            association_arn(region="*"),
            f"{show(association_arn(region='*'))} holds Region '*', which contains '*': {IAM_READS}{IS_A_REGION}"
            f"{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            ASSOCIATION,
            association_arn(account="1111222233?3"),
            f"{show(association_arn(account='1111222233?3'))} holds account '1111222233?3', which contains '?': "
            f"{IAM_READS}{IS_AN_ACCOUNT}{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            ASSOCIATION,
            association_arn(account="${aws:PrincipalAccount}"),
            f"{show(association_arn(account='${aws:PrincipalAccount}'))} holds account '${{aws:PrincipalAccount}}', "
            f"which contains '${{': {IAM_READS}{IS_AN_ACCOUNT}{STACKS_OWN}",
        ),
        at(
            ON_DEMAND,
            DI,
            di_arn(partition="amazon"),
            f"{show(di_arn(partition='amazon'))} holds partition 'amazon', which is not a valid partition; "
            f"{IS_A_PARTITION}",
        ),
        at(
            ON_DEMAND,
            DI,
            di_arn(region="useast1"),
            f"{show(di_arn(region='useast1'))} holds Region 'useast1', which is not a valid Region; {IS_A_REGION}",
        ),
        at(
            ON_DEMAND,
            ASSOCIATION,
            association_arn(account="11112222333"),
            f"{show(association_arn(account='11112222333'))} holds account '11112222333', which is not a valid "
            f"account; {IS_AN_ACCOUNT}",
        ),
        at(
            ON_DEMAND,
            DI,
            arn("*", "data-integration/di-1"),
            f"{show(arn('*', 'data-integration/di-1'))} is an ARN, but not of a data integration; "
            "expected the data integration's id",
        ),
        (
            changed(
                changed(
                    ON_DEMAND,
                    "DataIntegrationIdentifier",
                    arn("app-integrations", "data-integration/di-1", region="eu-west-1"),
                ),
                "DataIntegrationAssociationIdentifier",
                ASSOCIATION_ARN,
            ),
            f"DataIntegrationAssociationIdentifier: {show(ASSOCIATION_ARN)} has partition, Region and account "
            f"(aws, {REGION}, {ACCOUNT}), which differ from those of DataIntegrationIdentifier "
            f"(aws, eu-west-1, {ACCOUNT})",
        ),
    ],
)
def test_each_rule_names_the_field_the_value_and_what_is_allowed(properties: Any, expected: str) -> None:
    found = problems(properties)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ("", "RerunTokn"),
        ("ExecutionConfiguration", "Mode"),
        ("ExecutionConfiguration.OnDemandConfiguration", "Endtime"),
    ],
)
def test_unknown_keys_are_reported_at_every_level_with_the_allowed_names(path: str, typo: str) -> None:
    properties = changed(ON_DEMAND, f"{path}.{typo}".lstrip("."), "x")
    found = problems(properties)
    where = f"{path}.{typo}".lstrip(".")
    assert any(problem.startswith(f"{where}: unknown property; allowed here: ") for problem in found), found


@pytest.mark.parametrize(
    ("start", "refused"),
    [("99999999999", True), ("100000000000", False), ("1", True), ("0", False)],
)
def test_epoch_seconds_are_told_apart_from_milliseconds_at_the_1973_boundary(start: str, refused: bool) -> None:
    """Before 1973-03-03 in ms is far likelier seconds pasted by mistake; 0 is the epoch itself."""
    properties = changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", start)
    properties = changed(properties, "ExecutionConfiguration.OnDemandConfiguration.EndTime", ...)
    if refused:
        assert problems(properties) == [
            f"ExecutionConfiguration.OnDemandConfiguration.StartTime: {start!r} looks like epoch seconds, not "
            f"milliseconds (it is before 1973); multiply by 1000, e.g. '{int(start) * 1000}'"
        ]
    else:
        assert parse_properties(properties).execution_configuration["OnDemandConfiguration"]["StartTime"] == start


@pytest.mark.parametrize("mode", ["on_demand", "On_Demand", "scheduled", "Scheduled", " ON_DEMAND", "SCHEDULED "])
def test_execution_mode_is_case_and_space_sensitive(mode: str) -> None:
    """The API takes ON_DEMAND and SCHEDULED only as spelled; anything else must fail here, not at AWS."""
    base = SCHEDULED if mode.strip().upper() == "SCHEDULED" else ON_DEMAND
    assert problems(changed(base, "ExecutionConfiguration.ExecutionMode", mode)) == [
        f"ExecutionConfiguration.ExecutionMode: {mode!r} is not allowed; allowed: ON_DEMAND, SCHEDULED"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(10 minutes)",
        "rate(1 hour)",
        "rate(2 hours)",
        "rate(1 day)",
        "rate(30 days)",
        "cron(0 12 * * ? *)",
        "rate(5minutes)",
        "rate(1 hours)",
        "rate(1days)",
        "rate(1day)",
    ],
)
def test_the_handler_takes_every_schedule_an_aws_service_documents(expression: str) -> None:
    """EventBridge's rates and six-field crons, and AppFlow's rates (no space, a plural unit with 1) too.

    The construct warns about AppFlow's forms at synth; the handler must never refuse what the service may take.
    """
    request = parse_properties(changed(SCHEDULED, f"{SCHEDULE_AT}.ScheduleExpression", expression))
    assert request.execution_configuration["ScheduleConfiguration"]["ScheduleExpression"] == expression
    appflow = expression in {"rate(5minutes)", "rate(1 hours)", "rate(1days)", "rate(1day)"}
    assert bool(schedule_expression_warnings(expression)) == appflow


def test_unknown_key_in_schedule_block_lists_the_schedule_names() -> None:
    found = problems(changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.Cron", "x"))
    assert found == [
        "ExecutionConfiguration.ScheduleConfiguration.Cron: unknown property; allowed here: "
        "ScheduleExpression, Object, FirstExecutionFrom"
    ]


def test_matching_arns_are_accepted_and_passed_through() -> None:
    request = parse_properties(
        changed(
            changed(ON_DEMAND, "DataIntegrationIdentifier", DI_ARN),
            "DataIntegrationAssociationIdentifier",
            ASSOCIATION_ARN,
        )
    )
    assert (request.data_integration_identifier, request.association_identifier) == (DI_ARN, ASSOCIATION_ARN)


@pytest.mark.parametrize(
    ("partition", "region"),
    [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-cn", "cn-northwest-1"),
        ("aws-us-gov", "us-gov-west-1"),
        ("aws-iso", "us-iso-east-1"),
        ("aws-iso-b", "us-isob-east-1"),
        ("aws-iso-e", "eu-isoe-west-1"),
        ("aws-iso-f", "us-isof-south-1"),
        ("aws-eusc", "eusc-de-east-1"),
    ],
)
def test_arns_in_every_partition_are_accepted(partition: str, region: str) -> None:
    environment = {"partition": partition, "region": region, "account": "444455556666"}
    properties = changed(changed(ON_DEMAND, DI, di_arn(**environment)), ASSOCIATION, association_arn(**environment))
    request = parse_properties(properties)
    assert request.association_identifier == association_arn(**environment)


@pytest.mark.parametrize(
    ("pattern", "valid", "invalid"),
    [
        (
            PARTITION_PATTERN,
            ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"],
            ["amazon", "AWS", "aws-", "aws--cn", "aws-cn1", "-aws", "aws-*", ""],
        ),
        (
            REGION_PATTERN,
            ["us-east-1", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "eu-isoe-west-1", "ap-southeast-12"],
            ["useast1", "us-east", "us-1", "US-EAST-1", "us-east-1a", "us_east_1", "-us-east-1", "us-east-?", ""],
        ),
        (ACCOUNT_PATTERN, [ACCOUNT, "000000000000"], [ACCOUNT[:-1], f"{ACCOUNT}4", "1111-2222-3333", ""]),
    ],
)
def test_the_forms_of_an_arns_environment(pattern: Any, valid: list[str], invalid: list[str]) -> None:
    assert [value for value in valid if not pattern.fullmatch(value)] == []
    assert [value for value in invalid if pattern.fullmatch(value)] == []


def test_each_bad_part_of_both_arns_is_one_problem_all_at_once() -> None:
    """Five bad parts, five problems; the two environments are not also said to differ."""
    found = problems(
        changed(
            changed(ON_DEMAND, DI, di_arn(region="*", account="*")),
            ASSOCIATION,
            association_arn(partition="aws?", region="useast1", account="${AWS::AccountId}"),
        )
    )
    assert [problem.split(" holds ", 1)[1].split(",", 1)[0] for problem in found] == [
        "Region '*'",
        "account '*'",
        "partition 'aws?'",
        "Region 'useast1'",
        "account '${AWS::AccountId}'",
    ]
    assert [problem.split(":", 1)[0] for problem in found] == [DI, DI, ASSOCIATION, ASSOCIATION, ASSOCIATION]


def test_pseudo_parameters_in_a_literal_arn_are_refused_by_the_part_they_stand_in() -> None:
    """``${AWS::Region}`` holds ':', yet the ARN is still taken apart, so each part is named, not the whole ARN."""
    pseudo = "arn:${AWS::Partition}:app-integrations:${AWS::Region}:${AWS::AccountId}:data-integration/di-1"
    found = problems(changed(ON_DEMAND, DI, pseudo))
    assert [problem.split(" holds ", 1)[1].split(",", 1)[0] for problem in found] == [
        "partition '${AWS::Partition}'",
        "Region '${AWS::Region}'",
        "account '${AWS::AccountId}'",
    ]
    assert all("which contains '${': IAM would read it as a wildcard or a policy variable" in p for p in found)


def test_cloudformation_reserved_keys_are_not_typos() -> None:
    parse_properties(changed(ON_DEMAND, "ServiceTimeout", "300"))


def test_all_problems_are_reported_together() -> None:
    broken = changed(changed(ON_DEMAND, "DataIntegrationIdentifier", ...), "ExecutionConfiguration.ExecutionMode", "X")
    assert len(problems(broken)) == 2


def test_a_huge_value_is_shortened_in_the_message() -> None:
    found = problems(changed(ON_DEMAND, "DataIntegrationIdentifier", "z" * 10_000))
    assert "(10000 characters)" in found[0]
    assert len(found[0]) < 300


def test_numbers_are_accepted_as_their_text() -> None:
    request = parse_properties(
        changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", 1735689600000)
    )
    assert request.execution_configuration["OnDemandConfiguration"]["StartTime"] == "1735689600000"


def test_configuration_compares_by_meaning_not_text() -> None:
    as_iso = parse_properties(SCHEDULED)
    as_epoch = parse_properties(
        changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "1735689600000")
    )
    as_offset = parse_properties(
        changed(
            SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "2025-01-01T01:00:00+01:00"
        )
    )
    later = parse_properties(
        changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "2025-01-01T00:00:01Z")
    )
    assert as_iso.canonical_configuration == as_epoch.canonical_configuration == as_offset.canonical_configuration
    assert later.canonical_configuration != as_iso.canonical_configuration


def test_key_order_does_not_change_meaning() -> None:
    reordered = copy.deepcopy(ON_DEMAND)
    block = reordered["ExecutionConfiguration"]["OnDemandConfiguration"]
    reordered["ExecutionConfiguration"]["OnDemandConfiguration"] = dict(reversed(list(block.items())))
    assert parse_properties(reordered).canonical_configuration == parse_properties(ON_DEMAND).canonical_configuration


def test_unresolved_values_are_skipped_but_resolved_ones_are_still_checked() -> None:
    token = "${Token[TOKEN.123]}"
    with_tokens = changed(
        changed(ON_DEMAND, "DataIntegrationIdentifier", token),
        "ExecutionConfiguration.OnDemandConfiguration.StartTime",
        token,
    )
    parse_properties(with_tokens, unresolved=lambda value: value == token)
    still_bad = changed(with_tokens, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "soon")
    with pytest.raises(ContractError, match="EndTime: 'soon' is not epoch milliseconds"):
        parse_properties(still_bad, unresolved=lambda value: value == token)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "DataIntegrationIdentifier",
            "DataIntegrationIdentifier: '' is empty; expected the data integration's id (e.g. "
            "'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111') or ARN "
            "(arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>)",
        ),
        (
            "DataIntegrationAssociationIdentifier",
            "DataIntegrationAssociationIdentifier: '' is empty; expected the association's id (e.g. "
            "'b2c3d4e5-6789-01ab-cdef-EXAMPLE22222') or ARN (arn:<partition>:app-integrations:<region>:<account>:"
            "data-integration-association/<data-integration-id>/<id>)",
        ),
    ],
)
def test_an_empty_identifier_says_an_id_or_arn_is_expected(path: str, expected: str) -> None:
    assert problems(changed(ON_DEMAND, path, "")) == [expected]


def test_a_missing_identifier_says_what_to_give() -> None:
    assert problems(changed(ON_DEMAND, "DataIntegrationIdentifier", ...)) == [
        "DataIntegrationIdentifier: is required and missing; give the data integration's id (e.g. "
        "'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111') or ARN "
        "(arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>)"
    ]


def test_check_properties_reports_problems_without_raising() -> None:
    request, found = check_properties(changed(ON_DEMAND, "RerunToken", ""))
    assert request is None
    assert found == [Problem("RerunToken", ("is empty", "; expected ", AllowedAt("RerunToken")), "")]
    valid, none = check_properties(ON_DEMAND)
    assert none == []
    assert valid == parse_properties(ON_DEMAND)


class Marked(Wording):
    """Names every field, allowed form and example by a marker, to see which words a rule leaves to its reader."""

    def mention(self, mention: Mention) -> str:
        return "<field>" if mention.value is ABSENT else "<field=value>"

    def allowed(self, path: str) -> str:
        return "<allowed>"

    def example(self, example: Example) -> str:
        return "<example>"


# Every API name a user of the construct never writes: a rule the construct can raise must leave them to the reader.
API_NAMES = (
    "DataIntegrationIdentifier",
    "DataIntegrationAssociationIdentifier",
    "DestinationURI",
    "RerunToken",
    "StartTime",
    "EndTime",
    "ScheduleExpression",
    "Object",
    "FirstExecutionFrom",
)
BROKEN_FIELDS = [
    changed(ON_DEMAND, "DataIntegrationIdentifier", ""),
    changed(ON_DEMAND, "DataIntegrationIdentifier", "arn:aws:s3:::bucket"),
    changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", "x" * 256),
    changed(
        ON_DEMAND,
        "DataIntegrationAssociationIdentifier",
        "arn:aws:app-integrations:eu-west-1:444455556666:data-integration-association/di-2/assoc-1",
    ),
    changed(
        changed(
            ON_DEMAND,
            "DataIntegrationIdentifier",
            arn("app-integrations", "data-integration/di-2"),
        ),
        "DataIntegrationAssociationIdentifier",
        "arn:aws:app-integrations:eu-west-1:444455556666:data-integration-association/di-2/assoc-1",
    ),
    changed(ON_DEMAND, "DataIntegrationIdentifier", di_arn(partition="*", region="useast1", account="?")),
    changed(ON_DEMAND, "DestinationURI", "s3://bucket"),
    changed(ON_DEMAND, "RerunToken", " "),
    changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", "1735689600"),
    changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", "soon"),
    changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.StartTime", ...),
    changed(ON_DEMAND, "ExecutionConfiguration.OnDemandConfiguration.EndTime", "1735600000000"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.Object", "a b"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression", ""),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression", "hourly"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression", "rate(2 weeks)"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression", "rate(2 day)"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.ScheduleExpression", "cron(0 12 * * *)"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "2025-01-01T00:00"),
    changed(SCHEDULED, "ExecutionConfiguration.ScheduleConfiguration.FirstExecutionFrom", "soon"),
]


@pytest.mark.parametrize("properties", BROKEN_FIELDS)
def test_a_field_rule_leaves_every_name_value_and_allowed_form_to_its_reader(properties: dict[str, Any]) -> None:
    """What lets the construct say a problem with the keyword and value the user wrote, not the API's."""
    with pytest.raises(ContractError) as caught:
        parse_properties(properties)
    for problem in caught.value.found:
        text = Marked().text(problem)
        assert not [name for name in API_NAMES if name in text], text
        assert problem.path.rsplit(".", 1)[-1] in API_NAMES


def test_the_api_wording_names_another_field_by_its_api_name_and_value() -> None:
    problem = Problem(
        "ExecutionConfiguration.OnDemandConfiguration.EndTime",
        (
            "is not after ",
            Mention("ExecutionConfiguration.OnDemandConfiguration.StartTime", "2"),
            "; use ",
            AllowedAt("ExecutionConfiguration.OnDemandConfiguration.EndTime"),
            ", e.g. ",
            Example("X", "3"),
        ),
        "1",
    )
    assert str(problem) == (
        "ExecutionConfiguration.OnDemandConfiguration.EndTime: '1' is not after StartTime '2'; use a whole number of "
        "milliseconds since 1970-01-01T00:00:00Z, e.g. '1735689600000', e.g. '3'"
    )


def test_a_shortened_value_keeps_its_end_where_an_arn_holds_its_ids() -> None:
    long_arn = arn("app-integrations", "data-integration-association/" + "d" * 36 + "/assoc-1")
    shown = show(long_arn)
    assert shown.endswith(f"/assoc-1' ({len(long_arn)} characters)")
    assert shown.startswith("'arn:aws:app-integrations:")
    assert len(shown) < len(long_arn)


@pytest.mark.parametrize(
    "identifier",
    [
        "0f3c9a52-8d1e-4b7a-9c64-2e5f7a1b3c8d",  # the service's own form
        "0F3C9A52-8D1E-4B7A-9C64-2E5F7A1B3C8D",
        "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",  # AWS documentation's examples
    ],
)
def test_ids_of_the_form_the_api_gives_are_ids(identifier: str) -> None:
    assert ID_PATTERN.fullmatch(identifier)
    assert identifier_warnings(identifier, identifier) == []
    di_arn = arn("app-integrations", f"data-integration/{identifier}")
    association_arn = arn("app-integrations", f"data-integration-association/{identifier}/{identifier}")
    assert identifier_warnings(di_arn, association_arn) == []


@pytest.mark.parametrize(
    ("data_integration", "association", "paths"),
    [
        ("my documents", None, ["DataIntegrationIdentifier"]),
        ("...", "...", ["DataIntegrationIdentifier", "DataIntegrationAssociationIdentifier"]),
        ("data-integration/...", None, ["DataIntegrationIdentifier"]),
        (arn("app-integrations", "data-integration/..."), None, ["DataIntegrationIdentifier"]),
        ("di-1", "assoc-1", ["DataIntegrationIdentifier", "DataIntegrationAssociationIdentifier"]),
        ("a1b2c3d4-5678-90ab-cdef-EXAMPLE1111", None, ["DataIntegrationIdentifier"]),  # one short
        ("a1b2c3d4_5678_90ab_cdef_EXAMPLE11111", None, ["DataIntegrationIdentifier"]),
    ],
)
def test_names_and_placeholders_are_not_ids(data_integration: str, association: str | None, paths: list[str]) -> None:
    found = identifier_warnings(data_integration, association)
    assert [problem.path for problem in found] == paths
    assert all("least-privilege policy" in str(problem) for problem in found)


def test_an_arn_around_a_name_names_the_part_that_is_no_id() -> None:
    [problem] = identifier_warnings(
        "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        arn("app-integrations", "data-integration-association/my-data/b2c3d4e5-6789-01ab-cdef-EXAMPLE22222"),
    )
    assert "holds 'my-data', which is not an id of the form AppIntegrations gives" in str(problem)


def test_an_arn_of_the_wrong_kind_is_a_refusal_not_a_warning() -> None:
    assert identifier_warnings("arn:aws:s3:::bucket", None) == []
