#!/usr/bin/env bash
# Run every check and test: lint, format, types, then pytest (all tiers).
# Extra arguments go to pytest, e.g. scripts/test.sh -m unit
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. .venv/bin/activate

ruff check .
ruff format --check .
mypy
python -m pytest "$@"
