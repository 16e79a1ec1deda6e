#!/usr/bin/env bash
# Run every check and test: lint, format, types, the integration tests' snapshot check
# (scripts/integ.sh, no AWS account; about a minute), then pytest (all tiers).
# Extra arguments go to pytest, e.g. scripts/test.sh -m unit; the snapshot check then runs only
# if INTEG_SNAPSHOTS=1 (a full run, as CI's, always runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. .venv/bin/activate

ruff check .
ruff format --check .
mypy
if [[ $# -eq 0 || "${INTEG_SNAPSHOTS:-}" == "1" ]]; then
  bash scripts/integ.sh
fi
python -m pytest "$@"
