"""Integration test (b): the same stack with a changed window and rerun token.

In your account (``scripts/integ.sh --deploy``) it deploys as a test of its own, with the
second configuration, and its assertions must see that configuration, not (a)'s. The
integration tier (``tests/integration/test_integ_snapshots.py``) replays it locally as an
*update* of (a)'s stack (the test-case stacks share their construct id and logical ids), so
the provider's Update path is what its assertions check there.
"""

from __future__ import annotations

from tests.integ.knowledge_base_stack import SyncCase, synthesize

CASE = SyncCase(
    stack_name="AppIntegrationsIntegSyncUpdate",
    start_time_ms=1743465600000,  # 2025-04-01T00:00:00Z: a new window...
    end_time_ms=1759276800000,  # 2025-10-01T00:00:00Z
    rerun_token="2",  # ...and a new rerun token
)

TEST_ID = "KnowledgeBaseSyncUpdateTest"


if __name__ == "__main__":  # integ-runner runs the file as a script
    synthesize(TEST_ID, CASE)
