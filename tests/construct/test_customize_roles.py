"""``iam.Role.customize_roles`` in each of its modes: synth completes, and CDK's policy report lists real resources.

Under customize_roles the platform team creates the roles from CDK's report, so the
report must say exactly what the provider needs: the association ARNs as text, not
``#{Token[...]}``. One app, one stack per mode (CDK writes one report per app).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from testkit.cfn_template import only
from tests.construct import stacks

pytestmark = pytest.mark.construct

MODES: dict[str, dict[str, Any]] = {
    "MappedPrevented": {"use_precreated_roles": True, "prevent_synthesis": True},
    "MappedSynthesized": {"use_precreated_roles": True, "prevent_synthesis": False},
    "UnmappedSynthesized": {"use_precreated_roles": False, "prevent_synthesis": False},
}
#: No role name and synthesis prevented: CDK itself stops the synth and asks for the name (in its own app).
UNMAPPED_PREVENTED = "UnmappedPrevented"
ROLE_NAME = "platform-appintegrations-provider"


def _build(outdir: Path, modes: dict[str, dict[str, Any]]) -> cdk.App:
    app = stacks.new_app(outdir, nag=False)
    for name, mode in modes.items():
        stack = cdk.Stack(app, name, env=stacks.ENV)
        iam.Role.customize_roles(
            stack,
            prevent_synthesis=mode["prevent_synthesis"],
            use_precreated_roles={f"{name}/AppIntegrationsExecutionProvider/Role": ROLE_NAME}
            if mode["use_precreated_roles"]
            else None,
        )
        stacks.add_execution(stack, "Known")
        stacks.add_execution(stack, "Lookup", "di-2", None)
    return app


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.cx_api.CloudAssembly, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("customize")
    assembly = _build(outdir, MODES).synth()  # 0.2's crash was here, inside the provider
    report: dict[str, Any] = json.loads((outdir / "iam-policy-report.json").read_text())
    return assembly, report


def _role_report(report: dict[str, Any], stack: str) -> dict[str, Any]:
    roles: list[dict[str, Any]] = report["roles"]
    [role] = [r for r in roles if r["roleConstructPath"] == f"{stack}/AppIntegrationsExecutionProvider/Role"]
    return role


@pytest.mark.parametrize("stack", list(MODES))
def test_the_report_lists_every_statement_with_real_resources(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Any]], stack: str
) -> None:
    _, report = synthesized
    role = _role_report(report, stack)
    # CDK reads the role name only when synthesis is prevented; otherwise the role is in the template
    mapped = MODES[stack]["use_precreated_roles"] and MODES[stack]["prevent_synthesis"]
    assert role["roleName"] == (ROLE_NAME if mapped else "missing role")
    assert role["managedPolicyArns"] == []
    text = json.dumps(role["identityPolicyStatements"])
    assert "Token[" not in text
    assert f":app-integrations:{stacks.REGION}:{stacks.ACCOUNT}:data-integration-association/di-1/assoc-1" in text
    assert "data-integration-association/di-2/*" in text
    assert "app-integrations:ListDataIntegrationAssociations" in text
    assert "logs:PutLogEvents" in text


@pytest.mark.parametrize("stack", list(MODES))
def test_the_template_holds_a_role_only_when_synthesis_is_not_prevented(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Any]], stack: str
) -> None:
    assembly, _ = synthesized
    template = assembly.get_stack_by_name(stack).template
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    if MODES[stack]["prevent_synthesis"]:
        assert roles == []
        _, function = only(template, "AWS::Lambda::Function")
        if MODES[stack]["use_precreated_roles"]:
            assert function["Properties"]["Role"] == f"arn:aws:iam::{stacks.ACCOUNT}:role/{ROLE_NAME}"
    else:
        role_id, role = only(template, "AWS::IAM::Role")
        _, function = only(template, "AWS::Lambda::Function")
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}  # not CDK's nameless role ARN
        assert "Policies" not in role["Properties"]
        _, policy = only(template, "AWS::IAM::ManagedPolicy")
        assert policy["Properties"]["Roles"] == [{"Ref": role_id}]  # the template's role, not CDK's precreated name
        sids = {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
        assert sids == {
            "WriteOwnLogs",
            "ReadOwnStackStatus",
            "UpdateDataIntegrationAssociations",
            "FindDataIntegrationAssociations",
        }


def test_without_a_role_name_only_cdk_itself_stops_the_synth_and_the_report_is_real(tmp_path: Path) -> None:
    """CDK asks for the role's name (an error annotation; from 2.258 on, one that fails ``app.synth()``)."""
    app = _build(tmp_path, {UNMAPPED_PREVENTED: {"use_precreated_roles": False, "prevent_synthesis": True}})
    try:
        errors = [
            str(m.entry.data)
            for m in app.synth().get_stack_by_name(UNMAPPED_PREVENTED).messages
            if m.level == cdk.cx_api.SynthesisMessageLevel.ERROR
        ]
    except RuntimeError as error:  # the validation report: every error of the app
        failure = str(error)
        report = json.loads((tmp_path / "validation-report.json").read_text())
        errors = [failure, *(v["description"] for plugin in report["pluginReports"] for v in plugin["violations"])]
    assert not any("TypeError" in e for e in errors), errors
    assert any("You must provide a precreated role name" in e for e in errors), errors
    role = _role_report(json.loads((tmp_path / "iam-policy-report.json").read_text()), UNMAPPED_PREVENTED)
    assert role["roleName"] == "missing role"
    assert "data-integration-association/di-1/assoc-1" in json.dumps(role["identityPolicyStatements"])
