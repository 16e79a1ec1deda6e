"""A CloudFormation-like deploy driver: a synthesized stack created, updated and rolled back, locally.

Why: what breaks a custom resource at scale is how CloudFormation drives it, not any single
event. CloudFormation starts every resource whose dependencies are complete at once (there
is no per-stack cap for custom resources), invokes the provider asynchronously for each,
waits for each answer at the pre-signed URL up to the resource's ``ServiceTimeout``, and
on a failure cancels what has not started and rolls back, which for an update means
calling the provider *again* for every resource it touched. A handler tested one event at
a time never meets that. This driver plays CloudFormation faithfully, not kindly:

* **Graph.** The dependency graph comes from the synthesized template: ``DependsOn``,
  ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (:mod:`testkit.cfn_template`). A resource
  starts the moment its last dependency completes; nothing caps how many run at once.
* **Latency.** ``latency_s`` is added before every resource operation that changes
  something (CloudFormation's own overhead per resource, seconds in practice).
* **Non-custom resources** (role, log group, function...) are created, updated and deleted
  at once, with made-up physical ids and ARNs (:func:`native_attributes`). An update that
  changes a resource's name property (``FunctionName``, ``RoleName``, ``LogGroupName``) replaces
  it, as CloudFormation does: a new physical id (so a new ARN, e.g. a new ``ServiceToken`` for
  every custom resource it serves), and the old one deleted in the cleanup. An update that
  changes a resource's ``Type`` is refused, as CloudFormation refuses it.
* **Custom resources** (``Custom::*``, ``AWS::CloudFormation::CustomResource``) get the
  event CloudFormation sends (properties resolved and stringified, ``OldResourceProperties``
  and ``PhysicalResourceId`` on Update and Delete), delivered to the function their
  ``ServiceToken`` names. The function runs its synthesized asset under AWS's runtime
  interface client in a Lambda-like process from a
  :class:`~testkit.lambda_pool.LambdaPool` (warm containers reused, no cap), with the
  function's ``Timeout``, ``MemorySize``, ``Handler``, ``LoggingConfig`` and environment. The
  invocation is asynchronous, as CloudFormation's is: a function error, crash or timeout
  is retried by "Lambda" after ``async_retry_delays_s`` (Lambda's defaults: 1 and 2 minutes),
  whatever the handler already answered.
* **Answers.** The driver waits for the first ``PUT`` at the HTTPS receiver up to the
  resource's ``ServiceTimeout`` (default 3600 s) and treats silence as FAILED. A body
  CloudFormation would refuse (see ``ReceivedResponse.problems``) is a FAILED too.
* **Failure.** The first failure cancels every resource not yet started; those in flight
  finish. After a Create, everything created (and every custom resource that failed)
  gets a Delete, in reverse dependency order. After an Update, every resource whose update
  was attempted is updated back (properties swapped, the current PhysicalResourceId), in
  dependency order, going on past failures; one failed rollback update leaves the stack
  ``UPDATE_ROLLBACK_FAILED``. Resources added by the update are then deleted.
* **Cleanup.** After a successful update, removed resources are deleted and every resource
  whose PhysicalResourceId changed (a replacement) gets a Delete for the old id: a custom
  resource's provider is called for it (a failure there does not fail the stack, as in
  CloudFormation).

Each phase reports its operations, wall time and the emulator's API attempts and throttled
answers; the deploy reports how many answers arrived per request id (exactly one is the
contract) and the final stack state.

* **Reserved concurrency.** A function's ``ReservedConcurrentExecutions`` caps how many of
  its invocations run at once. An asynchronous invocation over the cap is throttled: Lambda
  puts the event back and retries it with backoff (``throttle_backoff_s`` doubling, capped
  at Lambda's 5 minutes), and the report counts each throttle (``throttled_invocations``).

What it does not model: the account's unreserved concurrency and asynchronous queue delay, IAM,
replacement of non-custom resources for properties other than their names, stack policies,
nested stacks, ``Outputs``.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any, Literal

from testkit.account import ACCOUNT, REGION
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CfnResponseReceiver, ReceivedResponse
from testkit.cfn_template import (
    CloudAssembly,
    Resolver,
    Resource,
    Template,
    TemplateError,
    as_delivered,
    resolve,
)
from testkit.emulator import ApiCounters, AppIntegrationsEmulator
from testkit.lambda_pool import (
    DEFAULT_MEMORY_FLOOR_BYTES,
    ContainerFactory,
    FunctionSpec,
    LambdaPool,
    MemoryGuardError,
    PoolStats,
)
from testkit.lambda_process import InvocationResult, LoggingConfig

__all__ = [
    "DEFAULT_SERVICE_TIMEOUT_S",
    "CloudFormationDriver",
    "DeployReport",
    "Operation",
    "PhaseReport",
    "StackState",
    "native_attributes",
]

StackState = Literal[
    "CREATE_COMPLETE",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
]
Action = Literal["Create", "Update", "Delete"]
Status = Literal["SUCCESS", "FAILED", "CANCELLED"]

DEFAULT_SERVICE_TIMEOUT_S = 3600.0
LAMBDA_ASYNC_RETRY_DELAYS_S = (60.0, 120.0)
"""Lambda retries a failed asynchronous invocation twice, one then two minutes later."""
LAMBDA_MAX_THROTTLE_BACKOFF_S = 300.0
"""The longest Lambda waits between tries of an event throttled by reserved concurrency."""
_UPDATABLE_FROM = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


# -- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One resource operation in one phase, as CloudFormation would list it in the stack events."""

    logical_id: str
    resource_type: str
    action: Action
    status: Status
    reason: str | None = None
    physical_id: str | None = None
    request_id: str | None = None
    """Custom resources only: the RequestId CloudFormation sent (answers are counted per id)."""
    started_s: float = 0.0
    """Seconds from the phase's start to the operation's start (after its dependencies)."""
    ended_s: float = 0.0
    invocations: int = 0
    """Lambda invocations for this request (more than one when Lambda retried it)."""
    custom: bool = False

    @property
    def duration_s(self) -> float:
        """How long the operation took, latency included."""
        return self.ended_s - self.started_s


