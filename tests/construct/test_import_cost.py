"""A stack without VPC, KMS or SQS options pays nothing for them at import.

``aws_cdk.aws_kms`` and ``aws_cdk.aws_sqs`` are large generated modules; the provider
names them only in type hints (imported under ``TYPE_CHECKING``). ``aws_ec2`` comes
with ``aws_lambda`` anyway.
"""

from __future__ import annotations

import json

import pytest

from tests.construct.fresh_python import run_fresh_python
from tests.construct.scanners import REPO_ROOT

pytestmark = pytest.mark.construct


def test_importing_the_library_does_not_import_kms_or_sqs() -> None:
    code = (
        "import json, sys, cdk_appintegrations; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('aws_cdk.aws_'))))"
    )
    result = run_fresh_python(code, REPO_ROOT, timeout_s=120)
    assert result.returncode == 0, result.stderr[-3000:]
    imported = set(json.loads(result.stdout))
    assert {"aws_cdk.aws_lambda", "aws_cdk.aws_iam", "aws_cdk.aws_logs"} <= imported
    assert not {"aws_cdk.aws_kms", "aws_cdk.aws_sqs"} & imported
