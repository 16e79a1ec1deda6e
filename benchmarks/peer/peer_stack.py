"""Build and measure the peer stack: N ``AwsCustomResource`` calls of UpdateDataIntegrationAssociation.

Why a separate module: the benchmark compares our construct against what a CDK
user writes today without it. That peer is ``custom_resources.AwsCustomResource``
with one ``AwsSdkCall`` on create and update, the Lambda runtime's own SDK
(``install_latest_aws_sdk=False``) and a policy scoped to the two ARNs the call
touches, exactly as scoped as ours, so the comparison is like for like.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import custom_resources as cr

from benchmarks.peer.ids import START_TIME, association_id, data_integration_id
from testkit.account import ACCOUNT, REGION

STACK_NAME: Final = "PeerAppIntegrationsStack"

# Limits a deploy hits even when synth passes (CloudFormation / IAM quotas).
MAX_RESOURCES: Final = 500
MAX_TEMPLATE_BYTES_S3: Final = 1_000_000
MAX_TEMPLATE_BYTES_INLINE: Final = 51_200
MAX_ROLE_INLINE_POLICY_BYTES: Final = 10_240
#: IAM's limit for one customer-managed policy (our provider's statements are in one).
MAX_MANAGED_POLICY_BYTES: Final = 6_144


def _arns(stack: cdk.Stack, di: str, assoc: str) -> tuple[str]:
    """The one ARN UpdateDataIntegrationAssociation needs, scoped as our construct scopes it.

    The Service Authorization Reference lists only the association resource type for the
    action, so, like our provider, the peer grants the association's ARN and nothing else.
    """
    base = f"arn:{stack.partition}:app-integrations:{stack.region}:{stack.account}"
    return (f"{base}:data-integration-association/{di}/{assoc}",)


def _sdk_call(di: str, assoc: str) -> cr.AwsSdkCall:
    """The call a user writes: same parameters on create and update, physical id = association."""
    return cr.AwsSdkCall(
        service="AppIntegrations",
        action="updateDataIntegrationAssociation",
        parameters={
            "DataIntegrationIdentifier": di,
            "DataIntegrationAssociationIdentifier": assoc,
            "ExecutionConfiguration": {
                "ExecutionMode": "ON_DEMAND",
                "OnDemandConfiguration": {"StartTime": START_TIME},
            },
        },
        physical_resource_id=cr.PhysicalResourceId.of(f"{di}/{assoc}"),
    )


def build_peer_stack(app: cdk.App, n: int) -> cdk.Stack:
    """Add the peer stack with ``n`` AwsCustomResource instances to ``app``."""
    stack = cdk.Stack(app, STACK_NAME, env=cdk.Environment(account=ACCOUNT, region=REGION))
    for i in range(n):
        di, assoc = data_integration_id(i), association_id(i)
        call = _sdk_call(di, assoc)
        cr.AwsCustomResource(
            stack,
            f"Assoc{i}",
            on_create=call,
            on_update=call,
            install_latest_aws_sdk=False,
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=list(_arns(stack, di, assoc))),
        )
    return stack


def build_peer_app(n: int, outdir: str) -> cdk.App:
    """An App writing to ``outdir`` holding the peer stack with ``n`` instances (not yet synthesized)."""
    app = cdk.App(outdir=outdir)
    build_peer_stack(app, n)
    return app


def synth_peer(n: int, outdir: str) -> cdk.cx_api.CloudAssembly:
    """Build and synthesize the peer; raises whatever CDK raises (e.g. the 500-resource validation)."""
    return build_peer_app(n, outdir).synth()


def load_template(outdir: str | Path, stack_name: str = STACK_NAME) -> dict[str, Any]:
    """A stack's template (the peer's by default) as CDK wrote it to ``outdir``."""
    path = Path(outdir) / f"{stack_name}.template.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def minified_bytes(obj: object) -> int:
    """UTF-8 size of ``obj`` as compact JSON.

    Compact (``separators=(',', ':')``) because CloudFormation and IAM count
    characters of the document they receive, and IAM ignores whitespace in
    policy size; the CDK-written file (indented) is reported separately.
    """
    return len(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


_PSEUDO: Final[Mapping[str, str]] = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}


def resolve_pseudo(value: object, attributes: Mapping[str, str] | None = None) -> object:
    """Resolve ``Fn::Join``, ``Fn::Sub`` and pseudo-parameter ``Ref`` as CloudFormation would in us-east-1.

    IAM checks the size of the policy CloudFormation hands it, i.e. after
    ``{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}`` (the peer) or
    ``{"Fn::Sub": "arn:${AWS::Partition}:..."}`` (ours) became ``"arn:aws:..."``;
    the template form overstates it. ``attributes`` maps ``"LogicalId.Attr"`` to a
    stand-in for ``Fn::GetAtt`` (see :func:`attribute_stand_ins`). Other intrinsics
    are left as they are.
    """
    if isinstance(value, list):
        return [resolve_pseudo(v, attributes) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and "Ref" in value and value["Ref"] in _PSEUDO:
        return _PSEUDO[value["Ref"]]
    if len(value) == 1 and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        resolved = [resolve_pseudo(p, attributes) for p in parts]
        if all(isinstance(p, str) for p in resolved):
            return str(sep).join(str(p) for p in resolved)
    if len(value) == 1 and isinstance(value.get("Fn::Sub"), str):
        text = str(value["Fn::Sub"])
        for name, resolved_name in _PSEUDO.items():
            text = text.replace("${" + name + "}", resolved_name)
        if "${" not in text:
            return text
    getatt = value.get("Fn::GetAtt") if len(value) == 1 else None
    if isinstance(getatt, list) and attributes and ".".join(map(str, getatt)) in attributes:
        return attributes[".".join(map(str, getatt))]
    return {k: resolve_pseudo(v, attributes) for k, v in value.items()}


def attribute_stand_ins(resources: Mapping[str, Any], stack_name: str = STACK_NAME) -> dict[str, str]:
    """``Fn::GetAtt`` stand-ins of the deployed length: each unnamed log group's ``Arn``.

    CloudFormation names such a log group ``{stack}-{logical id}-{12 random characters}``,
    so its ARN's length is known before deploy (our provider's policy names its log group).
    """
    return {
        f"{lid}.Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{stack_name}-{lid}-{'X' * 12}:*"
        for lid, res in resources.items()
        if res.get("Type") == "AWS::Logs::LogGroup" and "LogGroupName" not in res.get("Properties", {})
    }


def provider_role_ids(resources: Mapping[str, Any]) -> list[str]:
    """Logical ids of the roles the stack's Lambda functions run as: the providers' roles.

    Found through each ``AWS::Lambda::Function``'s ``Role`` (``Fn::GetAtt [role, Arn]``),
    so it serves any provider: the AwsCustomResource singleton's
    ``AWS679f...ServiceRole...`` here, our construct's provider role in
    ``benchmarks.ours_stack``.
    """
    ids: list[str] = []
    for res in resources.values():
        if res.get("Type") != "AWS::Lambda::Function":
            continue
        role = res.get("Properties", {}).get("Role")
        if isinstance(role, dict) and isinstance(role.get("Fn::GetAtt"), list):
            role_id = str(role["Fn::GetAtt"][0])
            if role_id not in ids and resources.get(role_id, {}).get("Type") == "AWS::IAM::Role":
                ids.append(role_id)
    return ids


def _inline_policy_documents(resources: Mapping[str, Any], role_ids: list[str]) -> list[object]:
    """Every inline policy document on ``role_ids``: ``AWS::IAM::Policy`` resources and the roles' own ``Policies``."""
    docs: list[object] = []
    for res in resources.values():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::IAM::Policy" and any(_refs_role(props.get("Roles"), rid) for rid in role_ids):
            docs.append(props.get("PolicyDocument", {}))
    for rid in role_ids:
        docs.extend(p.get("PolicyDocument", {}) for p in resources[rid].get("Properties", {}).get("Policies", []))
    return docs