@dataclass(frozen=True)
class PhaseReport:
    """One phase of a deploy (``CREATE``, ``ROLLBACK``, ``UPDATE``, ``UPDATE_ROLLBACK``, cleanups...)."""

    name: str
    operations: tuple[Operation, ...]
    wall_s: float
    api: ApiCounters
    """What the emulator saw during the phase (requests of invocations still running from an
    earlier phase may spill over)."""

    def _custom(self, status: Status) -> int:
        return sum(op.custom and op.status == status for op in self.operations)

    @property
    def successes(self) -> int:
        """Custom resource operations answered SUCCESS."""
        return self._custom("SUCCESS")

    @property
    def failures(self) -> int:
        """Custom resource operations that FAILED (answered FAILED, timed out, or refused)."""
        return self._custom("FAILED")

    @property
    def cancelled(self) -> int:
        """Custom resource operations never started because of an earlier failure."""
        return self._custom("CANCELLED")

    @property
    def executions(self) -> int:
        """Custom resource operations in the phase (started or cancelled)."""
        return sum(op.custom for op in self.operations)

    def failed(self) -> list[Operation]:
        """Every failed operation (custom or not)."""
        return [op for op in self.operations if op.status == "FAILED"]

    def failure_reasons(self, *, most: int = 3, width: int = 160) -> list[str]:
        """A few distinct reasons of the failed operations (sorted, each cut to ``width``), for a summary line."""
        return sorted({(op.reason or "")[:width] for op in self.failed()})[:most]


@dataclass(frozen=True)
class DeployReport:
    """A whole ``create``/``update``/``delete``: its phases, the final state, and the answer count per request."""

    action: Literal["create", "update", "delete"]
    final_state: StackState
    phases: tuple[PhaseReport, ...]
    wall_s: float
    answers: Mapping[str, int]
    """``PUT``s received per custom-resource RequestId of this deploy (the contract: exactly one each)."""
    pool: PoolStats
    retries_cancelled: int = 0
    """Lambda async retries still waiting when the deploy ended (dropped, not run)."""
    invocations_unfinished: int = 0
    """Invocations still running when the report was made (their answers, if any, are not counted)."""

    def phase(self, name: str) -> PhaseReport | None:
        """The phase called ``name``, if it ran."""
        return next((p for p in self.phases if p.name == name), None)

    @property
    def first(self) -> PhaseReport:
        """The forward phase (``CREATE``, ``UPDATE`` or ``DELETE``)."""
        return self.phases[0]

    @property
    def api_attempts(self) -> int:
        """AppIntegrations requests over every phase."""
        return sum(p.api.attempts for p in self.phases)

    @property
    def throttled(self) -> int:
        """Throttled answers over every phase."""
        return sum(p.api.throttled for p in self.phases)

    @property
    def not_answered_once(self) -> dict[str, int]:
        """Request ids that got no answer or more than one."""
        return {request_id: count for request_id, count in self.answers.items() if count != 1}

    @property
    def exactly_one_answer(self) -> bool:
        """Whether every request of the deploy got exactly one answer."""
        return not self.not_answered_once

    def summary(self) -> str:
        """One line per phase, for assertion messages and logs."""
        lines = [f"{self.action}: {self.final_state} in {self.wall_s:.1f} s"]
        for p in self.phases:
            reasons = p.failure_reasons()
            lines.append(
                f"  {p.name}: {p.successes} SUCCESS, {p.failures} FAILED, {p.cancelled} cancelled of"
                f" {p.executions}; {p.wall_s:.1f} s; {p.api.attempts} API attempts, {p.api.throttled} throttled"
                + (f"; e.g. {reasons}" if reasons else "")
            )
        if self.not_answered_once:
            lines.append(f"  answers != 1: {dict(list(self.not_answered_once.items())[:5])}")
        return "\n".join(lines)


# -- stack state -----------------------------------------------------------------------------


