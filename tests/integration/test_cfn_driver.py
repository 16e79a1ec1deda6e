"""The CloudFormation-like deploy driver itself, against a tiny provider whose behaviour each test dictates.

If the driver were kind where CloudFormation is not (ordering, cancellation, rollback,
timeouts, Lambda's retries), every deploy-under-throttling figure would flatter the
handler. So each test builds a small cloud assembly by hand (a role, a function whose
asset is a stdlib-only ``index.py``, custom resources) and checks one rule.

The provider's behaviour comes from each resource's properties: ``Sleep`` (seconds before
answering), ``Fail`` (answer FAILED), ``Silent`` (never answer), ``Raise`` (raise after
answering or not, see ``AnswerFirst``; only on the first invocation with ``RaiseOnce``),
``Id`` (the PhysicalResourceId to return), ``PoisonRollback`` (fail an Update whose *old*
properties carry it, i.e. the rollback of this resource). Every event it receives is
appended to ``$EVENT_LOG`` as one JSON line.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.account import arn
from testkit.cfn_driver import CloudFormationDriver
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly, Template, TemplateError
from testkit.emulator import AppIntegrationsEmulator

pytestmark = [pytest.mark.integration, pytest.mark.harness]

STACK = "DriverTest"
FUNCTION = "ProviderFunction"
OBJECT_KEY = "0123456789abcdef.zip"

PROVIDER = """
import json
import os
import ssl
import time
import urllib.request
from pathlib import Path


def answer(event, status, physical_id, reason=None, data=None):
    body = {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data or {},
    }
    if reason:
        body["Reason"] = reason
    request = urllib.request.Request(
        event["ResponseURL"], data=json.dumps(body).encode(), method="PUT", headers={"content-type": ""}
    )
    urllib.request.urlopen(request, context=ssl.create_default_context(), timeout=10).read()


