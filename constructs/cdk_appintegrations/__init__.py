"""AWS CDK construct library: set an Amazon AppIntegrations association's ExecutionConfiguration at deploy.

``DataIntegrationAssociationExecution`` is a ``Custom::DataIntegrationAssociationExecution``
served by one crhelper-based Lambda provider per stack (bundled locally, no Docker)
whose IAM policy names only the associations the stack touches.
"""

from .execution import DataIntegrationAssociationExecution, DataIntegrationReference
from .execution_configuration import ExecutionConfiguration, Instant

#: The release; the packaging reads it from here (pyproject's dynamic version), so it is set in one place.
__version__ = "0.2.0"

__all__ = [
    "DataIntegrationAssociationExecution",
    "DataIntegrationReference",
    "ExecutionConfiguration",
    "Instant",
    "__version__",
]
