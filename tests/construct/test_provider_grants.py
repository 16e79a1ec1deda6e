"""CDK's grant and connection contracts on ExecutionProvider, and the function's logging controls.

Every way CDK grants to a function reaches the provider's one customer-managed policy
(and counts in its 6,144-character budget), or, for a role the construct may not change,
the synth warning and CDK's policy report: nothing is dropped. So does every other call of
``iam.IRole`` that changes the role it hands out (``provider.function.role``): it lands in
the template or is reported. One app, synthesized once per module, holds one stack per case.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from cdk_appintegrations import (
    DataIntegrationAssociationExecution,
    ExecutionProvider,
    ValidationError,
)
from cdk_appintegrations.intrinsics import deployed_bound_characters
from cdk_appintegrations.provider import PROVIDER_ID
from cdk_appintegrations.provider_policy import MANAGED_POLICY_CHARACTERS, ROLE_NOT_CHANGED, UPDATE_SID
from constructs import IConstruct, IMixin

from app import locked_down_vpc
from testkit.cfn_template import inline_policy_documents, provider_policy, resources_of_type, update_resources
from testkit.synth_env import run_cli, synth_env
from tests.construct import stacks
from tests.construct.fresh_python import run_fresh_python
from tests.docs.markdown_blocks import blocks

pytestmark = pytest.mark.construct

#: One statement per grant path, told apart by their actions.
PATHS: dict[str, str] = {
    "provider.add_to_role_policy": "sns:Publish",
    "provider.function.add_to_role_policy": "sqs:SendMessage",
    "execution.provider_function.add_to_role_policy": "dynamodb:GetItem",
    "bucket.grant_read(provider)": "s3:GetObject*",
    "bucket.grant_put(provider.function)": "s3:PutObject",
}
ROLES: dict[str, Callable[[cdk.Stack], iam.IRole | None]] = {
    "CreatedRole": lambda _stack: None,
    "MutablePlatformRole": lambda stack: iam.Role.from_role_arn(stack, "Platform", stacks.PLATFORM_ROLE_ARN),
    "ImmutablePlatformRole": lambda stack: iam.Role.from_role_arn(
        stack, "Platform", stacks.PLATFORM_ROLE_ARN, mutable=False
    ),
}
CUSTOMIZED = "CustomizedRole"
GRANTS_AT_SCALE = "GrantsAtScale"
IN_VPC = "InVpc"
TEXT_LOGS = "TextLogs"
DEBUG_LOGS = "DebugLogs"
#: Statements a user adds at scale: each about 230 characters of the policy.
USER_STATEMENTS = 12

#: The public methods of ``iam.IRole`` that change the role: each must land in the template or be reported.
CHANGES_THE_ROLE = {
    "add_to_principal_policy",
    "add_managed_policy",
    "attach_inline_policy",
    "apply_removal_policy",
    "with_",
}
#: These give another principal rights on the role (its ARN is their resource): the role itself is unchanged,
#: and the grantee's policy is where the statement lands (see the grant paths above).
GRANTS_ON_THE_ROLE = {"grant", "grant_assume_role", "grant_pass_role"}
#: Each call made on the role the provider hands out, in every role case of the contract, marked to be found.
CONTRACT_CALLS = (
    "add_to_principal_policy",
    "add_managed_policy(AWS-managed)",
    "add_managed_policy(iam.ManagedPolicy)",
    "attach_inline_policy",
    "with_",
)
CONTRACT = "Contract"
#: Where each call ends for each role: "template" (it lands) or "warning" (the synth warning on the provider).
#: ``apply_removal_policy`` is the remaining method: see its own test (CDK raises for a role not in the template).
OUTCOMES: dict[str, dict[str, str]] = {
    "CreatedRole": dict.fromkeys(CONTRACT_CALLS, "template"),
    "MutablePlatformRole": {
        "add_to_principal_policy": "template",
        "add_managed_policy(AWS-managed)": "warning",  # CloudFormation cannot attach it to an imported role
        "add_managed_policy(iam.ManagedPolicy)": "template",  # the policy's Roles
        "attach_inline_policy": "template",
        "with_": "warning",  # the imported role has no resource in the template for the mixin
    },
    "ImmutablePlatformRole": dict.fromkeys(CONTRACT_CALLS, "warning"),
}
PLATFORM_ROLE_NAME = "appintegrations-provider"
MAX_SESSION = 7200


@jsii.implements(IMixin)
class LongerSessions:
    """A mixin for a role's CfnRole: a longer maximum session."""

    def supports(self, construct: IConstruct) -> bool:
        return isinstance(construct, iam.CfnRole)

    def apply_to(self, construct: IConstruct) -> None:
        assert isinstance(construct, iam.CfnRole)
        construct.max_session_duration = MAX_SESSION