@dataclass
class _ResourceState:
    """What CloudFormation remembers of a resource between operations."""

    resource: Resource
    physical_id: str
    properties: Any
    """Resolved properties (stringified for custom resources: what was last sent)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    function: FunctionSpec | None = None


def native_attributes(
    resource: Resource, properties: Mapping[str, Any], physical_id: str, region: str, account: str
) -> dict[str, Any]:
    """Made-up but well-formed ``Fn::GetAtt`` values of a non-custom resource (``Arn`` and a few more)."""
    kind = resource.type
    if kind == "AWS::Lambda::Function":
        return {"Arn": f"arn:aws:lambda:{region}:{account}:function:{physical_id}"}
    if kind == "AWS::IAM::Role":
        return {"Arn": f"arn:aws:iam::{account}:role/{physical_id}", "RoleId": "AROA" + physical_id[-16:].upper()}
    if kind == "AWS::Logs::LogGroup":
        return {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{physical_id}:*"}
    if kind == "AWS::SQS::Queue":
        return {"Arn": f"arn:aws:sqs:{region}:{account}:{physical_id}", "QueueName": physical_id}
    if kind == "AWS::SNS::Topic":
        return {"TopicArn": f"arn:aws:sns:{region}:{account}:{physical_id}"}
    if kind == "AWS::EC2::VPC":
        return {"VpcId": physical_id, "CidrBlock": properties.get("CidrBlock"), "DefaultSecurityGroup": "sg-default"}
    if kind == "AWS::EC2::SecurityGroup":
        group_id = "sg-" + physical_id.encode().hex()[-17:]
        return {"GroupId": group_id, "VpcId": properties.get("VpcId")}
    if kind == "AWS::KMS::Key":
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, physical_id))
        return {"Arn": f"arn:aws:kms:{region}:{account}:key/{key_id}", "KeyId": key_id}
    service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
    return {"Arn": f"arn:aws:{service}:{region}:{account}:{kind.split('::')[-1].lower()}/{physical_id}"}


_NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def _changes_name(resource: Resource, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether an update changes the resource's name property: CloudFormation then replaces the resource."""
    name_property = _NAME_PROPERTIES.get(resource.type)
    return name_property is not None and old.get(name_property) != new.get(name_property)


class _StackResolver(Resolver):
    """Resolves against the resources' current state (what has completed so far)."""

    def __init__(self, states: Mapping[str, _ResourceState], **pseudo: Any) -> None:
        super().__init__(**pseudo)
        self.states = states

    def ref(self, logical_id: str) -> Any:
        state = self.states.get(logical_id)
        if state is None:
            raise TemplateError(f"Ref {logical_id}: the resource does not exist (yet)")
        return state.physical_id

    def get_att(self, logical_id: str, attribute: str) -> Any:
        state = self.states.get(logical_id)
        if state is None:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: the resource does not exist (yet)")
        if attribute not in state.attributes:
            kind = "custom resource did not return" if state.resource.is_custom else "model has no"
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: the {kind} attribute {attribute!r}")
        return state.attributes[attribute]


# -- one phase -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    """One resource to act on in a phase; ``run`` does it (in its own thread) and returns the outcome."""

    logical_id: str
    resource_type: str
    action: Action
    run: Callable[[], _Outcome]
    custom: bool


@dataclass(frozen=True)
class _Outcome:
    status: Literal["SUCCESS", "FAILED", "SKIPPED"]
    """``SKIPPED``: nothing to do (e.g. an unchanged resource in an update): no operation recorded."""
    reason: str | None = None
    physical_id: str | None = None
    request_id: str | None = None
    invocations: int = 0


# -- the driver ------------------------------------------------------------------------------


