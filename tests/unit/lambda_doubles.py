"""In-process doubles for the unit tier: a Lambda context, a response recorder, a CloudFormation event."""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from appintegrations_cr.constants import RESOURCE_TYPE

from testkit.account import ACCOUNT, REGION, arn

STACK_ID = arn("cloudformation", "stack/demo/0f5d6a40-0000-4000-8000-000000000000")
SIGNATURE = "f" * 64
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    f"arn%3Aaws%3Acloudformation%3A{REGION}%3A{ACCOUNT}%3Astack/demo/0f5d|Sync|req-1"
    f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Signature={SIGNATURE}"
)


LAMBDA_REQUEST_ID = "lambda-request-1"


class LambdaContext:
    """Like Lambda's: the remaining time really shrinks."""

    def __init__(self, timeout_ms: int = 120_000) -> None:
        self._deadline = time.monotonic() + timeout_ms / 1000
        self.aws_request_id = LAMBDA_REQUEST_ID
        self.function_name = "provider"
        self.log_group_name = "/aws/lambda/provider"
        self.log_stream_name = "2025/01/01/[$LATEST]abc"
        self.memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Recorder:
    """Stands in for crhelper's HTTPS transport; keeps every body it is given."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, url: str, body: dict[str, Any], _ssl_verify: Any) -> None:
        serialized = json.dumps(body)
        with self.lock:
            self.bodies.append({"url": url, "bytes": len(serialized.encode()), **json.loads(serialized)})


def cfn_event(request_type: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": RESPONSE_URL,
        "StackId": STACK_ID,
        "RequestId": f"req-{request_type.lower()}",
        "ResourceType": RESOURCE_TYPE,
        "LogicalResourceId": "Sync",
        "ResourceProperties": copy.deepcopy(properties),
    }
    event.update(extra)
    return event