def _call_every_role_method(stack: cdk.Stack, execution: DataIntegrationAssociationExecution) -> None:
    """Each call of CONTRACT_CALLS on the role the provider hands out (``execution.provider_function.role``)."""
    role = execution.provider_function.role
    assert role is not None
    role.add_to_principal_policy(iam.PolicyStatement(actions=["kinesis:PutRecord"], resources=["*"]))
    role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))
    role.add_managed_policy(
        iam.ManagedPolicy(
            stack, "ContractManaged", statements=[iam.PolicyStatement(actions=["sqs:ListQueues"], resources=["*"])]
        )
    )
    role.attach_inline_policy(
        iam.Policy(
            stack, "ContractInline", statements=[iam.PolicyStatement(actions=["sns:Subscribe"], resources=["*"])]
        )
    )
    role.with_(LongerSessions())


def _execution(stack: cdk.Stack, index: int, provider: ExecutionProvider) -> DataIntegrationAssociationExecution:
    return stacks.add_execution(
        stack,
        f"Execution{index}",
        stacks.data_integration_id(index % 5),
        stacks.association_id(index),
        provider=provider,
    )


def _grant_every_way(
    stack: cdk.Stack, provider: ExecutionProvider, execution: DataIntegrationAssociationExecution
) -> None:
    def statement(action: str) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=[action],
            resources=[f"arn:aws:{action.split(':', maxsplit=1)[0]}:{stacks.REGION}:{stacks.ACCOUNT}:x"],
        )

    provider.add_to_role_policy(statement(PATHS["provider.add_to_role_policy"]))
    provider.function.add_to_role_policy(statement(PATHS["provider.function.add_to_role_policy"]))
    execution.provider_function.add_to_role_policy(statement(PATHS["execution.provider_function.add_to_role_policy"]))
    bucket = s3.Bucket(stack, "Documents", enforce_ssl=True)
    bucket.grant_read(provider)
    bucket.grant_put(provider.function)


