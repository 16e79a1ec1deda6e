"""Fixtures shared by the unit tier's request-shape tests (Stubber on a real client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from appintegrations_cr.appintegrations import CLIENT_CONFIG
from botocore.stub import Stubber


@pytest.fixture
def client() -> Any:
    """A real AppIntegrations client with the provider's own config (no retries, bounded timeouts)."""
    return boto3.client("appintegrations", region_name="us-east-1", config=CLIENT_CONFIG)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    """Stubs ``client``; every queued response must be used."""
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()
