"""The lookup: paging, the one-association rule and its wording, the filter, retries and List errors."""

from __future__ import annotations

from typing import Any

import pytest
from appintegrations_cr import constants, lookup
from appintegrations_cr.contract import parse_properties
from appintegrations_cr.errors import DeadlineError, ResolutionError, ServiceError
from appintegrations_cr.lookup import Candidate, choose, resolve

from testkit.account import ACCOUNT, REGION, arn
from testkit.appintegrations_stub import AppIntegrationsStub
from testkit.association_properties import ON_DEMAND, changed
from testkit.clock import FakeClock

pytestmark = pytest.mark.unit

ARN = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}"
KB = arn("wisdom", "knowledge-base/kb-1")
LOOKUP = changed(ON_DEMAND, "DataIntegrationAssociationIdentifier", ...)


def item(association_id: str, destination_uri: str = KB, client_id: str = "wisdom") -> dict[str, Any]:
    return {
        "DataIntegrationAssociationArn": f"{ARN}:data-integration-association/di-1/{association_id}",
        "DataIntegrationArn": f"{ARN}:data-integration/di-1",
        "ClientId": client_id,
        "DestinationURI": destination_uri,
    }


def candidate(association_id: str, destination_uri: str = KB) -> Candidate:
    return Candidate(f"{ARN}:data-integration-association/di-1/{association_id}", "wisdom", destination_uri)


def expect_page(
    stubber: AppIntegrationsStub, items: list[dict[str, Any]], token: str | None = None, after: str | None = None
) -> None:
    answer: dict[str, Any] = {"DataIntegrationAssociations": items}
    if token is not None:
        answer["NextToken"] = token
    expected: dict[str, Any] = {"DataIntegrationIdentifier": "di-1", "MaxResults": 50}
    if after is not None:
        expected["NextToken"] = after
    stubber.add_response("list_data_integration_associations", answer, expected)


def test_every_page_is_read_before_choosing(client: Any, stubber: AppIntegrationsStub) -> None:
    expect_page(stubber, [item("other-1", "s3://a")], token="p2")
    expect_page(stubber, [item("other-2", "s3://b")], token="p3", after="p2")
    expect_page(stubber, [item("assoc-7")], after="p3")
    request = parse_properties({**LOOKUP, "DestinationURI": KB})
    found = resolve(client, request, lambda: 60.0)
    assert (found.pages, found.candidates, found.attempts) == (3, 3, 3)
    assert found.target.association_identifier == "assoc-7"
    assert found.target.association_arn == f"{ARN}:data-integration-association/di-1/assoc-7"


def test_throttled_pages_are_retried(client: Any, stubber: AppIntegrationsStub) -> None:
    stubber.add_client_error("list_data_integration_associations", "ThrottlingException", "slow down", 429)
    expect_page(stubber, [item("assoc-7")])
    clock = FakeClock(60.0)
    found = resolve(client, parse_properties(LOOKUP), clock.remaining, clock.sleep)
    assert (found.attempts, len(clock.sleeps)) == (2, 1)


def test_access_denied_says_which_action_and_why_it_is_needed(client: Any, stubber: AppIntegrationsStub) -> None:
    stubber.add_client_error("list_data_integration_associations", "AccessDeniedException", "no", 403)
    with pytest.raises(ServiceError) as caught:
        resolve(client, parse_properties(LOOKUP), lambda: 60.0)
    assert str(caught.value).startswith(
        "Access denied for app-integrations:ListDataIntegrationAssociations on DataIntegrationIdentifier 'di-1'"
    )


def test_a_token_that_repeats_stops_the_paging(client: Any, stubber: AppIntegrationsStub) -> None:
    expect_page(stubber, [item("a-1")], token="again")
    expect_page(stubber, [item("a-2")], token="again", after="again")
    with pytest.raises(ResolutionError, match="did not end after 2 page"):
        resolve(client, parse_properties(LOOKUP), lambda: 60.0)


def test_paging_is_bounded(client: Any, stubber: AppIntegrationsStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "MAX_PAGES", 2)
    expect_page(stubber, [item("a-1")], token="p2")
    expect_page(stubber, [item("a-2")], token="p3", after="p2")
    with pytest.raises(ResolutionError, match="did not end after 2 page"):
        resolve(client, parse_properties(LOOKUP), lambda: 60.0)


