"""Logging through the Lambda runtime's own handler and formatter: one record per line, the level it sets, no secret.

Each test sets logging up as ``awslambdaric`` does in Lambda (the ``runtime_log`` fixture)
and reads what its formatter writes to stdout.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from appintegrations_cr import logs
from appintegrations_cr.logs import DEFAULT_LEVEL, default_level, log, redact
from appintegrations_cr.resource import ExecutionResource

from testkit.association_properties import ON_DEMAND
from testkit.cfn_events import RESPONSE_URL, SIGNATURE, cfn_event
from testkit.clock import LAMBDA_REQUEST_ID, LambdaContext
from tests.unit.lambda_doubles import Recorder
from tests.unit.runtime_log import RuntimeLogFactory

pytestmark = pytest.mark.unit

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG"
TOKEN = "IQoJb3JpZ2luX2VjEJr"


def test_redact_keeps_where_but_drops_the_signed_query() -> None:
    text = redact(f"CFN response URL: {RESPONSE_URL}")
    assert SIGNATURE not in text
    assert "X-Amz-Credential" not in text
    assert text.startswith(
        "CFN response URL: https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    )
    assert text.endswith("?<redacted>")


@pytest.mark.parametrize(
    "secret_line",
    [
        f"{{'aws_secret_access_key': '{SECRET_KEY}'}}",
        f"AWS_SESSION_TOKEN={TOKEN}",
        f'"SecretAccessKey": "{SECRET_KEY}"',
        f"{{'X-Amz-Security-Token': '{TOKEN}'}}",
        f"Authorization: AWS4-HMAC-SHA256 Credential=ASIA/20250101, Signature={SIGNATURE}",
    ],
)
def test_redact_drops_credential_values(secret_line: str) -> None:
    cleaned = redact(secret_line)
    assert SECRET_KEY not in cleaned
    assert TOKEN not in cleaned
    assert SIGNATURE not in cleaned


# -- the runtime's JSON format ------------------------------------------------------------------


def test_a_provider_record_is_one_runtime_json_object_with_its_fields_at_the_top(
    runtime_log: RuntimeLogFactory,
) -> None:
    out = runtime_log("JSON", "INFO")
    log(logging.INFO, "execution configuration applied", outcome="APPLIED", attempts=2, why=None)
    [record] = out.records()
    assert record["requestId"] == LAMBDA_REQUEST_ID  # written by the runtime's formatter
    assert (record["level"], record["message"], record["logger"]) == (
        "INFO",
        "execution configuration applied",
        logs.LOGGER_NAME,
    )
    assert record["timestamp"].endswith("Z")
    assert (record["outcome"], record["attempts"]) == ("APPLIED", 2)
    assert "why" not in record  # None fields are left out


def test_a_field_named_like_a_record_attribute_or_a_runtime_key_is_kept_under_another_name(
    runtime_log: RuntimeLogFactory,
) -> None:
    out = runtime_log("JSON", "INFO")
    log(logging.INFO, "clash", name="a", level="b", requestId="c")  # logging would raise on `name`
    [record] = out.records()
    assert (record["name_"], record["level_"], record["requestId_"]) == ("a", "b", "c")
    assert (record["level"], record["requestId"]) == ("INFO", LAMBDA_REQUEST_ID)


def test_crhelper_error_with_its_traceback_is_one_object_and_carries_no_secret(
    runtime_log: RuntimeLogFactory,
) -> None:
    """crhelper logs a handler's exception with ``exc_info``; the runtime writes ``str()`` of the exception."""
    out = runtime_log("JSON", "INFO")
    try:
        raise ValueError(f"could not reach {RESPONSE_URL}")
    except ValueError as error:
        logging.getLogger("crhelper.resource_helper").error(error, exc_info=True)
    lines = out.lines()
    assert len(lines) == 1
    assert SIGNATURE not in lines[0]
    record = json.loads(lines[0])
    assert record["errorType"] == "ValueError"  # the original type, not the stand-in's
    assert record["errorMessage"].endswith("?<redacted>")
    assert record["message"] == record["errorMessage"]
    assert any("raise ValueError" in frame for frame in record["stackTrace"])


def test_crhelper_debug_dump_of_the_event_stays_an_object_without_the_signature(
    runtime_log: RuntimeLogFactory,
) -> None:
    out = runtime_log("JSON", "DEBUG")
    event = cfn_event("Create", ON_DEMAND)
    logging.getLogger("crhelper.resource_helper").debug(event)
    [record] = out.records()
    assert record["message"]["ResponseURL"].endswith("?<redacted>")
    assert record["message"]["LogicalResourceId"] == "Sync"
    assert event["ResponseURL"] == RESPONSE_URL  # the event itself is not changed


def test_extra_fields_and_other_loggers_reaching_the_runtime_handler_are_scrubbed(
    runtime_log: RuntimeLogFactory,
) -> None:
    """The filter sits on the runtime's root handler too, for records of loggers the provider does not own."""
    out = runtime_log("JSON", "DEBUG")

    class Holder:
        def __str__(self) -> str:
            return f"holder of {RESPONSE_URL}"

    log(logging.INFO, "fields", url=RESPONSE_URL, nested={"urls": [RESPONSE_URL]}, holder=Holder())
    logging.getLogger("some.library").warning("saw %s", RESPONSE_URL, extra={"token": f"SessionToken={TOKEN}"})
    lines = out.lines()
    assert len(lines) == 2
    assert not any(SIGNATURE in line or TOKEN in line for line in lines)
    assert "?<redacted>" in lines[0]
    assert "?<redacted>" in lines[1]


