"""The identifiers both sides of the benchmark use, apart from the peer's stack: importing this imports no CDK.

Ours and the bare floor (:mod:`benchmarks.synth_cost`) take their ids from here, so that their
processes do not import ``aws_cdk.custom_resources`` (the peer's module) only for them.
"""

from __future__ import annotations

from typing import Final

START_TIME: Final = "1735689600000"


def data_integration_id(i: int) -> str:
    """Data integration id for instance ``i``: 50 associations share one integration."""
    return f"00000000-0000-4000-8000-{i // 50:012d}"


def association_id(i: int) -> str:
    """Association id for instance ``i``: distinct per instance."""
    return f"11111111-1111-4111-8111-{i:012d}"
