"""AWS CDK construct library: set an Amazon AppIntegrations association's ExecutionConfiguration at deploy.

``DataIntegrationAssociationExecution`` is a ``Custom::DataIntegrationAssociationExecution``
served by one crhelper-based Lambda provider per stack (bundled locally, no Docker)
whose IAM policy names only the associations the stack touches.
"""

from .execution import DataIntegrationAssociationExecution
from .execution_configuration import ExecutionConfiguration, Instant

__all__ = ["DataIntegrationAssociationExecution", "ExecutionConfiguration", "Instant"]
