#!/usr/bin/env bash
# Run every check and test: lint, format, types, the integration tests' snapshot check
# (scripts/integ.sh, no AWS account; about a minute), the construct tier on the lowest supported
# aws-cdk-lib (.venv-integ), then pytest (all tiers).
# Extra arguments go to pytest, e.g. scripts/test.sh -m unit; the two .venv-integ steps then run
# only if INTEG_SNAPSHOTS=1 (a full run, as CI's, always runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. .venv/bin/activate

ruff check .
ruff format --check .
mypy
if [[ $# -eq 0 || "${INTEG_SNAPSHOTS:-}" == "1" ]]; then
  bash scripts/integ.sh
  # The lowest supported aws-cdk-lib (2.257.0): the construct tier in .venv-integ (about 40 s).
  PATH="$PWD/.venv-integ/bin:$PATH" .venv-integ/bin/python -m pytest tests/construct -q --no-cov
fi
python -m pytest "$@"
