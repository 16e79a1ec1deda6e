"""A CloudFormation-like deploy driver: a synthesized stack created, updated and rolled back, locally.

Why: what breaks a custom resource at scale is how CloudFormation drives it, so this plays CloudFormation
faithfully, not kindly. Every resource whose dependencies are complete starts at once, with no cap. A
custom resource's event goes to its ``ServiceToken``'s function (its synthesized asset in a
:class:`LambdaPool` container) asynchronously, as Lambda runs it: a function error is retried, whatever
was answered, and invocations over ``ReservedConcurrentExecutions`` are throttled with backoff. The
first ``PUT`` is awaited up to ``ServiceTimeout``. The first failure starts nothing more and cancels what
is under way without waiting for it ("Resource creation cancelled"): its rollback is sent at once, while
the provider may still be running it, and its late answer is ignored. A create is then deleted in
reverse dependency order (a cancelled one under an id CloudFormation makes up), an update updated back
(properties swapped) going on past failures. A new physical id on update is a replacement: the old one
is deleted after. Native resources take ``latency_s`` and get made-up ids. The stack's status is kept in
the emulator, which answers DescribeStacks with it: ``UPDATE_ROLLBACK_IN_PROGRESS`` (or
``ROLLBACK_IN_PROGRESS``) is set when the forward phase fails, before any rollback request is sent. Not
modelled: unreserved concurrency, IAM, nested stacks.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import SimpleQueue
from typing import Any, Literal

from testkit.account import ACCOUNT, REGION
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CfnResponseReceiver, ReceivedResponse
from testkit.cfn_template import CloudAssembly, Resource, StaticResolver, Template, TemplateError, as_delivered, resolve
from testkit.emulator import ApiCounters, AppIntegrationsEmulator
from testkit.lambda_pool import ContainerFactory, FunctionSpec, LambdaPool, PoolStats
from testkit.lambda_process import LoggingConfig

__all__ = ["CloudFormationDriver", "DeployReport", "Operation", "PhaseReport"]

Action = Literal["Create", "Update", "Delete"]
Status = Literal["SUCCESS", "FAILED", "CANCELLED"]
LAMBDA_ASYNC_RETRY_DELAYS_S = (60.0, 120.0)  # Lambda retries a failed asynchronous invocation 1, then 2 minutes later
LAMBDA_MAX_THROTTLE_BACKOFF_S = 300.0  # the longest Lambda waits between tries of an event throttled by reservation
_NAMES = {"AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName", "AWS::Logs::LogGroup": "LogGroupName"}


@dataclass(frozen=True)
class Operation:
    """One resource operation, as the stack events list it (``started_s``/``ended_s`` from the phase's start)."""

    logical_id: str
    resource_type: str
    action: Action
    status: Status
    custom: bool = False
    reason: str | None = None
    physical_id: str | None = None
    request_id: str | None = None  # custom resources: answers are counted per RequestId
    invocations: int = 0  # more than one when Lambda retried the event
    started_s: float = 0.0
    ended_s: float = 0.0


@dataclass(frozen=True)
class PhaseReport:
    """One phase: ``api`` is what the emulator saw meanwhile; the counts are of custom resources."""

    name: str
    operations: tuple[Operation, ...]
    wall_s: float
    api: ApiCounters

    def _custom(self, status: Status) -> int:
        return sum(op.custom and op.status == status for op in self.operations)

    @property
    def successes(self) -> int:
        return self._custom("SUCCESS")

    @property
    def failures(self) -> int:
        return self._custom("FAILED")

    @property
    def cancelled(self) -> int:
        return self._custom("CANCELLED")

    @property
    def executions(self) -> int:
        return sum(op.custom for op in self.operations)

    def failed(self) -> list[Operation]:
        return [op for op in self.operations if op.status == "FAILED"]

    def failure_reasons(self, *, most: int = 3, width: int = 160) -> list[str]:
        return sorted({(op.reason or "")[:width] for op in self.failed()})[:most]


@dataclass(frozen=True)
class DeployReport:
    """A whole ``create``/``update``/``delete``; ``answers``: ``PUT``s per RequestId (the contract: exactly one)."""

    action: str
    final_state: str
    phases: tuple[PhaseReport, ...]
    wall_s: float
    answers: Mapping[str, int]
    pool: PoolStats

    def phase(self, name: str) -> PhaseReport | None:
        return next((p for p in self.phases if p.name == name), None)

    @property
    def first(self) -> PhaseReport:
        return self.phases[0]

    @property
    def not_answered_once(self) -> dict[str, int]:
        return {request_id: count for request_id, count in self.answers.items() if count != 1}

    @property
    def exactly_one_answer(self) -> bool:
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


@dataclass
class _ResourceState:
    """What CloudFormation remembers of a resource: ``properties`` as last sent (stringified for custom ones)."""

    resource: Resource
    physical_id: str
    properties: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    function: FunctionSpec | None = None


def _native_attributes(kind: str, properties: Mapping[str, Any], pid: str, region: str, account: str) -> dict[str, Any]:
    """Made-up but well-formed ``Fn::GetAtt`` values of a non-custom resource: its ``Arn``, and the few others read."""
    if kind == "AWS::EC2::SecurityGroup":
        return {"GroupId": "sg-" + pid.encode().hex()[-17:]}
    if kind == "AWS::EC2::VPC":
        return {"CidrBlock": properties.get("CidrBlock")}
    if kind == "AWS::IAM::Role":
        return {"Arn": f"arn:aws:iam::{account}:role/{pid}"}
    names = {"AWS::Lambda::Function": f"function:{pid}", "AWS::Logs::LogGroup": f"log-group:{pid}:*"}
    service, name = kind.lower().split("::")[1:] if kind.count("::") == 2 else ("unknown", kind.lower())
    return {"Arn": f"arn:aws:{service}:{region}:{account}:{names.get(kind, f'{name}/{pid}')}"}


# A task: the operation to report, and what does it in its own thread (None: nothing to do, nothing reported),
# given the phase's "closed" event: once set (the operation was cancelled), it records nothing.
_Task = tuple[Operation, Callable[[threading.Event], Operation | None]]


def _operation(resource: Resource, action: Action) -> Operation:
    return Operation(resource.logical_id, resource.type, action, "SUCCESS", resource.is_custom)


def _after(template: Template, members: Iterable[str], *, reverse: bool = False) -> dict[str, set[str]]:
    """What each member waits for in a phase: its dependencies, or its dependents when ``reverse`` (deletes)."""
    return {lid: set(template.dependents(lid) if reverse else template.dependencies(lid)) for lid in members}


class CloudFormationDriver:
    """One stack against the local emulator and receiver; ``lambda_env`` is added to every function's environment."""

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
        drain_timeout_s: float = 60.0,
    ) -> None:
        self.emulator, self.receiver = emulator, receiver
        self.stack_name, self.region, self.account = stack_name, region, account
        self.latency_s, self.async_retry_delays_s = latency_s, async_retry_delays_s
        self.throttle_backoff_s, self.drain_timeout_s = throttle_backoff_s, drain_timeout_s
        self.stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{uuid.uuid4()}"
        env = {**emulator.endpoints, "SSL_CERT_FILE": str(receiver.ca_file)}
        self.pool = LambdaPool({**env, **(lambda_env or {})}, factories=container_factories)
        self._state = ""
        self.template: Template | None = None
        self.resources: dict[str, _ResourceState] = {}
        #: Invocations Lambda refused for the function's reserved concurrency (each retried later).
        self.throttled_invocations = 0
        #: The most invocations of each function (by ARN) that ran at once.
        self.most_concurrent: dict[str, int] = {}
        self._running: dict[str, int] = {}
        self._assembly: CloudAssembly | None = None
        self._lock = threading.Lock()
        self._begin()
        self._remove_listener = receiver.add_listener(self._on_response)

    @property
    def state(self) -> str:
        """The stack's status, as DescribeStacks answers it; "" before the first create."""
        return self._state

    @state.setter
    def state(self, status: str) -> None:
        self._state = status
        self.emulator.set_stack_status(self.stack_id, status)

    def __enter__(self) -> CloudFormationDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel pending Lambda retries, stop every container, stop listening."""
        self._cancel_retries.set()
        self._remove_listener()
        self.pool.close()

    # -- the stack operations --------------------------------------------------------------

    def create(self, assembly: CloudAssembly | Path) -> DeployReport:
        """``CreateStack``: an update of an empty stack, whose rollback deletes what it created."""
        if self.state not in ("", "DELETE_COMPLETE"):
            raise RuntimeError(f"stack {self.stack_name} exists ({self.state}); delete it first")
        self.template, self.resources, self._assembly = Template({"Resources": {}}), {}, None
        return self._deploy("create", _assembly_of(assembly))

    def update(self, assembly: CloudAssembly | Path) -> DeployReport:
        """``UpdateStack`` to ``assembly``'s template; rolls back on failure, cleans up on success."""
        if self.state not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            raise RuntimeError(f"stack {self.stack_name} is {self.state}: CloudFormation would refuse an update")
        return self._deploy("update", _assembly_of(assembly))

    def _deploy(self, action: str, assembly: CloudAssembly) -> DeployReport:
        started, creating = self._begin(), action == "create"
        assert self.template is not None
        old_template, new_template = self.template, assembly.template(self.stack_name)
        old, working = dict(self.resources), dict(self.resources)  # working: updated as resources complete
        active = new_template.active(self._resolver(working))
        for lid, resource in active.items():
            if lid in old and old[lid].resource.type != resource.type:
                raise TemplateError(f"{lid}: CloudFormation refuses to change its Type from {old[lid].resource.type}")
        old_assembly, self._assembly = self._assembly, assembly
        tasks = {lid: self._task(new_template, lid, working) for lid in active}
        self.state = f"{action.upper()}_IN_PROGRESS"
        forward = self._run_phase(action.upper(), tasks, _after(new_template, active), stop_on_failure=True)
        if not forward.failed():
            removed = [lid for lid in old if lid not in active]
            cleanup = self._replaced(forward, old, working) | {lid: self._delete_task(old[lid], old) for lid in removed}
            graph = _after(old_template, removed, reverse=True)
            if cleanup and not creating:
                self.state = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            phases = [forward] + ([self._run_phase("UPDATE_COMPLETE_CLEANUP", cleanup, graph)] if cleanup else [])
            self.template, self.state = new_template, f"{action.upper()}_COMPLETE"
            self.resources = {lid: state for lid, state in working.items() if lid not in removed}
            return self._finish(action, started, phases)
        changed = [
            lid
            for lid in old
            if (old[lid].physical_id, old[lid].properties) != (working[lid].physical_id, working[lid].properties)
        ]
        updated = [op.logical_id for op in forward.operations if op.action == "Update" and op.logical_id in changed]
        added = [op.logical_id for op in forward.operations if op.action == "Create" and op.logical_id in working]
        after_forward = dict(working)
        back = {lid: self._task(old_template, lid, working, back_to=old[lid]) for lid in updated}
        self.state = (
            "ROLLBACK_IN_PROGRESS" if creating else "UPDATE_ROLLBACK_IN_PROGRESS"
        )  # before any rollback request
        rollback = self._run_phase("UPDATE_ROLLBACK", back, _after(old_template, updated))
        if not creating:
            self.state = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        cleanup = {lid: self._delete_task(after_forward[lid], after_forward, rolled_back_create=True) for lid in added}
        cleanup |= self._replaced(rollback, after_forward, working)
        graph = _after(new_template, added, reverse=True)
        cleaned = self._run_phase("ROLLBACK" if creating else "UPDATE_ROLLBACK_COMPLETE_CLEANUP", cleanup, graph)
        self.resources, self._assembly = {lid: s for lid, s in working.items() if lid not in added}, old_assembly
        failed = (cleaned if creating else rollback).failed()
        self.state = f"{'' if creating else 'UPDATE_'}ROLLBACK_{'FAILED' if failed else 'COMPLETE'}"
        return self._finish(action, started, [forward, cleaned] if creating else [forward, rollback, cleaned])

    def delete(self) -> DeployReport:
        """``DeleteStack``: every resource deleted in reverse dependency order."""
        if self.template is None:
            raise RuntimeError("no stack to delete")
        started = self._begin()
        self.state = "DELETE_IN_PROGRESS"
        states = dict(self.resources)
        tasks = {lid: self._delete_task(state, states) for lid, state in states.items()}
        phase = self._run_phase("DELETE", tasks, _after(self.template, states, reverse=True))
        self.state = "DELETE_FAILED" if phase.failed() else "DELETE_COMPLETE"
        if not phase.failed():
            self.resources, self.template = {}, None
        return self._finish("delete", started, [phase])

    # -- tasks -----------------------------------------------------------------------------

    def _task(
        self, template: Template, lid: str, states: dict[str, _ResourceState], back_to: _ResourceState | None = None
    ) -> _Task:
        """A create, or an update to the template's properties (none if unchanged); with ``back_to``, its rollback."""
        resource = back_to.resource if back_to is not None else template.resources[lid]
        op = _operation(resource, "Update" if lid in states else "Create")

        def run(closed: threading.Event) -> Operation | None:
            current = states.get(lid)
            if back_to is not None:
                properties = back_to.properties
            else:
                try:
                    properties = self._properties(template, resource, states)
                except TemplateError as error:
                    return replace(op, status="FAILED", reason=str(error))
                if current is not None and properties == current.properties:  # no call to the provider
                    states[lid] = replace(current, resource=resource)
                    return None
            self._latency()
            if not resource.is_custom:
                name = _NAMES.get(resource.type)
                same_name = current is not None and (not name or current.properties.get(name) == properties.get(name))
                kept_id = current.physical_id if current and same_name else None  # a new name: a replacement
                native = back_to or self._native(resource, properties, kept_id)
                recorded = self._record(closed, states, lid, native)
                return replace(op, physical_id=native.physical_id) if recorded else None
            # While it is under way CloudFormation holds the new properties (a rollback sends them as
            # OldResourceProperties) and, for a create, an id of its own (the Delete of a cancelled or
            # id-less FAILED create carries it).
            made_up = f"{self.stack_name}-{lid}-{secrets.token_hex(6).upper()}"
            pending = replace(current, resource=resource, properties=properties) if current else None
            if not self._record(closed, states, lid, pending or _ResourceState(resource, made_up, properties)):
                return None  # cancelled before it was sent
            old = {"old": current.properties, "physical_id": current.physical_id} if current is not None else {}
            done, data = self._request(op, resource, properties, states, **old)
            if done.status == "SUCCESS" or (current is None and done.physical_id):
                self._record(closed, states, lid, _ResourceState(resource, str(done.physical_id), properties, data))
            elif current is None and done.request_id is None:  # never sent: nothing to delete
                self._record(closed, states, lid, None)
            return done

        return op, run

    def _delete_task(
        self, state: _ResourceState, states: Mapping[str, _ResourceState], *, rolled_back_create: bool = False
    ) -> _Task:
        resource = state.resource
        op = _operation(resource, "Delete")

        def run(_closed: threading.Event) -> Operation | None:
            if resource.deletion_policy in (("Retain",) if rolled_back_create else ("Retain", "RetainExceptOnCreate")):
                return None  # CloudFormation leaves it (DELETE_SKIPPED)
            self._latency()
            if not resource.is_custom:
                return replace(op, physical_id=state.physical_id)
            return self._request(op, resource, state.properties, states, physical_id=state.physical_id)[0]

        return op, run

    def _replaced(
        self, phase: PhaseReport, before: Mapping[str, _ResourceState], now: Mapping[str, _ResourceState]
    ) -> dict[str, _Task]:
        """Deletes of the ids the phase's successful updates moved away from (a replacement's old resource)."""
        tasks: dict[str, _Task] = {}
        for op in phase.operations:
            was = before.get(op.logical_id) if op.action == "Update" and op.status == "SUCCESS" else None
            if was is not None and now[op.logical_id].physical_id != was.physical_id:
                tasks[f"{op.logical_id} (replaced {was.physical_id})"] = self._delete_task(was, before)
        return tasks

    # -- what a task does ------------------------------------------------------------------

    def _properties(self, template: Template, resource: Resource, states: Mapping[str, _ResourceState]) -> Any:
        resolved = resolve(resource.properties, self._resolver(states), template)
        return as_delivered(resolved) if resource.is_custom else resolved

    def _record(
        self, closed: threading.Event, states: dict[str, _ResourceState], lid: str, state: _ResourceState | None
    ) -> bool:
        """Record what CloudFormation now holds of ``lid`` (None: nothing); False, recording nothing, once cancelled."""
        with self._lock:
            if closed.is_set():
                return False
            if state is None:
                states.pop(lid, None)
            else:
                states[lid] = state
            return True

    def _latency(self) -> None:
        if self.latency_s > 0:
            time.sleep(self.latency_s)

    def _native(self, resource: Resource, properties: Any, physical_id: str | None) -> _ResourceState:
        name = _NAMES.get(resource.type)
        physical = physical_id or (
            str(properties[name])
            if name and name in properties
            else f"{self.stack_name}-{resource.logical_id}-{secrets.token_hex(6).upper()}"[:64]
        )
        attributes = _native_attributes(resource.type, properties, physical, self.region, self.account)
        if resource.type != "AWS::Lambda::Function" or self._assembly is None:
            return _ResourceState(resource, physical, properties, attributes)
        reserved = properties.get("ReservedConcurrentExecutions")
        function = FunctionSpec(
            arn=attributes["Arn"],
            name=physical,
            code_dir=self._assembly.asset_dir(str(properties["Code"].get("S3Key"))),  # S3 assets only
            handler=str(properties["Handler"]),
            runtime=str(properties["Runtime"]),
            timeout_s=float(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            environment=tuple(
                sorted((str(k), str(v)) for k, v in properties.get("Environment", {}).get("Variables", {}).items())
            ),
            reserved_concurrency=int(reserved) if reserved else None,
            logging_config=LoggingConfig.of_function(properties),
        )
        return _ResourceState(resource, physical, properties, attributes, function)

    def _request(
        self,
        op: Operation,
        resource: Resource,
        properties: dict[str, Any],
        states: Mapping[str, _ResourceState],
        *,
        old: dict[str, Any] | None = None,
        physical_id: str | None = None,
    ) -> tuple[Operation, dict[str, Any]]:
        """Send one request to the provider, wait for its answer up to ServiceTimeout; the answer's ``Data``."""
        token = properties.get("ServiceToken")
        function = next((s.function for s in list(states.values()) if s.function and s.function.arn == token), None)
        if function is None:
            return replace(op, status="FAILED", reason=f"ServiceToken {token!r} is not a function of this stack"), {}
        timeout = str(properties.get("ServiceTimeout", "3600"))
        if not (timeout.isdigit() and 1 <= int(timeout) <= 3600):
            return replace(op, status="FAILED", reason=f"ServiceTimeout {timeout!r} is not a whole 1 to 3600 s"), {}
        request_id = str(uuid.uuid4())
        event = cfn_event(
            op.action,
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
        answered, invocations = threading.Event(), [0]
        with self._lock:
            self._answers[request_id] = answered
        invoker = threading.Thread(
            target=self._invoke_async, args=(function, event, invocations, self._cancel_retries), daemon=True
        )
        self._invocations.append(invoker)
        invoker.start()
        in_time = answered.wait(int(timeout))
        op = replace(op, request_id=request_id, invocations=invocations[0])
        with self._lock:
            local_error = self._local_errors.get(request_id)
        if local_error is not None or not in_time:
            silence = f"CloudFormation did not receive a response from your Custom Resource within its ServiceTimeout of {timeout} s"
            return replace(op, status="FAILED", reason=local_error or silence), {}
        answer = next(r for r in self.receiver.responses_for(request_id) if r.status == 200)
        if answer.problems:
            invalid = f"Invalid response from the custom resource: {'; '.join(answer.problems)}"
            return replace(op, status="FAILED", reason=invalid), {}
        body = answer.body if isinstance(answer.body, dict) else {}
        ok, data = body["Status"] == "SUCCESS", body.get("Data")
        reason = None if ok else str(body.get("Reason"))
        op = replace(
            op, status="SUCCESS" if ok else "FAILED", reason=reason, physical_id=str(body["PhysicalResourceId"])
        )
        return op, data if isinstance(data, dict) else {}

    def _invoke_async(
        self, function: FunctionSpec, event: Mapping[str, Any], count: list[int], cancel: threading.Event
    ) -> None:
        """Lambda's asynchronous invocation: run, and retry a function error after the delays."""
        for delay in (*self.async_retry_delays_s, None):
            if not self._take_slot(function, cancel):
                return
            count[0] += 1
            try:
                result = self.pool.invoke(function, event)
            except RuntimeError as error:  # the machine's memory guard (MemoryGuardError), or the pool closed under it
                with self._lock:
                    self._local_errors[str(event["RequestId"])] = f"local, not a Lambda behaviour: {error!r}"
                    answered = self._answers.get(str(event["RequestId"]))
                if answered is not None:
                    answered.set()
                return
            finally:
                with self._lock:
                    self._running[function.arn] -= 1
            if result.ok or delay is None or cancel.wait(delay):
                return

    def _take_slot(self, function: FunctionSpec, cancel: threading.Event) -> bool:
        """Wait for a slot of the function's reserved concurrency, throttled with backoff as Lambda does; False if cancelled."""
        delay = self.throttle_backoff_s
        while True:
            with self._lock:
                running = self._running.get(function.arn, 0)
                if function.reserved_concurrency is None or running < function.reserved_concurrency:
                    self._running[function.arn] = running + 1
                    self.most_concurrent[function.arn] = max(self.most_concurrent.get(function.arn, 0), running + 1)
                    return True
                self.throttled_invocations += 1
            if cancel.wait(delay):
                return False
            delay = min(2 * delay, LAMBDA_MAX_THROTTLE_BACKOFF_S)

    def _on_response(self, response: ReceivedResponse) -> None:
        if response.method == "PUT" and response.status == 200 and response.request_id is not None:
            with self._lock:
                answered = self._answers.get(response.request_id)
            if answered is not None:
                answered.set()

    # -- phases ----------------------------------------------------------------------------

    def _run_phase(
        self, name: str, tasks: Mapping[str, _Task], depends: Mapping[str, set[str]], *, stop_on_failure: bool = False
    ) -> PhaseReport:
        """Start every task whose dependencies are done, together; after a failure, if asked, start no more
        and cancel those under way at once (their threads go on, recording nothing); what never started is not listed.
        """
        started, api_before = time.monotonic(), self.emulator.counters()
        waiting = {key: depends.get(key, set()) & tasks.keys() for key in tasks}
        done: set[str] = set()
        began: dict[str, float] = {}
        finished: SimpleQueue[tuple[str, Operation | None]] = SimpleQueue()
        operations: dict[str, Operation] = {}
        closed, failed = threading.Event(), False

        def work(key: str, gate: threading.Event) -> None:
            gate.wait()
            op, run = tasks[key]
            try:
                result = run(closed)
            except Exception as error:  # a bug here must fail the resource, not hang the phase
                result = replace(op, status="FAILED", reason=f"driver error: {type(error).__name__}: {error}")
            finished.put((key, result and replace(result, started_s=began[key], ended_s=time.monotonic() - started)))

        while True:
            # What became ready together starts together: hundreds of thread starts on a busy
            # machine would spread over seconds, so the threads wait at one gate.
            gate = threading.Event()
            for key in [k for k, deps in waiting.items() if deps <= done and not failed]:
                del waiting[key]
                began[key] = time.monotonic() - started
                threading.Thread(target=work, args=(key, gate), daemon=True, name=key).start()
            gate.set()
            if len(done) == len(began) or failed:
                break
            key, result = finished.get()
            done.add(key)
            if result is not None:
                operations[key] = result
                failed = stop_on_failure and result.status == "FAILED"
        with self._lock:
            closed.set()
        for key in began.keys() - done:  # under way: cancelled
            op, what = tasks[key][0], "creation" if tasks[key][0].action == "Create" else "update"
            cancelled = replace(op, status="CANCELLED", reason=f"Resource {what} cancelled", started_s=began[key])
            operations[key] = replace(cancelled, ended_s=time.monotonic() - started)
        return PhaseReport(
            name,
            tuple(operations[key] for key in tasks if key in operations),
            time.monotonic() - started,
            self.emulator.counters() - api_before,
        )

    def _resolver(self, states: Mapping[str, _ResourceState]) -> StaticResolver:
        """Resolves against the resources completed so far."""
        done = list(states.items())  # other tasks' threads add to it
        return StaticResolver(
            refs={lid: state.physical_id for lid, state in done},
            attributes={(lid, name): value for lid, state in done for name, value in state.attributes.items()},
            region=self.region,
            account=self.account,
            stack_name=self.stack_name,
            stack_id=self.stack_id,
        )

    def _begin(self) -> float:
        self._cancel_retries = threading.Event()
        self._invocations: list[threading.Thread] = []
        self._answers: dict[str, threading.Event] = {}
        self._local_errors: dict[str, str] = {}
        return time.monotonic()

    def _finish(self, action: str, started: float, phases: list[PhaseReport]) -> DeployReport:
        wall = time.monotonic() - started
        # Invocations still running, Lambda's retries included, may answer late: that is what the
        # exactly-one-answer count is for. Wait up to drain_timeout_s, then drop the retries still waiting
        # and give the invocations under way 2 s to end (the pool closing under them would fail them).
        for wait_s in (self.drain_timeout_s, 2.0):
            deadline = time.monotonic() + wait_s
            for invoker in self._invocations:
                invoker.join(timeout=max(0.0, deadline - time.monotonic()))
            self._cancel_retries.set()
        with self._lock:
            request_ids = list(self._answers)
        answers = {rid: len(self.receiver.responses_for(rid)) for rid in request_ids}
        return DeployReport(action, self.state, tuple(phases), wall, answers, self.pool.stats())


def _assembly_of(assembly: CloudAssembly | Path) -> CloudAssembly:
    return assembly if isinstance(assembly, CloudAssembly) else CloudAssembly(Path(assembly))