def _build(outdir: Path) -> cdk.App:
    app = stacks.new_app(outdir, nag=False)
    for name, role_of in ROLES.items():
        stack = cdk.Stack(app, name, env=stacks.ENV)
        provider = ExecutionProvider(stack, "Provider", role=role_of(stack))
        _grant_every_way(stack, provider, _execution(stack, 0, provider))

    for name, role_of in ROLES.items():
        stack = cdk.Stack(app, CONTRACT + name, env=stacks.ENV)
        provider = ExecutionProvider(stack, "Provider", role=role_of(stack))
        _call_every_role_method(stack, _execution(stack, 0, provider))

    customized = cdk.Stack(app, CUSTOMIZED, env=stacks.ENV)
    iam.Role.customize_roles(customized, use_precreated_roles={f"{CUSTOMIZED}/Provider/Role": "platform-provider"})
    provider = ExecutionProvider(customized, "Provider")
    execution = _execution(customized, 0, provider)
    _grant_every_way(customized, provider, execution)
    _call_every_role_method(customized, execution)

    at_scale = cdk.Stack(app, GRANTS_AT_SCALE)
    provider = ExecutionProvider(at_scale, "Provider")
    for index in range(40):
        _execution(at_scale, index, provider)
    for index in range(USER_STATEMENTS):
        provider.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[f"arn:aws:s3:::an-application-bucket-with-a-long-name-{index:03d}/documents/inbound/*"],
            )
        )

    in_vpc = cdk.Stack(app, IN_VPC, env=stacks.ENV)
    vpc = locked_down_vpc(in_vpc)
    provider = ExecutionProvider(in_vpc, "Provider", vpc=vpc)
    database = ec2.SecurityGroup(in_vpc, "Database", vpc=vpc, allow_all_outbound=False)
    database.connections.allow_from(provider, ec2.Port.tcp(5432), "the provider reads the catalog")
    _execution(in_vpc, 0, provider)

    text_logs = cdk.Stack(app, TEXT_LOGS, env=stacks.ENV)
    _execution(text_logs, 0, ExecutionProvider(text_logs, "Provider", logging_format=lambda_.LoggingFormat.TEXT))
    debug_logs = cdk.Stack(app, DEBUG_LOGS, env=stacks.ENV)
    provider = ExecutionProvider(
        debug_logs,
        "Provider",
        application_log_level=lambda_.ApplicationLogLevel.DEBUG,
        system_log_level=lambda_.SystemLogLevel.INFO,
    )
    _execution(debug_logs, 0, provider)
    return app


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.cx_api.CloudAssembly, Path]:
    outdir = tmp_path_factory.mktemp("grants")
    return _build(outdir).synth(), outdir


def _template(synthesized: tuple[cdk.cx_api.CloudAssembly, Path], stack: str) -> dict[str, Any]:
    template: dict[str, Any] = synthesized[0].get_stack_by_name(stack).template
    return template


def _warnings(synthesized: tuple[cdk.cx_api.CloudAssembly, Path], stack: str, *, below: bool = False) -> list[str]:
    """The synth warnings on the stack's provider (and, ``below``, on its children)."""
    path = f"/{stack}/Provider"
    return [
        str(m.entry.data)
        for m in synthesized[0].get_stack_by_name(stack).messages
        if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING
        and (m.id == path or (below and m.id.startswith(f"{path}/")))
    ]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for s in statements for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}


@pytest.mark.parametrize("stack", ["CreatedRole", "MutablePlatformRole"])
def test_every_grant_path_lands_in_the_providers_managed_policy(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path], stack: str
) -> None:
    template = _template(synthesized, stack)
    assert resources_of_type(template, "AWS::IAM::Policy") == {}  # no DefaultPolicy: no inline policy at all
    if stack == "CreatedRole":
        assert inline_policy_documents(template) == []
    actions = _actions(provider_policy(template)["Statement"])
    assert set(PATHS.values()) <= actions, {path: action in actions for path, action in PATHS.items()}


def test_for_an_immutable_role_every_grant_is_in_the_warning(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path],
) -> None:
    template = _template(synthesized, "ImmutablePlatformRole")
    assert not {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"} & {
        r["Type"] for r in template["Resources"].values()
    }
    [warning] = _warnings(synthesized, "ImmutablePlatformRole")
    document = json.loads(warning.split("it must allow this IAM policy document: ", 1)[1].split(" [ack: ", 1)[0])
    assert document["Version"] == "2012-10-17"
    actions = _actions(document["Statement"])
    for path, action in PATHS.items():
        assert action in actions, path
    assert "Token[" not in warning


