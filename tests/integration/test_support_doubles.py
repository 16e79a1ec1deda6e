"""Tests of the test doubles themselves: if these lie, every integration test lies with them.

Each test pins a behaviour a handler test will rely on: that a real boto3 client is
understood (ARN path labels included), that faults surface as the botocore error codes the
handler must handle, that malformed requests are caught, that crhelper's own TLS ``PUT``
reaches the receiver, and that the Lambda-like process really is isolated and really dies
at its deadline.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from testkit.account import arn
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CFN_RESPONSE_LIMIT_BYTES, CfnResponseReceiver
from testkit.emulator import LIST_OPERATION, UPDATE_OPERATION, AppIntegrationsEmulator
from testkit.lambda_process import DUMMY_CREDENTIALS, EXECUTION_ENV, invoke, invoke_many

pytestmark = [pytest.mark.integration, pytest.mark.harness]

ON_DEMAND = {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {"StartTime": "1700000000000"}}


def make_client(
    endpoint_url: str,
    *,
    region: str = "us-east-1",
    key: str = "AKIATESTTESTTESTTEST",
    token: str | None = None,
    **config: Any,
) -> Any:
    """A real boto3 client with retries off, so that one fault gives one error."""
    return boto3.client(
        "appintegrations",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=key,
        aws_secret_access_key="test-secret-key-not-real",
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


def update_on_demand(client: Any) -> Any:
    """Set di-1/assoc-1 ON_DEMAND through ``client``."""
    return client.update_data_integration_association(
        DataIntegrationIdentifier="di-1",
        DataIntegrationAssociationIdentifier="assoc-1",
        ExecutionConfiguration=ON_DEMAND,
    )


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    """Poll ``condition`` every 10 ms until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def signed_request(
    endpoint_url: str, method: str, path: str, body: bytes = b"", *, region: str = "us-east-1"
) -> tuple[int, str | None, dict[str, Any]]:
    """Send a SigV4-signed request with http.client, bypassing boto3's client-side validation."""
    request = AWSRequest(
        method=method, url=endpoint_url + path, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials("AKIATESTTESTTESTTEST", "test-secret-key-not-real"), "app-integrations", region).add_auth(
        request
    )
    return raw_request(endpoint_url, method, path, body, dict(request.headers.items()))


def raw_request(
    endpoint_url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str | None, dict[str, Any]]:
    split = urlsplit(endpoint_url)
    connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        return response.status, response.getheader("x-amzn-ErrorType"), json.loads(payload or b"{}")
    finally:
        connection.close()


def update_path(data_integration: str, association: str) -> str:
    """The request URI exactly as botocore renders it (non-greedy labels: nothing is safe)."""
    return f"/dataIntegrations/{quote(data_integration, safe='')}/associations/{quote(association, safe='')}"


# -- emulator ------------------------------------------------------------------------------


def test_describe_stacks_answers_the_status_set_and_refuses_an_unknown_stack(
    fresh_emulator: AppIntegrationsEmulator,
) -> None:
    """CloudFormation's query protocol, as botocore sends and parses it; apart from AppIntegrations' requests."""
    stack_id = arn("cloudformation", "stack/Probe/0f1e2d3c-0000-4000-8000-000000000000")
    client = boto3.client(
        "cloudformation",
        region_name="us-east-1",
        endpoint_url=fresh_emulator.endpoints["AWS_ENDPOINT_URL_CLOUDFORMATION"],
        aws_access_key_id="ASIATESTTESTTESTTEST",
        aws_secret_access_key="test-secret-key-not-real",
        aws_session_token="token",
        config=Config(retries={"total_max_attempts": 1}),
    )
    fresh_emulator.set_stack_status(stack_id, "UPDATE_IN_PROGRESS")
    fresh_emulator.set_stack_status(stack_id, "UPDATE_ROLLBACK_IN_PROGRESS")

    [by_id] = client.describe_stacks(StackName=stack_id)["Stacks"]
    [by_name] = client.describe_stacks(StackName="Probe")["Stacks"]
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        client.describe_stacks(StackName="Nope")

    assert (by_id["StackId"], by_id["StackName"], by_id["StackStatus"]) == (
        stack_id,
        "Probe",
        "UPDATE_ROLLBACK_IN_PROGRESS",
    )
    assert by_name == by_id
    assert unknown.value.response["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "Stack with id Nope does not exist",
    }
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fresh_emulator.describe_stacks_calls == [stack_id, "Probe", "Nope"]
    assert (fresh_emulator.requests, fresh_emulator.counters().attempts) == ([], 0)  # not AppIntegrations' traffic


