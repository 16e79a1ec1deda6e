"""Drive the peer's Node.js handler (``benchmarks/node_peer/invoke.mjs``) from Python.

Why: the benchmark runner is Python, but the peer's provider is a Node.js
Lambda. This module builds CloudFormation-shaped events from the synthesized
template, so the handler sees exactly what CloudFormation would send, and runs
``invoke.mjs`` in a subprocess (a fresh process per call, so the first event is
a cold start) and returns its timing records.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from testkit.account import arn
from testkit.synth_env import node_bin_dir

NODE_PEER_DIR: Final = Path(__file__).resolve().parents[1] / "node_peer"
INVOKE_MJS: Final = NODE_PEER_DIR / "invoke.mjs"
STACK_ID: Final = arn("cloudformation", "stack/PeerAppIntegrationsStack/5b9c1e10-0000-4000-8000-000000000000")
SERVICE_TOKEN: Final = arn("lambda", "function:PeerAppIntegrationsStack-AWS679f53fac002430cb0da5b7-XXXXXXXXXXXX")


class NodePeerError(RuntimeError):
    """invoke.mjs exited non-zero or printed no records."""


def _cfn_string(value: object) -> object:
    """CloudFormation hands custom resources every scalar property as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_cfn_string(v) for v in value]
    if isinstance(value, dict):
        return {k: _cfn_string(v) for k, v in value.items()}
    return value


def resource_properties(template_props: Mapping[str, Any]) -> dict[str, Any]:
    """ResourceProperties as the handler receives them for one ``Custom::AWS`` resource.

    ``Create``/``Update`` are already JSON strings of the AwsSdkCall in the
    template; ``ServiceToken`` (a ``Fn::GetAtt``) becomes the function ARN and
    ``InstallLatestAwsSdk`` the string ``"false"``.
    """
    props = dict(template_props)
    props["ServiceToken"] = SERVICE_TOKEN
    converted = _cfn_string(props)
    assert isinstance(converted, dict)
    return converted


def custom_resources(
    template: Mapping[str, Any], resource_type: str = "Custom::AWS"
) -> list[tuple[str, dict[str, Any]]]:
    """``(logical id, Properties)`` of every AwsCustomResource (or ``resource_type``) in template order."""
    return [
        (lid, dict(res.get("Properties", {})))
        for lid, res in template.get("Resources", {}).items()
        if res.get("Type") == resource_type
    ]


def make_event(
    request_type: str,
    logical_id: str,
    props: Mapping[str, Any],
    response_url: str,
    *,
    request_id: str | None = None,
    physical_id: str | None = None,
    old_props: Mapping[str, Any] | None = None,
    resource_type: str = "Custom::AWS",
) -> dict[str, Any]:
    """One CloudFormation custom-resource request for the peer handler (or ours, by ``resource_type``)."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": request_id or str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": resource_properties(props),
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = physical_id or logical_id
    if request_type == "Update":
        event["OldResourceProperties"] = resource_properties(old_props or props)
    return event


def events_from_template(
    template: Mapping[str, Any],
    response_url: Callable[[str], str],
    request_types: Iterable[str] = ("Create", "Update"),
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Events for each ``Custom::AWS`` resource (up to ``limit``), one per request type.

    ``response_url(request_id)`` supplies each event's ResponseURL, e.g. a
    local receiver's ``response_url``. Update and Delete carry the physical
    id the handler returned on Create (``{di}/{assoc}``, from the AwsSdkCall).
    """
    events: list[dict[str, Any]] = []
    for lid, props in custom_resources(template)[:limit]:
        create = json.loads(props["Create"])
        physical = str(create["physicalResourceId"]["id"])
        for rtype in request_types:
            rid = str(uuid.uuid4())
            events.append(make_event(rtype, lid, props, response_url(rid), request_id=rid, physical_id=physical))
    return events


def node_env(extra: Mapping[str, str]) -> dict[str, str]:
    """Environment for invoke.mjs: Node 24 on PATH, NODE_PATH to the pinned SDK, dummy creds.

    ``extra`` wins, so callers set the endpoint (``AWS_ENDPOINT_URL_APPINTEGRATIONS``)
    and ``NODE_EXTRA_CA_CERTS`` there.
    """
    node_dir = node_bin_dir()
    path = os.environ.get("PATH", "")
    env: dict[str, str] = {
        "PATH": f"{node_dir}{os.pathsep}{path}" if node_dir else path,
        "HOME": os.environ.get("HOME", "/tmp"),
        "NODE_PATH": str(NODE_PEER_DIR / "node_modules"),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_LAMBDA_FUNCTION_NAME": "PeerAwsCustomResourceProvider",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        # No shared config/credentials files from the machine.
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    env.update(extra)
    # Node trusts its bundled roots plus NODE_EXTRA_CA_CERTS; it ignores SSL_CERT_FILE
    # (which the Python half uses for the same receiver), so carry that over.
    if "NODE_EXTRA_CA_CERTS" not in env and "SSL_CERT_FILE" in extra:
        env["NODE_EXTRA_CA_CERTS"] = extra["SSL_CERT_FILE"]
    return env


def run_node_peer(
    asset_dir: Path,
    events: list[dict[str, Any]],
    env: dict[str, str],
    timeout: float = 300.0,
) -> list[dict[str, Any]]:
    """Run the handler in ``asset_dir`` over ``events`` in one fresh node process.

    Returns invoke.mjs's records: first ``{"kind": "init", ...}`` (node boot,
    handler import ms), then one ``{"kind": "event", ...}`` per event (total,
    SDK require, API and CloudFormation-PUT ms, the response it sent). The
    first event is the cold one. ``env`` is merged over :func:`node_env`.
    """
    if not (NODE_PEER_DIR / "node_modules" / "@aws-sdk").is_dir():
        raise NodePeerError(f"run `npm ci` in {NODE_PEER_DIR} first")
    node = "node"
    node_dir = node_bin_dir()
    if node_dir is not None:
        node = str(node_dir / "node")
    stdin = "".join(json.dumps(e) + "\n" for e in events)
    proc = subprocess.run(
        [node, str(INVOKE_MJS), str(asset_dir)],
        input=stdin,
        env=node_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not records:
        raise NodePeerError(f"invoke.mjs exit {proc.returncode}: {proc.stderr[-4000:]}")
    return records
