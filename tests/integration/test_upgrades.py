"""Upgrading from every released version runs no job and replaces no execution.

The promise of the upgrade notes, checked for each release in ``releases.csv``: the release's
code, taken from its commit, synthesizes the example app's default stack (the knowledge base's
execution, which finds its association by lookup) and a stack of literal executions (ids and
ARNs, ON_DEMAND and SCHEDULED, with and without a rerun token). The deploy driver creates the
stack with that release's handler asset against the emulator, where each execution runs its
job once. Then it updates the stack to the template the current code synthesizes (same stack
name, same constructs), as CloudFormation would: the provider's function and everything else
that changed is updated, added, replaced or removed, and an execution gets an Update only if
its properties changed.

What must hold: the update completes; every execution ends SUCCESS; its PhysicalResourceId does
not change (a new one would be a replacement: CloudFormation would delete the old one); no
``UpdateDataIntegrationAssociation`` call is made, so no job runs again; and the current
handler then deletes what the old one created. What the update changed is printed
(``pytest -s``): it is what the upgrade notes must say.

Each release and the current code are synthesized once per session (``scripts/test.sh``
runs this for every release, so a clone needs the history, not the tags; see
:mod:`testkit.releases`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE

from testkit.account import ACCOUNT, REGION
from testkit.cfn_driver import DeployReport
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly, Template
from testkit.emulator import AppIntegrationsEmulator
from testkit.release_synth import EXAMPLE_STACK, LITERAL_STACK
from testkit.releases import (
    LiteralExecution,
    Release,
    ReleaseNotInHistoryError,
    exported,
    package_version,
    read_releases,
    synthesize,
)
from testkit.service_models import ServiceModelDriver
from testkit.synth_env import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RELEASES = read_releases()
CURRENT_VERSION = package_version()
ARN_PREFIX = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}"
DATA_INTEGRATIONS = ("0f0f0f0f-0000-4000-8000-0000000000a1", "0f0f0f0f-0000-4000-8000-0000000000b2")


def literal(
    index: int, mode: Literal["ON_DEMAND", "SCHEDULED"], *, by_arn: bool = False, rerun_token: str | None = None
) -> LiteralExecution:
    """Execution ``index`` on its own association, the first three on one data integration, the rest on another."""
    data_integration = DATA_INTEGRATIONS[index // 3]
    association = f"1e1e1e1e-0000-4000-8000-{index:012d}"
    if by_arn:
        association = f"{ARN_PREFIX}:data-integration-association/{data_integration}/{association}"
        data_integration = f"{ARN_PREFIX}:data-integration/{data_integration}"
    return LiteralExecution(f"Literal{index}", data_integration, association, mode, rerun_token)


LITERALS = (
    literal(0, "ON_DEMAND"),
    literal(1, "ON_DEMAND", rerun_token="2025-06-01"),
    literal(2, "SCHEDULED"),
    literal(3, "ON_DEMAND", by_arn=True),
    literal(4, "SCHEDULED", by_arn=True),
    literal(5, "ON_DEMAND", by_arn=True, rerun_token="1"),
)


@pytest.fixture(scope="session")
def current(tmp_path_factory: pytest.TempPathFactory) -> CloudAssembly:
    """Both stacks as this checkout's code synthesizes them."""
    outdir = tmp_path_factory.mktemp("current") / "cdk.out"
    return CloudAssembly(
        synthesize(REPO_ROOT, outdir, LITERALS, account=ACCOUNT, region=REGION, version=CURRENT_VERSION)
    )


@pytest.fixture(scope="session", params=RELEASES, ids=[release.version for release in RELEASES])
def released(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CloudAssembly]:
    """Both stacks as a release's own code synthesizes them, from its commit (the checkout is removed after)."""
    release: Release = request.param
    outdir = tmp_path_factory.mktemp(f"release-{release.version}") / "cdk.out"
    try:
        with exported(release) as checkout:
            synthesize(checkout, outdir, LITERALS, account=ACCOUNT, region=REGION, version=release.version)
    except ReleaseNotInHistoryError as error:
        pytest.fail(str(error), pytrace=False)
    return release.version, CloudAssembly(outdir)


@pytest.fixture
def driver_for(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver
) -> Iterator[dict[str, ServiceModelDriver]]:
    """The stack's deploy driver, by stack name (the knowledge base creates its association in the emulator)."""
    drivers = {
        name: ServiceModelDriver(fresh_emulator, fresh_receiver, stack_name=name, region=REGION, account=ACCOUNT)
        for name in (EXAMPLE_STACK, LITERAL_STACK)
    }
    yield drivers
    for driver in drivers.values():
        driver.close()


@dataclass(frozen=True)
class Changes:
    """What an update did to the stack's resources, by logical id (for the upgrade notes)."""

    updated: list[str]
    added: list[str]
    removed: list[str]
    replaced: list[str]

    def __str__(self) -> str:
        return "; ".join(
            f"{name} {getattr(self, name) or 'none'}" for name in ("updated", "added", "removed", "replaced")
        )


