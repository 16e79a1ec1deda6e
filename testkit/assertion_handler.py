"""Run integ-tests' own assertion handler (the snapshot's Node.js bundle) on one actual value.

Why the real handler: how an ``ExpectedResult`` is judged is the handler's business, and
it has surprises a Python restatement would miss (aws-cdk-integ-tests-alpha 2.257.0a0 does
not decode ``$Exact``, so ``ExpectedResult.exact`` can never pass). So the comparison is
made by the very ``index.js`` the assertion stack deploys: its ``AssertionHandler`` (the
code an SDK-call assertion with ``expected`` runs), reached through the handler's entry
point as a ``Custom::DeployAssert@AssertEquals`` event, in a Node.js process. It answers
through the local HTTPS receiver, as it would answer CloudFormation; ``node_https_port.cjs``
puts back the receiver's port, which the handler drops from the ResponseURL.

The SDK call itself is made in Python (:func:`testkit.integ_snapshot.call_with_boto3`):
the handler's SDK adapter needs the AWS SDK for JavaScript that the Lambda runtime ships.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.account import arn
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CfnResponseReceiver

__all__ = ["PORT_SHIM", "AssertionOutcome", "run_assertion"]

PORT_SHIM = Path(__file__).with_name("node_https_port.cjs")
ASSERT_EQUALS_TYPE = "Custom::DeployAssert@AssertEquals"
_DRIVER = (
    "const handler = require(process.argv[1]);"
    "const context = { getRemainingTimeInMillis: () => 60000, logStreamName: 'local' };"
    "handler.handler(JSON.parse(process.argv[2]), context).then("
    "() => process.exit(0), (error) => { console.error(error); process.exit(1); });"
)


@dataclass(frozen=True)
class AssertionOutcome:
    """What the handler decided: ``status`` ``success`` or ``fail``, and its mismatch message."""

    status: str
    message: str | None
    response: dict[str, Any]
    """The whole body it sent "CloudFormation"."""

    @property
    def passed(self) -> bool:
        """Whether the assertion holds."""
        return self.status == "success"


def run_assertion(
    handler_dir: Path,
    actual: Any,
    expected: str,
    receiver: CfnResponseReceiver,
    *,
    timeout: float = 60.0,
) -> AssertionOutcome:
    """Judge ``actual`` against the encoded ``expected`` with the handler in ``handler_dir``; raises if it breaks."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH (scripts/setup.sh links Node 24 into .venv/bin)")
    request_id = f"assert-{uuid.uuid4()}"
    event = cfn_event(
        "Create",
        {"ServiceToken": "local", "actual": json.dumps(actual), "expected": expected},
        request_id=request_id,
        response_url=receiver.response_url(request_id),
        stack_id=arn("cloudformation", "stack/Assertions/local"),
        logical_id="Assertion",
        resource_type=ASSERT_EQUALS_TYPE,
        service_token="local",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "NODE_EXTRA_CA_CERTS": str(receiver.ca_file),
        "CFN_RESPONSE_PORT": str(receiver.port),
        "NODE_NO_WARNINGS": "1",
    }
    done = subprocess.run(
        [node, "--require", str(PORT_SHIM), "-e", _DRIVER, str(handler_dir / "index.js"), json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    answers = receiver.wait_for(request_id, timeout=10)
    if done.returncode != 0 or not answers:
        raise RuntimeError(f"the assertion handler did not answer (exit {done.returncode}):\n{done.stderr[-3000:]}")
    body = answers[0].body if isinstance(answers[0].body, dict) else {}
    if body.get("Status") != "SUCCESS":
        raise RuntimeError(f"the assertion handler failed: {body.get('Reason')}")
    verdict = json.loads(body["Data"]["assertion"])
    return AssertionOutcome(status=str(verdict["status"]), message=verdict.get("message"), response=body)
