"""The construct and the handler agree: CloudFormation's view of a synthesized stack, replayed.

The example app is synthesized twice (the second time with a rerun token, as
`cdk deploy -c rerunToken=...` would), with the context that adds its execution of an
existing association by id next to the knowledge base's, which is found by lookup.
Each custom resource's properties are taken from the template, intrinsics resolved
(the data integration's ``Fn::GetAtt`` Id included) and scalars stringified as
CloudFormation does, and fed through the handler *from the synthesized asset* in a
Lambda-like process, against the local emulator (where the "knowledge base" has
created its association) and HTTPS receiver:
Create -> Update (rerun) -> no-op Update (provider upgrade) -> Delete.
Every success must carry the attributes the template's output reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from appintegrations_cr.constants import RESOURCE_TYPE

from testkit.account import ACCOUNT, REGION
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.cfn_template import CloudAssembly, StaticResolver, Template, as_delivered, resolve
from testkit.emulator import AppIntegrationsEmulator
from testkit.lambda_process import invoke_many

pytestmark = pytest.mark.integration

STACK_NAME = "AppIntegrationsExample"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/0a0a0a0a-1111-4222-8333-444444444444"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:AppIntegrationsExample-Provider"
DOCUMENTS_ID = "5e1f0000-0000-4000-8000-00000000d0c5"  # what GetAtt Documents.Id gives at deploy
KNOWLEDGE_BASE_ASSOCIATION = "kb000000-0000-4000-8000-0000000a5500"
EXISTING = {"dataIntegrationId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "scheduledAssociationId": "c3d4e5f6-EXAMPLE"}


def synthesize(outdir: Path, context: dict[str, Any]) -> Path:
    import aws_cdk as cdk

    from app import AppIntegrationsExampleStack

    app = cdk.App(outdir=str(outdir), context=context)
    AppIntegrationsExampleStack(app, STACK_NAME)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = synthesize(tmp_path_factory.mktemp("v1"), EXISTING)
    second = synthesize(tmp_path_factory.mktemp("v2"), {**EXISTING, "rerunToken": "2025-06-01"})
    return first, second


def template(outdir: Path) -> Template:
    return CloudAssembly(outdir).template(STACK_NAME)


def provider_asset(outdir: Path) -> Path:
    """The provider function's code directory, found the way the CDK CLI finds it."""
    stack = template(outdir)
    [function] = stack.of_type("AWS::Lambda::Function")
    return CloudAssembly(outdir).code_dir(stack, function.logical_id)


def custom_resources(outdir: Path) -> dict[str, dict[str, Any]]:
    """Each custom resource's properties as CloudFormation delivers them (intrinsics resolved, scalars strings)."""
    stack = template(outdir)
    [function] = stack.of_type("AWS::Lambda::Function")
    [documents] = stack.of_type("AWS::AppIntegrations::DataIntegration")
    resolver = StaticResolver(
        attributes={(function.logical_id, "Arn"): FUNCTION_ARN, (documents.logical_id, "Id"): DOCUMENTS_ID},
        account=ACCOUNT,
        region=REGION,
    )
    return {
        resource.logical_id: as_delivered(resolve(resource.properties, resolver, stack))
        for resource in stack.of_type(RESOURCE_TYPE)
    }


def test_both_synths_produce_the_same_asset_for_the_same_handler(assemblies: tuple[Path, Path]) -> None:
    first, second = assemblies
    assert provider_asset(first).name == provider_asset(second).name


