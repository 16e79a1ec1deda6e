"""The integration tests' Regions are exactly where botocore says Q in Connect and AppIntegrations exist.

A Region outside that list would let ``scripts/integ.sh --deploy`` start a deploy that fails
on the knowledge base; a Region missing from it would refuse a caller who could run the
tests. When botocore's endpoint data changes, this fails and names the difference.
"""

from __future__ import annotations

import botocore.session
import pytest

from tests.integ.regions import Q_IN_CONNECT_REGIONS, SNAPSHOT_REGION

pytestmark = pytest.mark.unit


def test_the_regions_are_botocores_for_every_service_the_tests_use() -> None:
    session = botocore.session.get_session()
    for service in ("qconnect", "wisdom", "appintegrations"):
        assert sorted(Q_IN_CONNECT_REGIONS) == sorted(session.get_available_regions(service)), service
    assert SNAPSHOT_REGION in Q_IN_CONNECT_REGIONS
