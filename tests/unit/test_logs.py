"""Redaction: the pre-signed ResponseURL and credentials never reach a log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from appintegrations_cr.logs import configured_level, redact
from appintegrations_cr.resource import ExecutionResource

from tests.unit.lambda_doubles import RESPONSE_URL, SIGNATURE, LambdaContext, Recorder, cfn_event
from tests.unit.test_contract import ON_DEMAND

pytestmark = pytest.mark.unit


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
        "{'aws_secret_access_key': 'wJalrXUtnFEMI/K7MDENG'}",
        "AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr",
        '"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG"',
    ],
)
def test_redact_drops_credential_values(secret_line: str) -> None:
    assert "wJalrXUtnFEMI" not in redact(secret_line)
    assert "IQoJb3JpZ2luX2VjEJr" not in redact(secret_line)


def test_crhelper_debug_logging_of_the_event_and_url_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """crhelper logs the whole event and 'CFN response URL: ...' at DEBUG, its default level."""
    resource = ExecutionResource(log_level="DEBUG", transport=Recorder())

    @resource.create
    def create(_event: dict[str, Any], _context: Any) -> str:
        return "id"

    # crhelper's transport logs the URL through crhelper.utils; emit that record the same way.
    with caplog.at_level(logging.DEBUG):
        resource(cfn_event("Create", ON_DEMAND), LambdaContext())
        logging.getLogger("crhelper.utils").debug("CFN response URL: %s", RESPONSE_URL)
    assert "ResponseURL" in caplog.text  # the event was logged...
    assert "CFN response URL: https://cloudformation-custom-resource-response" in caplog.text
    assert SIGNATURE not in caplog.text  # ...without the signature
    logging.getLogger().setLevel(logging.INFO)


@pytest.mark.parametrize(
    ("environment", "level"),
    [
        ({}, "INFO"),  # the construct sets no LOG_LEVEL: INFO must not depend on it
        ({"LOG_LEVEL": ""}, "INFO"),
        ({"LOG_LEVEL": "debug"}, "DEBUG"),
        ({"LOG_LEVEL": " Warning "}, "WARNING"),
        ({"LOG_LEVEL": "verbose"}, "INFO"),
    ],
)
def test_the_log_level_is_info_unless_log_level_names_another(environment: dict[str, str], level: str) -> None:
    assert configured_level(environment) == level


def test_an_unknown_log_level_would_break_crhelper_so_it_never_reaches_it() -> None:
    """crhelper sets the root level in its constructor; an unknown name fails every later request."""
    resource = ExecutionResource(log_level=configured_level({"LOG_LEVEL": "verbose"}), transport=Recorder())
    assert resource._init_failed is None  # type: ignore[attr-defined]
    assert logging.getLogger().level == logging.INFO
    broken = ExecutionResource(log_level="VERBOSE", transport=Recorder())
    assert broken._init_failed is not None  # type: ignore[attr-defined]
    logging.getLogger().setLevel(logging.INFO)
