"""The Regions where the integration tests can run: where Amazon Q in Connect (and AppIntegrations) exist.

One place for the list: the ``IntegTest``s name it (integ-runner's ``regions`` option, whose
defaults include Regions without Q in Connect), ``scripts/integ.sh --deploy`` refuses a
caller's Region outside it, and ``tests/unit/test_integ_regions.py`` keeps it equal to the
Regions botocore's endpoint data lists for both ``qconnect`` (Q in Connect's API, the
``wisdom`` endpoint) and ``appintegrations``. No jsii import here, so that check and the
script stay cheap.
"""

from __future__ import annotations

from typing import Final

Q_IN_CONNECT_REGIONS: Final = (
    "af-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-2",
    "us-east-1",
    "us-west-2",
)
"""As botocore 1.44's endpoint data lists them for ``qconnect``, ``wisdom`` and ``appintegrations`` alike."""

SNAPSHOT_REGION: Final = "us-east-1"
"""The Region the snapshots are synthesized for (they are environment-agnostic; it only picks a worker)."""

if __name__ == "__main__":
    print(" ".join(Q_IN_CONNECT_REGIONS))