def test_update_with_plain_ids_changes_only_that_association(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    untouched = fresh_emulator.add_association("di-1", "assoc-2")

    response = update_on_demand(make_client(fresh_emulator.endpoint_url))

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    [call] = fresh_emulator.update_calls()
    assert (call.method, call.path, call.status) == ("PATCH", "/dataIntegrations/di-1/associations/assoc-1", 200)
    assert call.body == {"ExecutionConfiguration": ON_DEMAND}
    assert call.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIATESTTESTTESTTEST/")
    association = fresh_emulator.get_association("di-1", "assoc-1")
    assert (association.execution_configuration, association.update_count) == (ON_DEMAND, 1)
    assert fresh_emulator.get_association("di-1", "assoc-2") == untouched


def test_update_with_arn_identifiers_decodes_each_path_label(fresh_emulator: AppIntegrationsEmulator) -> None:
    association = fresh_emulator.add_association("di-arn", "assoc-arn", account="444455556666", region="us-east-1")

    make_client(fresh_emulator.endpoint_url).update_data_integration_association(
        DataIntegrationIdentifier=association.data_integration_arn,
        DataIntegrationAssociationIdentifier=association.association_arn,
        ExecutionConfiguration=ON_DEMAND,
    )

    [call] = fresh_emulator.update_calls()
    # botocore encodes ':' and '/' inside a non-greedy label, so the path keeps five segments.
    assert call.path == update_path(association.data_integration_arn, association.association_arn)
    assert call.path.count("/") == 4  # ':' is %3A, '/' is %2F
    assert call.identifiers == {
        "DataIntegrationIdentifier": "arn:aws:app-integrations:us-east-1:444455556666:data-integration/di-arn",
        "DataIntegrationAssociationIdentifier": (
            "arn:aws:app-integrations:us-east-1:444455556666:data-integration-association/di-arn/assoc-arn"
        ),
    }
    assert fresh_emulator.get_association("di-arn", "assoc-arn").execution_configuration == ON_DEMAND


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 429, "ThrottlingException"),
        ("internal", 500, "InternalServiceError"),
        ("access_denied", 403, "AccessDeniedException"),
        ("invalid", 400, "InvalidRequestException"),
        ("not_found", 404, "ResourceNotFoundException"),
    ],
)
def test_injected_fault_surfaces_as_botocore_error_code(
    fresh_emulator: AppIntegrationsEmulator, kind: Any, status: int, code: str
) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    client = make_client(fresh_emulator.endpoint_url)
    fresh_emulator.inject(kind)

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        update_on_demand(client)
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert "injected fault" in caught.value.response["Error"]["Message"]
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 0

    update_on_demand(client)  # consumed: the next call goes through, and both were recorded
    assert [(c.fault, c.status) for c in fresh_emulator.update_calls()] == [(kind, status), (None, 200)]


def update_error(client: Any) -> str | None:
    """The error code of ``update_on_demand``, or ``None``."""
    try:
        update_on_demand(client)
    except botocore.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def test_faults_are_consumed_in_order_and_can_target_one_operation(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    client = make_client(fresh_emulator.endpoint_url)
    fresh_emulator.inject("throttle", operation=UPDATE_OPERATION)
    fresh_emulator.inject("internal", times=2)

    with pytest.raises(botocore.exceptions.ClientError, match="InternalServiceError"):
        client.list_data_integration_associations(DataIntegrationIdentifier="di-1")  # skips the update-only fault
    assert [update_error(client) for _ in range(3)] == ["ThrottlingException", "InternalServiceError", None]
    assert [r.operation for r in fresh_emulator.requests] == [LIST_OPERATION] + [UPDATE_OPERATION] * 3


def test_fault_queue_is_thread_safe(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.inject("throttle", times=6)
    clients = [make_client(fresh_emulator.endpoint_url) for _ in range(12)]  # boto3's session is not thread-safe
    outcomes: list[str | None] = []
    threads = [threading.Thread(target=lambda c=client: outcomes.append(update_error(c))) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcomes, key=str) == [None] * 6 + ["ThrottlingException"] * 6
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 6


def test_unknown_resources_give_404_naming_what_is_missing(fresh_emulator: AppIntegrationsEmulator) -> None:
    known = fresh_emulator.add_association("di-1", "assoc-1")
    other = fresh_emulator.add_association("di-2", "assoc-9")
    client = make_client(fresh_emulator.endpoint_url)

    def not_found(di: str, assoc: str) -> dict[str, Any]:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            client.update_data_integration_association(
                DataIntegrationIdentifier=di,
                DataIntegrationAssociationIdentifier=assoc,
                ExecutionConfiguration=ON_DEMAND,
            )
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return dict(caught.value.response["Error"])

    missing_di = not_found("di-missing", "assoc-1")
    assert (missing_di["Code"], missing_di["Message"]) == (
        "ResourceNotFoundException",
        "Data integration 'di-missing' not found",
    )
    missing_assoc = not_found(known.data_integration_arn, "assoc-missing")
    assert missing_assoc["Message"].startswith("Data integration association 'assoc-missing' not found")
    # An association exists only under its own data integration; the same ARN in another region is another resource.
    assert "not found" in not_found("di-1", other.association_arn)["Message"]
    other_region = known.data_integration_arn.replace("us-east-1", "eu-west-1")
    assert "not found" in not_found(other_region, "assoc-1")["Message"]


def scheduled(**schedule: str) -> dict[str, Any]:
    """An Update body with a SCHEDULED configuration of exactly ``schedule``."""
    return {"ExecutionConfiguration": {"ExecutionMode": "SCHEDULED", "ScheduleConfiguration": schedule}}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param({}, "body.ExecutionConfiguration: required member is missing", id="missing-configuration"),
        pytest.param({"ExecutionConfiguration": None}, "required member is missing", id="null-is-absent"),
        pytest.param({"ExecutionConfiguration": "ON_DEMAND"}, "expected structure, got str", id="wrong-type"),
        pytest.param({"ExecutionConfiguration": {"ExecutionMode": "WEEKLY"}}, "'WEEKLY' is not one of", id="enum"),
        pytest.param(
            {"ExecutionConfiguration": {"ExecutionMode": "ON_DEMAND", "OnDemandConfiguration": {}}},
            "OnDemandConfiguration.StartTime: required member is missing",
            id="missing-nested-required",
        ),
        pytest.param(
            {"ExecutionConfiguration": ON_DEMAND, "DataIntegrationIdentifier": "di-1"},
            "unknown member 'DataIntegrationIdentifier'",
            id="uri-member-in-body",
        ),
        pytest.param(scheduled(ScheduleExpression=""), "length 0 is below the minimum 1", id="min-length"),
        pytest.param(scheduled(ScheduleExpression="9" * 256), "length 256 is above the maximum 255", id="max-length"),
        pytest.param(scheduled(ScheduleExpression="  "), "does not match pattern", id="pattern"),
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
    ],
)
def test_malformed_update_body_is_rejected(fresh_emulator: AppIntegrationsEmulator, body: Any, fragment: str) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    status, error_type, payload = signed_request(
        fresh_emulator.endpoint_url, "PATCH", update_path("di-1", "assoc-1"), raw
    )

    assert (status, error_type) == (400, "InvalidRequestException")
    assert fragment in payload["Message"]
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 0


