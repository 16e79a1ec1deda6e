"""AWS CDK construct library: set an Amazon AppIntegrations association's ExecutionConfiguration at deploy.

``DataIntegrationAssociationExecution`` is a ``Custom::DataIntegrationAssociationExecution``
served by a crhelper-based Lambda provider (bundled locally, no Docker) whose IAM policy
names only the associations it touches. ``ExecutionProvider`` configures that provider
for locked-down accounts (VPC, KMS, a platform-owned role, DLQ, tracing, reservation, logging).

The names this package exports (``__all__``) are its API, the one the docs' API reference
documents; its modules are internal and may change in any release.
"""

from .errors import ValidationError
from .execution import DataIntegrationAssociationExecution, DataIntegrationReference
from .execution_configuration import ExecutionConfiguration, Instant
from .provider import ExecutionProvider

#: The release; the packaging reads it from here (pyproject's dynamic version), so it is set in one place.
__version__ = "0.5.0"

__all__ = [
    "DataIntegrationAssociationExecution",
    "DataIntegrationReference",
    "ExecutionConfiguration",
    "ExecutionProvider",
    "Instant",
    "ValidationError",
    "__version__",
]
