"""Fixtures for the integration tier: one emulator and one HTTPS receiver per session.

It also holds the probe handler, a stdlib-only Lambda function that reports what it sees
(context, environment, ``sys.path``) and sleeps or raises on request: the Lambda runner's
own tests (the one-shot sandbox and the warm container) run it.

Starting a server is cheap, but generating the receiver's key and certificate and warming
botocore's model are not free, so both doubles are session-scoped; the ``fresh_*`` variants
reset their state for tests that count requests or responses.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import cfn_events
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import AppIntegrationsEmulator
from tests.integration.handler_runs import STACK_ID as ROUNDTRIP_STACK_ID


@pytest.fixture(scope="session")
def emulator() -> Iterator[AppIntegrationsEmulator]:
    """The session's AppIntegrations emulator (state shared across tests)."""
    with AppIntegrationsEmulator() as emu:
        yield emu


@pytest.fixture
def fresh_emulator(emulator: AppIntegrationsEmulator) -> Iterator[AppIntegrationsEmulator]:
    """The session emulator with no associations, requests or queued faults; fails a test it crashed in."""
    emulator.reset()
    yield emulator
    crashes = emulator.crashes
    emulator.reset()
    assert not crashes, f"the emulator crashed while answering: {crashes}"


@pytest.fixture(scope="session")
def receiver() -> Iterator[CfnResponseReceiver]:
    """The session's HTTPS CloudFormation-response receiver."""
    with CfnResponseReceiver() as cfn:
        yield cfn


@pytest.fixture
def fresh_receiver(receiver: CfnResponseReceiver) -> CfnResponseReceiver:
    """The session receiver with no recorded responses or pending failures."""
    receiver.reset()
    return receiver


@pytest.fixture
def lambda_env(fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver) -> dict[str, str]:
    """Environment for :func:`testkit.lambda_process.invoke` wiring the handler to both doubles.

    The stacks of the round-trip events exist in the emulator, in a forward status: a plain
    Create or Update, sent while the stack deploys (no rollback overtakes them here).
    """
    for stack_id in (ROUNDTRIP_STACK_ID, cfn_events.STACK_ID):
        fresh_emulator.set_stack_status(stack_id, "UPDATE_IN_PROGRESS")
    return {**fresh_emulator.endpoints, "SSL_CERT_FILE": str(fresh_receiver.ca_file)}


PROBE_HANDLER = """
import importlib.util
import logging
import os
import sys
import time

logging.basicConfig(level=logging.DEBUG)  # a no-op in Lambda: the runtime's root handler exists
INVOCATIONS = 0
print("init ran")


def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    before = context.get_remaining_time_in_millis()
    time.sleep(event.get("sleep", 0.2))
    after = context.get_remaining_time_in_millis()
    logging.getLogger("probe").info("info is below the root level")
    logging.getLogger("probe").warning("warning for %s", event.get("name"))
    print("stdout line for", event.get("name"))
    print("stderr line for", event.get("name"), file=sys.stderr)
    if event.get("raise"):
        raise RuntimeError("handler failed on purpose")
    return {
        "before": before,
        "after": after,
        "invocations": INVOCATIONS,
        "pid": os.getpid(),
        "env": dict(os.environ),
        "sys_path": sys.path,
        "cwd": os.getcwd(),
        "importable": {
            name: importlib.util.find_spec(name) is not None
            for name in ("boto3", "botocore", "crhelper", "pytest", "tests", "testkit")
        },
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
        },
    }
"""


@pytest.fixture
def probe_dir(tmp_path: Path) -> Iterator[Path]:
    code = tmp_path / "task"
    code.mkdir()
    (code / "index.py").write_text(textwrap.dedent(PROBE_HANDLER))
    yield code
    assert not (code / "__pycache__").exists()  # the asset directory is left untouched
