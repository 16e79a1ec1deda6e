"""The deploy driver, taught the few non-custom resources of the integration tests' stack.

Why: :class:`~testkit.cfn_driver.CloudFormationDriver` creates non-custom resources
at once with made-up ids and an ``Arn``. The integration tests' stack
(``tests/integ/knowledge_base_stack.py``) reads more than that, and one of its resources
has a side effect the provider depends on:

* ``AWS::AppIntegrations::DataIntegration``: ``Ref`` and ``Id`` are a UUID,
  ``DataIntegrationArn`` its ARN; the emulator learns the data integration (so a lookup
  before any association finds an empty list, not a 404).
* ``AWS::Wisdom::KnowledgeBase``: ``KnowledgeBaseId``/``KnowledgeBaseArn``; creating it
  creates the association of its ``AppIntegrationArn``'s data integration in the emulator,
  as Q in Connect does (client ``wisdom``, destination the knowledge base's ARN).
* ``AWS::KMS::Key`` (``Ref`` the key id, ``Arn``, ``KeyId``) and ``AWS::S3::Bucket`` (``Ref``
  the bucket name, ``Arn``, ``DomainName``...): well-formed values, no behaviour.

Everything else is the driver's own model. This is a subclass in a module of its own so that
the driver stays as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from testkit.cfn_driver import CloudFormationDriver, _ResourceState
from testkit.cfn_template import Resource
from testkit.emulator import AppIntegrationsEmulator

__all__ = ["KNOWLEDGE_BASE_CLIENT_ID", "MODELLED_TYPES", "ServiceModelDriver", "data_integration_of"]

KNOWLEDGE_BASE_CLIENT_ID = "wisdom"


@dataclass(frozen=True)
class _Model:
    new_id: Callable[[str], str]
    """Physical id (what ``Ref`` returns) of a new resource, from its logical id."""
    attributes: Callable[[str, str, str], dict[str, Any]]
    """``Fn::GetAtt`` values from (physical id, region, account)."""


def _uuid(_logical_id: str) -> str:
    return str(uuid.uuid4())


def _bucket_name(logical_id: str) -> str:
    return f"{logical_id.lower()[:40]}-{uuid.uuid4().hex[:12]}"


_MODELS: dict[str, _Model] = {
    "AWS::AppIntegrations::DataIntegration": _Model(
        _uuid,
        lambda pid, region, account: {
            "Id": pid,
            "DataIntegrationArn": f"arn:aws:app-integrations:{region}:{account}:data-integration/{pid}",
        },
    ),
    "AWS::Wisdom::KnowledgeBase": _Model(
        _uuid,
        lambda pid, region, account: {
            "KnowledgeBaseId": pid,
            "KnowledgeBaseArn": f"arn:aws:wisdom:{region}:{account}:knowledge-base/{pid}",
        },
    ),
    "AWS::KMS::Key": _Model(
        _uuid,
        lambda pid, region, account: {"KeyId": pid, "Arn": f"arn:aws:kms:{region}:{account}:key/{pid}"},
    ),
    "AWS::S3::Bucket": _Model(
        _bucket_name,
        lambda pid, region, _account: {
            "Arn": f"arn:aws:s3:::{pid}",
            "DomainName": f"{pid}.s3.amazonaws.com",
            "RegionalDomainName": f"{pid}.s3.{region}.amazonaws.com",
        },
    ),
}
MODELLED_TYPES = frozenset(_MODELS)


def data_integration_of(knowledge_base_properties: Mapping[str, Any]) -> str:
    """The data integration id a knowledge base's ``SourceConfiguration.AppIntegrations.AppIntegrationArn`` names."""
    arn = knowledge_base_properties["SourceConfiguration"]["AppIntegrations"]["AppIntegrationArn"]
    return str(arn).rsplit("/", 1)[-1]


class ServiceModelDriver(CloudFormationDriver):
    """:class:`CloudFormationDriver` with the models above; the emulator is the driver's own."""

    emulator: AppIntegrationsEmulator

    def _native(self, resource: Resource, properties: Any, physical_id: str | None) -> _ResourceState:
        model = _MODELS.get(resource.type)
        if model is None:
            return super()._native(resource, properties, physical_id)
        created = physical_id is None
        state = super()._native(resource, properties, physical_id or model.new_id(resource.logical_id))
        state.attributes = model.attributes(state.physical_id, self.region, self.account)
        if created and resource.type == "AWS::AppIntegrations::DataIntegration":
            self.emulator.add_data_integration(state.physical_id, account=self.account, region=self.region)
        if created and resource.type == "AWS::Wisdom::KnowledgeBase":
            self.emulator.add_association(
                data_integration_of(properties),
                str(uuid.uuid4()),
                self.account,
                self.region,
                client_id=KNOWLEDGE_BASE_CLIENT_ID,
                destination_uri=state.attributes["KnowledgeBaseArn"],
            )
        return state
