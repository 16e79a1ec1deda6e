#!/usr/bin/env bash
# Run every check and test: lint, format, the workflows' checks (actionlint, zizmor), types, the docs
# build, the integration tests' snapshot check (scripts/integ.sh, no AWS account; about a minute), the
# construct tier on the lowest supported aws-cdk-lib (.venv-integ), then pytest (all tiers). CI (.ci/run,
# and .github/workflows/ci.yml after scripts/setup.sh) runs exactly this.
# Extra arguments go to pytest, e.g. scripts/test.sh -m unit; the two .venv-integ steps then run
# only if INTEG_SNAPSHOTS=1 (a full run, as CI's, always runs them).
#
# scripts/test.sh --fast: the loop for a change (about 2 minutes on 2 cores, under 3 from a fresh clone).
# Lint, format, the workflows' checks and types as above (mypy beside pytest), then pytest over the
# product's tests (unit, integration and construct tiers) without the `slow` and `harness` ones,
# without coverage, on 4 worker processes (pytest-xdist): many tests wait on a deadline or a rate limit
# rather than use a core, and work-stealing moves the long rate-limited deploys of one module onto
# idle workers. Left to the full run: the integ snapshot check, the lowest-aws-cdk-lib construct tier,
# the packaging tier (it builds the wheel and installs it with aws-cdk-lib from PyPI into a new
# virtualenv), and the slow and harness tests. Extra arguments go to pytest here too.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. .venv/bin/activate

fast=0
if [[ "${1:-}" == "--fast" ]]; then
  fast=1
  shift
fi

ruff check .
ruff format --check .
# The GitHub Actions workflows (.github/workflows): actionlint (syntax, expressions, action inputs, the
# `run:` scripts through .venv's shellcheck) and zizmor (security: pinning, permissions, injection,
# credentials), offline. Both exit non-zero on any finding.
actionlint
zizmor --offline -q .github/workflows
if [[ $fast -eq 1 ]]; then
  # Hypothesis draws "ci"'s number of examples here, afresh each run (tests/conftest.py's "fast").
  if [[ -z "${HYPOTHESIS_PROFILE:-}" && -z "${CI:-}" ]]; then
    export HYPOTHESIS_PROFILE=fast
  fi
  # mypy runs beside pytest: with a cold cache (a fresh clone) it takes over a minute of one core,
  # while pytest's workers mostly wait on deadlines and rate limits. Its report comes after pytest's.
  mypy_log="$(mktemp)"
  mypy >"$mypy_log" 2>&1 &
  mypy_pid=$!
  status=0
  python -m pytest -m "not slow and not harness and not packaging" --no-cov -n 4 --dist worksteal "$@" || status=$?
  mypy_status=0
  wait "$mypy_pid" || mypy_status=$?
  cat "$mypy_log"
  rm -f "$mypy_log"
  if [[ $status -eq 0 ]]; then
    status=$mypy_status
  fi
  exit "$status"
fi
mypy
# The docs site: a broken link, a missing page or an unresolved reference fails (writes site/).
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet
if [[ $# -eq 0 || "${INTEG_SNAPSHOTS:-}" == "1" ]]; then
  bash scripts/integ.sh
  # The lowest supported aws-cdk-lib (2.257.0): the construct tier in .venv-integ (about 40 s).
  PATH="$PWD/.venv-integ/bin:$PATH" .venv-integ/bin/python -m pytest tests/construct -q --no-cov
fi
python -m pytest "$@"
