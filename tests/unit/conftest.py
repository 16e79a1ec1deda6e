"""Fixtures shared by the unit tier: the AppIntegrations and CloudFormation stand-ins, and the Lambda runtime's logging."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from appintegrations_cr import handler, logs, stack_status

from testkit.appintegrations_stub import AppIntegrationsStub
from testkit.clock import LAMBDA_REQUEST_ID
from testkit.stack_status_stub import StackStatusStub
from tests.unit.lambda_doubles import Recorder
from tests.unit.runtime_log import RuntimeLog, RuntimeLogFactory


@pytest.fixture
def stubber() -> Iterator[AppIntegrationsStub]:
    """The unit tier's AppIntegrations (see its module); every answer a test scripts must be asked for."""
    with AppIntegrationsStub() as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture(autouse=True)
def stack(monkeypatch: pytest.MonkeyPatch) -> StackStatusStub:
    """The stack's status as the handler reads it: a forward status, unless a test scripts another."""
    stub = StackStatusStub()
    monkeypatch.setattr(stack_status, "_client", stub.client)
    return stub


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """What the handler module's crhelper would PUT to CloudFormation, recorded instead."""
    recorder = Recorder()
    monkeypatch.setattr(handler.helper, "_transport", recorder)
    return recorder


@pytest.fixture
def client(stubber: AppIntegrationsStub) -> Any:
    """The real client ``stubber`` answers for: the provider's own config (no retries, bounded timeouts)."""
    return stubber.client


@pytest.fixture
def runtime_log(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[RuntimeLogFactory]:
    """Logging as ``awslambdaric`` sets it up in Lambda, then the provider's own configuration over it.

    ``runtime_log("JSON", "WARN")`` calls the runtime's own set-up (its handler, its JSON or
    text formatter, the root level from ``AWS_LAMBDA_LOG_LEVEL``), writing to stdout, and
    then ``logs.configure`` as the handler module does at import. Everything is put back
    afterwards: the root's handlers and level, the loggers' levels and filters.
    """
    from awslambdaric import bootstrap
    from awslambdaric.lambda_runtime_log_utils import LogFormat, _get_log_level_from_env_var

    root = logging.getLogger()
    saved_handlers, saved_level, saved_converter = list(root.handlers), root.level, logging.Formatter.converter
    names = (logs.ROOT_LOGGER, logs.CRHELPER_LOGGER, *logs.SDK_LOGGERS, *logs.REDACTED_LOGGERS)
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).filters)) for name in names}

    def install(log_format: str = "JSON", level: str | None = None) -> RuntimeLog:
        root.handlers[:] = saved_handlers  # a second call replaces the first's set-up
        root.setLevel(logging.WARNING)  # as in a fresh process: Python's default, before the runtime's set-up
        monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", log_format)
        if level is None:
            monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)
        else:
            monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", level)
        monkeypatch.setattr(bootstrap, "_GLOBAL_AWS_REQUEST_ID", LAMBDA_REQUEST_ID)
        bootstrap._setup_logging(  # the runtime's own set-up: what the handler module finds at import
            LogFormat.from_str(log_format), _get_log_level_from_env_var(level), bootstrap.StandardLogSink()
        )
        logs.configure(os.environ)
        return RuntimeLog(capsys)

    yield install
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.Formatter.converter = saved_converter
    for name, (level, filters) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).filters[:] = filters
