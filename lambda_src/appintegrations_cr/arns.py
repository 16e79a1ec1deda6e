"""AppIntegrations ARNs and ids: their shapes, taken apart and built, in one place.

The handler reads identifiers and builds the attributes from them, the construct
checks the same identifiers at synth and writes the IAM policy's resources from them:
all three must agree on what an ARN looks like, so it is said here once. Pure Python,
no imports beyond the standard library: it ships in the Lambda asset and in the wheel.

An environment's pieces are usually literals; the construct also writes them as
CloudFormation pseudo parameters in ``Fn::Sub`` syntax (``${AWS::Region}``) when the
stack is known only at deploy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A part of the environment: no ':', except inside '${...}', so that a pseudo parameter written into a literal
# ARN ('${AWS::Region}') is still read as the part it stands in, and refused by name (see ENVIRONMENT_FORMS).
# The alternatives never overlap ('$' only before '{' in the first), so a near miss cannot backtrack for long.
_PART = r"(?:\$\{[^}]*\}|\$(?!\{)|[^:$])+"
_ARN_PREFIX = rf"^arn:(?P<partition>{_PART}):app-integrations:(?P<region>{_PART}):(?P<account>{_PART}):"
DATA_INTEGRATION_ARN = re.compile(_ARN_PREFIX + r"data-integration/(?P<data_integration>[^/]+)$")
ASSOCIATION_ARN = re.compile(
    _ARN_PREFIX + r"data-integration-association/(?P<data_integration>[^/]+)/(?P<association>[^/]+)$"
)
# arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>
STACK_ARN = re.compile(r"^arn:(?P<partition>[^:]+):cloudformation:(?P<region>[^:]+):(?P<account>[^:]+):stack/.+$")
DATA_INTEGRATION_ARN_SHAPE = "arn:<partition>:app-integrations:<region>:<account>:data-integration/<id>"
ASSOCIATION_ARN_SHAPE = (
    "arn:<partition>:app-integrations:<region>:<account>:data-integration-association/<data-integration-id>/<id>"
)
ID_PATTERN = re.compile(r"[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}")
"""Why this rule, and why it is looser than the service's own.

The service model (botocore's ``appintegrations`` 2020-07-29, shape ``UUID``; the API
Reference of ``GetDataIntegration`` ``Id``) gives data integration ids and association
ids (``CreateDataIntegrationAssociation``'s ``DataIntegrationAssociationId``) the form
``[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}``: a UUID. The
provider's least-privilege policy is written from the ids the user gives, so anything
else (a data integration's *name*, a placeholder such as ``...``) matches no resource
and the deploy fails later with AccessDenied. The rule only has to tell such values
from ids, so it takes any letters and digits in the 8-4-4-4-12 groups: the ids of AWS's
own documentation (``a1b2c3d4-5678-90ab-cdef-EXAMPLE11111``), which examples and tests
copy, are then not flagged, while no name or placeholder passes.
"""
PARTITION_PATTERN = re.compile(r"aws(?:-[a-z]+)*")
REGION_PATTERN = re.compile(r"[a-z]+(?:-[a-z]+)+-[0-9]+")
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
"""The forms of an ARN's partition, Region and account, and why an identifier's must have them.

The provider's least-privilege policy is written from the ARNs the user gives: their
partition, Region and account land in the ``Resource`` of the statement that allows
``UpdateDataIntegrationAssociation``. There IAM reads ``*`` and ``?`` as wildcards and
``${...}`` as a policy variable, so ``arn:aws:app-integrations:*:*:...`` would silently
allow the association's ids in every Region and account. The ARN rules above take any
text in these parts, so the forms here say what a real one looks like, and anything
else is refused before it reaches a policy:

* partition: ``aws``, or ``aws-`` and groups of letters (``aws-cn``, ``aws-us-gov``,
  ``aws-iso``, ``aws-iso-b``, ``aws-iso-e``, ``aws-iso-f``, ``aws-eusc``);
* Region: groups of letters, then a number (``us-east-1``, ``us-gov-west-1``,
  ``cn-northwest-1``, ``us-isob-east-1``, ``eu-isoe-west-1``);
* account: exactly 12 digits.

They are looser than the lists of partitions and Regions that exist, on purpose: a
Region or partition that opens after a release must not be refused. No value of these
forms contains a character IAM reads specially.
"""


@dataclass(frozen=True)
class PartForm:
    """One part of an ARN's environment, the form it must have, and that form in words."""

    name: str  # as a message names it: 'partition', 'Region', 'account'
    article: str
    pattern: re.Pattern[str]
    form: str


ENVIRONMENT_FORMS = (
    PartForm("partition", "a", PARTITION_PATTERN, "'aws' or 'aws-' then groups of letters, e.g. 'aws', 'aws-cn'"),
    PartForm("Region", "a", REGION_PATTERN, "groups of letters, then a number, e.g. 'us-east-1', 'cn-north-1'"),
    PartForm("account", "an", ACCOUNT_PATTERN, "exactly 12 digits, e.g. '111122223333'"),
)
"""In the order :meth:`Environment.parts` gives the parts."""

EXAMPLE_DATA_INTEGRATION_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
EXAMPLE_ASSOCIATION_ID = "b2c3d4e5-6789-01ab-cdef-EXAMPLE22222"


@dataclass(frozen=True, order=True)
class Environment:
    """Partition, Region and account of an ARN: literals, or pseudo parameters in ``Fn::Sub`` syntax."""

    partition: str
    region: str
    account: str

    def parts(self) -> tuple[str, str, str]:
        """Partition, Region and account, in the order of :data:`ENVIRONMENT_FORMS`."""
        return (self.partition, self.region, self.account)

    def arn(self, resource: str) -> str:
        """The AppIntegrations ARN of ``resource`` (e.g. ``data-integration/<id>``) in this environment."""
        return f"arn:{self.partition}:app-integrations:{self.region}:{self.account}:{resource}"


def data_integration_resource(data_integration_id: str) -> str:
    return f"data-integration/{data_integration_id}"


def association_resource(data_integration_id: str, association_id: str) -> str:
    """``data-integration-association/<data integration>/<association>``; ``*`` as the association: any."""
    return f"data-integration-association/{data_integration_id}/{association_id}"


@dataclass(frozen=True)
class Identifier:
    """What one identifier says: an id, or an ARN's environment and ids."""

    environment: Environment | None = None
    data_integration_id: str | None = None
    association_id: str | None = None

    @property
    def unlike_ids(self) -> tuple[str, ...]:
        """The ids it holds that do not have the form AppIntegrations gives ids (:data:`ID_PATTERN`)."""
        ids = (self.data_integration_id, self.association_id)
        return tuple(found for found in ids if found is not None and not ID_PATTERN.fullmatch(found))


def parse_identifier(identifier: str, *, association: bool) -> Identifier | None:
    """An id as it is, or an ARN of the right kind taken apart; None for any other ARN."""
    if not identifier.startswith("arn:"):
        return Identifier(association_id=identifier) if association else Identifier(data_integration_id=identifier)
    match = (ASSOCIATION_ARN if association else DATA_INTEGRATION_ARN).fullmatch(identifier)
    if match is None:
        return None
    groups = match.groupdict()
    environment = Environment(groups["partition"], groups["region"], groups["account"])
    return Identifier(environment, groups["data_integration"], groups.get("association"))


def stack_environment(stack_id: str) -> Environment | None:
    """Partition, Region and account of a stack, from its ARN (an event's StackId); None if it is not one."""
    match = STACK_ARN.fullmatch(stack_id)
    return None if match is None else Environment(match["partition"], match["region"], match["account"])
