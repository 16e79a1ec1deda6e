"""The deploy driver taught the integration tests' stack (``tests/integ/knowledge_base_stack.py``).

Its data integration, knowledge base, KMS key and bucket get well-formed ids and attributes. Creating the
data integration declares it in the emulator (a lookup then finds an empty list, not a 404); creating the
knowledge base creates its data integration's association there, as Q in Connect does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from testkit.cfn_driver import CloudFormationDriver, _ResourceState
from testkit.cfn_template import Resource


def _uuid(_logical_id: str) -> str:
    return str(uuid.uuid4())


# type: (physical id from the logical id, Fn::GetAtt values from (physical id, region, account))
_MODELS: dict[str, tuple[Callable[[str], str], Callable[[str, str, str], dict[str, str]]]] = {
    "AWS::AppIntegrations::DataIntegration": (
        _uuid,
        lambda pid, region, account: {
            "Id": pid,
            "DataIntegrationArn": f"arn:aws:app-integrations:{region}:{account}:data-integration/{pid}",
        },
    ),
    "AWS::Wisdom::KnowledgeBase": (
        _uuid,
        lambda pid, region, account: {
            "KnowledgeBaseId": pid,
            "KnowledgeBaseArn": f"arn:aws:wisdom:{region}:{account}:knowledge-base/{pid}",
        },
    ),
    "AWS::KMS::Key": (
        _uuid,
        lambda pid, region, account: {"KeyId": pid, "Arn": f"arn:aws:kms:{region}:{account}:key/{pid}"},
    ),
    "AWS::S3::Bucket": (
        lambda logical_id: f"{logical_id.lower()[:40]}-{uuid.uuid4().hex[:12]}",
        lambda pid, region, _account: {
            "Arn": f"arn:aws:s3:::{pid}",
            "DomainName": f"{pid}.s3.amazonaws.com",
            "RegionalDomainName": f"{pid}.s3.{region}.amazonaws.com",
        },
    ),
}
MODELLED_TYPES = frozenset(_MODELS)


class ServiceModelDriver(CloudFormationDriver):
    """:class:`CloudFormationDriver` with the models above, against the driver's own emulator."""

    def _native(self, resource: Resource, properties: Any, physical_id: str | None) -> _ResourceState:
        if resource.type not in _MODELS:
            return super()._native(resource, properties, physical_id)
        new_id, attributes = _MODELS[resource.type]
        state = super()._native(resource, properties, physical_id or new_id(resource.logical_id))
        state.attributes = attributes(state.physical_id, self.region, self.account)
        if physical_id is None and resource.type == "AWS::AppIntegrations::DataIntegration":
            self.emulator.add_data_integration(state.physical_id, account=self.account, region=self.region)
        if physical_id is None and resource.type == "AWS::Wisdom::KnowledgeBase":
            source = properties["SourceConfiguration"]["AppIntegrations"]["AppIntegrationArn"]
            self.emulator.add_association(
                str(source).rsplit("/", 1)[-1],
                str(uuid.uuid4()),
                self.account,
                self.region,
                client_id="wisdom",
                destination_uri=state.attributes["KnowledgeBaseArn"],
            )
        return state