def _refs_role(roles: object, role_id: str) -> bool:
    """Whether a Policy's ``Roles`` list references ``role_id`` via Ref."""
    return isinstance(roles, list) and any(isinstance(r, dict) and r.get("Ref") == role_id for r in roles)


def _managed_policy_documents(resources: Mapping[str, Any], role_ids: list[str]) -> list[object]:
    """Customer-managed policy documents attached to ``role_ids``: by their ``Roles``, or a role's ManagedPolicyArns."""
    attached = {
        ref
        for rid in role_ids
        for arn in resources[rid].get("Properties", {}).get("ManagedPolicyArns", [])
        if isinstance(arn, dict) and isinstance(ref := arn.get("Ref"), str)
    }
    return [
        res.get("Properties", {}).get("PolicyDocument", {})
        for lid, res in resources.items()
        if res.get("Type") == "AWS::IAM::ManagedPolicy"
        and (lid in attached or any(_refs_role(res.get("Properties", {}).get("Roles"), rid) for rid in role_ids))
    ]


def measure_template(
    template: Mapping[str, Any], written_bytes: int | None = None, stack_name: str = STACK_NAME
) -> dict[str, Any]:
    """Sizes of a template (the peer's or ours) and the deploy limits they would break.

    ``written_bytes`` is the size of the file CDK wrote, if the caller has it.
    Returns resource count, minified template bytes, the bytes of every inline
    policy on the provider role (as written in the template, and resolved as
    IAM counts them), of the customer-managed policies attached to it (each has a
    limit of its own), and one flag per limit.
    """
    resources: Mapping[str, Any] = template.get("Resources", {})
    role_ids = provider_role_ids(resources)
    docs = _inline_policy_documents(resources, role_ids)
    policy_bytes = sum(minified_bytes(doc) for doc in docs)
    stand_ins = attribute_stand_ins(resources, stack_name)
    resolved_bytes = sum(minified_bytes(resolve_pseudo(doc, stand_ins)) for doc in docs)
    managed = [minified_bytes(resolve_pseudo(doc, stand_ins)) for doc in _managed_policy_documents(resources, role_ids)]
    policy_count = len(docs)
    template_bytes = minified_bytes(template)
    return {
        "resources": len(resources),
        "template_bytes_minified": template_bytes,
        "template_bytes_written": written_bytes,
        "provider_roles": role_ids,
        "provider_role_policies": policy_count,
        "provider_role_inline_policy_bytes": policy_bytes,
        "provider_role_inline_policy_bytes_resolved": resolved_bytes,
        "provider_role_managed_policies": len(managed),
        "provider_role_managed_policy_bytes_resolved": max(managed, default=0),
        # What the role's permissions take in all, inline and customer-managed: the figure to compare.
        "provider_role_policy_bytes_resolved": resolved_bytes + sum(managed),
        "over_managed_policy_limit": any(size > MAX_MANAGED_POLICY_BYTES for size in managed),
        "over_resource_limit": len(resources) > MAX_RESOURCES,
        "over_template_limit": template_bytes > MAX_TEMPLATE_BYTES_S3,
        "needs_s3_template_upload": template_bytes > MAX_TEMPLATE_BYTES_INLINE,
        # IAM counts the resolved documents without whitespace: judge on those.
        "over_role_inline_policy_limit": resolved_bytes > MAX_ROLE_INLINE_POLICY_BYTES,
        "over_role_inline_policy_limit_template_form": policy_bytes > MAX_ROLE_INLINE_POLICY_BYTES,
    }


def deployable(measure: Mapping[str, Any]) -> bool:
    """Whether a measured template would pass the hard deploy limits (the S3 upload is not one)."""
    return not (
        measure["over_resource_limit"]
        or measure["over_template_limit"]
        or measure["over_role_inline_policy_limit"]
        or measure["over_managed_policy_limit"]
    )
