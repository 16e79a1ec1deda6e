"""The AWS account and Region that every test double, test and benchmark pretends to run in.

One place, so that an ARN a double builds (a function's, a stack's, an association's) and
the ARN a test or benchmark expects agree. The account is the one AWS documentation uses
for examples; nothing here is ever sent to AWS.
"""

from __future__ import annotations

from typing import Final

ACCOUNT: Final = "111122223333"
REGION: Final = "us-east-1"
