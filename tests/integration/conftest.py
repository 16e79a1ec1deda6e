"""Fixtures for the integration tier: one emulator and one HTTPS receiver per session.

Starting a server is cheap, but generating the receiver's key and certificate and warming
botocore's model are not free, so both doubles are session-scoped; the ``fresh_*`` variants
reset their state for tests that count requests or responses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cfn_receiver import CfnResponseReceiver
from tests.support.emulator import AppIntegrationsEmulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[AppIntegrationsEmulator]:
    """The session's AppIntegrations emulator (state shared across tests)."""
    with AppIntegrationsEmulator() as emu:
        yield emu


@pytest.fixture
def fresh_emulator(emulator: AppIntegrationsEmulator) -> Iterator[AppIntegrationsEmulator]:
    """The session emulator with no associations, requests or queued faults."""
    emulator.reset()
    yield emulator
    emulator.reset()


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
    """Environment for :func:`tests.support.lambda_process.invoke` wiring the handler to both doubles."""
    return {
        "AWS_ENDPOINT_URL_APPINTEGRATIONS": fresh_emulator.endpoint_url,
        "SSL_CERT_FILE": str(fresh_receiver.ca_file),
    }
