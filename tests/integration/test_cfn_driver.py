"""The deploy driver itself, against a tiny provider that does what each resource's properties say.

If the driver were kind where CloudFormation is not, every deploy-under-throttling figure would
flatter the handler. The provider (a stdlib-only ``index.py``) obeys ``Sleep``, ``Fail``, ``Silent``
(never answer), ``Raise`` (``AnswerFirst``, ``RaiseOnce``), ``Id`` (its PhysicalResourceId) and
``PoisonRollback`` (fail an Update whose *old* properties carry it), and logs every event to ``$EVENT_LOG``,
with the stack's status as DescribeStacks gave it when the event arrived (``stack_status``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.account import arn
from testkit.cfn_driver import CloudFormationDriver, DeployReport, Operation
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly, Template, TemplateError
from testkit.emulator import AppIntegrationsEmulator

pytestmark = [pytest.mark.integration, pytest.mark.harness]

STACK = "DriverTest"
FUNCTION = "ProviderFunction"
OBJECT_KEY = "0123456789abcdef.zip"

PROVIDER = """
import json, os, re, ssl, time, urllib.parse, urllib.request
from pathlib import Path


def stack_status(event):
    form = {"Action": "DescribeStacks", "Version": "2010-05-15", "StackName": event["StackId"]}
    scope = "ASIAPROBE/20260101/us-east-1/cloudformation/aws4_request"
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL_CLOUDFORMATION"], urllib.parse.urlencode(form).encode(), headers
    )
    xml = urllib.request.urlopen(request, timeout=5).read().decode()
    return re.search("<StackStatus>(.*)</StackStatus>", xml).group(1)


def answer(event, status, physical_id, reason=None, data=None):
    body = {"Status": status, "PhysicalResourceId": physical_id, "Data": data or {}, "Reason": reason}
    body.update({key: event[key] for key in ("StackId", "RequestId", "LogicalResourceId")})
    request = urllib.request.Request(event["ResponseURL"], json.dumps(body).encode(), {"content-type": ""}, method="PUT")
    urllib.request.urlopen(request, context=ssl.create_default_context(), timeout=10).read()


