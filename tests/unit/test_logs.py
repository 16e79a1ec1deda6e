"""Redaction: the pre-signed ResponseURL and credentials never reach a log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from appintegrations_cr.logs import redact
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
