"""Find the association to configure when the properties name only its data integration.

Consumers such as an Amazon Q in Connect knowledge base create their association
themselves, and CloudFormation returns no association id, so a stack cannot name it.
The handler then lists the data integration's associations (every page) and needs
exactly one: with none, the consumer does not exist yet; with several, guessing would
reconfigure someone else's data pull, so it asks for the identifier or a
``DestinationURI`` to pick one.

The lookup runs at every Create and Update: if the association was recreated since,
the new one is a new target (and a new PhysicalResourceId).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .appintegrations import PAGE_SIZE, list_associations_page
from .errors import ResolutionError
from .fields import ASSOCIATION_ARN_ATTRIBUTE, ASSOCIATION_IDENTIFIER, DATA_INTEGRATION_IDENTIFIER, DESTINATION_URI
from .problems import SHOWN_CHARACTERS, shorten
from .request import AssociationRequest
from .target import Target, from_lookup

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

# The quota is 10 associations per data integration (adjustable); a token that never ends
# must not keep the provider paging until its deadline.
MAX_PAGES = 20
# How many associations a failure reason lists before saying "and N more", and how much of each value.
LISTED_IN_REASON = 10


def _quoted(value: str) -> str:
    """Long enough for a knowledge base ARN, unlike the contract's default for a property."""
    return shorten(repr(value), SHOWN_CHARACTERS, len(value))


@dataclass(frozen=True)
class Candidate:
    """One association as ListDataIntegrationAssociations describes it."""

    association_arn: str
    client_id: str
    destination_uri: str

    @property
    def association_id(self) -> str:
        return self.association_arn.rsplit("/", 1)[-1]

    def describe(self) -> str:
        details = f"ClientId {_quoted(self.client_id)}, {DESTINATION_URI} {_quoted(self.destination_uri)}"
        return f"{_quoted(self.association_id)} ({details})"


@dataclass(frozen=True)
class Resolution:
    target: Target
    pages: int
    attempts: int
    candidates: int


def _candidate(item: Mapping[str, object]) -> Candidate:
    return Candidate(
        association_arn=str(item.get(ASSOCIATION_ARN_ATTRIBUTE) or ""),
        client_id=str(item.get("ClientId") or ""),
        destination_uri=str(item.get(DESTINATION_URI) or ""),
    )


def _listing(candidates: list[Candidate]) -> str:
    shown = "; ".join(candidate.describe() for candidate in candidates[:LISTED_IN_REASON])
    more = len(candidates) - LISTED_IN_REASON
    return shown + (f"; and {more} more" if more > 0 else "")


def choose(data_integration: str, candidates: list[Candidate], destination_uri: str | None) -> Candidate:
    """The one association to configure, or a ResolutionError that says what to do."""
    where = f"{DATA_INTEGRATION_IDENTIFIER} {data_integration!r}"
    if not candidates:
        raise ResolutionError(
            f"{where} has no association yet, so there is none to configure. Its consumer (e.g. the Amazon Q in "
            f"Connect knowledge base) creates the association and must exist first; in CDK, make the execution "
            f"depend on it (execution.node.add_dependency(knowledge_base)). Or give {ASSOCIATION_IDENTIFIER}."
        )
    if destination_uri is None:
        if len(candidates) == 1:
            return candidates[0]
        raise ResolutionError(
            f"{where} has {len(candidates)} associations, so which one to configure is ambiguous: "
            f"{_listing(candidates)}. Give {ASSOCIATION_IDENTIFIER}, or {DESTINATION_URI} to pick one."
        )
    matching = [candidate for candidate in candidates if candidate.destination_uri == destination_uri]
    wanted = f"{DESTINATION_URI} {_quoted(destination_uri)}"
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise ResolutionError(
            f"None of the {len(candidates)} association(s) of {where} has {wanted}: "
            f"{_listing(candidates)}. Check {DESTINATION_URI}: it must equal the association's exactly "
            f"(e.g. the knowledge base's ARN)."
        )
    raise ResolutionError(
        f"{len(matching)} associations of {where} have {wanted}: {_listing(matching)}. Give {ASSOCIATION_IDENTIFIER}."
    )


def list_candidates(
    client: AppIntegrationsClient,
    data_integration: str,
    remaining_s: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Candidate], int, int]:
    """Every association of the data integration, following NextToken; with the pages and attempts it took."""
    candidates: list[Candidate] = []
    token: str | None = None
    seen: set[str] = set()
    pages = attempts = 0
    while True:
        answer, outcome = list_associations_page(client, data_integration, token, remaining_s, sleep=sleep)
        pages, attempts = pages + 1, attempts + outcome.attempts
        candidates.extend(_candidate(item) for item in answer.get("DataIntegrationAssociations") or [])
        token = answer.get("NextToken") or None
        if token is None:
            return candidates, pages, attempts
        if token in seen or pages >= MAX_PAGES:
            raise ResolutionError(
                f"Listing the associations of {DATA_INTEGRATION_IDENTIFIER} {data_integration!r} did not end after "
                f"{pages} page(s) of up to {PAGE_SIZE}; give {ASSOCIATION_IDENTIFIER}."
            )
        seen.add(token)


def resolve(
    client: AppIntegrationsClient,
    request: AssociationRequest,
    remaining_s: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> Resolution:
    """The association a lookup request configures, as a Target with the service's own ARNs."""
    data_integration = request.data_integration_identifier
    candidates, pages, attempts = list_candidates(client, data_integration, remaining_s, sleep)
    chosen = choose(data_integration, candidates, request.destination_uri)
    return Resolution(from_lookup(request, chosen.association_arn), pages, attempts, len(candidates))
