"""The unit tier's CloudFormation: DescribeStacks answered in process, from a script, by a real client.

The handler reads its stack's status (``appintegrations_cr.stack_status``) with a real boto3
client of the provider's configuration; a ``before-call`` handler answers it, as botocore's
``Stubber`` does, after botocore has validated the parameters against the model. Unlike
``Stubber`` it never runs dry: once the script is used up, every call gets :attr:`status`, a
forward status, so a test that is not about the stack's status scripts nothing.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import boto3
from appintegrations_cr.stack_status import CLIENT_CONFIG
from botocore.awsrequest import AWSResponse, HTTPHeaders

from testkit.account import REGION

#: An answer: a status, or ``(code, HTTP status)`` for a service error.
Answer = str | tuple[str, int]


class StackStatusStub:
    """A CloudFormation client whose DescribeStacks answers :meth:`then`'s answers in order, then :attr:`status`."""

    def __init__(self, status: str = "UPDATE_IN_PROGRESS") -> None:
        self.client: Any = boto3.client("cloudformation", region_name=REGION, config=CLIENT_CONFIG)
        self.status = status
        self.script: deque[Answer] = deque()
        self.stack_names: list[str] = []  # the StackName of every call, in order
        self.client.meta.events.register("before-call.cloudformation.DescribeStacks", self._answer)

    def then(self, *answers: Answer) -> StackStatusStub:
        """Queue answers for the next calls, one each."""
        self.script.extend(answers)
        return self

    def _answer(self, params: dict[str, Any], **_kwargs: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = params["body"]["StackName"]
        url = str(params["url"])
        self.stack_names.append(name)
        answer = self.script.popleft() if self.script else self.status
        if isinstance(answer, tuple):
            code, http_status = answer
            error = {"Code": code, "Message": f"{code} (scripted)", "Type": "Sender"}
            return AWSResponse(url, http_status, HTTPHeaders(), None), {
                "Error": error,
                "ResponseMetadata": {"HTTPStatusCode": http_status, "RequestId": f"cfn-{len(self.stack_names)}"},
            }
        stack = {"StackId": name, "StackName": name.split("/")[1], "StackStatus": answer, "CreationTime": 0}
        return AWSResponse(url, 200, HTTPHeaders(), None), {
            "Stacks": [stack],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