class CloudFormationDriver:
    """One stack, deployed as CloudFormation deploys it, against the local emulator and receiver.

    Usage::

        with CloudFormationDriver(emulator, receiver, stack_name="Stack") as driver:
            created = driver.create(CloudAssembly(cdk_out_v1))
            updated = driver.update(CloudAssembly(cdk_out_v2))

    ``lambda_env`` is added to every function's environment (the emulator's endpoint and
    the receiver's CA are added by default). ``container_factories`` adds runtimes besides
    Python (e.g. the peer's Node.js). One driver holds one stack; it is not thread-safe.
    """

    def __init__(
        self,
        emulator: AppIntegrationsEmulator,
        receiver: CfnResponseReceiver,
        *,
        stack_name: str = "Stack",
        region: str = REGION,
        account: str = ACCOUNT,
        latency_s: float = 0.0,
        lambda_env: Mapping[str, str] | None = None,
        container_factories: Mapping[str, ContainerFactory] | None = None,
        async_retry_delays_s: tuple[float, ...] = LAMBDA_ASYNC_RETRY_DELAYS_S,
        throttle_backoff_s: float = 1.0,
        memory_floor_bytes: int = DEFAULT_MEMORY_FLOOR_BYTES,
        drain_timeout_s: float = 60.0,
    ) -> None:
        """Prepare an empty stack; the Lambda pool starts containers only when events come."""
        self.emulator = emulator
        self.receiver = receiver
        self.stack_name = stack_name
        self.region = region
        self.account = account
        self.latency_s = latency_s
        self.async_retry_delays_s = async_retry_delays_s
        self.throttle_backoff_s = throttle_backoff_s
        #: Invocations Lambda refused for the function's reserved concurrency (each was retried later).
        self.throttled_invocations = 0
        #: The most invocations of each function (by ARN) that ran at once.
        self.most_concurrent: dict[str, int] = {}
        self._running: dict[str, int] = {}
        self.drain_timeout_s = drain_timeout_s
        self.stack_id = (
            f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{uuid.uuid4()}"  # a new stack, a new id
        )
        env = {
            "AWS_ENDPOINT_URL_APPINTEGRATIONS": emulator.endpoint_url,
            "SSL_CERT_FILE": str(receiver.ca_file),
            **(lambda_env or {}),
        }
        self.pool = LambdaPool(env, factories=container_factories, memory_floor_bytes=memory_floor_bytes)
        self.state: StackState | None = None
        self.template: Template | None = None
        self.resources: dict[str, _ResourceState] = {}
        self._assembly: CloudAssembly | None = None
        self._answers: dict[str, threading.Event] = {}
        self._answers_lock = threading.Lock()
        self._remove_listener = receiver.add_listener(self._on_response)
        self._invocations: list[threading.Thread] = []
        self._cancel_retries = threading.Event()
        self._retries_waiting = 0
        self._request_ids: list[str] = []
        self._local_errors: dict[str, str] = {}

    def __enter__(self) -> CloudFormationDriver:
        """Nothing to start: containers start with the first event."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop every container."""
        self.close()

    def close(self) -> None:
        """Cancel pending Lambda retries, stop every container, stop listening. Idempotent."""
        self._cancel_retries.set()
        self._remove_listener()
        self.pool.close()

    # -- public operations ---------------------------------------------------------------

    def create(self, assembly: CloudAssembly | Path) -> DeployReport:
        """``CreateStack``: create every resource; on failure delete what exists (``ROLLBACK_COMPLETE``)."""
        if self.state is not None and self.state != "DELETE_COMPLETE":
            raise RuntimeError(f"stack {self.stack_name} exists ({self.state}); delete it first")
        started = self._begin()
        assembly = self._assembly_of(assembly)
        template = assembly.template(self.stack_name)
        self._assembly, self.template, self.resources = assembly, template, {}
        resolver = self._resolver(self.resources)
        active = template.active(resolver)
        tasks = {lid: self._create_task(template, lid, self.resources) for lid in active}
        forward = self._run_phase("CREATE", tasks, _forward(template, active), stop_on_failure=True)
        phases = [forward]
        if not forward.failed():
            state: StackState = "CREATE_COMPLETE"
        else:
            attempted = {op.logical_id for op in forward.operations if op.status != "CANCELLED"}
            doomed = {lid for lid in attempted if lid in self.resources}
            deletes = {
                lid: self._delete_task(self.resources[lid], self.resources, create_rollback=True) for lid in doomed
            }
            rollback = self._run_phase("ROLLBACK", deletes, _reverse(template, doomed), stop_on_failure=False)
            phases.append(rollback)
            state = "ROLLBACK_FAILED" if rollback.failed() else "ROLLBACK_COMPLETE"
        self.state = state
        return self._finish("create", started, phases)

    def update(self, assembly: CloudAssembly | Path) -> DeployReport:
        """``UpdateStack`` to ``assembly``'s template; rolls back on failure, cleans up on success."""
        if self.state not in _UPDATABLE_FROM or self.template is None:
            raise RuntimeError(f"stack {self.stack_name} is {self.state}: CloudFormation would refuse an update")
        started = self._begin()
        assembly = self._assembly_of(assembly)
        old_template, new_template = self.template, assembly.template(self.stack_name)
        old_states = dict(self.resources)
        working = dict(self.resources)  # updated in place as resources complete
        old_assembly, self._assembly = self._assembly, assembly
        resolver = self._resolver(working)
        new_active = new_template.active(resolver)
        for lid, resource in new_active.items():
            if lid in old_states and old_states[lid].resource.type != resource.type:
                raise TemplateError(
                    f"{lid}: the update changes its Type from {old_states[lid].resource.type} to {resource.type};"
                    " CloudFormation refuses that (give the new resource a new logical id)"
                )
        tasks = {
            lid: (
                self._update_task(new_template, lid, working)
                if lid in old_states
                else self._create_task(new_template, lid, working)
            )
            for lid in new_active
        }
        forward = self._run_phase("UPDATE", tasks, _forward(new_template, new_active), stop_on_failure=True)
        phases = [forward]
        if not forward.failed():
            removed = [lid for lid in old_states if lid not in new_active]
            cleanup = self._cleanup_tasks(forward, old_states, working)
            cleanup.update({lid: self._delete_task(old_states[lid], old_states) for lid in removed})
            graph = _reverse(old_template, set(removed))
            for key in cleanup:
                graph.setdefault(key, set())
            phases.append(self._run_phase("UPDATE_COMPLETE_CLEANUP", cleanup, graph, stop_on_failure=False))
            for lid in removed:
                working.pop(lid, None)
            self.template, self.resources, self.state = new_template, working, "UPDATE_COMPLETE"
            return self._finish("update", started, phases)
        # Roll back: every attempted resource to its old properties, then remove what the update added.
        attempted = [op for op in forward.operations if op.status != "CANCELLED"]
        updated = {op.logical_id for op in attempted if op.action == "Update"}
        added = {op.logical_id for op in attempted if op.action == "Create"}
        forward_states = dict(working)
        rollback_tasks = {lid: self._rollback_task(old_states[lid], working) for lid in updated}
        rollback = self._run_phase(
            "UPDATE_ROLLBACK",
            rollback_tasks,
            _forward(old_template, {lid: old_template.resources[lid] for lid in updated}),
            stop_on_failure=False,
        )
        phases.append(rollback)
        cleanup = {
            lid: self._delete_task(forward_states[lid], forward_states) for lid in added if lid in forward_states
        }
        cleanup.update(self._rollback_cleanup_tasks(rollback, forward_states, working))
        graph = _reverse(new_template, {lid for lid in added if lid in cleanup})
        for key in cleanup:
            graph.setdefault(key, set())
        phases.append(self._run_phase("UPDATE_ROLLBACK_COMPLETE_CLEANUP", cleanup, graph, stop_on_failure=False))
        for lid in added:
            working.pop(lid, None)
        self.resources = working
        self._assembly = old_assembly
        self.state = "UPDATE_ROLLBACK_FAILED" if rollback.failed() else "UPDATE_ROLLBACK_COMPLETE"
        return self._finish("update", started, phases)

    def delete(self) -> DeployReport:
        """``DeleteStack``: every resource deleted in reverse dependency order."""
        if self.template is None:
            raise RuntimeError("no stack to delete")
        started = self._begin()
        states = dict(self.resources)
        tasks = {lid: self._delete_task(state, states) for lid, state in states.items()}
        phase = self._run_phase("DELETE", tasks, _reverse(self.template, set(states)), stop_on_failure=False)
        self.state = "DELETE_FAILED" if phase.failed() else "DELETE_COMPLETE"
        if self.state == "DELETE_COMPLETE":
            self.resources, self.template = {}, None
        return self._finish("delete", started, [phase])

    # -- tasks -----------------------------------------------------------------------------

    def _create_task(self, template: Template, lid: str, states: dict[str, _ResourceState]) -> _Task:
        resource = template.resources[lid]

        def run() -> _Outcome:
            try:
                properties = self._properties(template, resource, states)
            except TemplateError as error:
                return _Outcome("FAILED", reason=str(error))
            self._latency()
            if not resource.is_custom:
                state = self._native(resource, properties, None)
                states[lid] = state
                return _Outcome("SUCCESS", physical_id=state.physical_id)
            outcome, data = self._request("Create", resource, properties, states=states)
            if outcome.physical_id is not None or outcome.status == "FAILED":
                physical = outcome.physical_id or f"{self.stack_name}-{lid}-{secrets.token_hex(6).upper()}"
                states[lid] = _ResourceState(resource, physical, properties, data)
            return outcome

        return _Task(lid, resource.type, "Create", run, resource.is_custom)

    def _update_task(self, template: Template, lid: str, states: dict[str, _ResourceState]) -> _Task:
        resource = template.resources[lid]

        def run() -> _Outcome:
            current = states[lid]
            try:
                properties = self._properties(template, resource, states)
            except TemplateError as error:
                return _Outcome("FAILED", reason=str(error))
            if properties == current.properties:
                states[lid] = replace(current, resource=resource)
                return _Outcome("SKIPPED", physical_id=current.physical_id)
            self._latency()
            if not resource.is_custom:
                replaced = _changes_name(resource, current.properties, properties)
                states[lid] = self._native(resource, properties, None if replaced else current.physical_id)
                return _Outcome("SUCCESS", physical_id=states[lid].physical_id)
            outcome, data = self._request(
                "Update", resource, properties, states=states, old=current.properties, physical_id=current.physical_id
            )
            if outcome.status == "SUCCESS":
                states[lid] = _ResourceState(resource, outcome.physical_id or current.physical_id, properties, data)
            else:  # the rollback sends these as OldResourceProperties; the id stays
                states[lid] = replace(current, resource=resource, properties=properties)
            return outcome

        return _Task(lid, resource.type, "Update", run, resource.is_custom)

    def _rollback_task(self, old: _ResourceState, states: dict[str, _ResourceState]) -> _Task:
        """Update a resource back to ``old``'s properties, from whatever it is now."""
        lid = old.resource.logical_id

        def run() -> _Outcome:
            current = states[lid]
            self._latency()
            if not old.resource.is_custom:
                states[lid] = old
                return _Outcome("SUCCESS", physical_id=old.physical_id)
            outcome, data = self._request(
                "Update",
                old.resource,
                old.properties,
                states=states,
                old=current.properties,
                physical_id=current.physical_id,
            )
            if outcome.status == "SUCCESS":
                states[lid] = _ResourceState(
                    old.resource, outcome.physical_id or current.physical_id, old.properties, data
                )
            else:
                states[lid] = replace(current, resource=old.resource)
            return outcome

        return _Task(lid, old.resource.type, "Update", run, old.resource.is_custom)

    def _delete_task(
        self, state: _ResourceState, states: Mapping[str, _ResourceState], *, create_rollback: bool = False
    ) -> _Task:
        resource = state.resource
        retained = ("Retain",) if create_rollback else ("Retain", "RetainExceptOnCreate")

        def run() -> _Outcome:
            if resource.deletion_policy in retained:  # CloudFormation leaves it (DELETE_SKIPPED)
                return _Outcome("SKIPPED", physical_id=state.physical_id)
            self._latency()
            if not resource.is_custom:
                return _Outcome("SUCCESS", physical_id=state.physical_id)
            outcome, _ = self._request(
                "Delete", resource, state.properties, states=states, physical_id=state.physical_id
            )
            return outcome

        key = resource.logical_id
        return _Task(key, resource.type, "Delete", run, resource.is_custom)

    def _cleanup_tasks(
        self, forward: PhaseReport, old: Mapping[str, _ResourceState], now: Mapping[str, _ResourceState]
    ) -> dict[str, _Task]:
        """Deletes for resources the update replaced (a new PhysicalResourceId): the old id goes."""
        tasks = {}
        for op in forward.operations:
            if op.action == "Update" and op.status == "SUCCESS" and op.logical_id in old:
                before = old[op.logical_id]
                if now[op.logical_id].physical_id != before.physical_id:
                    tasks[f"{op.logical_id} (replaced {before.physical_id})"] = self._renamed(
                        self._delete_task(before, old), op.logical_id
                    )
        return tasks

    def _rollback_cleanup_tasks(
        self, rollback: PhaseReport, forward: Mapping[str, _ResourceState], now: Mapping[str, _ResourceState]
    ) -> dict[str, _Task]:
        """Deletes for ids the forward update created and the rollback moved away from."""
        tasks = {}
        for op in rollback.operations:
            if op.status == "SUCCESS" and op.logical_id in forward:
                attempted = forward[op.logical_id]
                if now[op.logical_id].physical_id != attempted.physical_id:
                    tasks[f"{op.logical_id} (replaced {attempted.physical_id})"] = self._renamed(
                        self._delete_task(attempted, forward), op.logical_id
                    )
        return tasks

    @staticmethod
    def _renamed(task: _Task, logical_id: str) -> _Task:
        return replace(task, logical_id=logical_id)

    # -- what each task does ---------------------------------------------------------------

    def _properties(self, template: Template, resource: Resource, states: Mapping[str, _ResourceState]) -> Any:
        resolved = resolve(resource.properties, self._resolver(states), template)
        return as_delivered(resolved) if resource.is_custom else resolved

    def _latency(self) -> None:
        if self.latency_s > 0:
            time.sleep(self.latency_s)

    def _native(self, resource: Resource, properties: Any, physical_id: str | None) -> _ResourceState:
        name_property = _NAME_PROPERTIES.get(resource.type)
        physical = physical_id or (
            str(properties[name_property])
            if name_property and name_property in properties
            else f"{self.stack_name}-{resource.logical_id}-{secrets.token_hex(6).upper()}"[:64]
        )
        attributes = native_attributes(resource, properties, physical, self.region, self.account)
        function = self._function_spec(resource, properties, attributes.get("Arn", ""), physical)
        return _ResourceState(resource, physical, properties, attributes, function)

    def _function_spec(
        self, resource: Resource, properties: Mapping[str, Any], arn: str, name: str
    ) -> FunctionSpec | None:
        if resource.type != "AWS::Lambda::Function" or self._assembly is None:
            return None
        object_key = properties.get("Code", {}).get("S3Key")
        if not isinstance(object_key, str):
            raise TemplateError(
                f"{resource.logical_id}: only S3 code assets are modelled, not {properties.get('Code')}"
            )
        variables = properties.get("Environment", {}).get("Variables", {})
        return FunctionSpec(
            arn=arn,
            name=name,
            code_dir=self._assembly.asset_dir(object_key),
            handler=str(properties["Handler"]),
            runtime=str(properties["Runtime"]),
            timeout_s=float(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            environment=tuple(sorted((str(k), str(v)) for k, v in variables.items())),
            reserved_concurrency=int(reserved)
            if (reserved := properties.get("ReservedConcurrentExecutions"))
            else None,
            logging_config=LoggingConfig.of_function(properties),
        )

    def _request(
        self,
        action: Action,
        resource: Resource,
        properties: dict[str, Any],
        *,
        states: Mapping[str, _ResourceState],
        old: dict[str, Any] | None = None,
        physical_id: str | None = None,
    ) -> tuple[_Outcome, dict[str, Any]]:
        """Send one request to the provider and wait for its answer up to ServiceTimeout."""
        token = properties.get("ServiceToken")
        function = next(
            (s.function for s in list(states.values()) if s.function is not None and s.function.arn == token), None
        )
        if function is None:
            return _Outcome("FAILED", reason=f"ServiceToken {token!r} is not a function of this stack"), {}
        try:
            service_timeout = float(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT_S))
        except ValueError:
            return _Outcome("FAILED", reason=f"ServiceTimeout {properties.get('ServiceTimeout')!r} is not a number"), {}
        request_id = str(uuid.uuid4())
        event = cfn_event(
            action,
            properties,
            request_id=request_id,
            response_url=self.receiver.response_url(request_id),
            stack_id=self.stack_id,
            logical_id=resource.logical_id,
            resource_type=resource.type,
            service_token=token,
            physical_id=physical_id,
            old_properties=old,
            deep_copy=False,  # the event travels as JSON to the function
        )
        answered = threading.Event()
        with self._answers_lock:
            self._answers[request_id] = answered
            self._request_ids.append(request_id)
        invocations = [0]
        invoker = threading.Thread(
            target=self._invoke_async,
            args=(function, event, invocations, self._cancel_retries),
            daemon=True,
            name=f"invoke-{request_id}",
        )
        self._invocations.append(invoker)
        invoker.start()
        answered_in_time = answered.wait(service_timeout)
        with self._answers_lock:
            local_error = self._local_errors.get(request_id)
        if local_error is not None:
            return _Outcome("FAILED", reason=local_error, request_id=request_id, invocations=invocations[0]), {}
        if not answered_in_time:
            return _Outcome(
                "FAILED",
                reason=f"CloudFormation did not receive a response from your Custom Resource within its"
                f" ServiceTimeout of {service_timeout:g} s",
                request_id=request_id,
                invocations=invocations[0],
            ), {}
        first = next(r for r in self.receiver.responses_for(request_id) if r.status == 200)
        return self._read_answer(first, request_id, invocations[0])

    @staticmethod
    def _read_answer(answer: ReceivedResponse, request_id: str, invocations: int) -> tuple[_Outcome, dict[str, Any]]:
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.problems:
            invalid = f"Invalid response from the custom resource: {'; '.join(answer.problems)}"
            return _Outcome("FAILED", reason=invalid, request_id=request_id, invocations=invocations), {}
        data = body.get("Data") if isinstance(body.get("Data"), dict) else {}
        succeeded = body["Status"] == "SUCCESS"
        outcome = _Outcome(
            "SUCCESS" if succeeded else "FAILED",
            reason=None if succeeded else str(body.get("Reason")),
            physical_id=str(body["PhysicalResourceId"]),
            request_id=request_id,
            invocations=invocations,
        )
        return outcome, dict(data or {})

    def _invoke_async(
        self, function: FunctionSpec, event: Mapping[str, Any], count: list[int], cancel: threading.Event
    ) -> None:
        """Lambda's asynchronous invocation: run, and retry a function error after the delays."""
        request_id = str(event["RequestId"])
        for attempt in range(len(self.async_retry_delays_s) + 1):
            if not self._take_slot(function, cancel):
                return
            count[0] += 1
            try:
                result: InvocationResult = self.pool.invoke(function, event)
            except MemoryGuardError as error:  # the machine, not Lambda: fail the request now, and say why
                self._local_failure(request_id, f"local limit, not a Lambda behaviour: {error}")
                return
            except RuntimeError as error:  # the pool was closed under it
                self._local_failure(request_id, f"local Lambda pool: {error}")
                return
            finally:
                with self._answers_lock:
                    self._running[function.arn] -= 1
            if result.ok or attempt == len(self.async_retry_delays_s):
                return
            with self._answers_lock:
                self._retries_waiting += 1
            cancelled = cancel.wait(self.async_retry_delays_s[attempt])
            with self._answers_lock:
                self._retries_waiting -= 1
            if cancelled:
                return

    def _take_slot(self, function: FunctionSpec, cancel: threading.Event) -> bool:
        """Wait for a free slot of the function's reserved concurrency, as Lambda's async queue does.

        Over the cap, Lambda throttles the event and retries it with backoff (up to 5 minutes
        between tries) for as long as the event's maximum age allows. False if cancelled.
        """
        delay = self.throttle_backoff_s
        while True:
            with self._answers_lock:
                running = self._running.get(function.arn, 0)
                if function.reserved_concurrency is None or running < function.reserved_concurrency:
                    self._running[function.arn] = running + 1
                    self.most_concurrent[function.arn] = max(self.most_concurrent.get(function.arn, 0), running + 1)
                    return True
                self.throttled_invocations += 1
            if cancel.wait(delay):
                return False
            delay = min(2 * delay, LAMBDA_MAX_THROTTLE_BACKOFF_S)

    def _local_failure(self, request_id: str, reason: str) -> None:
        with self._answers_lock:
            self._local_errors[request_id] = reason
            event = self._answers.get(request_id)
        if event is not None:
            event.set()

    def _on_response(self, response: ReceivedResponse) -> None:
        if response.method != "PUT" or response.status != 200 or response.request_id is None:
            return
        with self._answers_lock:
            event = self._answers.get(response.request_id)
        if event is not None:
            event.set()

    # -- phases ----------------------------------------------------------------------------

    def _run_phase(
        self,
        name: str,
        tasks: Mapping[str, _Task],
        depends: Mapping[str, set[str]],
        *,
        stop_on_failure: bool,
    ) -> PhaseReport:
        """Start every task whose dependencies are done, at once; on failure (if asked) start no more."""
        started = time.monotonic()
        api_before = self.emulator.counters()
        waiting = {key: {d for d in depends.get(key, set()) if d in tasks} for key in tasks}
        done: set[str] = set()
        running = 0
        failed = False
        finished: SimpleQueue[tuple[str, float, _Outcome]] = SimpleQueue()
        operations: dict[str, Operation] = {}

        def work(key: str, task: _Task, gate: threading.Event) -> None:
            gate.wait()
            began = time.monotonic() - started
            try:
                outcome = task.run()
            except Exception as error:  # a bug here must fail the resource, not hang the phase
                outcome = _Outcome("FAILED", reason=f"driver error: {type(error).__name__}: {error}")
            finished.put((key, began, outcome))

        while True:
            if not failed:
                # Everything that became ready together starts together: threads are created
                # first and released at once, or hundreds of thread starts on a busy machine
                # would spread the start over seconds, which CloudFormation does not do.
                gate = threading.Event()
                for key in [k for k, deps in waiting.items() if not deps - done]:
                    del waiting[key]
                    running += 1
                    threading.Thread(target=work, args=(key, tasks[key], gate), daemon=True, name=key).start()
                gate.set()
            if running == 0:
                break
            try:
                key, began, outcome = finished.get(timeout=1.0)
            except Empty:
                continue
            running -= 1
            done.add(key)
            task = tasks[key]
            if outcome.status != "SKIPPED":
                operations[key] = Operation(
                    logical_id=task.logical_id,
                    resource_type=task.resource_type,
                    action=task.action,
                    status=outcome.status,
                    reason=outcome.reason,
                    physical_id=outcome.physical_id,
                    request_id=outcome.request_id,
                    started_s=began,
                    ended_s=time.monotonic() - started,
                    invocations=outcome.invocations,
                    custom=task.custom,
                )
            if outcome.status == "FAILED" and stop_on_failure:
                failed = True
        for key in waiting:  # never started
            task = tasks[key]
            operations[key] = Operation(
                logical_id=task.logical_id,
                resource_type=task.resource_type,
                action=task.action,
                status="CANCELLED",
                reason="Resource creation cancelled" if task.action == "Create" else "Resource update cancelled",
                custom=task.custom,
            )
        return PhaseReport(
            name=name,
            operations=tuple(operations[key] for key in tasks if key in operations),
            wall_s=time.monotonic() - started,
            api=self.emulator.counters() - api_before,
        )

    # -- bookkeeping -----------------------------------------------------------------------

    def _resolver(self, states: Mapping[str, _ResourceState]) -> _StackResolver:
        return _StackResolver(
            states, region=self.region, account=self.account, stack_name=self.stack_name, stack_id=self.stack_id
        )

    @staticmethod
    def _assembly_of(assembly: CloudAssembly | Path) -> CloudAssembly:
        return assembly if isinstance(assembly, CloudAssembly) else CloudAssembly(Path(assembly))

    def _begin(self) -> float:
        self._cancel_retries = threading.Event()
        self._invocations = []
        self._request_ids = []
        return time.monotonic()

    def _finish(
        self, action: Literal["create", "update", "delete"], started: float, phases: list[PhaseReport]
    ) -> DeployReport:
        wall = time.monotonic() - started
        # Let invocations still running finish, Lambda's retries included, for up to
        # drain_timeout_s: their late answers are what the exactly-one-answer check is for.
        # Retries still waiting after that are dropped (and counted).
        deadline = time.monotonic() + self.drain_timeout_s
        for invoker in self._invocations:
            invoker.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._answers_lock:
            waiting = self._retries_waiting
        self._cancel_retries.set()
        deadline = time.monotonic() + 2.0
        for invoker in self._invocations:
            invoker.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._answers_lock:
            request_ids = list(self._request_ids)
        unfinished = sum(invoker.is_alive() for invoker in self._invocations)
        answers = {rid: len(self.receiver.responses_for(rid)) for rid in request_ids}
        return DeployReport(
            action=action,
            final_state=self.state or "DELETE_COMPLETE",
            phases=tuple(phases),
            wall_s=wall,
            answers=answers,
            pool=self.pool.stats(),
            retries_cancelled=waiting,
            invocations_unfinished=unfinished,
        )


def _forward(template: Template, members: Iterable[str] | Mapping[str, Any]) -> dict[str, set[str]]:
    """Dependencies first: each member waits for the members it depends on."""
    chosen = set(members)
    return {lid: {d for d in template.dependencies(lid) if d in chosen} for lid in chosen}


def _reverse(template: Template, members: set[str]) -> dict[str, set[str]]:
    """Dependents first (deletes): each member waits for the members that depend on it."""
    return {lid: {d for d in template.dependents(lid) if d in members} for lid in members}
