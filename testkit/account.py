"""The AWS account and Region that the test suite's doubles and tests pretend to run in.

One place, so that an ARN a double builds (a function's, a stack's, an association's) and
the ARN a test expects agree: tests write an ARN of this account with :func:`arn` or from
these constants, never the digits. The account is the one AWS documentation uses for
examples; nothing here is ever sent to AWS.
"""

from __future__ import annotations

from typing import Final

ACCOUNT: Final = "111122223333"
REGION: Final = "us-east-1"


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT, partition: str = "aws") -> str:
    """``arn:aws:<service>:us-east-1:111122223333:<resource>``, or in another Region, account or partition."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"