def test_the_documented_one_liners_take_the_policy_document_from_cdk_out(tmp_path: Path) -> None:
    """What the locked-down page tells a user to run on the platform-role example's synth output, run."""
    example = (stacks.REPO_ROOT / "examples" / "platform_role.py").read_text()
    synth = run_fresh_python(example, stacks.REPO_ROOT, {"CDK_OUTDIR": str(tmp_path / "cdk.out")})
    assert synth.returncode == 0, synth.stderr
    shown = [
        block
        for block in blocks(stacks.REPO_ROOT / "docs" / "locked-down.md")
        if block.language == "bash" and ROLE_NOT_CHANGED in block.text
    ]
    assert [block.text.split(" ", 1)[0] for block in shown] == ["jq", "python"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for block in shown:
        if shutil.which(block.text.split(" ", 1)[0], path=env["PATH"]) is None:
            pytest.fail(f"{block.where} needs {block.text.split(' ', 1)[0]}, which is not installed")
        taken = tmp_path / "provider-policy.json"
        taken.unlink(missing_ok=True)
        run = subprocess.run(
            ["bash", "-c", block.text], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, f"{block.where}: {run.stderr}"
        document = json.loads(taken.read_text())
        assert document["Version"] == "2012-10-17", block.where
        assert [statement["Sid"] for statement in document["Statement"]] == [
            "WriteOwnLogs",
            "ReadOwnStackStatus",
            UPDATE_SID,
        ]
        assert document["Statement"][1]["Action"] == ["cloudformation:DescribeStacks"]
        assert document["Statement"][2]["Action"] == ["app-integrations:UpdateDataIntegrationAssociation"]


def test_under_customize_roles_every_grant_and_policy_is_in_cdks_policy_report(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path],
) -> None:
    _, outdir = synthesized
    report = json.loads((outdir / "iam-policy-report.json").read_text())
    [role] = [r for r in report["roles"] if r["roleConstructPath"] == f"{CUSTOMIZED}/Provider/Role"]
    text = json.dumps(role["identityPolicyStatements"])
    for path, action in PATHS.items():
        assert action in text, path
    assert "sns:Subscribe" in text  # the inline policy's statement
    assert any("ReadOnlyAccess" in arn for arn in role["managedPolicyArns"]), role["managedPolicyArns"]
    assert "Token[" not in text


def test_every_public_method_of_irole_is_known_to_change_the_role_or_not() -> None:
    """A method CDK adds to ``iam.IRole`` fails this until it is sorted, and, if it changes the role, routed."""
    methods = {
        name
        for name in dir(iam.IRole)
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(iam.IRole, name))
    }
    assert methods == CHANGES_THE_ROLE | GRANTS_ON_THE_ROLE
    assert {call.split("(")[0] for call in CONTRACT_CALLS} | {"apply_removal_policy"} == CHANGES_THE_ROLE


def _landed(template: dict[str, Any], call: str) -> bool:
    """Whether the call is in the template, on the provider's role."""
    roles = resources_of_type(template, "AWS::IAM::Role")
    role_refs = [{"Ref": name} for name in roles] + [PLATFORM_ROLE_NAME]
    managed = {name: r["Properties"] for name, r in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()}
    if call == "add_to_principal_policy":
        return any("kinesis:PutRecord" in json.dumps(policy["PolicyDocument"]) for policy in managed.values())
    if call == "add_managed_policy(AWS-managed)":
        return any("ReadOnlyAccess" in json.dumps(r["Properties"].get("ManagedPolicyArns")) for r in roles.values())
    if call == "add_managed_policy(iam.ManagedPolicy)":
        [(name, policy)] = [(n, p) for n, p in managed.items() if "sqs:ListQueues" in json.dumps(p)]
        by_role = any({"Ref": name} in r["Properties"].get("ManagedPolicyArns", []) for r in roles.values())
        return by_role or any(ref in policy.get("Roles", []) for ref in role_refs)
    if call == "attach_inline_policy":
        return any(
            "sns:Subscribe" in json.dumps(p["Properties"]) and any(ref in p["Properties"]["Roles"] for ref in role_refs)
            for p in resources_of_type(template, "AWS::IAM::Policy").values()
        )
    assert call == "with_"
    return any(r["Properties"].get("MaxSessionDuration") == MAX_SESSION for r in roles.values())


def _reported(warnings: str, call: str) -> bool:
    """Whether the call is in the synth warnings on the provider."""
    marker = {
        "add_to_principal_policy": '"kinesis:PutRecord"',
        "add_managed_policy(AWS-managed)": '"arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"',
        "add_managed_policy(iam.ManagedPolicy)": '"${ContractManaged',
        "attach_inline_policy": '"sns:Subscribe"',
        "with_": "the mixin LongerSessions applies to nothing of the role",
    }[call]
    return marker in warnings