def test_lifecycle_through_the_synthesized_asset(
    assemblies: tuple[Path, Path],
    fresh_emulator: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
) -> None:
    first, second = assemblies
    v1, v2 = custom_resources(first), custom_resources(second)
    assert len(v1) == 2
    # The knowledge base created its association; the other one exists outside the stack.
    fresh_emulator.add_association(DOCUMENTS_ID, KNOWLEDGE_BASE_ASSOCIATION, client_id="wisdom")
    fresh_emulator.set_stack_status(STACK_ID, "UPDATE_IN_PROGRESS")  # the handler reads it: a forward deploy
    fresh_emulator.add_association(EXISTING["dataIntegrationId"], EXISTING["scheduledAssociationId"])
    targets = {
        logical_id: f"{props['DataIntegrationIdentifier']}|"
        f"{props.get('DataIntegrationAssociationIdentifier', KNOWLEDGE_BASE_ASSOCIATION)}"
        for logical_id, props in v1.items()
    }
    assert sorted(targets.values()) == sorted(
        [f"{DOCUMENTS_ID}|{KNOWLEDGE_BASE_ASSOCIATION}", "|".join(EXISTING.values())]
    )

    upgraded_token = {"ServiceToken": f"{FUNCTION_ARN}-v2"}
    events: list[dict[str, Any]] = []
    expected_calls = 0
    for logical_id, created in v1.items():
        rerun = v2[logical_id]
        steps = [
            ("Create", created, None, 1),
            ("Update", rerun, created, 1 if rerun != created else 0),
            ("Update", {**rerun, **upgraded_token}, rerun, 0),
            ("Delete", {**rerun, **upgraded_token}, None, 0),
        ]
        for index, (request_type, props, old, call_count) in enumerate(steps):
            request_id = f"{logical_id}-{index}"
            events.append(
                cfn_event(
                    request_type,
                    props,
                    request_id=request_id,
                    response_url=fresh_receiver.response_url(request_id),
                    stack_id=STACK_ID,
                    logical_id=logical_id,
                    service_token=props["ServiceToken"],
                    physical_id=None if request_type == "Create" else targets[logical_id],
                    old_properties=old,
                )
            )
            expected_calls += call_count

    # Only the asset's own files and the runtime's boto3: a missing vendored module fails here.
    results = invoke_many(provider_asset(first), events, env=lambda_env)
    assert all(result.ok for result in results), [result.output for result in results if not result.ok]

    [(output_resource, output_attribute)] = [
        output["Value"]["Fn::GetAtt"] for output in template(first).body["Outputs"].values()
    ]
    for event in events:
        [response] = fresh_receiver.wait_for(event["RequestId"], timeout=10)
        assert response.problems == []
        assert response.body["Status"] == "SUCCESS", response.body
        assert response.body["PhysicalResourceId"] == targets[event["LogicalResourceId"]]
        if event["RequestType"] != "Delete":  # every Create and Update answers the attributes, no-op included
            association = targets[event["LogicalResourceId"]].split("|")[1]
            assert response.body["Data"]["DataIntegrationAssociationArn"].endswith(f"/{association}")
            if event["LogicalResourceId"] == output_resource:
                assert response.body["Data"][output_attribute] == (
                    f"arn:aws:app-integrations:{REGION}:{ACCOUNT}:data-integration-association/"
                    f"{DOCUMENTS_ID}/{KNOWLEDGE_BASE_ASSOCIATION}"
                )

    calls = fresh_emulator.update_calls()
    assert len(calls) == expected_calls
    # The on-demand resource re-ran once for the new rerun token; the scheduled one has no token.
    assert expected_calls == 3
    # What reached the service is exactly what the template declared, resource by resource.
    declared = {targets[logical_id].split("|")[1]: props["ExecutionConfiguration"] for logical_id, props in v1.items()}
    for call in calls:
        association = call.identifiers["DataIntegrationAssociationIdentifier"]
        assert call.body == {"ExecutionConfiguration": declared[association]}
    assert {call.body["ExecutionConfiguration"]["ExecutionMode"] for call in calls} == {"ON_DEMAND", "SCHEDULED"}
    # The lookup listed at Create and at each Update (three events), never at Delete.
    assert [call.identifiers["DataIntegrationIdentifier"] for call in fresh_emulator.list_calls()] == [DOCUMENTS_ID] * 3
