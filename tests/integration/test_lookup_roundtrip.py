"""The lookup and the attributes for real: the handler in a Lambda-like process, List and Update over HTTP.

The emulator serves ListDataIntegrationAssociations with ``maxResults``/``nextToken``
paging (and caps pages below what is asked, as a service may), so these tests see the
requests the handler really makes, page by page, and the answers CloudFormation gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testkit.account import ACCOUNT, REGION, arn
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.emulator import AppIntegrationsEmulator
from tests.integration.handler_runs import DI, answer, event, invoke_create, properties, run_handler

pytestmark = pytest.mark.integration

ARN = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}"  # the StackId's environment
KB = arn("wisdom", "knowledge-base/11111111-2222-4333-8444-555555555555")


def lookup(**overrides: Any) -> dict[str, Any]:
    """Properties with no association identifier: the handler must find it."""
    props = properties(**overrides)
    del props["DataIntegrationAssociationIdentifier"]
    return props


def attributes(data_integration: str, association: str) -> dict[str, str]:
    return {
        "DataIntegrationArn": f"{ARN}:data-integration/{data_integration}",
        "DataIntegrationAssociationArn": f"{ARN}:data-integration-association/{data_integration}/{association}",
        "DataIntegrationAssociationId": association,
    }


@pytest.fixture
def small_pages(fresh_emulator: AppIntegrationsEmulator) -> Iterator[AppIntegrationsEmulator]:
    """Two associations per List page, so that a handful of associations spans several pages."""
    fresh_emulator.max_page_size = 2
    yield fresh_emulator
    del fresh_emulator.max_page_size  # back to the class default


def test_zero_one_and_several_associations(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    fresh_emulator.add_data_integration("di-none")
    # Without ClientId, DestinationURI and ExecutionConfiguration (all optional): its summary has only the ARNs.
    fresh_emulator.add_association("di-one", "kb-assoc", destination_uri="", client_id="", execution_configuration={})
    fresh_emulator.add_association("di-two", "first", destination_uri=KB, client_id="wisdom")
    fresh_emulator.add_association("di-two", "second", destination_uri="s3://amzn-s3-demo-bucket", client_id="other")
    events = [
        event(fresh_receiver, "Create", lookup(DataIntegrationIdentifier=di), di)
        for di in ("di-none", "di-one", "di-two")
    ]
    run_handler(events, lambda_env)
    none, one, several = (answer(fresh_receiver, di, settle=0) for di in ("di-none", "di-one", "di-two"))

    assert none["Status"] == "FAILED"
    assert none["Reason"].startswith(
        "DataIntegrationIdentifier 'di-none' has no association yet, so there is none to configure. Its consumer "
        "(e.g. the Amazon Q in Connect knowledge base) creates the association and must exist first"
    )
    assert (one["Status"], one["PhysicalResourceId"]) == ("SUCCESS", "di-one|kb-assoc")
    assert one["Data"] == attributes("di-one", "kb-assoc")
    assert several["Status"] == "FAILED"
    assert several["Reason"] == (
        "DataIntegrationIdentifier 'di-two' has 2 associations, so which one to configure is ambiguous: "
        f"'first' (ClientId 'wisdom', DestinationURI '{KB}'); "
        "'second' (ClientId 'other', DestinationURI 's3://amzn-s3-demo-bucket'). "
        "Give DataIntegrationAssociationIdentifier, or DestinationURI to pick one."
    )
    # Only the one unambiguous association was configured, with exactly the declared configuration.
    [update] = fresh_emulator.update_calls()
    assert update.identifiers == {
        "DataIntegrationIdentifier": "di-one",
        "DataIntegrationAssociationIdentifier": "kb-assoc",
    }
    assert update.body == {"ExecutionConfiguration": properties()["ExecutionConfiguration"]}
    assert [call.identifiers["DataIntegrationIdentifier"] for call in fresh_emulator.list_calls()] == [
        "di-none",
        "di-one",
        "di-two",
    ]


def test_the_filter_finds_its_association_on_a_later_page_and_a_filter_matching_none_fails(
    small_pages: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    for i in range(4):
        small_pages.add_association(DI, f"other-{i}", destination_uri=f"s3://amzn-s3-demo-bucket-{i}")
    small_pages.add_association(DI, "kb-assoc", destination_uri=KB, client_id="wisdom")
    events = [
        event(fresh_receiver, "Create", lookup(DestinationURI=KB), "match"),
        event(fresh_receiver, "Create", lookup(DestinationURI="s3://nowhere"), "none"),
    ]
    run_handler(events, lambda_env)
    match, none = answer(fresh_receiver, "match", settle=0), answer(fresh_receiver, "none", settle=0)

    assert (match["Status"], match["PhysicalResourceId"]) == ("SUCCESS", f"{DI}|kb-assoc")
    assert match["Data"] == attributes(DI, "kb-assoc")
    assert none["Status"] == "FAILED"
    assert none["Reason"].startswith(
        f"None of the 5 association(s) of DataIntegrationIdentifier '{DI}' has DestinationURI 's3://nowhere': "
        "'other-0' (ClientId 'cdk-appintegrations-tests', DestinationURI 's3://amzn-s3-demo-bucket-0'); "
    )
    assert "'kb-assoc' (ClientId 'wisdom'" in none["Reason"]
    # Three pages for each event, each after the first asking with the token the one before gave (or a 400).
    pages = [(c.query.get("maxResults"), "nextToken" in c.query, c.status) for c in small_pages.list_calls()]
    assert pages == [(["50"], False, 200), (["50"], True, 200), (["50"], True, 200)] * 2
    [update] = small_pages.update_calls()
    assert update.identifiers["DataIntegrationAssociationIdentifier"] == "kb-assoc"


def test_an_association_recreated_since_is_a_new_target(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """The knowledge base was replaced: the same properties now resolve to another association."""
    fresh_emulator.add_association(DI, "before", destination_uri=KB)
    props = lookup()
    invoke_create(fresh_receiver, props, "create", lambda_env)
    created = answer(fresh_receiver, "create")
    assert created["PhysicalResourceId"] == f"{DI}|before"

    fresh_emulator.remove_association(DI, "before")
    fresh_emulator.add_association(DI, "after", destination_uri=KB)
    events = [
        event(
            fresh_receiver, "Update", props, "update", OldResourceProperties=props, PhysicalResourceId=f"{DI}|before"
        ),
        # CloudFormation then deletes the old physical resource: nothing to undo, no call.
        event(fresh_receiver, "Delete", props, "delete", PhysicalResourceId=f"{DI}|before"),
    ]
    run_handler(events, lambda_env)
    updated, deleted = answer(fresh_receiver, "update"), answer(fresh_receiver, "delete", settle=0)

    assert (updated["Status"], updated["PhysicalResourceId"]) == ("SUCCESS", f"{DI}|after")
    assert updated["Data"] == attributes(DI, "after")
    assert (deleted["Status"], deleted["PhysicalResourceId"]) == ("SUCCESS", f"{DI}|before")
    calls = fresh_emulator.update_calls()
    assert [c.identifiers["DataIntegrationAssociationIdentifier"] for c in calls] == ["before", "after"]
    assert len(fresh_emulator.list_calls()) == 2  # Create and Update; Delete makes no call at all


def test_the_attributes_come_with_create_a_no_op_update_and_a_rerun(
    fresh_emulator: AppIntegrationsEmulator, fresh_receiver: CfnResponseReceiver, lambda_env: dict[str, str]
) -> None:
    """CloudFormation keeps only the latest response's Data, so every success must carry it."""
    fresh_emulator.add_association(DI, "kb-assoc", destination_uri=KB)
    fresh_emulator.add_association("di-given", "assoc-given")
    given = properties(DataIntegrationIdentifier="di-given", DataIntegrationAssociationIdentifier="assoc-given")
    upgraded = {"ServiceToken": arn("lambda", "function:provider-v2")}
    events: list[dict[str, Any]] = []
    for name, created, physical in (("lookup", lookup(), f"{DI}|kb-assoc"), ("given", given, "di-given|assoc-given")):
        no_op = {**created, **upgraded}
        rerun = {**no_op, "RerunToken": "2025-06-01"}
        events += [
            event(fresh_receiver, "Create", created, f"{name}-create"),
            event(
                fresh_receiver,
                "Update",
                no_op,
                f"{name}-no-op",
                OldResourceProperties=created,
                PhysicalResourceId=physical,
            ),
            event(
                fresh_receiver,
                "Update",
                rerun,
                f"{name}-rerun",
                OldResourceProperties=no_op,
                PhysicalResourceId=physical,
            ),
        ]
    results = run_handler(events, lambda_env)
    assert all(result.ok for result in results)

    for name, expected in (("lookup", attributes(DI, "kb-assoc")), ("given", attributes("di-given", "assoc-given"))):
        for step in ("create", "no-op", "rerun"):
            body = answer(fresh_receiver, f"{name}-{step}", settle=0)
            assert (body["Status"], body["Data"]) == ("SUCCESS", expected), (name, step, body)
    # Create and rerun call the service; the no-op Updates do not (the lookup only lists).
    assert len(fresh_emulator.update_calls()) == 4
    assert fresh_emulator.get_association(DI, "kb-assoc").update_count == 2
    assert len(fresh_emulator.list_calls()) == 3