def test_a_malformed_format_call_is_still_written_and_scrubbed(runtime_log: RuntimeLogFactory) -> None:
    out = runtime_log("JSON", "INFO")
    logging.getLogger("crhelper.utils").info("%s and %s", RESPONSE_URL)  # noqa: PLE1206 - one argument short
    [line] = out.lines()
    assert SIGNATURE not in line
    assert "?<redacted>" in line


# -- the levels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "level"),
    [
        (None, DEFAULT_LEVEL),  # the text format: Lambda sets no level
        ("", DEFAULT_LEVEL),
        ("WARN", None),  # the runtime sets the root's level, which the loggers inherit
        ("DEBUG", None),
        ("TRACE", None),  # DEBUG for the runtime
        ("FATAL", None),
        ("verbose", DEFAULT_LEVEL),  # the runtime ignores it, so the root stays at WARNING
    ],
)
def test_the_level_is_the_runtimes_else_info(variable: str | None, level: int | None) -> None:
    environment = {} if variable is None else {"AWS_LAMBDA_LOG_LEVEL": variable}
    assert default_level(environment) == level


@pytest.mark.parametrize(
    ("level", "written"),
    [
        ("DEBUG", ["DEBUG", "INFO", "WARNING"]),
        ("INFO", ["INFO", "WARNING"]),
        ("WARN", ["WARNING"]),
        ("ERROR", []),
    ],
)
def test_aws_lambda_log_level_decides_what_is_written(
    runtime_log: RuntimeLogFactory, level: str, written: list[str]
) -> None:
    out = runtime_log("JSON", level)
    for logger in (logs.LOGGER_NAME, "crhelper.resource_helper"):
        for severity in (logging.DEBUG, logging.INFO, logging.WARNING):
            logging.getLogger(logger).log(severity, "probe")
    assert [r["level"] for r in out.records()] == written * 2


def test_without_a_runtime_level_info_is_written_and_the_root_level_is_left_alone(
    runtime_log: RuntimeLogFactory,
) -> None:
    out = runtime_log("Text", None)
    assert logging.getLogger().level == logging.WARNING  # Python's default, which the runtime kept
    logging.getLogger("crhelper.resource_helper").debug("debug is below the default")
    logging.getLogger("crhelper.resource_helper").info("info from crhelper")
    log(logging.INFO, "info from the provider")
    logging.getLogger("some.library").info("another library's info stays under the root's WARNING")
    lines = out.lines()
    assert [line.split("\t")[3] for line in lines] == ["info from crhelper", "info from the provider"]
    assert logging.getLogger().level == logging.WARNING


def test_the_sdk_never_logs_its_requests_even_at_debug(runtime_log: RuntimeLogFactory) -> None:
    """At DEBUG botocore logs each request's headers: the session token and the signature."""
    out = runtime_log("JSON", "DEBUG")
    logging.getLogger("botocore.endpoint").debug("Making request with headers %s", {"X-Amz-Security-Token": TOKEN})
    logging.getLogger("botocore.retryhandler").error("an SDK error still shows")
    assert [r["message"] for r in out.records()] == ["an SDK error still shows"]


def test_crhelper_keeps_the_runtimes_formatter_and_root_level(runtime_log: RuntimeLogFactory) -> None:
    """crhelper's log set-up would replace every root handler's formatter and set the root level, on every event."""
    out = runtime_log("JSON", "WARN")
    root = logging.getLogger()
    formatters = [handler.formatter for handler in root.handlers]
    resource = ExecutionResource()
    resource._transport = Recorder()

    @resource.create
    def create(_event: dict[str, Any], _context: Any) -> str:
        logging.getLogger("crhelper.resource_helper").info("below WARN")
        return "id"

    resource(cfn_event("Create", ON_DEMAND), LambdaContext())
    assert [handler.formatter for handler in root.handlers] == formatters
    assert root.level == logging.WARNING
    assert out.lines() == []  # crhelper's INFO lines are below the runtime's level


# -- the text format ----------------------------------------------------------------------------


def test_under_the_text_format_the_fields_follow_the_message_on_its_line(runtime_log: RuntimeLogFactory) -> None:
    out = runtime_log("Text", None)
    log(logging.ERROR, "answering CloudFormation FAILED", outcome="FAILED", reason="AppIntegrations said no")
    [line] = out.lines()
    level, _time, request_id, message = line.split("\t")
    assert (level, request_id) == ("[ERROR]", LAMBDA_REQUEST_ID)
    assert message == 'answering CloudFormation FAILED {"outcome": "FAILED", "reason": "AppIntegrations said no"}'


def test_under_the_text_format_a_traceback_stays_on_its_records_line_and_is_scrubbed(
    runtime_log: RuntimeLogFactory,
) -> None:
    """The runtime's text formatter would write it on lines of its own, glued to the next record."""
    out = runtime_log("Text", None)
    try:
        raise RuntimeError(f"multi\nline {RESPONSE_URL}")
    except RuntimeError as error:
        logging.getLogger("crhelper.resource_helper").error(str(error), exc_info=True)
    log(logging.INFO, "next record")
    lines = out.lines()
    assert len(lines) == 2
    assert lines[0].startswith("[ERROR]\t")
    assert "\rTraceback (most recent call last):\r" in lines[0]
    assert "RuntimeError: multi\rline https://" in lines[0]
    assert SIGNATURE not in lines[0]
    assert lines[1].startswith("[INFO]\t")
    assert lines[1].endswith("next record")


def test_switching_to_json_removes_the_one_line_folding(runtime_log: RuntimeLogFactory) -> None:
    """Under JSON the runtime writes the traceback as a list: folding it into the message would lose that."""
    runtime_log("Text", None)
    out = runtime_log("JSON", "INFO")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("crhelper.resource_helper").exception("failed")
    [record] = out.records()
    assert record["message"] == "failed"
    assert record["errorType"] == "RuntimeError"
