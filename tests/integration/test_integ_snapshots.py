"""The committed integration tests' assertions hold, checked locally before anyone deploys them.

Each integ-runner snapshot (``tests/integ/*.snapshot``) holds the test-case stack and the
assertion stack that ``scripts/integ.sh --deploy`` would deploy. Here the test-case stack
is deployed from the snapshot's template by the CloudFormation-like driver against the
AppIntegrations emulator (the knowledge base creating its association, see
:mod:`testkit.service_models`), with the provider's handler in Lambda-like processes.
Then every SDK-call assertion is read from the snapshot's assertion template, its call made
against the emulator, and the result judged by integ-tests' own handler from the snapshot
(:mod:`testkit.assertion_handler`). Test (b) is replayed as an *update* of (a)'s
stack, so its assertions check the provider's Update path; (a)'s then fail, which shows
the assertions can fail.

The snapshot does not hold the provider's Python asset (integ-runner keeps only bundled
assets), so the handler is bundled from this checkout; the snapshot check in
``scripts/test.sh`` (``diffAssets``) keeps the snapshot's asset hash equal to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.account import ACCOUNT, REGION
from testkit.assertion_handler import run_assertion
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly, StaticResolver, Template, as_delivered, resolve
from testkit.emulator import AppIntegrationsEmulator
from testkit.integ_snapshot import IntegSnapshot, call_with_boto3, exports_of
from testkit.service_models import MODELLED_TYPES, ServiceModelDriver

pytestmark = pytest.mark.integration

INTEG_DIR = Path(__file__).resolve().parents[1] / "integ"
SYNC = INTEG_DIR / "integ_knowledge_base_sync.py.snapshot"
UPDATE = INTEG_DIR / "integ_knowledge_base_sync_update.py.snapshot"
LOCKED_DOWN = INTEG_DIR / "integ_locked_down_provider.py.snapshot"
TEST_STACK = "KnowledgeBaseSync"  # knowledge_base_stack.TEST_STACK_ID, the same in both snapshots
EXECUTION_TYPE = "Custom::DataIntegrationAssociationExecution"


class SnapshotAssembly(CloudAssembly):
    """The snapshot as a cloud assembly, with the provider's asset (absent from the snapshot) staged apart."""

    def __init__(self, outdir: Path, provider_asset: Path) -> None:
        super().__init__(outdir)
        self.provider_asset = provider_asset

    def asset_dir(self, object_key: str) -> Path:
        found = super().asset_dir(object_key)
        return found if found.exists() else self.provider_asset


@pytest.fixture(scope="module")
def provider_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cdk_appintegrations.bundling import write_bundle

    staged = tmp_path_factory.mktemp("provider-asset")
    write_bundle(staged)
    return staged


@pytest.fixture
def driver(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServiceModelDriver]:
    # The assertions' calls are made in this process, with boto3, against the emulator.
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPINTEGRATIONS", fresh_emulator.endpoint_url)
    d = ServiceModelDriver(fresh_emulator, fresh_receiver, stack_name=TEST_STACK, region=REGION, account=ACCOUNT)
    with d:
        yield d


def deployed_exports(driver: ServiceModelDriver, template: Template) -> dict[str, str]:
    """The test-case stack's exports as deployed (what the assertion stack imports)."""
    resolver = StaticResolver(
        refs={lid: state.physical_id for lid, state in driver.resources.items()},
        attributes={(lid, name): value for lid, s in driver.resources.items() for name, value in s.attributes.items()},
        region=REGION,
        account=ACCOUNT,
        stack_name=TEST_STACK,
    )
    return exports_of(template, resolver)


def judge(snapshot: IntegSnapshot, exports: dict[str, str], receiver: CfnResponseReceiver) -> list[tuple[str, Any]]:
    """Every SDK-call assertion of the snapshot: (its logical id, the handler's mismatch message or None)."""
    case = snapshot.only_case
    calls = snapshot.sdk_calls(case, exports)
    verdicts = []
    for call in calls:
        assert call.expected is not None, f"{call.logical_id} asserts nothing"
        _, actual = call_with_boto3(call, region=REGION)
        outcome = run_assertion(snapshot.handler_dir(case), actual, call.expected, receiver)
        verdicts.append((call.logical_id, None if outcome.passed else outcome.message))
    return verdicts


