"""The stack's status: how a forward Create or Update learns that a rollback has overtaken it.

When one resource of an update fails, CloudFormation puts the stack in
``UPDATE_ROLLBACK_IN_PROGRESS``, marks every resource still under way "Resource update
cancelled" and at once sends each its rollback (the old properties), while the provider
may still be running the cancelled forward request (waiting out throttling, say). Were
the forward call to reach AppIntegrations after the rollback's, the association would
keep the new configuration under a stack that says it rolled back.

So a request that starts while the stack is in a forward status (:data:`FORWARD_STATUSES`)
reads the status again before every attempt of its update (:meth:`StackWatch.check`): once
the stack has left that status, it sends nothing more. An Update that did apply reads it
once more after (:meth:`StackWatch.rolled_back`); if the stack is rolling back, the
handler applies the old configuration itself, the same one the rollback applies, so their
order no longer matters. CloudFormation sets the rollback status before it sends any
rollback request, so a status read after the forward call landed that still shows the
forward status means the rollback's call comes later.

A rollback's own request starts in a rollback status and runs as before, unwatched. If
DescribeStacks fails (a role without ``cloudformation:DescribeStacks``, throttling, the
network), the request logs one warning and goes on as before, unwatched: the check never
fails a deploy. Each read is one attempt, bounded in wall-clock time (``attempt_bound``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .attempt_bound import bounded, track_connections
from .constants import (
    DESCRIBE_STACKS_ACTION,
    RESPONSE_RESERVE_S,
    STATUS_CHECK_S,
    STATUS_CONNECT_TIMEOUT_S,
    STATUS_READ_TIMEOUT_S,
)
from .errors import NotAppliedError, error_code, service_message

#: A Create or Update sent in these is a forward request (a rollback's is sent in a rollback status).
FORWARD_STATUSES = frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"})
#: An update's rollback, under way or done: the rollback applies (or applied) the old properties.
UPDATE_ROLLBACK_STATUSES = frozenset(
    {
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
    }
)

CLIENT_CONFIG = Config(
    connect_timeout=STATUS_CONNECT_TIMEOUT_S,
    read_timeout=STATUS_READ_TIMEOUT_S,
    retries={"total_max_attempts": 1},
    user_agent_extra="cdk-appintegrations",
)

_client: Any = None  # one per container; the unit tier puts its double here


def cloudformation() -> Any:
    """The CloudFormation client, created on first use; its connections bounded like AppIntegrations' ones."""
    global _client  # noqa: PLW0603 - one client per container, reused while warm
    if _client is None:
        import boto3

        _client = boto3.client("cloudformation", config=CLIENT_CONFIG)
        track_connections(_client)
    return _client


def _describe(stack_id: str) -> str:
    """The stack's status: one DescribeStacks, abandoned after ``STATUS_CHECK_S``."""
    with bounded(STATUS_CHECK_S) as attempt:
        answer = cloudformation().describe_stacks(StackName=stack_id)
    if attempt.expired:
        raise TimeoutError(f"no whole answer within {STATUS_CHECK_S:.0f} s")
    return str(answer["Stacks"][0]["StackStatus"])


def _said(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{error_code(error)}: {service_message(error)}"
    return f"{type(error).__name__}: {error}"


class StackWatch:
    """One Create or Update's view of its stack: forward or not, and whether a rollback has overtaken it."""

    def __init__(
        self,
        request_type: str,
        stack_id: str,
        remaining_s: Callable[[], float],
        warn: Callable[[str, dict[str, Any]], None],
    ) -> None:
        self._request_type, self._stack_id = request_type, stack_id
        self._remaining_s, self._warn = remaining_s, warn
        self._unwatched = False
        status = self.read()
        #: The forward status the request started in; None for a rollback's request, or when unread.
        self.forward_status = status if status in FORWARD_STATUSES else None

    def read(self) -> str | None:
        """The stack's status now; None, once the request is unwatched (one warning says why)."""
        if self._unwatched:
            return None
        left = self._remaining_s()
        if left - STATUS_CHECK_S < RESPONSE_RESERVE_S:
            self._unwatch(f"{left:.1f} s left before the function's deadline, too little to read it")
            return None
        try:
            return _describe(self._stack_id)
        except (ClientError, BotoCoreError, OSError, LookupError, TypeError) as error:
            denied = isinstance(error, ClientError) and "AccessDenied" in error_code(error)
            why = f"the provider's role lacks {DESCRIBE_STACKS_ACTION} on this stack" if denied else "it failed"
            self._unwatch(f"{why} ({_said(error)})")
            return None

    def _unwatch(self, why: str) -> None:
        self._unwatched = True
        self._warn(
            f"could not read the stack's status, {why}; going on without it: if CloudFormation cancels this "
            f"{self._request_type.lower()} and rolls it back, its configuration may land after the rollback's",
            {"required_permission": DESCRIBE_STACKS_ACTION},
        )

    def check(self) -> None:
        """Before each attempt of a forward request: raise ``NotAppliedError`` once the stack has left its status."""
        if self.forward_status is None:
            return
        status = self.read()
        if status is None or status == self.forward_status:
            return
        what = self._request_type.lower()
        rolling_back = "ROLLBACK" in status
        state = f"the stack is rolling back ({status})" if rolling_back else f"the stack is now {status}"
        after = (
            "its rollback applies the old configuration"
            if self._request_type == "Update"
            else "its rollback deletes this resource"
        )
        raise NotAppliedError(
            f"Not applied: {state}, so CloudFormation cancelled this {what}" + (f"; {after}." if rolling_back else "."),
            status,
        )

    def rolled_back(self) -> str | None:
        """After a forward Update applied: the stack's status if it is now in an update's rollback."""
        if self.forward_status is None or self._request_type != "Update":
            return None
        status = self.read()
        return status if status in UPDATE_ROLLBACK_STATUSES else None
