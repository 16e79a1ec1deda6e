"""Session-wide test environment.

Dummy credentials and a region keep boto3 from ever looking for real ones (or for
an instance metadata service) on a developer machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from testkit.module_names import duplicate_modules, report

for name, value in {
    "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key-not-real",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ.setdefault(name, value)
os.environ.pop("AWS_PROFILE", None)

# Hypothesis profiles. "ci" is a pure function of the code: derandomized (the same
# examples every run) and with no example database, so a clean checkout cannot fail by
# luck and nothing found in one run is replayed in the next. "dev" draws afresh each
# run, five times as many examples, and keeps the database so that a developer who
# finds a failure sees it again until it is fixed. "fast", for `scripts/test.sh --fast`
# (the loop for a change, which must stay under 3 minutes), is "dev" with the example
# count of "ci". CI=true (set by the CI runner) selects "ci"; HYPOTHESIS_PROFILE
# overrides either way.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=1500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("fast", settings.get_profile("dev"), max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

# tests/integ holds integ-runner's integration tests (integ_*.py, run by scripts/integ.sh in
# .venv-integ) and their snapshots: not pytest's to collect.
collect_ignore_glob = ["integ/*"]


@pytest.fixture(scope="session", autouse=True)
def _one_module_name_per_product_file() -> Iterator[None]:
    """Fail the session if any product file was loaded under two module names (``testkit/module_names.py``).

    Checked when the session's fixtures are torn down, after the last test, as an error the
    run reports (in each worker process too, under ``pytest -n``).
    """
    yield
    duplicates = duplicate_modules(sys.modules)
    if duplicates:
        pytest.fail(report(duplicates), pytrace=False)