def changes(report: DeployReport, old: Template, new: Template) -> Changes:
    """Resources updated in place, added, removed and replaced (a new physical id) by the update."""
    forward = report.first.operations
    cleanup = report.phase("UPDATE_COMPLETE_CLEANUP")
    replaced = sorted(op.logical_id for op in (cleanup.operations if cleanup else ()) if op.logical_id in new.resources)
    return Changes(
        updated=sorted(op.logical_id for op in forward if op.action == "Update" and op.logical_id not in replaced),
        added=sorted(set(new.resources) - set(old.resources)),
        removed=sorted(set(old.resources) - set(new.resources)),
        replaced=replaced,
    )


def execution_ids(template: Template) -> list[str]:
    return sorted(resource.logical_id for resource in template.of_type(RESOURCE_TYPE))


def configurations(emulator: AppIntegrationsEmulator) -> dict[str, Any]:
    return {association.association_arn: association.execution_configuration for association in emulator.associations}


def custom_operations(report: DeployReport) -> Mapping[str, str]:
    """Each custom resource operation of the report's phases: ``"<phase> <action> <id>"`` -> status."""
    return {
        f"{phase.name} {op.action} {op.logical_id}": op.status
        for phase in report.phases
        for op in phase.operations
        if op.custom
    }


@pytest.mark.parametrize("stack_name", [EXAMPLE_STACK, LITERAL_STACK], ids=["example-lookup", "literal"])
def test_upgrading_from_a_release_runs_no_job_and_keeps_every_execution(
    released: tuple[str, CloudAssembly],
    current: CloudAssembly,
    stack_name: str,
    driver_for: dict[str, ServiceModelDriver],
    fresh_emulator: AppIntegrationsEmulator,
) -> None:
    version, old_assembly = released
    old, new = old_assembly.template(stack_name), current.template(stack_name)
    executions = execution_ids(old)
    assert len(executions) == (len(LITERALS) if stack_name == LITERAL_STACK else 1)
    assert execution_ids(new) == executions, "the current code renames or drops executions: each would be replaced"
    if stack_name == LITERAL_STACK:
        for execution in LITERALS:
            data_integration = execution.data_integration.rsplit("/", 1)[-1]
            fresh_emulator.add_association(data_integration, execution.association.rsplit("/", 1)[-1], ACCOUNT, REGION)
    driver = driver_for[stack_name]

    created = driver.create(old_assembly)

    assert created.final_state == "CREATE_COMPLETE", created.summary()
    assert created.exactly_one_answer, created.summary()
    assert custom_operations(created) == {f"CREATE Create {lid}": "SUCCESS" for lid in executions}
    # The release ran each execution's job once: the one the upgrade must not run again.
    assert len(fresh_emulator.update_calls()) == len(executions)
    physical_ids = {lid: driver.resources[lid].physical_id for lid in executions}
    configured = configurations(fresh_emulator)
    fresh_emulator.clear_requests()

    updated = driver.update(current)

    assert updated.final_state == "UPDATE_COMPLETE", updated.summary()
    assert updated.exactly_one_answer, updated.summary()
    sent = custom_operations(updated)
    assert all(status == "SUCCESS" for status in sent.values()), sent
    rerun = [call.path for call in fresh_emulator.update_calls()]
    assert rerun == [], f"upgrading from {version} re-ran {len(rerun)} job(s): {rerun}\n{updated.summary()}"
    assert {lid: driver.resources[lid].physical_id for lid in executions} == physical_ids, (
        f"upgrading from {version} replaces executions (CloudFormation then deletes the old ones)"
    )
    assert not [key for key in sent if key.startswith("UPDATE_COMPLETE_CLEANUP")], "an execution was deleted"
    assert configurations(fresh_emulator) == configured
    # The provider now runs the current asset (``asset.<content hash>``): the Deletes below are the current handler's.
    [function] = new.of_type("AWS::Lambda::Function")
    spec = driver.resources[function.logical_id].function
    assert spec is not None
    assert spec.code_dir.name == current.code_dir(new, function.logical_id).name
    what = changes(updated, old, new)
    print(
        f"\n{version} -> {CURRENT_VERSION} {stack_name}: {len(executions)} executions, {len(physical_ids)} physical ids kept;"
        f" update: {updated.final_state} in {updated.wall_s:.1f} s, {len(sent)} provider events,"
        f" {len(fresh_emulator.list_calls())} List and {len(fresh_emulator.update_calls())} Update calls; {what}"
    )

    # The current handler deletes what the release's created (its physical ids included).
    deleted = driver.delete()
    assert deleted.final_state == "DELETE_COMPLETE", deleted.summary()
    assert custom_operations(deleted) == {f"DELETE Delete {lid}": "SUCCESS" for lid in executions}
    assert fresh_emulator.update_calls() == []
