"""AWS CDK construct library: set an Amazon AppIntegrations association's ExecutionConfiguration at deploy.

``DataIntegrationAssociationExecution`` is a ``Custom::DataIntegrationAssociationExecution``
served by a crhelper-based Lambda provider (bundled locally, no Docker) whose IAM policy
names only the associations it touches. ``ExecutionProvider`` configures that provider
for locked-down accounts (VPC, KMS, a platform-owned role, DLQ, tracing, reservation).
"""

from .errors import ValidationError
from .execution import DataIntegrationAssociationExecution, DataIntegrationReference
from .execution_configuration import ExecutionConfiguration, Instant
from .provider import ExecutionProvider

#: The release; the packaging reads it from here (pyproject's dynamic version), so it is set in one place.
__version__ = "0.4.0"

__all__ = [
    "DataIntegrationAssociationExecution",
    "DataIntegrationReference",
    "ExecutionConfiguration",
    "ExecutionProvider",
    "Instant",
    "ValidationError",
    "__version__",
]