@pytest.mark.parametrize("role", list(OUTCOMES))
@pytest.mark.parametrize("call", CONTRACT_CALLS)
def test_every_call_that_changes_the_role_lands_in_the_template_or_is_reported(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path], role: str, call: str
) -> None:
    warnings = " ".join(_warnings(synthesized, CONTRACT + role, below=True))
    landed, reported = _landed(_template(synthesized, CONTRACT + role), call), _reported(warnings, call)
    assert (landed, reported) == (OUTCOMES[role][call] == "template", OUTCOMES[role][call] == "warning"), warnings
    assert "Token[" not in warnings


def test_an_immutable_role_gets_no_policy_and_one_warning_with_all_it_needs(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path],
) -> None:
    template = _template(synthesized, CONTRACT + "ImmutablePlatformRole")
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):  # the inline policy is not even synthesized
        assert not any(p["Properties"].get("Roles") for p in resources_of_type(template, policy_type).values())
    [warning] = _warnings(synthesized, CONTRACT + "ImmutablePlatformRole")
    assert warning.startswith(f"the role '{stacks.PLATFORM_ROLE_ARN}' is not this construct's to change")
    attached = "it must have these managed policies attached: "
    assert f'{attached}["arn:${{AWS::Partition}}:iam::aws:policy/ReadOnlyAccess", "${{ContractManaged' in warning
    document = json.loads(warning.split("it must allow this IAM policy document: ", 1)[1].split(" [ack: ", 1)[0])
    assert document["Statement"]  # the document stays the last part, whole


@pytest.mark.parametrize("role", list(ROLES))
def test_a_removal_policy_reaches_the_role_or_cdk_refuses_it(role: str, tmp_path: Path) -> None:
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, role, env=stacks.ENV)
    provider = ExecutionProvider(stack, "Provider", role=ROLES[role](stack))
    function_role = provider.function.role
    assert function_role is not None
    if role != "CreatedRole":  # an imported role has no resource to keep: CDK says so
        with pytest.raises(RuntimeError, match="Cannot apply RemovalPolicy"):
            function_role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        return
    function_role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    _execution(stack, 0, provider)
    [created] = resources_of_type(app.synth().get_stack_by_name(role).template, "AWS::IAM::Role").values()
    assert created["DeletionPolicy"] == created["UpdateReplacePolicy"] == "Retain"


def test_statements_you_add_count_in_the_policy_budget(synthesized: tuple[cdk.cx_api.CloudAssembly, Path]) -> None:
    """With room taken by your statements, the association list collapses sooner, and the policy still fits."""
    template = _template(synthesized, GRANTS_AT_SCALE)
    document = provider_policy(template)
    assert deployed_bound_characters(document) <= MANAGED_POLICY_CHARACTERS
    assert json.dumps(document).count("an-application-bucket") == USER_STATEMENTS
    entries = [json.dumps(entry) for entry in update_resources(template)]
    assert any(entry.endswith('/*"}') for entry in entries)  # collapsed for some data integration
    without_room = _template(synthesized, "CreatedRole")  # one execution, nothing to collapse
    assert not any(json.dumps(e).endswith('/*"}') for e in update_resources(without_room))


def _long_statement(index: int, length: int = 120) -> iam.PolicyStatement:
    """About 150 characters of the policy (``length`` + 30): some forty fill it."""
    return iam.PolicyStatement(
        actions=["s3:GetObject"], resources=[f"arn:aws:s3:::bucket-{index:03d}-{'x' * length}/*"]
    )


