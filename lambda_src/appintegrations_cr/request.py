"""A validated request: what the API receives, and what the lifecycle compares between two events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .fields import ASSOCIATION_IDENTIFIER, DATA_INTEGRATION_IDENTIFIER, EXECUTION_CONFIGURATION


@dataclass(frozen=True)
class AssociationRequest:
    """A validated request: what the API receives, plus what the lifecycle compares."""

    data_integration_identifier: str
    # None: resolve it at deploy from the data integration's associations (the lookup).
    association_identifier: str | None
    execution_configuration: dict[str, Any]
    rerun_token: str | None
    # The configuration by meaning (instants as epoch ms), so that '2025-01-01T00:00:00Z'
    # and '1735689600000' compare equal and an Update with no real change makes no call.
    canonical_configuration: str
    # With a lookup only: the DestinationURI the association must have.
    destination_uri: str | None = None

    @property
    def is_lookup(self) -> bool:
        return self.association_identifier is None

    def with_association(self, association_identifier: str) -> AssociationRequest:
        """This request aimed at one association: the lookup's answer, ready for the API."""
        return replace(self, association_identifier=association_identifier)

    def api_arguments(self) -> dict[str, Any]:
        if self.association_identifier is None:
            raise ValueError("the association is not resolved yet; call with_association() first")
        return {
            DATA_INTEGRATION_IDENTIFIER: self.data_integration_identifier,
            ASSOCIATION_IDENTIFIER: self.association_identifier,
            EXECUTION_CONFIGURATION: self.execution_configuration,
        }