def test_path_labels_are_checked_against_the_model(fresh_emulator: AppIntegrationsEmulator) -> None:
    association = fresh_emulator.add_association("di-1", "assoc-1")
    body = json.dumps({"ExecutionConfiguration": ON_DEMAND}).encode()
    arn_path = update_path(association.data_integration_arn, association.association_arn)

    assert signed_request(fresh_emulator.endpoint_url, "PATCH", arn_path, body) == (200, None, {})
    status, error_type, payload = signed_request(
        fresh_emulator.endpoint_url, "PATCH", update_path("d" * 256, "assoc-1"), body
    )
    assert (status, error_type) == (400, "InvalidRequestException")
    assert "DataIntegrationIdentifier: length 256 is above the maximum 255" in payload["Message"]
    for query in ("maxResults=%C2%B2", "nextToken=%C2%B2"):  # '²' is a digit to str.isdigit, not to int()
        answer = signed_request(fresh_emulator.endpoint_url, "GET", f"/dataIntegrations/di-1/associations?{query}")
        assert answer[:2] == (400, "InvalidRequestException")


def test_an_emulator_crash_is_kept_for_the_test_to_fail_on(
    fresh_emulator: AppIntegrationsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of the emulator drops the connection, which the product would retry: it must not pass unseen."""
    monkeypatch.setattr("testkit.emulator._Handler.respond", lambda self: 1 / 0)
    with pytest.raises(http.client.RemoteDisconnected):
        signed_request(fresh_emulator.endpoint_url, "GET", "/dataIntegrations/di-1/associations")
    crashes, fresh_emulator.crashes = fresh_emulator.crashes, []
    assert [crash.splitlines()[-1] for crash in crashes] == ["ZeroDivisionError: division by zero"]


def test_requests_must_be_sigv4_signed_for_this_service_and_region(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    unsigned = boto3.client(
        "appintegrations",
        region_name="us-east-1",
        endpoint_url=fresh_emulator.endpoint_url,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        unsigned.list_data_integration_associations(DataIntegrationIdentifier="di-1")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"

    status, error_type, payload = raw_request(
        fresh_emulator.endpoint_url,
        "GET",
        "/dataIntegrations/di-1/associations",
        headers={"Authorization": "Basic Zm9v"},
    )
    assert (status, error_type) == (403, "IncompleteSignatureException")
    assert "AWS4-HMAC-SHA256" in payload["Message"]

    wrong_region = make_client(fresh_emulator.endpoint_url, region="eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        wrong_region.list_data_integration_associations(DataIntegrationIdentifier="di-1")
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "eu-west-1" in caught.value.response["Error"]["Message"]
    # Lambda's keys are temporary (ASIA...): without their session token AWS does not know them.
    temporary = [make_client(fresh_emulator.endpoint_url, key="ASIATESTTESTTESTTEST", token=t) for t in (None, "tok")]
    assert [update_error(client) for client in temporary] == ["UnrecognizedClientException", None]
    assert [r.status for r in fresh_emulator.requests] == [403, 403, 403, 403, 200]


def test_list_answers_the_models_summaries_page_by_page(fresh_emulator: AppIntegrationsEmulator) -> None:
    """The lookup and the integ tests' assertions read this answer: every member of the model's summary, valid."""
    from botocore.model import StructureShape

    from testkit.emulator import service_model, validate_shape

    created = [
        fresh_emulator.add_association("di-list", f"assoc-{n}", execution_configuration=ON_DEMAND) for n in range(3)
    ]
    fresh_emulator.add_association("di-other", "assoc-x", client_id="", destination_uri="", execution_configuration={})
    client = make_client(fresh_emulator.endpoint_url)

    pages = list(
        client.get_paginator("list_data_integration_associations").paginate(
            DataIntegrationIdentifier=created[0].data_integration_arn, PaginationConfig={"PageSize": 2}
        )
    )

    assert [len(page["DataIntegrationAssociations"]) for page in pages] == [2, 1]
    items = [item for page in pages for item in page["DataIntegrationAssociations"]]
    assert [item["DataIntegrationAssociationArn"] for item in items] == [a.association_arn for a in created]
    assert [call.query.get("maxResults") for call in fresh_emulator.list_calls()] == [["2"], ["2"]]
    # The NextToken is opaque and good only for its own listing.
    token = client.list_data_integration_associations(DataIntegrationIdentifier="di-list", MaxResults=1)["NextToken"]
    for di, bad in (("di-list", "1"), ("di-other", token)):
        with pytest.raises(client.exceptions.InvalidRequestException):
            client.list_data_integration_associations(DataIntegrationIdentifier=di, NextToken=bad)
    # The raw answer, member for member: nothing missing, nothing extra, every constraint kept.
    status, _, raw = signed_request(fresh_emulator.endpoint_url, "GET", "/dataIntegrations/di-list/associations")
    output, summary = (
        service_model().operation_model(LIST_OPERATION).output_shape,
        service_model().shape_for("DataIntegrationAssociationSummary"),
    )
    assert isinstance(output, StructureShape)
    assert isinstance(summary, StructureShape)
    assert (status, validate_shape(output, raw, "body")) == (200, [])
    assert set(raw["DataIntegrationAssociations"][0]) == set(summary.members)
    assert raw["DataIntegrationAssociations"] == items
    # What CreateDataIntegrationAssociation left out is absent; an empty list is too (the model's has 1 to 50).
    fresh_emulator.add_data_integration("di-empty")
    bare, empty = (
        signed_request(fresh_emulator.endpoint_url, "GET", f"/dataIntegrations/{di}/associations")[2]
        for di in ("di-other", "di-empty")
    )
    assert (validate_shape(output, bare, "body"), validate_shape(output, empty, "body"), empty) == ([], [], {})
    [bare_item] = bare["DataIntegrationAssociations"]
    assert set(summary.members) - set(bare_item) == {"ClientId", "DestinationURI", "ExecutionConfiguration"}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_data_integration_associations(DataIntegrationIdentifier="di-nope")


def test_hang_answers_late_or_holds_the_request_until_close_releases_it() -> None:
    with AppIntegrationsEmulator() as emu:
        emu.add_association("di-1", "assoc-1")
        emu.inject("hang", hang_seconds=0.3)
        started = time.monotonic()
        update_on_demand(make_client(emu.endpoint_url))  # a slow service, not a dead one
        assert time.monotonic() - started >= 0.3
        assert emu.get_association("di-1", "assoc-1").update_count == 1

        emu.inject("hang")  # ten minutes
        client = make_client(emu.endpoint_url, read_timeout=0.5)
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            client.list_data_integration_associations(DataIntegrationIdentifier="di-1")
        assert [(r.fault, r.status) for r in emu.requests] == [("hang", 200), ("hang", None)]
        closing = time.monotonic()
    assert time.monotonic() - closing < 1.0


@pytest.mark.parametrize(
    ("kind", "cause"), [("close", http.client.RemoteDisconnected), ("reset", ConnectionResetError)]
)
def test_close_and_reset_drop_the_connection_after_the_update_lands(
    fresh_emulator: AppIntegrationsEmulator, kind: Any, cause: type[Exception]
) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.inject(kind, operation=UPDATE_OPERATION)
    client = make_client(fresh_emulator.endpoint_url)
    client.list_data_integration_associations(DataIntegrationIdentifier="di-1")  # passes the Update's fault by

    with pytest.raises(botocore.exceptions.ConnectionClosedError) as caught:
        update_on_demand(client)

    # urllib3's ProtocolError("Connection aborted.", cause): a FIN gives RemoteDisconnected (a
    # subclass of ConnectionResetError), an RST a plain ConnectionResetError, hence ``is``.
    assert type(caught.value.kwargs["error"].args[1]) is cause
    association = fresh_emulator.get_association("di-1", "assoc-1")
    assert (association.update_count, association.execution_configuration) == (1, ON_DEMAND)  # it landed
    assert [(c.fault, c.status) for c in fresh_emulator.update_calls()] == [(kind, None)]  # never answered
    assert fresh_emulator.counters().attempts == 2
    update_on_demand(client)  # consumed: the client reconnects and gets through
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 2


def test_trickle_answers_correctly_but_slower_than_the_read_timeout(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.inject("trickle", trickle_interval_s=0.005)  # about 1 s for the ~200 bytes
    client = make_client(fresh_emulator.endpoint_url, read_timeout=0.5)  # 100 pauses: every read is in time

    started = time.monotonic()
    response = update_on_demand(client)

    assert time.monotonic() - started >= 200 * 0.005  # the status line and headers alone pass 200 bytes
    [call] = fresh_emulator.update_calls()
    assert (call.fault, call.status, call.abandoned) == ("trickle", 200, False)
    assert response["ResponseMetadata"]["RequestId"] == call.request_id  # the headers arrived intact
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 1


def test_trickle_records_a_client_that_gives_up(fresh_emulator: AppIntegrationsEmulator) -> None:
    fresh_emulator.add_association("di-1", "assoc-1")
    fresh_emulator.inject("trickle", trickle_interval_s=0.2)
    client = make_client(fresh_emulator.endpoint_url, read_timeout=0.05)  # a quarter of a pause: gives up at byte 2

    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        update_on_demand(client)

    # The emulator's next write or the one after fails (0.4 s; 5 s allowed, as under load it may even record the
    # request after the client gave up).
    assert wait_until(lambda: any(call.abandoned for call in fresh_emulator.update_calls()), timeout=5)
    [call] = fresh_emulator.update_calls()
    assert (call.fault, call.status) == ("trickle", 200)
    assert fresh_emulator.get_association("di-1", "assoc-1").update_count == 1  # landed all the same


# -- CloudFormation response receiver -------------------------------------------------------


def cfn_body(request_id: str, **overrides: Any) -> dict[str, Any]:
    stack_id = arn("cloudformation", "stack/demo/guid")
    body = {"Status": "SUCCESS", "PhysicalResourceId": "physical-1", "StackId": stack_id, "RequestId": request_id}
    return {**body, "LogicalResourceId": "Execution", "Reason": "", "Data": {}, **overrides}


@contextlib.contextmanager
def put_sent(
    receiver: CfnResponseReceiver, url: str, body: Any, context: ssl.SSLContext | None = None, headers: Any = None
) -> Iterator[http.client.HTTPSConnection]:
    """An http.client connection that has sent ``body`` to ``url``, trusting only the receiver: JSON, or a list chunked."""
    split = urlsplit(url)
    connection = http.client.HTTPSConnection(
        split.hostname or "", split.port, context=context or receiver.client_context(), timeout=5
    )
    try:
        payload = iter(body) if isinstance(body, list) else json.dumps(body)
        connection.request("PUT", f"{split.path}?{split.query}", body=payload, headers=headers or {})
        yield connection
    finally:
        connection.close()


def https_put(receiver: CfnResponseReceiver, url: str, body: Any, headers: Any = None) -> tuple[int, bytes]:
    """PUT ``body`` as JSON to ``url``; the answer's status and body."""
    with put_sent(receiver, url, body, headers=headers) as connection:
        response = connection.getresponse()
        return response.status, response.read()


def tcp_ending(receiver: CfnResponseReceiver, url: str, body: Any) -> str:
    """How the receiver ends a PUT's connection, as TCP delivers it: ``"FIN"`` or ``"RST"``.

    Read beneath TLS, since Python's ssl before 3.13 reports an RST as an EOF (CPython gh-115627), and
    over TLS 1.2, which sends nothing after the handshake (1.3 sends session tickets), so the ending comes first.
    """
    context = receiver.client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with put_sent(receiver, url, body, context) as connection:
        try:
            return "FIN" if socket.socket.recv(connection.sock, 1, socket.MSG_PEEK) == b"" else "data"
        except ConnectionResetError:
            return "RST"


def test_the_certificate_is_a_strict_p256_anchor_trusted_only_through_its_file(
    fresh_receiver: CfnResponseReceiver,
) -> None:
    certificate = x509.load_pem_x509_certificate(fresh_receiver.ca_file.read_bytes())
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert isinstance(public_key.curve, ec.SECP256R1)
    assert certificate.issuer == certificate.subject
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    # A day either side of when the session's receiver started (a whole CI run, 90 min at most, may have passed).
    now = dt.datetime.now(dt.timezone.utc)
    before, after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    assert abs((after - before) - dt.timedelta(days=2)) <= dt.timedelta(seconds=1)
    assert dt.timedelta(days=1) - dt.timedelta(seconds=5) <= now - before <= dt.timedelta(days=1, hours=2)

    url = fresh_receiver.response_url("req-1")
    with pytest.raises(ssl.SSLCertVerificationError), put_sent(fresh_receiver, url, {}, ssl.create_default_context()):
        pass  # the system's trust does not know it
    # crhelper's own PUT, in a fresh interpreter that trusts the certificate through SSL_CERT_FILE alone
    send = "import json, sys\nfrom crhelper.utils import _send_response\n_send_response(sys.argv[1], json.loads(sys.argv[2]))"
    env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(fresh_receiver.ca_file)}
    sent = subprocess.run(
        [sys.executable, "-c", send, url, json.dumps(cfn_body("req-1"))], env=env, capture_output=True, check=False
    )
    assert sent.returncode == 0, sent.stderr
    # Python 3.13 (Lambda's python3.13) turns VERIFY_X509_STRICT on by default; the certificate passes it.
    assert https_put(fresh_receiver, url.replace("127.0.0.1", "localhost"), cfn_body("req-1"))[0] == 200
    crhelpers, strict = fresh_receiver.wait_for("req-1")
    assert (crhelpers.method, crhelpers.status, crhelpers.signature_valid, crhelpers.problems) == ("PUT", 200, True, [])
    assert crhelpers.headers["content-type"] == ""
    assert crhelpers.body == strict.body == cfn_body("req-1")