def test_the_statement_the_policy_cannot_hold_is_refused_where_it_is_added(tmp_path: Path) -> None:
    """The error names the provider and the line that added one statement too many; the policy stays as it was."""
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, "Overfull")
    provider = ExecutionProvider(stack, "Provider")
    _execution(stack, 0, provider)

    def fill() -> None:
        for index in range(40):
            provider.add_to_role_policy(_long_statement(index))

    with pytest.raises(ValidationError) as caught:
        fill()
    granted = len(provider._principal.granted)
    assert 20 < granted < 40
    assert caught.value.construct_path == "Overfull/Provider"
    [problem] = caught.value.problems
    assert problem.startswith(
        f"its policy cannot hold what it needs within IAM's limit of 6,144 characters for a managed policy: the "
        f"statements other than the associations' (its own, and {granted + 1} granted to it) take up to "
    )
    assert re.search(
        r"and the associations, even as one wildcard for each of the 1 partitions, accounts and Regions they span, "
        r"need 117 characters, over the [0-9,]+ left\. Grant the provider fewer or shorter statements, or spread the "
        r"executions over stacks$",
        problem,
    ), problem
    app.synth()  # what it holds still fits


def test_an_execution_the_policy_cannot_hold_is_refused_where_it_is_created(tmp_path: Path) -> None:
    """Statements granted through CDK first: the execution that needs a first entry in the list is refused."""
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, "Overfull")
    provider = ExecutionProvider(stack, "Provider")
    for index in range(25):  # 25 fit alone, and a 26th as long would not even leave the list empty
        provider.function.add_to_role_policy(_long_statement(index))
    provider.function.add_to_role_policy(_long_statement(25, length=20))  # fits, but leaves no room for an entry
    with pytest.raises(ValidationError) as caught:
        _execution(stack, 0, provider)
    [problem] = caught.value.problems
    assert problem.startswith(
        "provider: ExecutionProvider 'Overfull/Provider': its policy cannot hold what it needs within IAM's limit"
    )
    assert "(its own, and 26 granted to it)" in problem
    assert provider._permissions.scopes == set()


OVERFLOW_APP = """
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from datetime import datetime, timezone
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration, ExecutionProvider

app = cdk.App()
stack = cdk.Stack(app, "Overfull")
provider = ExecutionProvider(stack, "Provider")


def grant(add, count=60):
    for index in range(count):
        add(iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::bucket-{{index:03d}}-{{'x' * 60}}/*"]))


def execution():
    DataIntegrationAssociationExecution(
        stack,
        "Sync",
        data_integration_identifier="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        execution_configuration=ExecutionConfiguration.on_demand(start_time=datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )


{steps}
app.synth()
"""


