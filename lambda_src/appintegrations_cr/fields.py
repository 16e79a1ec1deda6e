"""The names of the contract: every ResourceProperties field, mode and response attribute, spelled once.

The handler reads and writes these names and the construct writes them into the
template, so a name lives here and nowhere else: a typo in either half is an
``AttributeError``, not a property CloudFormation passes through unread.
"""

from __future__ import annotations

DATA_INTEGRATION_IDENTIFIER = "DataIntegrationIdentifier"
ASSOCIATION_IDENTIFIER = "DataIntegrationAssociationIdentifier"
EXECUTION_CONFIGURATION = "ExecutionConfiguration"
RERUN_TOKEN = "RerunToken"
DESTINATION_URI = "DestinationURI"
EXECUTION_MODE = "ExecutionMode"
ON_DEMAND_CONFIGURATION = "OnDemandConfiguration"
SCHEDULE_CONFIGURATION = "ScheduleConfiguration"
START_TIME = "StartTime"
END_TIME = "EndTime"
SCHEDULE_EXPRESSION = "ScheduleExpression"
OBJECT = "Object"
FIRST_EXECUTION_FROM = "FirstExecutionFrom"

ON_DEMAND = "ON_DEMAND"
SCHEDULED = "SCHEDULED"
EXECUTION_MODES = (ON_DEMAND, SCHEDULED)

# Keys CloudFormation itself puts into ResourceProperties; they are not ours to check.
RESERVED_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
TOP_LEVEL_PROPERTIES = (
    DATA_INTEGRATION_IDENTIFIER,
    ASSOCIATION_IDENTIFIER,
    DESTINATION_URI,
    EXECUTION_CONFIGURATION,
    RERUN_TOKEN,
)
EXECUTION_CONFIGURATION_KEYS = (EXECUTION_MODE, ON_DEMAND_CONFIGURATION, SCHEDULE_CONFIGURATION)
ON_DEMAND_KEYS = (START_TIME, END_TIME)
SCHEDULE_KEYS = (SCHEDULE_EXPRESSION, OBJECT, FIRST_EXECUTION_FROM)
MODE_BLOCKS = {ON_DEMAND: ON_DEMAND_CONFIGURATION, SCHEDULED: SCHEDULE_CONFIGURATION}
SCHEDULE_EXPRESSION_PATH = f"{EXECUTION_CONFIGURATION}.{SCHEDULE_CONFIGURATION}.{SCHEDULE_EXPRESSION}"

# The response Data (GetAtt attributes): the same names at synth (the construct's attr_*) and in the handler.
DATA_INTEGRATION_ARN_ATTRIBUTE = "DataIntegrationArn"
ASSOCIATION_ARN_ATTRIBUTE = "DataIntegrationAssociationArn"
ASSOCIATION_ID_ATTRIBUTE = "DataIntegrationAssociationId"

MAX_STRING_LENGTH = 255  # every string in the API model is 1..255 characters
MAX_DESTINATION_URI_LENGTH = 1000  # except DestinationURI, 1..1000
