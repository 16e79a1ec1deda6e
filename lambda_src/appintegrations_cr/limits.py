"""The handler's time budget and its IAM actions, with no imports at all.

The construct sizes the function's timeout and writes the IAM policy from these,
and it must be able to import them without botocore (which only the Lambda runtime
provides), so they live apart from the code that makes the call.
"""

ACTION = "app-integrations:UpdateDataIntegrationAssociation"
# Only for executions that give no association identifier (the lookup); it has no resource type.
LIST_ACTION = "app-integrations:ListDataIntegrationAssociations"
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
MAX_ATTEMPTS = 4
BASE_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
# Time kept back for crhelper to PUT the response (up to a few seconds over TLS).
RESPONSE_RESERVE_S = 5.0
# Every attempt timing out plus the longest backoffs: what the function timeout must cover.
WORST_CASE_S = MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) + (MAX_ATTEMPTS - 1) * MAX_BACKOFF_S
