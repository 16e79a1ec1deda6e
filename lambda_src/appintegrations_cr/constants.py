"""Constants shared by the handler and the construct: IAM action names, the resource type, the time budget.

No imports at all.

The construct sizes the function's timeout and writes the IAM policy from these,
and it must be able to import them without botocore (which only the Lambda runtime
provides), so they live apart from the code that makes the call.
"""

#: The CloudFormation resource type of an execution.
RESOURCE_TYPE = "Custom::DataIntegrationAssociationExecution"
#: The PhysicalResourceId of a failed Create starts with this (then the LogicalResourceId), so that
#: its Delete is known for a no-op; the import-failure handler gives the same id.
FAILED_CREATE_PREFIX = "cdk-appintegrations:CREATE_FAILED:"
#: CloudFormation's bound on a PhysicalResourceId.
MAX_PHYSICAL_ID_BYTES = 1024
#: The IAM actions the provider needs.
UPDATE_ACTION = "app-integrations:UpdateDataIntegrationAssociation"
# Only for executions that give no association identifier (the lookup); it has no resource type.
LIST_ACTION = "app-integrations:ListDataIntegrationAssociations"
# Read by a forward Create or Update (see ``stack_status``): on the stack itself only.
DESCRIBE_STACKS_ACTION = "cloudformation:DescribeStacks"
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
# Server errors and network failures: a few tries, then say so. A throttled call is not
# a failure (the service asks us to slow down) and is retried until the deadline.
MAX_FAILED_ATTEMPTS = 4
# No connection at all (refused, no route, connect timeout): one retry for a passing
# fault, then say so. A subnet without a route stays without one however long we wait.
MAX_UNREACHABLE_ATTEMPTS = 2
BASE_BACKOFF_S = 1.0
MAX_BACKOFF_S = 20.0
# Time kept back to PUT the response (up to a few seconds over TLS).
RESPONSE_RESERVE_S = 5.0
# Delivering the response (see delivery.py): a few bounded tries, pausing 1, 2, then 4 s, then a
# log line that says why, instead of crhelper's retrying until the function dies.
DELIVERY_ATTEMPTS = 4
DELIVERY_TIMEOUT_S = 5.0
DELIVERY_PAUSE_S = 1.0
# What one attempt may take, wall clock (``attempt_bound``): a connect and a read. botocore's
# timeouts bound each socket operation only, so a slow answer could otherwise last for ever.
ATTEMPT_TIMEOUT_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
# One DescribeStacks, wall clock: a connect, a read, no retry. Kept short: it runs before every
# attempt of a forward update, and the deadline leaves room for it (``retries``).
STATUS_CONNECT_TIMEOUT_S = 1.0
STATUS_READ_TIMEOUT_S = 2.0
STATUS_CHECK_S = STATUS_CONNECT_TIMEOUT_S + STATUS_READ_TIMEOUT_S
# What one attempt may take, response included: no attempt starts with less time left.
ATTEMPT_BUDGET_S = ATTEMPT_TIMEOUT_S + RESPONSE_RESERVE_S
# The function's timeout. A stack of hundreds of executions, CloudFormation starting as
# many at once as maxConcurrentExecutions allows, waits for the account's request rate: ten minutes lets
# an execution wait its turn through a long queue, yet a hung call still fails on its
# own after MAX_FAILED_ATTEMPTS.
FUNCTION_TIMEOUT_S = 600
