"""Custom-resource provider that applies a DataIntegrationAssociation ExecutionConfiguration."""