def test_scripted_answers_are_s3_errors_or_dropped_connections_in_order(fresh_receiver: CfnResponseReceiver) -> None:
    url = fresh_receiver.response_url("req-1")
    expected = [
        (500, "InternalError", "We encountered an internal error. Please try again."),
        (503, "SlowDown", "Please reduce your request rate."),
        (429, "TooManyRequests", "Please reduce your request rate."),
        (403, "AccessDenied", "Request has expired"),
    ]
    drops: list[Any] = ["close", "reset"]
    fresh_receiver.answer_next(500, 503, 429, 403, *drops, *drops)

    for status, code, message in expected:
        answer_status, payload = https_put(fresh_receiver, url, cfn_body("req-1"))
        assert answer_status == status
        assert f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode() in payload
    # http.client (crhelper's client) raises RemoteDisconnected for a FIN; for an RST a plain
    # ConnectionResetError from Python 3.13, RemoteDisconnected before (see tcp_ending); both
    # are ConnectionResetError, so the ending itself is checked beneath TLS.
    for _ in drops:
        with pytest.raises(ConnectionResetError):
            https_put(fresh_receiver, url, cfn_body("req-1"))
    assert [tcp_ending(fresh_receiver, url, cfn_body("req-1")) for _ in drops] == ["FIN", "RST"]

    assert https_put(fresh_receiver, url, cfn_body("req-1")) == (200, b"")  # the script is used up
    responses = fresh_receiver.responses_for("req-1")
    assert [(r.status, r.scripted) for r in responses] == [(s, s) for s, _, _ in expected] + [
        (None, drop) for drop in drops * 2
    ] + [(200, None)]
    assert all(r.body == cfn_body("req-1") for r in responses)
    with pytest.raises(ValueError, match="cannot script"):
        fresh_receiver.answer_next(404)  # type: ignore[arg-type]