def handler(event, context):
    log = Path(os.environ["EVENT_LOG"])
    with log.open("a") as out:
        seen = {name: os.environ.get(name) for name in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")}
        out.write(json.dumps({**event, "pid": os.getpid(), "at": time.time(), "env": seen}) + "\\n")
    kind = event["RequestType"]
    props = event["ResourceProperties"]
    physical = event.get("PhysicalResourceId") if kind == "Delete" else props.get("Id", event["LogicalResourceId"] + "-id")
    if kind != "Delete":
        if props.get("Silent") == "true":
            time.sleep(3600)
        time.sleep(float(props.get("Sleep", "0")))
        if props.get("Raise") == "true":
            marker = log.with_name("raised-" + event["RequestId"])
            if props.get("RaiseOnce") != "true" or not marker.exists():
                marker.touch()
                if props.get("AnswerFirst") == "true":
                    answer(event, "SUCCESS", physical)
                raise RuntimeError("provider raised on purpose")
        if props.get("Fail") == "true":
            answer(event, "FAILED", physical, reason="failed on purpose")
            return
        old = event.get("OldResourceProperties") or {}
        if kind == "Update" and old.get("PoisonRollback") == "true":
            answer(event, "FAILED", physical, reason="rollback refused on purpose")
            return
    answer(event, "SUCCESS", physical, data={"Value": props.get("Value", ""), "Pid": str(os.getpid())})
"""


def custom(properties: dict[str, Any] | None = None, *, depends_on: list[str] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "Type": "Custom::Probe",
        "Properties": {"ServiceToken": {"Fn::GetAtt": [FUNCTION, "Arn"]}, "ServiceTimeout": "30", **(properties or {})},
    }
    if depends_on:
        resource["DependsOn"] = depends_on
    return resource


def write_assembly(
    root: Path,
    name: str,
    customs: dict[str, dict[str, Any]],
    *,
    timeout_s: int = 10,
    function_name: str | None = None,
    logging_config: dict[str, str] | None = None,
) -> Path:
    """A cloud assembly as the CDK writes one: manifest, template, asset manifest, staged asset."""
    outdir = root / name
    asset = outdir / "asset.probe"
    asset.mkdir(parents=True)
    (asset / "index.py").write_text(textwrap.dedent(PROVIDER))
    template = {
        "Resources": {
            "ProviderRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            FUNCTION: {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {
                        "S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"},
                        "S3Key": OBJECT_KEY,
                    },
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Timeout": timeout_s,
                    "Role": {"Fn::GetAtt": ["ProviderRole", "Arn"]},
                    "Environment": {"Variables": {"FROM_TEMPLATE": "yes"}},
                    **({"FunctionName": function_name} if function_name else {}),
                    **({"LoggingConfig": logging_config} if logging_config else {}),
                },
            },
            **customs,
        }
    }
    (outdir / f"{STACK}.template.json").write_text(json.dumps(template))
    (outdir / f"{STACK}.assets.json").write_text(
        json.dumps(
            {
                "version": "55.0.0",
                "files": {
                    "probe": {
                        "source": {"path": "asset.probe", "packaging": "zip"},
                        "destinations": {"d": {"bucketName": "b", "objectKey": OBJECT_KEY}},
                    }
                },
            }
        )
    )
    (outdir / "manifest.json").write_text(
        json.dumps(
            {
                "version": "55.0.0",
                "artifacts": {
                    STACK: {
                        "type": "aws:cloudformation:stack",
                        "properties": {"templateFile": f"{STACK}.template.json"},
                    },
                    f"{STACK}.assets": {"type": "cdk:asset-manifest", "properties": {"file": f"{STACK}.assets.json"}},
                },
            }
        )
    )
    return outdir


@pytest.fixture
def new_assembly(tmp_path: Path) -> Callable[..., CloudAssembly]:
    """Writes the next version (``v1``, ``v2``...) of the test's stack: the probe provider plus ``customs``."""
    versions = itertools.count(1)

    def write(
        customs: dict[str, dict[str, Any]],
        *,
        timeout_s: int = 10,
        function_name: str | None = None,
        logging_config: dict[str, str] | None = None,
    ) -> CloudAssembly:
        outdir = write_assembly(
            tmp_path,
            f"v{next(versions)}",
            customs,
            timeout_s=timeout_s,
            function_name=function_name,
            logging_config=logging_config,
        )
        return CloudAssembly(outdir)

    return write


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    return tmp_path / "log" / "events.jsonl"


@pytest.fixture
def new_driver(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, event_log: Path
) -> Iterator[Callable[..., CloudFormationDriver]]:
    """Opens a driver on this test's doubles, the provider logging to ``event_log``; each closes when the test ends."""
    event_log.parent.mkdir()
    with contextlib.ExitStack() as opened:

        def new(**options: Any) -> CloudFormationDriver:
            driver = CloudFormationDriver(
                fresh_emulator, fresh_receiver, stack_name=STACK, lambda_env={"EVENT_LOG": str(event_log)}, **options
            )
            return opened.enter_context(driver)

        yield new


@pytest.fixture
def driver(new_driver: Callable[..., CloudFormationDriver]) -> CloudFormationDriver:
    """Lambda's asynchronous retries after 0.2 s instead of minutes, and a short drain, for the retry rules."""
    return new_driver(async_retry_delays_s=(0.2, 0.2), drain_timeout_s=4)


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def ops(report: Any, phase: str) -> dict[str, Any]:
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
    assert "PhysicalResourceId" not in sent["A"]
    assert "OldResourceProperties" not in sent["A"]


def test_sequential_events_reuse_a_warm_container(
    new_driver: Callable[..., CloudFormationDriver], new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly({"A": custom(), "B": custom(depends_on=["A"]), "C": custom(depends_on=["B"])})
    # With CloudFormation's per-resource latency the previous container is idle again when the
    # next event comes; with none, the next event can overtake its return (a second container).
    report = new_driver(latency_s=0.2).create(assembly)
    assert report.final_state == "CREATE_COMPLETE", report.summary()
    assert report.pool.containers_started == 1
    assert len({e["pid"] for e in events(event_log)}) == 1


@pytest.mark.parametrize(
    ("logging_config", "seen"),
    [
        (None, {"AWS_LAMBDA_LOG_FORMAT": "Text", "AWS_LAMBDA_LOG_LEVEL": None}),
        ({"LogFormat": "Text"}, {"AWS_LAMBDA_LOG_FORMAT": "Text", "AWS_LAMBDA_LOG_LEVEL": None}),
        ({"LogFormat": "JSON"}, {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}),
        (
            {"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "WARN"},
            {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"},
        ),
    ],
)
def test_the_functions_logging_config_reaches_the_runtime_as_lambda_sets_it(
    driver: CloudFormationDriver,
    new_assembly: Callable[..., CloudAssembly],
    event_log: Path,
    logging_config: dict[str, str] | None,
    seen: dict[str, str | None],
) -> None:
    """Lambda filters by level only with the JSON format, and then INFO unless the function says otherwise."""
    report = driver.create(new_assembly({"A": custom()}, logging_config=logging_config))
    assert report.final_state == "CREATE_COMPLETE", report.summary()
    [sent] = events(event_log)
    assert sent["env"] == seen


def test_a_failed_create_cancels_the_rest_and_deletes_in_reverse_order(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly(
        {
            "A": custom(),
            "B": custom(depends_on=["A"]),
            "C": custom(depends_on=["B"]),
            "Late": custom(depends_on=["C"]),
            "Bad": custom({"Sleep": "1.5", "Fail": "true"}),
            "Kept": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {}},
        },
    )

    report = driver.create(assembly)

    assert report.final_state == "ROLLBACK_COMPLETE", report.summary()
    assert ops(report, "CREATE")["Kept"].status == "SUCCESS"
    assert "Kept" not in ops(report, "ROLLBACK")  # DeletionPolicy Retain: left in place
    created = ops(report, "CREATE")
    assert (created["Bad"].status, created["Bad"].reason) == ("FAILED", "failed on purpose")
    assert created["Late"].status in ("SUCCESS", "CANCELLED")
    deleted = ops(report, "ROLLBACK")
    assert {"A", "B", "C", "Bad", FUNCTION, "ProviderRole"} <= set(deleted)  # all DeletionPolicy Delete
    assert all(op.action == "Delete" and op.status == "SUCCESS" for op in deleted.values())
    for earlier, later in (("C", "B"), ("B", "A"), ("A", FUNCTION), (FUNCTION, "ProviderRole")):
        assert deleted[later].started_s >= deleted[earlier].ended_s, (earlier, later)
    deletes = {e["LogicalResourceId"]: e for e in events(event_log) if e["RequestType"] == "Delete"}
    assert deletes["Bad"]["PhysicalResourceId"] == "Bad-id"  # the id its FAILED answer carried
    assert deletes["A"]["PhysicalResourceId"] == "A-id"


def test_service_timeout_is_honoured_for_a_provider_that_never_answers(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    assembly = new_assembly({"Mute": custom({"Silent": "true", "ServiceTimeout": "1"})}, timeout_s=2)

    report = driver.create(assembly)

    assert report.final_state == "ROLLBACK_COMPLETE", report.summary()
    mute = ops(report, "CREATE")["Mute"]
    assert mute.status == "FAILED"
    assert "ServiceTimeout of 1 s" in (mute.reason or "")
    assert 1.0 <= mute.duration_s < 2.5
    assert ops(report, "ROLLBACK")["Mute"].status == "SUCCESS"
    assert report.answers[mute.request_id or ""] == 0
    assert not report.exactly_one_answer
    # The function itself timed out later (its own 2 s) and Lambda retried the same event.
    creates = [e for e in events(event_log) if e["RequestType"] == "Create"]
    assert len(creates) >= 2
    assert {e["RequestId"] for e in creates} == {mute.request_id}


def test_lambda_retries_a_function_error_and_a_second_answer_is_caught(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
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
    assert report.answers[created["Twice"].request_id or ""] == 2
    assert report.not_answered_once == {created["Twice"].request_id: 2}


def test_a_failed_update_rolls_back_every_attempted_resource_with_swapped_properties(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    v1 = new_assembly({"A": custom({"Value": "1"}), "B": custom({"Value": "1"}), "Same": custom()})
    v2 = new_assembly(
        {
            "A": custom({"Value": "2"}),
            "B": custom({"Value": "2", "Fail": "true", "Sleep": "0.5"}),
            "Same": custom(),
            "Added": custom({"Value": "new"}),
        },
    )
    assert driver.create(v1).final_state == "CREATE_COMPLETE"
    before = len(events(event_log))

    report = driver.update(v2)

    assert report.final_state == "UPDATE_ROLLBACK_COMPLETE", report.summary()
    assert report.exactly_one_answer
    forward = ops(report, "UPDATE")
    assert "Same" not in forward  # unchanged: CloudFormation does not call the provider
    assert forward["B"].status == "FAILED"
    rolled = ops(report, "UPDATE_ROLLBACK")
    assert set(rolled) == {"A", "B"}
    assert all(op.status == "SUCCESS" for op in rolled.values())
    assert ops(report, "UPDATE_ROLLBACK_COMPLETE_CLEANUP")["Added"].action == "Delete"
    sent = [e for e in events(event_log)[before:] if e["LogicalResourceId"] in ("A", "B")]
    rollbacks = {e["LogicalResourceId"]: e for e in sent if e["ResourceProperties"]["Value"] == "1"}
    for lid in ("A", "B"):
        assert rollbacks[lid]["RequestType"] == "Update"
        assert rollbacks[lid]["OldResourceProperties"]["Value"] == "2"
        assert rollbacks[lid]["PhysicalResourceId"] == f"{lid}-id"
    # The stack is back on v1: a further update compares against v1's properties.
    again = driver.update(v1)
    assert again.final_state == "UPDATE_COMPLETE"
    assert again.first.executions == 0


def test_a_rollback_that_fails_leaves_update_rollback_failed(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    v1 = new_assembly({"A": custom({"Value": "1"}), "B": custom({"Value": "1"})})
    v2 = new_assembly(
        {
            "A": custom({"Value": "2", "PoisonRollback": "true"}),
            "B": custom({"Value": "2", "Fail": "true", "Sleep": "0.5"}),
        },
    )
    driver.create(v1)

    report = driver.update(v2)

    assert report.final_state == "UPDATE_ROLLBACK_FAILED", report.summary()
    rolled = ops(report, "UPDATE_ROLLBACK")
    assert (rolled["A"].status, rolled["A"].reason) == ("FAILED", "rollback refused on purpose")
    assert rolled["B"].status == "SUCCESS"  # the rollback goes on past a failure
    with pytest.raises(RuntimeError, match="UPDATE_ROLLBACK_FAILED"):
        driver.update(v1)


def test_a_new_physical_id_and_removed_resources_are_cleaned_up(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    v1 = new_assembly({"A": custom({"Id": "first"}), "Gone": custom()})
    v2 = new_assembly({"A": custom({"Id": "second"})})
    driver.create(v1)

    report = driver.update(v2)

    assert report.final_state == "UPDATE_COMPLETE", report.summary()
    cleanup = report.phase("UPDATE_COMPLETE_CLEANUP")
    assert cleanup is not None
    deleted = {(op.logical_id, op.physical_id) for op in cleanup.operations if op.custom}
    assert deleted == {("A", "first"), ("Gone", "Gone-id")}
    assert driver.resources["A"].physical_id == "second"
    final = driver.delete()
    assert final.final_state == "DELETE_COMPLETE"
    assert {op.physical_id for op in final.first.operations if op.custom} == {"second"}


def test_a_renamed_function_is_replaced_and_its_custom_resources_updated_to_the_new_service_token(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly], event_log: Path
) -> None:
    inline = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "inline"}}
    managed = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Description": "managed"}}
    v1 = new_assembly({"A": custom({"Value": "1"}), "Inline": inline}, function_name="first")
    v2 = new_assembly({"A": custom({"Value": "1"}), "Managed": managed}, function_name="second")
    assert driver.create(v1).final_state == "CREATE_COMPLETE"

    report = driver.update(v2)

    assert report.final_state == "UPDATE_COMPLETE", report.summary()
    forward = ops(report, "UPDATE")
    assert (forward[FUNCTION].action, forward[FUNCTION].physical_id) == ("Update", "second")
    assert (forward["Managed"].action, forward["Managed"].status) == ("Create", "SUCCESS")
    assert forward["A"].action == "Update"  # only its ServiceToken changed: CloudFormation still sends the Update
    [sent] = [e for e in events(event_log) if e["RequestType"] == "Update"]
    assert sent["ServiceToken"].endswith(":function:second")
    assert sent["OldResourceProperties"]["ServiceToken"].endswith(":function:first")
    cleanup = ops(report, "UPDATE_COMPLETE_CLEANUP")
    assert {lid: (op.action, op.physical_id) for lid, op in cleanup.items() if lid != "Inline"} == {
        FUNCTION: ("Delete", "first")
    }
    assert cleanup["Inline"].action == "Delete"
    assert set(driver.resources) == {"ProviderRole", FUNCTION, "A", "Managed"}
    assert driver.resources[FUNCTION].attributes["Arn"].endswith(":function:second")


def test_an_update_that_changes_a_resource_type_is_refused(
    driver: CloudFormationDriver, new_assembly: Callable[..., CloudAssembly]
) -> None:
    v1 = new_assembly({"A": custom(), "Policy": {"Type": "AWS::IAM::Policy", "Properties": {}}})
    v2 = new_assembly({"A": custom(), "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {}}})
    assert driver.create(v1).final_state == "CREATE_COMPLETE"
    with pytest.raises(TemplateError, match="changes its Type from AWS::IAM::Policy to AWS::IAM::ManagedPolicy"):
        driver.update(v2)
    assert driver.state == "CREATE_COMPLETE"


def test_latency_is_paid_per_resource_along_the_critical_path(
    new_driver: Callable[..., CloudFormationDriver], new_assembly: Callable[..., CloudAssembly]
) -> None:
    assembly = new_assembly({"A": custom(), "B": custom(), "C": custom()})
    report = new_driver(latency_s=0.4).create(assembly)
    assert report.final_state == "CREATE_COMPLETE"
    # role, function, then the three customs together: three latencies, not five.
    assert 1.2 <= report.first.wall_s < 1.2 + 3.0
    assert report.pool.peak_busy == 3


def test_templates_with_cycles_or_dangling_references_are_refused() -> None:
    with pytest.raises(TemplateError, match="circular"):
        Template(
            {"Resources": {"A": {"Type": "X::Y::Z", "DependsOn": "B"}, "B": {"Type": "X::Y::Z", "DependsOn": "A"}}}
        )
    with pytest.raises(TemplateError, match="unknown names"):
        Template({"Resources": {"A": {"Type": "X::Y::Z", "Properties": {"P": {"Ref": "Nope"}}}}})
