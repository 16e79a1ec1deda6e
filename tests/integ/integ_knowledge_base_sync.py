"""Integration test (a): the common case, end to end.

A Q in Connect knowledge base on an S3 data integration creates the association; the
execution finds it by lookup and sets its ON_DEMAND window. The assertions list the data
integration's associations: one, with the declared ExecutionConfiguration, whose ARN is the
execution's ``attr_data_integration_association_arn``. See ``knowledge_base_stack.py``.

Run through ``scripts/integ.sh`` (snapshot check, ``--update-snapshot``, ``--deploy``).
"""

from __future__ import annotations

from tests.integ.knowledge_base_stack import SyncCase, synthesize

CASE = SyncCase(
    stack_name="AppIntegrationsIntegSync",
    start_time_ms=1735689600000,  # 2025-01-01T00:00:00Z
    end_time_ms=1751328000000,  # 2025-07-01T00:00:00Z
)

TEST_ID = "KnowledgeBaseSyncTest"


if __name__ == "__main__":  # integ-runner runs the file as a script
    synthesize(TEST_ID, CASE)