@pytest.mark.parametrize(
    ("steps", "frame"),
    [
        pytest.param("execution()\ngrant(provider.add_to_role_policy)", "in add_to_role_policy", id="provider"),
        pytest.param(
            "execution()\ngrant(provider.function.add_to_role_policy)", "in add_to_role_policy", id="function"
        ),
        # 38 statements fit in the policy alone, leaving less than an association needs.
        pytest.param("grant(provider.function.add_to_role_policy, 36)\nexecution()", "in execution", id="execution"),
        pytest.param("grant(provider.function.add_to_role_policy)", "in add_to_role_policy", id="no-execution"),
    ],
)
def test_a_policy_over_iams_limit_is_raised_once_at_the_users_call(tmp_path: Path, steps: str, frame: str) -> None:
    """The synth a user runs: before, the same message came four times over, each in a JavaScript stack."""
    result = run_fresh_python(OVERFLOW_APP.format(steps=steps), stacks.REPO_ROOT, {"CDK_OUTDIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("its policy cannot hold what it needs") == 1, result.stderr
    assert "Resolution error" not in result.stderr
    assert "JavaScriptError" not in result.stderr
    assert result.stderr.count("Traceback (most recent call last)") == 1
    traceback = result.stderr.split("Traceback (most recent call last)", 1)[1]
    assert f", {frame}\n" in traceback, traceback  # raised from the call that made the policy too big
    assert result.stderr.rstrip().splitlines()[-1].startswith("cdk_appintegrations.errors.ValidationError: ")


#: The feature flag under which CDK's synth fails on an error annotation (cdk init sets it).
REPORT_FLAG = "@aws-cdk/core:annotationsInValidationReport"

#: Granted through CDK's own code (``Bucket.grant_read``), which reaches the provider from JavaScript.
GRANT_THROUGH_CDK = """
from aws_cdk import aws_s3 as s3
def grant_read(statement):
    index = len(grant_read.buckets)
    grant_read.buckets.append(s3.Bucket.from_bucket_name(stack, f"Bucket{index}", f"bucket-{index:03d}-{'x' * 48}"))
    grant_read.buckets[-1].grant_read(provider)
grant_read.buckets = []
execution()
grant(grant_read)
"""


@pytest.mark.parametrize("in_report", ["true", "false"])
def test_a_grant_through_cdk_over_iams_limit_stops_cdk_synth_with_one_clean_error(
    tmp_path: Path, in_report: str
) -> None:
    """jsii would print a validation error twice, in a JavaScript stack; the CLI prints an error annotation once.

    With ``@aws-cdk/core:annotationsInValidationReport`` (in ``cdk init``'s cdk.json) the app's
    synth fails on the annotation and the CLI prints the validation report; without it the CLI
    finds the error in the assembly. Either way: one message, exit 1.
    """
    cdk_cli = stacks.REPO_ROOT / "node_modules" / ".bin" / "cdk"
    assert cdk_cli.exists(), "the CDK CLI comes from scripts/setup.sh (npm ci at the repository root)"
    app = tmp_path / "overfull.py"
    app.write_text(OVERFLOW_APP.format(steps=GRANT_THROUGH_CDK), encoding="utf-8")
    env = synth_env()  # this checkout's constructs/ and lambda_src/ on the app's path
    env.pop("CDK_CONTEXT_JSON", None)
    command = [str(cdk_cli), "synth", "--app", f"{sys.executable} {app}", "--context", f"{REPORT_FLAG}={in_report}"]
    command += ["--output", str(tmp_path / "cdk.out"), "--quiet"]
    returncode, output = run_cli(command, cwd=tmp_path, env=env)
    assert returncode == 1, output
    assert output.count("its policy cannot hold what it needs") == 1, output
    assert "(its own, and 60 granted to it)" in output
    assert "ERROR ExecutionProvider 'Overfull/Provider': its policy cannot hold" in output
    assert "Traceback" not in output
    assert not re.search(r"^\s+at |\.js:\d+", output, re.MULTILINE), output  # no JavaScript stack, nor its location


def _grant_through_cdk_over_the_limit(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "Overfull")
    provider = ExecutionProvider(stack, "Provider")
    _execution(stack, 0, provider)
    for index in range(60):
        s3.Bucket.from_bucket_name(stack, f"Bucket{index}", f"bucket-{index:03d}-{'x' * 48}").grant_read(provider)
    return stack


def test_a_grant_through_cdk_over_iams_limit_is_an_error_annotation_a_unit_test_can_find(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = _grant_through_cdk_over_the_limit(app)
    app.synth()  # without the report flag, the CLI is what stops
    [error] = Annotations.from_stack(stack).find_error("/Overfull/Provider", Match.any_value())
    message = str(error.entry.data)
    assert message.startswith("ExecutionProvider 'Overfull/Provider': its policy cannot hold what it needs within")
    assert "(its own, and 60 granted to it)" in message
    assert error.entry.trace is None  # the CLI would print a JavaScript frame as its location


def _synth_fails_on_error_annotations(outdir: Path) -> bool:
    """Whether this aws-cdk-lib fails ``app.synth()`` on an error annotation under the report flag (2.257 does not)."""
    app = cdk.App(context={REPORT_FLAG: True}, outdir=str(outdir))
    stack = cdk.Stack(app, "Probe")
    cdk.CfnResource(stack, "Queue", type="AWS::SQS::Queue")
    cdk.Annotations.of(stack).add_error("probe")
    try:
        app.synth()
    except RuntimeError:
        return True
    return False


def test_with_annotations_in_the_validation_report_the_apps_own_synth_stops_where_cdk_does(tmp_path: Path) -> None:
    app = stacks.new_app(tmp_path / "app", nag=False)
    assert app.node.try_get_context(REPORT_FLAG) is True  # cdk.json's, as cdk init writes it
    stack = _grant_through_cdk_over_the_limit(app)
    if _synth_fails_on_error_annotations(tmp_path / "probe"):
        with pytest.raises(RuntimeError) as caught:
            app.synth()
        assert str(caught.value).count("its policy cannot hold what it needs") == 1
    else:  # the CLI stops on it (the test above): the assembly holds it once
        app.synth()
        assert len(Annotations.from_stack(stack).find_error("/Overfull/Provider", Match.any_value())) == 1


def test_in_a_vpc_the_provider_is_connectable_and_its_security_group_opened(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path],
) -> None:
    template = _template(synthesized, IN_VPC)
    [(function_name, function)] = resources_of_type(template, "AWS::Lambda::Function").items()
    [provider_group] = function["Properties"]["VpcConfig"]["SecurityGroupIds"]
    [ingress] = resources_of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["SourceSecurityGroupId"] == provider_group
    assert ingress["Properties"]["FromPort"] == ingress["Properties"]["ToPort"] == 5432
    assert function_name


def test_outside_a_vpc_connections_raises_saying_what_to_give() -> None:
    stack = cdk.Stack(cdk.App(), "NoVpc")
    provider = ExecutionProvider(stack, "Provider")
    with pytest.raises(ValidationError) as caught:
        _ = provider.connections
    assert caught.value.construct_path == "NoVpc/Provider"
    assert "outside any VPC" in caught.value.problems[0]
    assert "vpc=" in caught.value.problems[0]


def test_the_default_provider_says_to_create_a_provider_in_a_vpc_and_pass_it() -> None:
    stack = cdk.Stack(cdk.App(), "DefaultNoVpc")
    execution = stacks.add_execution(stack, "Execution")
    with pytest.raises(ValidationError) as caught:
        _ = execution.provider.connections
    assert caught.value.construct_path == f"DefaultNoVpc/{PROVIDER_ID}"
    assert caught.value.problems == [
        "connections: this is the stack's default provider, created by the first execution that named no provider; "
        "it runs outside any VPC, so it has no security groups to open; create an ExecutionProvider(vpc=...) (and, "
        "if you like, security_groups=) in this stack before its executions, and pass it to each as provider="
    ]


def test_the_provider_is_a_grantable_whose_principal_is_not_the_bare_role() -> None:
    stack = cdk.Stack(cdk.App(), "Grantable")
    provider = ExecutionProvider(stack, "Provider")
    assert provider.grant_principal is provider.function.grant_principal
    assert provider.grant_principal is provider.function.role
    assert provider.function.role.role_arn == provider.role.role_arn


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("CreatedRole", {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"}),
        (DEBUG_LOGS, {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "INFO"}),
        (TEXT_LOGS, {"LogFormat": "Text"}),
    ],
)
def test_logging_config_for_each_option(
    synthesized: tuple[cdk.cx_api.CloudAssembly, Path], stack: str, expected: dict[str, str]
) -> None:
    template = _template(synthesized, stack)
    [function] = resources_of_type(template, "AWS::Lambda::Function").values()
    config = dict(function["Properties"]["LoggingConfig"])
    config.pop("LogGroup")
    assert config == expected
    assert "Environment" not in function["Properties"]  # levels need no variable


def test_a_level_with_the_text_format_is_refused_naming_both() -> None:
    stack = cdk.Stack(cdk.App(), "Levels")
    with pytest.raises(ValidationError) as caught:
        ExecutionProvider(
            stack,
            "Provider",
            logging_format=lambda_.LoggingFormat.TEXT,
            application_log_level=lambda_.ApplicationLogLevel.DEBUG,
        )
    [problem] = caught.value.problems
    assert problem.startswith("application_log_level=ApplicationLogLevel.DEBUG is given with logging_format=")
    assert "JSON" in problem