def test_response_url_looks_presigned_and_only_it_gets_through(fresh_receiver: CfnResponseReceiver) -> None:
    url = fresh_receiver.response_url("req-1")
    assert re.fullmatch(
        rf"https://127\.0\.0\.1:{fresh_receiver.port}/arn%3Aaws%3Acloudformation%3Aus-east-1%3A\d{{12}}%3Astack/"
        r"demo/[\w-]+%7CExecution%7Creq-1\?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        r"&X-Amz-Credential=AKIAEXAMPLE%2F\d{8}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=\d{8}T\d{6}Z"
        r"&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Security-Token=[\w-]+&X-Amz-Signature=[0-9a-f]{64}",
        url,
    )
    assert fresh_receiver.response_url("req-1") == url
    signature, token = fresh_receiver.secrets_for("req-1")
    assert url.endswith(f"X-Amz-Signature={signature}")
    assert token in url
    fresh_receiver.response_url("req-2")
    assert fresh_receiver.secrets_for("req-2")[0] != signature

    # S3 decodes the path once: a path encoded twice names another object (and fails the signature).
    for other in (url.replace(signature, "0" * 64), url.replace("req-1", "never-issued"), url.replace("%3A", "%253A")):
        status, payload = https_put(fresh_receiver, other, cfn_body("req-1"))
        assert status == 403
        assert b"SignatureDoesNotMatch" in payload
    # CloudFormation's SigV2 URLs sign the Content-Type, as empty (what crhelper and CDK send).
    status, payload = https_put(fresh_receiver, url, cfn_body("req-1"), headers={"Content-Type": "application/json"})
    assert (status, b"SignatureDoesNotMatch" in payload) == (403, True)
    # S3 takes no chunked PUT: 501 NotImplemented (Header: Transfer-Encoding).
    status, payload = https_put(fresh_receiver, url, [json.dumps(cfn_body("req-1")).encode()])
    assert (status, b"<Code>NotImplemented</Code>" in payload) == (501, True)
    responses = fresh_receiver.wait_for("never-issued", timeout=0.1) + fresh_receiver.responses_for("req-1")
    assert [(r.status, r.signature_valid) for r in responses] == [(403, False), (403, False), (403, False), (501, True)]
    assert all(r.problems[-1:] == [f"S3 did not store it ({r.status})"] for r in responses)  # nor CloudFormation
    started = time.monotonic()
    assert fresh_receiver.wait_for("req-2", timeout=0.2) == []
    assert 0.2 <= time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        pytest.param({"Status": "FAILED"}, "Reason is required when Status is FAILED", id="failed-no-reason"),
        pytest.param({"Status": "OK"}, "neither SUCCESS nor FAILED", id="bad-status"),
        pytest.param({"PhysicalResourceId": ""}, "missing PhysicalResourceId", id="no-physical-id"),
        pytest.param({"RequestId": "someone-else"}, "does not match the URL", id="wrong-request-id"),
        pytest.param(
            {"Data": {"Blob": "x" * CFN_RESPONSE_LIMIT_BYTES}}, "CloudFormation's limit is 4096", id="too-big"
        ),
    ],
)
def test_problems_flag_bodies_cloudformation_would_refuse(
    fresh_receiver: CfnResponseReceiver, overrides: dict[str, Any], problem: str
) -> None:
    url = fresh_receiver.response_url("req-1")
    assert https_put(fresh_receiver, url, cfn_body("req-1", **overrides))[0] == 200  # S3 stores anything
    [response] = fresh_receiver.wait_for("req-1")
    assert any(problem in p for p in response.problems), response.problems