def handler(event, context):
    log = Path(os.environ["EVENT_LOG"])
    seen = {name: os.environ.get(name) for name in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")}
    with log.open("a") as out:
        out.write(json.dumps({**event, "pid": os.getpid(), "env": seen, "stack_status": stack_status(event)}) + "\\n")
    kind, props = event["RequestType"], event["ResourceProperties"]
    physical = event.get("PhysicalResourceId") if kind == "Delete" else props.get("Id", event["LogicalResourceId"] + "-id")
    if kind != "Delete":
        time.sleep(3600 if props.get("Silent") == "true" else float(props.get("Sleep", "0")))
        marker = log.with_name("raised-" + event["RequestId"])
        if props.get("Raise") == "true" and (props.get("RaiseOnce") != "true" or not marker.exists()):
            marker.touch()
            if props.get("AnswerFirst") == "true":
                answer(event, "SUCCESS", physical)
            raise RuntimeError("provider raised on purpose")
        if props.get("Fail") == "true":
            return answer(event, "FAILED", physical, reason="failed on purpose")
        if kind == "Update" and (event.get("OldResourceProperties") or {}).get("PoisonRollback") == "true":
            return answer(event, "FAILED", physical, reason="rollback refused on purpose")
    answer(event, "SUCCESS", physical, data={"Value": props.get("Value", "")})
"""


def custom(properties: dict[str, Any] | None = None, *, depends_on: list[str] | None = None) -> dict[str, Any]:
    service = {"ServiceToken": {"Fn::GetAtt": [FUNCTION, "Arn"]}, "ServiceTimeout": "30"}
    resource = {"Type": "Custom::Probe", "Properties": {**service, **(properties or {})}}
    return resource | ({"DependsOn": depends_on} if depends_on else {})


@pytest.fixture
def new_assembly(tmp_path: Path) -> Callable[..., CloudAssembly]:
    """Writes the next version (``v1``, ``v2``...) of the stack: its template, asset manifest and staged asset."""
    versions = itertools.count(1)

    def write(customs: dict[str, dict[str, Any]], *, timeout_s: int = 10, **function: Any) -> CloudAssembly:
        outdir = tmp_path / f"v{next(versions)}"
        (outdir / "asset.probe").mkdir(parents=True)
        (outdir / "asset.probe" / "index.py").write_text(PROVIDER)
        code = {"S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": OBJECT_KEY}
        properties = {"Code": code, "Handler": "index.handler", "Runtime": "python3.12", "Timeout": timeout_s}
        properties |= {"Role": {"Fn::GetAtt": ["ProviderRole", "Arn"]}, **function}
        resources = {
            "ProviderRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            FUNCTION: {"Type": "AWS::Lambda::Function", "Properties": properties},
        }
        asset = {"source": {"path": "asset.probe"}, "destinations": {"d": {"objectKey": OBJECT_KEY}}}
        (outdir / f"{STACK}.assets.json").write_text(json.dumps({"files": {"probe": asset}}))
        (outdir / f"{STACK}.template.json").write_text(json.dumps({"Resources": resources | customs}))
        return CloudAssembly(outdir)

    return write


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


@pytest.fixture
def new_driver(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, event_log: Path
) -> Iterator[Callable[..., CloudFormationDriver]]:
    """Opens drivers on this test's doubles (the provider logging to ``event_log``), closed when the test ends."""
    with contextlib.ExitStack() as opened:
        env = {"EVENT_LOG": str(event_log)}
        yield lambda **options: opened.enter_context(
            CloudFormationDriver(fresh_emulator, fresh_receiver, stack_name=STACK, lambda_env=env, **options)
        )


@pytest.fixture
def driver(new_driver: Callable[..., CloudFormationDriver]) -> CloudFormationDriver:
    """Lambda's asynchronous retries after 0.2 s instead of minutes, and a short drain."""
    return new_driver(async_retry_delays_s=(0.2, 0.2), drain_timeout_s=4)


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def ops(report: DeployReport, phase: str) -> dict[str, Operation]:
    found = report.phase(phase)
    assert found is not None, report.summary()
    return {op.logical_id: op for op in found.operations}


def test_dependencies_are_respected_and_attributes_flow(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly(
        {
            "A": custom({"Sleep": "0.3", "Value": "from-a"}),
            "B": custom({"Value": {"Fn::GetAtt": ["A", "Value"]}, "Count": 3, "Flag": True}),
            "C": custom({"Value": {"Fn::Sub": "${B.Value}/${AWS::Region}/${A}"}}),
            "D": custom({"Value": "independent"}, depends_on=["A"]),
            "E": custom({"Value": "free"}),
        },
    )

    report = driver.create(assembly)

    assert report.final_state == "CREATE_COMPLETE", report.summary()
    assert report.exactly_one_answer
    created = ops(report, "CREATE")
    assert {lid for lid, op in created.items() if op.custom and op.status == "SUCCESS"} == set("ABCDE")
    for later, earlier in (("B", "A"), ("C", "B"), ("D", "A"), ("A", FUNCTION), (FUNCTION, "ProviderRole")):
        assert created[later].started_s >= created[earlier].ended_s, (later, earlier)
    assert created["E"].started_s < created["A"].ended_s  # independent resources start together
    sent = {e["LogicalResourceId"]: e for e in events(event_log)}
    # As CloudFormation delivers them: intrinsics resolved, every scalar a string.
    assert sent["B"]["ResourceProperties"]["Value"] == "from-a"
    assert (sent["B"]["ResourceProperties"]["Count"], sent["B"]["ResourceProperties"]["Flag"]) == ("3", "true")
    assert sent["C"]["ResourceProperties"]["Value"] == "from-a/us-east-1/A-id"
    assert sent["A"]["ServiceToken"].startswith(arn("lambda", "function:"))
    assert sent["A"]["StackId"] == driver.stack_id
    assert not {"PhysicalResourceId", "OldResourceProperties"} & sent["A"].keys()


def test_latency_is_paid_per_resource_along_the_critical_path_and_containers_are_reused(
    new_driver: Callable[..., CloudFormationDriver], new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly({"A": custom(), "B": custom(), "C": custom(), "D": custom(depends_on=["A", "B", "C"])})
    report = new_driver(latency_s=0.4).create(assembly)
    assert report.final_state == "CREATE_COMPLETE", report.summary()
    # role, function, the three together, then D: four latencies, not six.
    assert 1.6 <= report.first.wall_s < 1.6 + 3.0
    assert report.pool.peak_busy == 3
    # With CloudFormation's latency a container is idle again when D's event comes: no fourth one.
    assert report.pool.containers_started == 3
    assert len({e["pid"] for e in events(event_log)}) == 3


@pytest.mark.parametrize(
    ("logging_config", "seen"),
    [
        ({}, ("Text", None)),
        ({"LogFormat": "JSON"}, ("JSON", "INFO")),
        ({"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "WARN"}, ("JSON", "WARN")),
    ],
)
def test_the_functions_logging_config_reaches_the_runtime_as_lambda_sets_it(
    driver: CloudFormationDriver,
    new_assembly: Callable[..., CloudAssembly],
    event_log: Path,
    logging_config: dict[str, str],
    seen: tuple[str, str | None],
) -> None:
    """Lambda filters by level only with the JSON format, and then INFO unless the function says otherwise."""
    report = driver.create(
        new_assembly({"A": custom()}, **({"LoggingConfig": logging_config} if logging_config else {}))
    )
    assert report.final_state == "CREATE_COMPLETE", report.summary()
    [sent] = events(event_log)
    assert tuple(sent["env"].values()) == seen  # AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL


def test_a_failed_create_cancels_what_is_under_way_and_deletes_in_reverse_order(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly(
        {
            "A": custom(),
            "B": custom(depends_on=["A"]),
            "C": custom(depends_on=["B"]),
            "Late": custom(depends_on=["C"]),
            "Bad": custom({"Sleep": "1.5", "Fail": "true"}),
            "Slow": custom({"Sleep": "4"}),
            "Kept": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {}},
        },
    )

    report = driver.create(assembly)

    assert report.final_state == "ROLLBACK_COMPLETE", report.summary()
    created, deleted = ops(report, "CREATE"), ops(report, "ROLLBACK")
    assert created["Kept"].status == "SUCCESS"
    assert "Kept" not in deleted  # DeletionPolicy Retain: left in place
    assert (created["Bad"].status, created["Bad"].reason) == ("FAILED", "failed on purpose")
    assert created["Late"].status in ("SUCCESS", "CANCELLED")
    # Under way at the failure: cancelled, not awaited, and deleted under an id CloudFormation made up.
    assert (created["Slow"].status, created["Slow"].reason) == ("CANCELLED", "Resource creation cancelled")
    assert report.first.wall_s < 3.5
    assert {"A", "B", "C", "Bad", "Slow", FUNCTION, "ProviderRole"} <= set(deleted)  # all DeletionPolicy Delete
    assert all(op.action == "Delete" and op.status == "SUCCESS" for op in deleted.values())
    for earlier, later in (("C", "B"), ("B", "A"), ("A", FUNCTION), (FUNCTION, "ProviderRole")):
        assert deleted[later].started_s >= deleted[earlier].ended_s, (earlier, later)
    deletes = {e["LogicalResourceId"]: e for e in events(event_log) if e["RequestType"] == "Delete"}
    assert deletes["Bad"]["PhysicalResourceId"] == "Bad-id"  # the id its FAILED answer carried
    assert deletes["A"]["PhysicalResourceId"] == "A-id"
    assert deletes["Slow"]["PhysicalResourceId"].startswith(f"{STACK}-Slow-")
    # The stack's status, as each request saw it: set before the first request of each phase.
    assert {e["stack_status"] for e in events(event_log) if e["RequestType"] == "Create"} == {"CREATE_IN_PROGRESS"}
    assert {e["stack_status"] for e in deletes.values()} == {"ROLLBACK_IN_PROGRESS"}
    assert driver.emulator.stack_status(driver.stack_id) == "ROLLBACK_COMPLETE"


def test_service_timeout_is_honoured_and_one_over_an_hour_refused(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    silent, long = custom({"Silent": "true", "ServiceTimeout": "1"}), custom({"ServiceTimeout": "3601"})

    refused = driver.create(new_assembly({"Long": long}))
    assert "ServiceTimeout '3601'" in (ops(refused, "CREATE")["Long"].reason or "")  # never sent
    assert driver.delete().final_state == "DELETE_COMPLETE"

    report = driver.create(new_assembly({"Mute": silent}, timeout_s=2))

    assert report.final_state == "ROLLBACK_COMPLETE", report.summary()
    mute = ops(report, "CREATE")["Mute"]
    assert mute.status == "FAILED"
    assert "ServiceTimeout of 1 s" in (mute.reason or "")
    assert 1.0 <= mute.ended_s - mute.started_s < 2.5
    assert ops(report, "ROLLBACK")["Mute"].status == "SUCCESS"
    assert report.answers[mute.request_id or ""] == 0
    assert not report.exactly_one_answer
    # The function itself timed out later (its own 2 s) and Lambda retried the same event.
    creates = [e for e in events(event_log) if e["RequestType"] == "Create"]
    assert len(creates) >= 2
    assert {e["RequestId"] for e in creates} == {mute.request_id}


def test_lambda_retries_a_function_error_and_a_second_answer_is_caught(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly]
) -> None:
    assembly = new_assembly(
        {
            "Flaky": custom({"Raise": "true", "RaiseOnce": "true"}),
            "Twice": custom({"Raise": "true", "RaiseOnce": "true", "AnswerFirst": "true"}),
        },
    )

    report = driver.create(assembly)

    created = ops(report, "CREATE")
    assert created["Flaky"].status == "SUCCESS"  # Lambda's retry answered
    assert created["Flaky"].invocations == 2
    assert report.answers[created["Flaky"].request_id or ""] == 1
    # Answered, then raised: Lambda retries the event and the provider answers again.
    assert report.not_answered_once == {created["Twice"].request_id: 2}


def test_a_failed_update_rolls_back_every_attempted_resource_with_swapped_properties(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    v1 = new_assembly({lid: custom({"Value": "1"}) for lid in ("A", "B", "Slow")} | {"Same": custom()})
    v2 = new_assembly(
        {
            "A": custom({"Value": "2"}),
            "B": custom({"Value": "2", "Fail": "true", "Sleep": "0.5"}),
            "Slow": custom({"Value": "2", "Sleep": "3"}),  # cancelled: its rollback runs beside it
            "Same": custom(),
            "Added": custom({"Value": "new"}),
            "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "RetainExceptOnCreate", "Properties": {}},
        },
    )
    assert driver.create(v1).final_state == "CREATE_COMPLETE"
    before = len(events(event_log))

    report = driver.update(v2)

    assert report.final_state == "UPDATE_ROLLBACK_COMPLETE", report.summary()
    assert report.exactly_one_answer
    forward = ops(report, "UPDATE")
    assert "Same" not in forward  # unchanged: CloudFormation does not call the provider
    assert (forward["B"].status, forward["Slow"].status, report.first.wall_s < 2.5) == ("FAILED", "CANCELLED", True)
    rolled = ops(report, "UPDATE_ROLLBACK")
    assert set(rolled) == {"A", "B", "Slow"}
    assert all(op.status == "SUCCESS" for op in rolled.values())
    cleanup = ops(report, "UPDATE_ROLLBACK_COMPLETE_CLEANUP")
    assert cleanup["Added"].action == cleanup["Logs"].action == "Delete"  # RetainExceptOnCreate: created, so deleted
    sent = [e for e in events(event_log)[before:] if e["LogicalResourceId"] in ("A", "B", "Slow")]
    rollbacks = {e["LogicalResourceId"]: e for e in sent if e["ResourceProperties"]["Value"] == "1"}
    for lid in ("A", "B", "Slow"):
        assert rollbacks[lid]["RequestType"] == "Update"
        assert rollbacks[lid]["OldResourceProperties"]["Value"] == "2"
        assert rollbacks[lid]["PhysicalResourceId"] == f"{lid}-id"
        # CloudFormation is rolling back before it sends a rollback, and was updating when it sent the update.
        assert rollbacks[lid]["stack_status"] == "UPDATE_ROLLBACK_IN_PROGRESS"
        [forward_event] = [e for e in sent if e["LogicalResourceId"] == lid and e["ResourceProperties"]["Value"] == "2"]
        assert forward_event["stack_status"] == "UPDATE_IN_PROGRESS"
    cleaned = [
        e for e in events(event_log)[before:] if e["LogicalResourceId"] == "Added" and e["RequestType"] == "Delete"
    ]
    assert [e["stack_status"] for e in cleaned] == ["UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert driver.emulator.stack_status(driver.stack_id) == "UPDATE_ROLLBACK_COMPLETE"
    # The stack is back on v1: a further update compares against v1's properties.
    again = driver.update(v1)
    assert again.final_state == "UPDATE_COMPLETE"
    assert again.first.executions == 0
    # A rollback that fails leaves UPDATE_ROLLBACK_FAILED, which CloudFormation refuses to update.
    v3 = {"A": custom({"Value": "3", "PoisonRollback": "true"}), "B": custom({"Value": "3", "Fail": "true"})}
    failed = driver.update(new_assembly({**v3, "Same": custom()}))
    assert failed.final_state == "UPDATE_ROLLBACK_FAILED", failed.summary()
    rolled = ops(failed, "UPDATE_ROLLBACK")
    assert (rolled["A"].status, rolled["A"].reason) == ("FAILED", "rollback refused on purpose")
    assert rolled["B"].status == "SUCCESS"  # the rollback goes on past a failure
    with pytest.raises(RuntimeError, match="UPDATE_ROLLBACK_FAILED"):
        driver.update(v1)


def test_an_update_deletes_what_it_replaced_or_removed(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    """A new physical id is a replacement: a custom resource's answer, or a function's new name (a new ServiceToken)."""
    inline = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "inline"}}
    managed = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Description": "managed"}}
    v1 = new_assembly(
        {"A": custom({"Id": "first"}), "Same": custom(), "Gone": custom(), "Inline": inline}, FunctionName="first"
    )
    v2 = new_assembly({"A": custom({"Id": "second"}), "Same": custom(), "Managed": managed}, FunctionName="second")
    assert driver.create(v1).final_state == "CREATE_COMPLETE"

    report = driver.update(v2)

    assert report.final_state == "UPDATE_COMPLETE", report.summary()
    forward = ops(report, "UPDATE")
    assert (forward[FUNCTION].action, forward[FUNCTION].physical_id) == ("Update", "second")
    assert (forward["Managed"].action, forward["Managed"].status) == ("Create", "SUCCESS")
    assert forward["Same"].action == "Update"  # only its ServiceToken changed: CloudFormation still sends the Update
    [sent] = [e for e in events(event_log) if e["RequestType"] == "Update" and e["LogicalResourceId"] == "Same"]
    assert sent["ServiceToken"].endswith(":function:second")
    assert sent["OldResourceProperties"]["ServiceToken"].endswith(":function:first")
    cleanup = ops(report, "UPDATE_COMPLETE_CLEANUP")
    assert {lid: (op.action, op.physical_id) for lid, op in cleanup.items() if lid != "Inline"} == {
        "A": ("Delete", "first"),
        "Gone": ("Delete", "Gone-id"),
        FUNCTION: ("Delete", "first"),
    }
    assert cleanup["Inline"].action == "Delete"
    assert set(driver.resources) == {"ProviderRole", FUNCTION, "A", "Same", "Managed"}
    assert driver.resources["A"].physical_id == "second"
    assert driver.resources[FUNCTION].attributes["Arn"].endswith(":function:second")
    with pytest.raises(TemplateError, match="refuses to change its Type from AWS::IAM::ManagedPolicy"):
        driver.update(new_assembly({"A": custom({"Id": "second"}), "Same": custom(), "Managed": inline}))
    assert driver.state == "UPDATE_COMPLETE"
    final = driver.delete()
    assert final.final_state == "DELETE_COMPLETE"
    assert {op.physical_id for op in final.first.operations if op.custom} == {"second", "Same-id"}


def test_templates_with_cycles_or_dangling_references_are_refused() -> None:
    with pytest.raises(TemplateError, match="circular"):
        Template(
            {"Resources": {"A": {"Type": "X::Y::Z", "DependsOn": "B"}, "B": {"Type": "X::Y::Z", "DependsOn": "A"}}}
        )
    with pytest.raises(TemplateError, match="unknown names"):
        Template({"Resources": {"A": {"Type": "X::Y::Z", "Properties": {"P": {"Ref": "Nope"}}}}})