def declared_configuration(template: Template) -> dict[str, Any]:
    [execution] = template.of_type(EXECUTION_TYPE)
    configuration: dict[str, Any] = as_delivered(
        resolve(execution.properties["ExecutionConfiguration"], StaticResolver(), template)
    )
    return configuration


def expected_configurations(snapshot: IntegSnapshot, exports: dict[str, str]) -> list[Any]:
    """The ExecutionConfigurations the assertions expect (in the encoded objectLike)."""
    found: list[Any] = []
    for call in snapshot.sdk_calls(snapshot.only_case, exports):
        items = json.loads(call.expected or "{}").get("$ObjectLike", {}).get("DataIntegrationAssociations", [])
        found.extend(item["ExecutionConfiguration"] for item in items if "ExecutionConfiguration" in item)
    return found


def test_the_snapshots_are_what_this_tier_models() -> None:
    for directory in (SYNC, UPDATE, LOCKED_DOWN):
        snapshot = IntegSnapshot(directory)
        case = snapshot.only_case
        assert case.stacks == (TEST_STACK,)
        assert snapshot.assertion_types(case) == ["Custom::DeployAssert@SdkCallAppIntegrationslistDataIntegrati"]
        kinds = {r.type for r in snapshot.template(TEST_STACK).resources.values()}
        assert {"AWS::Wisdom::KnowledgeBase", "AWS::AppIntegrations::DataIntegration"} <= kinds & MODELLED_TYPES
        assert (snapshot.handler_dir(case) / "index.js").is_file()


@pytest.mark.parametrize(
    "directory", [SYNC, UPDATE, LOCKED_DOWN], ids=["sync", "update-as-its-own-deploy", "locked-down-provider"]
)
def test_each_test_deploys_afresh_and_its_assertions_hold(
    driver: ServiceModelDriver, provider_asset: Path, fresh_emulator: AppIntegrationsEmulator, directory: Path
) -> None:
    """As ``scripts/integ.sh --deploy`` runs them: each test's stack created on its own."""
    snapshot = IntegSnapshot(directory)
    created = driver.create(SnapshotAssembly(directory, provider_asset))
    assert created.final_state == "CREATE_COMPLETE", created.summary()
    template = snapshot.template(TEST_STACK)
    exports = deployed_exports(driver, template)
    # The assertions expect what the stack declares, and the provider applied exactly that.
    assert expected_configurations(snapshot, exports) == [declared_configuration(template)]
    [association] = fresh_emulator.associations
    assert association.execution_configuration == declared_configuration(template)
    assert len(fresh_emulator.update_calls()) == 1
    verdicts = judge(snapshot, exports, driver.receiver)
    assert len(verdicts) == 2
    assert verdicts == [(logical_id, None) for logical_id, _ in verdicts]


def test_the_update_deploys_and_its_assertions_see_the_new_configuration(
    driver: ServiceModelDriver, provider_asset: Path, fresh_emulator: AppIntegrationsEmulator
) -> None:
    first, second = IntegSnapshot(SYNC), IntegSnapshot(UPDATE)
    assert driver.create(SnapshotAssembly(SYNC, provider_asset)).final_state == "CREATE_COMPLETE"
    updated = driver.update(SnapshotAssembly(UPDATE, provider_asset))
    assert updated.final_state == "UPDATE_COMPLETE", updated.summary()
    [update_phase] = [p for p in updated.phases if p.name == "UPDATE"]
    assert [(op.resource_type, op.action) for op in update_phase.operations if op.custom] == [
        (EXECUTION_TYPE, "Update")
    ]
    new_template = second.template(TEST_STACK)
    assert declared_configuration(new_template) != declared_configuration(first.template(TEST_STACK))
    [association] = fresh_emulator.associations
    assert association.execution_configuration == declared_configuration(new_template)
    assert len(fresh_emulator.update_calls()) == 2  # the Create, then the Update (window and rerun token changed)

    verdicts = judge(second, deployed_exports(driver, new_template), driver.receiver)
    assert len(verdicts) == 2
    assert verdicts == [(logical_id, None) for logical_id, _ in verdicts]
    # (a)'s configuration assertion no longer holds: the handler's matcher is live.
    old = dict(judge(first, deployed_exports(driver, first.template(TEST_STACK)), driver.receiver))
    failing = [message for message in old.values() if message is not None]
    assert len(failing) == 1
    assert "1735689600000" in failing[0]