# -- Lambda-like process -------------------------------------------------------------------

LAMBDA_VARIABLES = """PATH LANG TZ AWS_REGION AWS_DEFAULT_REGION AWS_EXECUTION_ENV AWS_LAMBDA_FUNCTION_NAME
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_FUNCTION_VERSION AWS_LAMBDA_INITIALIZATION_TYPE AWS_LAMBDA_LOG_GROUP_NAME
    AWS_LAMBDA_LOG_STREAM_NAME AWS_LAMBDA_LOG_FORMAT AWS_LAMBDA_RUNTIME_API LAMBDA_TASK_ROOT _HANDLER AWS_ACCESS_KEY_ID
    AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE PYTHONPATH PYTHONDONTWRITEBYTECODE
    PYTHONUNBUFFERED""".split()  # noqa: SIM905 - one name a line would be 24 lines


@pytest.mark.parametrize("extra_packages", [[], ["crhelper"]])
def test_lambda_process_context_environment_and_isolation(probe_dir: Path, extra_packages: list[str]) -> None:
    result = invoke(
        probe_dir, {"name": "one"}, env={"EXTRA_SETTING": "yes"}, timeout_ms=5000, extra_packages=extra_packages
    )

    assert result.ok, result.output
    assert (result.returncode, result.cold_start) == (0, True)
    response = result.response
    # A real, decreasing deadline computed from timeout_ms.
    assert 4000 < response["before"] <= 5000
    assert 150 <= response["before"] - response["after"] <= 1500
    env = response["env"]
    # LC_CTYPE: Python's own C-locale coercion, when en_US is absent; _X_AMZN_TRACE_ID: the runtime client's.
    assert set(env) - {"LC_CTYPE"} == {*LAMBDA_VARIABLES, "_X_AMZN_TRACE_ID", "EXTRA_SETTING"}
    assert env["EXTRA_SETTING"] == "yes"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == EXECUTION_ENV == "AWS_Lambda_python3.14"
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "Text"  # Lambda's default; no level without the JSON format
    assert env["LAMBDA_TASK_ROOT"] == response["cwd"] == response["sys_path"][0] == str(probe_dir.resolve())
    assert env["AWS_SESSION_TOKEN"] == DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"]
    assert response["importable"] == {
        "boto3": True,
        "botocore": True,
        "crhelper": bool(extra_packages),
        "pytest": False,
        "tests": False,
        "testkit": False,
    }
    name = env["AWS_LAMBDA_FUNCTION_NAME"]
    assert response["context"] == {
        "aws_request_id": result.request_id,
        "function_name": name,
        "invoked_function_arn": arn("lambda", f"function:{name}"),
        "memory_limit_in_mb": "128",  # a string, as in the real runtime
        "log_group_name": f"/aws/lambda/{name}",
        "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"],
    }
    # Lambda's root log handler: request id on each record, root level WARNING.
    assert f"\t{result.request_id}\twarning for one" in result.stdout
    assert "info is below the root level" not in result.output
    assert result.stdout.startswith("init ran\n")
    assert "stdout line for one" in result.stdout
    assert result.stderr == "stderr line for one\n"
    assert 0.2 <= result.duration_s < 2


