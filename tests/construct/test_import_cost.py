"""A stack without VPC, KMS or SQS options pays nothing for them at import.

The provider names ``aws_cdk.aws_ec2``, ``aws_kms`` and ``aws_sqs`` only in type hints
(imported under ``TYPE_CHECKING``), so importing the library loads no CDK module that
``aws_lambda``, ``aws_iam`` and ``aws_logs`` do not load themselves (which ones those pull
in depends on the aws-cdk-lib version: 2.275's ``aws_lambda`` loads ``aws_ec2`` only,
2.257's also ``aws_kms`` and ``aws_sqs``).
"""

from __future__ import annotations

import json

import pytest

from tests.construct.fresh_python import run_fresh_python
from tests.construct.scanners import REPO_ROOT

pytestmark = pytest.mark.construct

_LIST = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.startswith('aws_cdk.aws_'))))"


def _cdk_modules_after(statement: str) -> set[str]:
    result = run_fresh_python(f"{statement}; {_LIST}", REPO_ROOT, timeout_s=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_library_loads_no_cdk_module_its_own_dependencies_do_not() -> None:
    baseline = _cdk_modules_after("import aws_cdk.aws_iam, aws_cdk.aws_lambda, aws_cdk.aws_logs")
    library = _cdk_modules_after("import cdk_appintegrations")
    assert {"aws_cdk.aws_lambda", "aws_cdk.aws_iam", "aws_cdk.aws_logs"} <= library
    assert library - baseline == set()
