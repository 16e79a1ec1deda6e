#!/usr/bin/env bash
# The integration tests (tests/integ/integ_*.py, integ-runner), in their own venv (.venv-integ:
# aws-cdk-lib 2.257.0, the lowest supported; made by scripts/setup.sh). Three modes:
#
#   scripts/integ.sh                    check the committed snapshots: synthesize each test and
#                                       compare (no AWS account, no credentials, nothing deployed)
#   scripts/integ.sh --update-snapshot  rewrite the snapshots (no account, nothing deployed)
#   scripts/integ.sh --deploy           deploy each test to the caller's account and Region, run its
#                                       assertions, destroy it (needs credentials and a CDK-bootstrapped
#                                       Region where Amazon Q in Connect exists)
#
# Extra arguments go to integ-runner, e.g. scripts/integ.sh integ_knowledge_base_sync.py
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

mode=check
case "${1:-}" in
  --update-snapshot) mode=update; shift ;;
  --deploy) mode=deploy; shift ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  --*) echo "integ.sh: unknown option '$1' (allowed: none, --update-snapshot, --deploy)" >&2; exit 2 ;;
esac

runner="$root/tests/integ/node_modules/.bin/integ-runner"
if [[ ! -x "$root/.venv-integ/bin/python" || ! -x "$runner" ]]; then
  echo "integ.sh: .venv-integ or integ-runner is missing; run scripts/setup.sh first" >&2
  exit 1
fi
# integ-runner runs 'python integ_x.py': the venv's python, with the repository importable (tests.integ)
# and this checkout's two packages, cdk_appintegrations (constructs/) and appintegrations_cr (lambda_src/).
export PATH="$root/.venv-integ/bin:$PATH"
export PYTHONPATH="$root:$root/constructs:$root/lambda_src${PYTHONPATH:+:$PYTHONPATH}"
regions="$(python "$root/tests/integ/regions.py")"
snapshot_region="$(python -c 'from tests.integ.regions import SNAPSHOT_REGION; print(SNAPSHOT_REGION)')"
cd "$root/tests/integ"
common=(--language python --directory . --no-update-workflow)

check() {
  # AWS_REGION set: the CLI does not go looking for one (saves seconds); no credentials are read.
  AWS_REGION="$snapshot_region" "$runner" "${common[@]}" --parallel-regions "$snapshot_region" "$@"
}

case "$mode" in
  check)
    check "$@"
    ;;
  update)
    AWS_REGION="$snapshot_region" "$runner" "${common[@]}" --parallel-regions "$snapshot_region" \
      --update-on-failed --dry-run --force "$@"
    rm -rf cdk-integ.out.*
    echo "Snapshots rewritten; review them with: git status tests/integ && git diff --stat tests/integ"
    ;;
  deploy)
    region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
    if [[ -z "$region" ]]; then
      echo "integ.sh --deploy: set AWS_REGION to one of: $regions" >&2
      exit 2
    fi
    if [[ " $regions " != *" $region "* ]]; then
      echo "integ.sh --deploy: Amazon Q in Connect is not in $region; use one of: $regions" >&2
      exit 2
    fi
    # Deploy exactly what was reviewed: the committed snapshots must match the code.
    check "$@"
    cat <<EOF

integ.sh --deploy: deploying to $region with your current credentials, one test at a time.
Each test (integ_knowledge_base_sync.py, integ_knowledge_base_sync_update.py,
integ_locked_down_provider.py) creates two stacks and destroys them when it ends, pass or fail:
  - test stack: an S3 bucket (empty) and its bucket policy, a KMS key (rotation on; scheduled for
    deletion with the 7-day minimum window), an AppIntegrations data integration, a Q in Connect
    knowledge base, and this library's provider (Lambda function, IAM role, log group) with its
    execution; the provider's log group is retained by design (a failed first deploy keeps its
    log) and stays after the test: delete the AppIntegrationsIntegSync* log groups by hand;
  - integ_locked_down_provider.py also: a VPC with two isolated subnets, an AppIntegrations
    interface endpoint and an S3 gateway endpoint, a second KMS key and an SQS dead-letter queue;
  - assertion stack: integ-tests' Node.js assertion function and role, and two
    ListDataIntegrationAssociations calls.
Roughly what it costs: well under 1 USD per run. The KMS keys (1 USD a month each, prorated
hourly until deletion completes) are at most about 0.25 USD each, four in all; the interface
endpoint about 0.01 USD per hour and subnet; Lambda, CloudWatch Logs, S3 and
the API calls stay in cents or the free tier; a data integration and an idle knowledge base are
not billed by the hour (Q in Connect bills its use; see its pricing page for your Region).
Expect tens of minutes (not measured: written without an account). A failed assertion is
printed by integ-runner as ASSERTION FAILED with the handler's mismatch report (README:
"Verify it in your account").

EOF
    "$runner" "${common[@]}" --parallel-regions "$region" --force --verbose "$@"
    rm -rf cdk-integ.out.*
    ;;
esac