def test_invoke_many_keeps_the_container_warm_until_it_dies(probe_dir: Path) -> None:
    events = [
        {"name": "a", "sleep": 0},
        {"name": "b", "sleep": 0, "raise": True},
        {"name": "c", "sleep": 0},
        {"name": "d", "sleep": 30},
        {"name": "e", "sleep": 0},
    ]

    a, b, c, d, e = invoke_many(probe_dir, events, env={}, timeout_ms=700)

    assert [r.status for r in (a, b, c, d, e)] == ["ok", "error", "ok", "timeout", "ok"]
    assert [r.cold_start for r in (a, b, c, d, e)] == [True, False, False, False, True]
    assert a.pid == b.pid == c.pid == d.pid != e.pid
    # Module state survives a handler exception, not a timeout.
    assert (a.response["invocations"], c.response["invocations"], e.response["invocations"]) == (1, 3, 1)
    assert (b.returncode, d.returncode) == (1, -signal.SIGKILL)
    assert f"{d.request_id} Task timed out after 0.70 seconds" in d.stdout
    assert 0.65 <= d.duration_s < 2
    assert "stdout line for d" not in d.stdout  # nothing runs after the deadline
    # Output is split per invocation; init output goes with each cold start.
    assert ("init ran" in a.stdout, "init ran" in c.stdout, "init ran" in e.stdout) == (True, False, True)
    assert (e.init_duration_s is not None, c.init_duration_s) == (True, None)
    assert (b.stderr, c.stderr) == ("stderr line for b\n", "stderr line for c\n")
    assert len({r.request_id for r in (a, b, c, d, e)}) == 5