def test_no_association_asks_for_the_consumer_first() -> None:
    with pytest.raises(ResolutionError) as caught:
        choose("di-1", [], None)
    assert str(caught.value) == (
        "DataIntegrationIdentifier 'di-1' has no association yet, so there is none to configure. Its consumer "
        "(e.g. the Amazon Q in Connect knowledge base) creates the association and must exist first; in CDK, make "
        "the execution depend on it (execution.node.add_dependency(knowledge_base)). "
        "Or give DataIntegrationAssociationIdentifier."
    )


def test_several_associations_are_listed_and_the_way_out_named() -> None:
    with pytest.raises(ResolutionError) as caught:
        choose("di-1", [candidate("a-1"), candidate("a-2", "s3://b")], None)
    assert str(caught.value) == (
        "DataIntegrationIdentifier 'di-1' has 2 associations, so which one to configure is ambiguous: "
        f"'a-1' (ClientId 'wisdom', DestinationURI '{KB}'); 'a-2' (ClientId 'wisdom', DestinationURI 's3://b'). "
        "Give DataIntegrationAssociationIdentifier, or DestinationURI to pick one."
    )


def test_a_filter_that_matches_none_lists_what_there_is() -> None:
    with pytest.raises(ResolutionError) as caught:
        choose("di-1", [candidate("a-1")], "s3://nothing")
    assert str(caught.value).startswith(
        "None of the 1 association(s) of DataIntegrationIdentifier 'di-1' has DestinationURI 's3://nothing': "
        f"'a-1' (ClientId 'wisdom', DestinationURI '{KB}'). Check DestinationURI"
    )


def test_a_filter_that_matches_several_asks_for_the_identifier() -> None:
    with pytest.raises(ResolutionError, match=r"^2 associations of DataIntegrationIdentifier 'di-1' have Dest"):
        choose("di-1", [candidate("a-1"), candidate("a-2"), candidate("a-3", "s3://b")], KB)


def test_a_long_listing_is_cut_after_ten() -> None:
    with pytest.raises(ResolutionError) as caught:
        choose("di-1", [candidate(f"a-{i}") for i in range(13)], None)
    assert "'a-9'" in str(caught.value)
    assert "'a-10'" not in str(caught.value)
    assert "; and 3 more. Give" in str(caught.value)


def test_persistent_server_errors_on_a_page_give_up_within_the_attempt_limit(
    client: Any, stubber: AppIntegrationsStub
) -> None:
    for _ in range(constants.MAX_FAILED_ATTEMPTS):
        stubber.add_client_error(
            "list_data_integration_associations",
            "InternalServiceError",
            "oops",
            500,
            response_meta={"RequestId": "r-9"},
        )
    clock = FakeClock(60.0)
    with pytest.raises(ServiceError) as caught:
        resolve(client, parse_properties(LOOKUP), clock.remaining, clock.sleep)
    assert str(caught.value).startswith(
        f"Gave up after {constants.MAX_FAILED_ATTEMPTS} attempt(s), 0 throttled, after repeated failures: AppIntegrations "
        "InternalServiceError listing the associations of DataIntegrationIdentifier 'di-1'"
    )
    assert str(caught.value).endswith("[InternalServiceError; request id r-9]")
    assert len(clock.sleeps) == constants.MAX_FAILED_ATTEMPTS - 1


def test_a_throttled_page_is_retried_until_it_gets_through(client: Any, stubber: AppIntegrationsStub) -> None:
    for _ in range(6):
        stubber.add_client_error("list_data_integration_associations", "ThrottlingException", "slow down", 429)
    stubber.add_response(
        "list_data_integration_associations",
        {"DataIntegrationAssociations": [item("a-1")]},
    )
    clock = FakeClock(600.0)
    found = resolve(client, parse_properties(LOOKUP), clock.remaining, clock.sleep)
    assert (found.pages, found.attempts, len(clock.sleeps)) == (1, 7, 6)


def test_no_retry_when_the_deadline_leaves_no_room() -> None:
    # time for the first attempt, and then (the attempt took it) no more
    clock = FakeClock(constants.ATTEMPT_BUDGET_S + 0.5)
    with AppIntegrationsStub(clock=clock, call_s=0.6) as stub:
        stub.add_client_error("list_data_integration_associations", "InternalServiceError", "oops", 500)
        with pytest.raises(ServiceError, match=r"^Gave up after 1 attempt\(s\)"):
            resolve(stub.client, parse_properties(LOOKUP), clock.remaining, clock.sleep)
        stub.assert_no_pending_responses()


def test_no_page_is_asked_for_without_time_for_it(client: Any, stubber: AppIntegrationsStub) -> None:
    with pytest.raises(DeadlineError, match=r"^Not calling AppIntegrations: 5.0 s are left"):
        resolve(client, parse_properties(LOOKUP), FakeClock(5.0).remaining)
