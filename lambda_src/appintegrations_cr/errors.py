"""The handler's own failures, and how an AWS error is quoted in them.

Every failure the handler raises on purpose is a ``ProviderError`` whose message is
already the Reason CloudFormation shows, phrased for the deployer: the handler catches
the base class, logs it and lets crhelper answer FAILED with it. Anything else that
escapes is a bug, and crhelper still answers FAILED with its text.

Pure Python at run time (botocore only for type hints): ``contract`` imports this
module, and the construct imports ``contract`` at synth, where botocore is not needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


class ProviderError(Exception):
    """A failure the provider answers FAILED with; ``str()`` is the Reason."""


class ServiceError(ProviderError):
    """AppIntegrations refused the call, or kept failing until the retries ran out."""


class EndpointUnreachableError(ServiceError):
    """No connection to the AppIntegrations endpoint: refused, unreachable, or the connect timed out."""


class OutcomeUnknownError(ServiceError):
    """An Update was sent and no answer came in time: it may have been applied, and its job may be running."""


class SdkError(ProviderError):
    """botocore failed before any request was sent: no credentials, a parameter its model refuses."""


class DeadlineError(ProviderError):
    """Too little of the function's time is left to make a call and still answer."""


class ResolutionError(ProviderError):
    """The lookup found no association to configure, or more than one, or its listing did not end."""


class NotAppliedError(ProviderError):
    """A forward request sent nothing more: its stack is rolling back, and CloudFormation cancelled it.

    ``status``: the stack's; ``maybe_applied``: an earlier attempt was sent and got no answer, so it may have landed.
    """

    def __init__(self, reason: str, status: str) -> None:
        super().__init__(reason)
        self.status = status
        self.maybe_applied = False


class TargetError(ProviderError):
    """The association cannot be described: a malformed StackId, or an ARN that is not an association's."""


def check_the_association(data_integration: str | None = None) -> str:
    """What to do when an update may have landed unanswered: look before deploying again, which re-runs the job."""
    which = f" --data-integration-identifier {data_integration!r}" if data_integration is not None else ""
    return (
        f"check the association's ExecutionConfiguration and LastExecutionStatus (aws appintegrations "
        f"list-data-integration-associations{which}) before deploying again."
    )


def error_code(error: ClientError) -> str:
    """The AWS error code, e.g. ``ThrottlingException``; ``Unknown`` when the answer has none."""
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def service_message(error: ClientError) -> str:
    """What the service said, for quoting in a reason."""
    return str(error.response.get("Error", {}).get("Message", "")) or "no message"


def request_id(error: ClientError) -> str:
    metadata = error.response.get("ResponseMetadata", {})
    return str(metadata.get("RequestId") or "none")


def support_tag(error: ClientError) -> str:
    """``[<code>; request id <id>]``: what a support case needs to find the call."""
    return f"[{error_code(error)}; request id {request_id(error)}]"