# -- all three together, with crhelper ------------------------------------------------------

CRHELPER_HANDLER = """
import os, boto3
from crhelper import CfnResource
helper = CfnResource(log_level=os.environ["CRHELPER_LOG_LEVEL"], sleep_on_delete=0)

@helper.create
def create(event, context):
    boto3.client("appintegrations").update_data_integration_association(**event["ResourceProperties"])
    return "execution-1"

def handler(event, context):
    helper(event, context)
"""


@pytest.mark.parametrize("log_level", ["INFO", "DEBUG"])
def test_crhelper_handler_round_trip_through_all_doubles(
    tmp_path: Path,
    fresh_emulator: AppIntegrationsEmulator,
    fresh_receiver: CfnResponseReceiver,
    lambda_env: dict[str, str],
    log_level: str,
) -> None:
    """crhelper's own TLS PUT reaches the receiver, trusting its certificate through SSL_CERT_FILE alone."""
    association = fresh_emulator.add_association("di-e2e", "assoc-e2e")
    (tmp_path / "index.py").write_text(textwrap.dedent(CRHELPER_HANDLER))
    request_id = str(uuid.uuid4())
    event = cfn_event(
        "Create",
        {
            "DataIntegrationIdentifier": association.data_integration_arn,
            "DataIntegrationAssociationIdentifier": association.association_arn,
            "ExecutionConfiguration": ON_DEMAND,
        },
        request_id=request_id,
        response_url=fresh_receiver.response_url(request_id),
        stack_id=arn("cloudformation", "stack/demo/0f1e2d3c"),
        logical_id="Probe",
        resource_type="Custom::Probe",
    )

    result = invoke(
        tmp_path,
        event,
        env={**lambda_env, "CRHELPER_LOG_LEVEL": log_level},
        timeout_ms=20000,
        extra_packages=["crhelper"],
    )

    assert result.ok, result.output
    [response] = fresh_receiver.wait_for(request_id, timeout=5)
    assert (response.status, response.signature_valid, response.problems) == (200, True, [])
    assert response.body["Status"] == "SUCCESS", response.body
    assert response.body["PhysicalResourceId"] == "execution-1"
    [call] = fresh_emulator.update_calls()
    assert call.headers["x-amz-security-token"] == DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"]
    assert f"Credential={DUMMY_CREDENTIALS['AWS_ACCESS_KEY_ID']}/" in call.headers["authorization"]
    assert fresh_emulator.get_association("di-e2e", "assoc-e2e").execution_configuration == ON_DEMAND
    # The leak check the handler tests rely on can fail: crhelper logs the whole
    # pre-signed URL at DEBUG ("CFN response URL: ..."), and root is DEBUG by default.
    signature, token = fresh_receiver.secrets_for(request_id)
    leaked = signature in result.output or token in result.output
    assert leaked is (log_level == "DEBUG")
