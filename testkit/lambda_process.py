"""Run a Lambda handler for real: AWS's own runtime interface client in a Lambda-like process.

Why a process and not a function call: the behaviours worth testing in a custom-resource
handler are the ones a direct call hides - what is importable in the asset (and what only
happened to be installed in the test virtualenv), what the environment holds, how the
handler logs through the runtime's root handler and formatter, what happens at the
deadline (crhelper arms a timer at ``get_remaining_time_in_millis() - 0.5 s``), and what
survives from one event to the next in a warm container.

So each execution environment is ``python -S -m awslambdaric <handler>``, the runtime
interface client that Lambda's Python runtimes run, polling a
:class:`~testkit.runtime_api.RuntimeApi` of its own for events. The client does what
it does in Lambda: imports the handler once (init; an import failure is posted to
``/init/error`` and ends the process), installs its log handler and formatter on the root
logger (``AWS_LAMBDA_LOG_FORMAT``, ``AWS_LAMBDA_LOG_LEVEL``), builds ``context`` from the
Runtime API's headers, reports a handler exception and posts each outcome. The process has:

* a clean environment: ``PATH`` plus Lambda's variables (``AWS_LAMBDA_RUNTIME_API``,
  ``_HANDLER``, ``LAMBDA_TASK_ROOT``, ``AWS_REGION``, ``AWS_EXECUTION_ENV``, the log format
  and level, dummy session credentials, ...) merged with the caller's ``env``
  (``AWS_ENDPOINT_URL_APPINTEGRATIONS``, ``SSL_CERT_FILE``...).
  ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE`` point at ``os.devnull`` so a
  developer's ``~/.aws`` cannot leak in;
* ``sys.path`` = ``code_dir``, then ``extra_paths``, then ``extra_packages`` (venv
  distributions by name, e.g. ``("crhelper",)`` when ``code_dir`` is ``lambda_src/``),
  then the runtime's own packages (:data:`RUNTIME_PACKAGES`: boto3, awslambdaric and their
  dependencies), like Lambda's ``/var/task``, ``/opt/python``, ``/var/runtime``. ``-S``
  keeps the virtualenv's site-packages out: the venv packages are exposed through
  per-distribution "shim" directories of symlinks, so a dependency the asset forgot to
  ship fails here as it would in Lambda;
* ``cwd`` = ``code_dir`` (Lambda's working directory is ``LAMBDA_TASK_ROOT``), and
  ``PYTHONDONTWRITEBYTECODE=1`` so running a handler never adds ``__pycache__`` to the
  asset directory (which would change a CDK asset hash).

What the client cannot show stays here, in the runner, because in Lambda the platform
does it, not the runtime: the end of an invocation at its deadline (the runner SIGKILLs
the process group at ``timeout_ms`` and writes Lambda's "Task timed out" line), the
limit on init (``init_timeout_s``), and what a new environment is (a new process, a cold
start). Warm reuse is the client's own loop: it asks for the next event in the same process.

Lambda's own init limit is 10 s, but the default here is ``DEFAULT_INIT_TIMEOUT_S`` (60 s):
on a shared 2-core machine under load, starting Python and importing boto3 has taken over
10 s, and a test must not fail for the machine's speed. How long init takes is measured by
``benchmarks.cold_start``.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import importlib.metadata
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypedDict, Unpack

from testkit.account import ACCOUNT
from testkit.runtime_api import Invocation, RuntimeApi

__all__ = [
    "DUMMY_CREDENTIALS",
    "REPO_ROOT",
    "ContainerDiedError",
    "InvocationResult",
    "LoggingConfig",
    "MemoryUse",
    "SandboxOptions",
    "WarmContainer",
    "invoke",
    "invoke_many",
    "kill_group",
    "lambda_environment",
    "memory_use",
    "package_shim",
    "yield_cpu",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FUNCTION_NAME = "cdk-appintegrations-cr"
RUNTIME_PACKAGES = ("boto3", "awslambdaric")
"""What the Lambda python runtime provides besides the standard library (with dependencies)."""
DEFAULT_INIT_TIMEOUT_S = 60.0
"""The runner's limit on init; generous on purpose (see the module docstring)."""
EXECUTION_ENV = "AWS_Lambda_python3.14"

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEdummySessionTokenForLocalTestsOnly",
}
"""Lambda hands the function session credentials through the environment; these are fake."""


@dataclass(frozen=True)
class InvocationResult:
    """What one invocation produced.

    ``returncode`` is 0 when the handler returned, 1 when it raised or init failed,
    ``-SIGKILL`` when the runner ended the process (the deadline, the init limit), and the
    process's own status if the handler made it exit.
    ``stdout``/``stderr`` hold this invocation's output only; init output (module import)
    is attached to the first invocation of each process, as Lambda does.
    ``duration_s`` is the handler's own run time (Lambda's "Duration"), not process start-up;
    ``init_duration_s`` (first invocation only) is from the process's start to its first
    poll of the Runtime API, as Lambda's "Init Duration" (interpreter and runtime start included).
    """

    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    status: str = "ok"
    """``ok``, ``error``, ``timeout``, ``init_error`` or ``crashed``."""
    request_id: str | None = None
    response: Any = None
    """The handler's return value as the runtime posted it (``None`` unless ``status == "ok"``)."""
    error_type: str | None = None
    """``errorType`` of the runtime's error report (e.g. ``Runtime.ImportModuleError`` for an init failure)."""
    error_message: str | None = None
    cold_start: bool = True
    init_duration_s: float | None = None
    pid: int = 0

    @property
    def ok(self) -> bool:
        """Whether the handler returned normally."""
        return self.status == "ok"

    @property
    def output(self) -> str:
        """stdout and stderr together: everything this invocation wrote to its log stream."""
        return self.stdout + self.stderr


# -- the package shims ----------------------------------------------------------------------

_SHIM_ROOT: Path | None = None


def _shim_root() -> Path:
    global _SHIM_ROOT  # noqa: PLW0603 - one directory per test process, removed at exit
    if _SHIM_ROOT is None:
        _SHIM_ROOT = Path(tempfile.mkdtemp(prefix="lambda-shims-"))
        atexit.register(shutil.rmtree, _SHIM_ROOT, True)
    return _SHIM_ROOT


def _requirement_names(distribution: importlib.metadata.Distribution) -> list[str]:
    names = []
    for requirement in distribution.requires or []:
        if "extra ==" in requirement.replace('"', "'").replace("extra==", "extra =="):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match is not None:
            names.append(match.group(0))
    return names


def _closure(names: Sequence[str]) -> list[importlib.metadata.Distribution]:
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        distribution = importlib.metadata.distribution(name)
        seen[key] = distribution
        pending.extend(_requirement_names(distribution))
    return list(seen.values())


def _top_level_entries(distribution: importlib.metadata.Distribution) -> set[str]:
    entries = set()
    for file in distribution.files or []:
        top = file.parts[0]
        if top in ("..", "__pycache__") or top.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        entries.add(top)
    return entries


_SHIM_LOCK = threading.Lock()


def package_shim(*names: str, exclude: tuple[str, ...] = ()) -> Path:
    """A directory exposing only the named venv distributions and their dependencies.

    It holds symlinks to the distributions' top-level modules, so putting it on
    ``PYTHONPATH`` makes exactly those importable (unlike the whole site-packages).
    Distributions in the dependency closure of ``exclude`` are left out (used to keep the
    runtime's boto3 out of an extra-packages shim). Thread-safe: a pool starting many
    sandboxes at once must never hand one a directory another thread is still filling.
    """
    with _SHIM_LOCK:
        return _package_shim(names, exclude)


@cache
def _package_shim(names: tuple[str, ...], exclude: tuple[str, ...]) -> Path:
    excluded = {d.metadata["Name"].lower() for d in _closure(exclude)} if exclude else set()
    directory = _shim_root() / ("-".join(sorted(names)) + ("-minus-" + "-".join(exclude) if exclude else ""))
    directory.mkdir(parents=True, exist_ok=True)
    for distribution in _closure(names):
        if distribution.metadata["Name"].lower() in excluded:
            continue
        for entry in _top_level_entries(distribution):
            target = Path(str(distribution.locate_file(entry)))
            link = directory / entry
            if target.exists() and not link.exists():
                link.symlink_to(target, target_is_directory=target.is_dir())
    return directory


# -- environment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggingConfig:
    """A function's ``LoggingConfig`` as its runtime sees it: ``AWS_LAMBDA_LOG_FORMAT``, and
    ``AWS_LAMBDA_LOG_LEVEL`` only when a level is given.

    Lambda passes ``ApplicationLogLevel`` only with the JSON format (INFO when unset);
    :meth:`of_function` applies that rule to a template's function. A level given here with
    the Text format still reaches the runtime: tests use it to turn the handler's DEBUG on.
    """

    log_format: str = "Text"
    log_level: str | None = None

    @classmethod
    def of_function(cls, properties: Mapping[str, Any]) -> LoggingConfig:
        """What Lambda applies for an ``AWS::Lambda::Function``'s properties."""
        config = properties.get("LoggingConfig") or {}
        log_format = str(config.get("LogFormat") or "Text")
        if log_format != "JSON":
            return cls(log_format)
        return cls(log_format, str(config.get("ApplicationLogLevel") or "INFO"))


def lambda_environment(
    code_dir: Path,
    *,
    handler: str,
    function_name: str = DEFAULT_FUNCTION_NAME,
    memory_mb: int = 128,
    region: str = "us-east-1",
    python_path: Sequence[Path] = (),
    logging_config: LoggingConfig = LoggingConfig(),
) -> dict[str, str]:
    """The variables a Lambda python function sees (before the caller's additions and the Runtime API's address)."""
    today = dt.datetime.now(dt.timezone.utc)
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": EXECUTION_ENV,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_LOG_FORMAT": logging_config.log_format,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": handler,
        **DUMMY_CREDENTIALS,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": os.pathsep.join(str(path) for path in python_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if logging_config.log_level is not None:
        env["AWS_LAMBDA_LOG_LEVEL"] = logging_config.log_level
    return env


# -- options --------------------------------------------------------------------------------


class SandboxOptions(TypedDict, total=False):
    """How the sandbox runs the function: the keyword arguments :func:`invoke`, :func:`invoke_many` and
    :class:`WarmContainer` share. Every key is optional; :func:`_settings` applies the defaults, once."""

    timeout_ms: int
    """The function's timeout (default 60000)."""
    handler: str
    """``<module>.<function>`` (default ``index.handler``)."""
    extra_paths: Sequence[Path]
    """Directories on ``sys.path`` after ``code_dir``, like layers' ``/opt/python``."""
    extra_packages: Sequence[str]
    """Venv distributions exposed by name (with their dependencies), e.g. ``("crhelper",)``."""
    function_name: str
    """``AWS_LAMBDA_FUNCTION_NAME`` and the ARN's last part (default ``cdk-appintegrations-cr``)."""
    memory_mb: int
    """``AWS_LAMBDA_FUNCTION_MEMORY_SIZE`` (default 128); informational, nothing enforces it."""
    logging_config: LoggingConfig
    """The function's ``LoggingConfig`` (default: Lambda's, the Text format and no level)."""
    init_timeout_s: float
    """How long init may take before the runner kills it (default :data:`DEFAULT_INIT_TIMEOUT_S`)."""


@dataclass(frozen=True)
class _Settings:
    code_dir: Path
    handler: str
    env: dict[str, str]
    timeout_ms: int
    function_arn: str
    init_timeout_s: float

    @property
    def timeout_s(self) -> float:
        """The timeout in seconds, for deadline arithmetic."""
        return self.timeout_ms / 1000.0


def _settings(code_dir: Path, env: Mapping[str, str], options: SandboxOptions) -> _Settings:
    """Resolve the options (their defaults are here and nowhere else) into what a sandbox needs."""
    if "PYTHONPATH" in env:
        raise ValueError("pass extra_paths / extra_packages instead of PYTHONPATH")
    handler = options.get("handler", "index.handler")
    function_name = options.get("function_name", DEFAULT_FUNCTION_NAME)
    code_dir = Path(code_dir).resolve()
    python_path = [code_dir, *(Path(p).resolve() for p in options.get("extra_paths", ()))]
    extra_packages = options.get("extra_packages", ())
    if extra_packages:
        python_path.append(package_shim(*extra_packages, exclude=RUNTIME_PACKAGES))
    python_path.append(package_shim(*RUNTIME_PACKAGES))
    full_env = lambda_environment(
        code_dir,
        handler=handler,
        function_name=function_name,
        memory_mb=options.get("memory_mb", 128),
        python_path=python_path,
        logging_config=options.get("logging_config", LoggingConfig()),
    )
    full_env.update(env)
    return _Settings(
        code_dir=code_dir,
        handler=handler,
        env=full_env,
        timeout_ms=options.get("timeout_ms", 60000),
        function_arn=f"arn:aws:lambda:{full_env['AWS_REGION']}:{ACCOUNT}:function:{function_name}",
        init_timeout_s=options.get("init_timeout_s", DEFAULT_INIT_TIMEOUT_S),
    )


# -- one-off runs ---------------------------------------------------------------------------


def invoke(
    code_dir: Path, event: Mapping[str, Any], *, env: Mapping[str, str], **options: Unpack[SandboxOptions]
) -> InvocationResult:
    """Cold-start an environment, run ``event`` through the handler, and return what happened."""
    [result] = invoke_many(code_dir, [event], env=env, **options)
    return result


def invoke_many(
    code_dir: Path,
    events: Sequence[Mapping[str, Any]],
    *,
    env: Mapping[str, str],
    **options: Unpack[SandboxOptions],
) -> list[InvocationResult]:
    """Run ``events`` one after another in one warm environment; one result per event.

    Module state survives between events, as in a warm Lambda container. When the
    environment dies (timeout, init failure, crash), the remaining events go to a fresh
    one - a new cold start, which is what Lambda would do.
    """
    results: list[InvocationResult] = []
    container: WarmContainer | None = None
    try:
        for event in events:
            if container is None or not container.alive:
                if container is not None:
                    container.close()
                container = WarmContainer(code_dir, env=env, **options)
            results.append(container.invoke(event))
    finally:
        if container is not None:
            container.close()
    return results


# -- warm containers ------------------------------------------------------------------------


class ContainerDiedError(RuntimeError):
    """The warm container is gone (timed out, crashed, failed init or closed): start another."""


@dataclass(frozen=True)
class MemoryUse:
    """A process's memory, from ``/proc``: resident set (``VmRSS``) and proportional set (``Pss``).

    RSS counts shared pages (the interpreter, shared libraries) in full for every process;
    PSS splits them among the processes sharing them, so summing PSS over many containers
    is what they really cost the machine.
    """

    rss_bytes: int
    pss_bytes: int | None


def memory_use(pid: int) -> MemoryUse | None:
    """``pid``'s memory, or ``None`` when it is gone (or ``/proc`` is not there)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    rss = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), None)
    if rss is None:
        return None
    pss = None
    with contextlib.suppress(OSError, ValueError):
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
        pss = next((int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")), None)
    return MemoryUse(rss, pss)


def kill_group(pid: int) -> None:
    """SIGKILL the process group that ``pid`` leads (started in a new session: its children go too); a gone one is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def yield_cpu(pid: int, nice: int) -> None:
    """Lower ``pid``'s CPU priority: ``SCHED_IDLE`` where the platform has it, else ``nice`` more than ours.

    Why so low: with hundreds of such processes runnable at once, even nice 19 (weight 15
    each, against 1024 for a normal process) leaves the driver's process, which hosts the
    local service stand-ins, a few percent of a core. ``SCHED_IDLE`` runs them only when
    nothing else wants the CPU. Threads the process starts later inherit the policy.
    """
    with contextlib.suppress(OSError):  # it may already be gone; then there is nothing to slow down
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        else:  # pragma: no cover - macOS
            os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))


class WarmContainer:
    """One execution environment: ``awslambdaric`` polling its own Runtime API, fed one event at a time.

    It starts at once (init begins: the cold start, reported on its first invocation) and
    then runs each event as it arrives, one at a time, like a Lambda execution environment.
    It dies with the invocation that times out, crashes or fails init: then :attr:`alive`
    turns false and :meth:`invoke` raises :class:`ContainerDiedError`.

    Output: the process writes to pipes whose write ends the runner keeps too, and the
    Runtime API's hooks write a marker line into them when an event is handed out and when
    its outcome arrives. Everything the client wrote before asking for the event or posting
    its outcome is in the pipe before the marker, so each invocation gets exactly its own
    output, and what comes between invocations goes with the next, as in Lambda.

    Memory: each container is a Python process holding boto3 (see :func:`memory_use`);
    whoever starts many must keep an eye on the machine.
    """

    def __init__(
        self, code_dir: Path, *, env: Mapping[str, str], nice: int = 0, **options: Unpack[SandboxOptions]
    ) -> None:
        """Start the environment; init (importing the handler) begins at once, in the background.

        ``nice`` (non-zero) lowers the process's CPU priority, see :func:`yield_cpu`: a driver
        running hundreds of environments next to the local AppIntegrations and S3 stand-ins must
        not starve them, since the real services do not share the function's CPU.
        """
        self._settings = _settings(code_dir, env, options)
        self._marker = f"@@lambda-runner-{secrets.token_hex(8)}@@"
        self._cond = threading.Condition()
        self._buffers: dict[tuple[str, int], list[str]] = {}
        self._ended: dict[str, set[int]] = {"stdout": set(), "stderr": set()}
        self._index_of: dict[str, int] = {}
        self._next_index = 0
        self._busy = False
        self._dead = False
        self._api = RuntimeApi(self._settings.function_arn, on_start=self._started, on_end=self._ended_marker)
        read_out, self._write_out = os.pipe()
        read_err, self._write_err = os.pipe()
        self._pipe_lock = threading.Lock()
        self._pipes_open = True
        self._spawned = time.monotonic()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-S", "-m", "awslambdaric", self._settings.handler],
                cwd=self._settings.code_dir,
                env={**self._settings.env, "AWS_LAMBDA_RUNTIME_API": self._api.address},
                stdin=subprocess.DEVNULL,
                stdout=self._write_out,
                stderr=self._write_err,
                start_new_session=True,  # so a kill takes the handler's children with it
            )
        except OSError:
            for fd in (read_out, read_err, self._write_out, self._write_err):
                os.close(fd)
            self._api.close()
            raise
        if nice:
            yield_cpu(self._process.pid, nice)
        self._pumps = [
            threading.Thread(target=self._pump, args=(fd, name), daemon=True, name=f"warm-{name}")
            for fd, name in ((read_out, "stdout"), (read_err, "stderr"))
        ]
        for pump in self._pumps:
            pump.start()

    # -- state ---------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The process id (also its process group)."""
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the environment can take another event."""
        with self._cond:
            if self._dead:
                return False
        if _has_exited(self._process):
            self._bury()
            return False
        return True

    @property
    def invocations(self) -> int:
        """Events handed to this container so far."""
        return self._next_index

    def memory(self) -> MemoryUse | None:
        """The process's memory now (``None`` once it is gone)."""
        return None if self._dead else memory_use(self.pid)

    # -- running -------------------------------------------------------------------------

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event`` now and wait for its outcome (one event at a time per container)."""
        with self._cond:
            if self._dead:
                raise ContainerDiedError(f"container {self.pid} is gone")
            if self._busy:
                raise RuntimeError(f"container {self.pid} is busy: a Lambda environment runs one event at a time")
            self._busy = True
            index = self._next_index
            self._next_index += 1
        try:
            return self._invoke(index, event)
        finally:
            with self._cond:
                self._busy = False

    def _invoke(self, index: int, event: Mapping[str, Any]) -> InvocationResult:
        request_id = str(uuid.uuid4())
        with self._cond:  # before the event can be handed out: the hooks look its index up
            self._index_of[request_id] = index
        invocation = self._api.submit(event, timeout_ms=self._settings.timeout_ms, request_id=request_id)
        sent = time.monotonic()
        killed = False
        while not invocation.done.is_set():
            if _has_exited(self._process) or self._dead:
                break
            if invocation.started is not None:
                deadline = invocation.started + self._settings.timeout_s
            else:  # init (the first event) or a client that does not poll
                deadline = (self._spawned if index == 0 else sent) + self._settings.init_timeout_s
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                killed = True
                self._kill(invocation)
                break
            # Waking every half second is what notices a process that died on its own.
            self._api.wait(invocation.done.is_set, min(remaining, 0.5))
        if not invocation.done.is_set():
            self._await_exit(2.0)  # e.g. after an init error the client is exiting on its own
            self._bury()
            self._mark("END", index, invocation.request_id)  # its output is all in the pipes now
        self._await_markers(index)
        return self._result(index, invocation, killed=killed)

    def _kill(self, invocation: Invocation) -> None:
        """Lambda's platform ends an invocation at its deadline: the whole environment goes, then its line is written."""
        kill_group(self._process.pid)
        if invocation.started is not None:
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            line = f"{stamp} {invocation.request_id} Task timed out after {self._settings.timeout_s:.2f} seconds\n"
            self._write(self._write_out, line)

    def _started(self, invocation: Invocation) -> None:
        with self._cond:
            index = self._index_of.get(invocation.request_id, -1)
        self._mark("START", index, invocation.request_id)

    def _ended_marker(self, invocation: Invocation) -> None:
        with self._cond:
            index = self._index_of.get(invocation.request_id, -1)
        self._mark("END", index, invocation.request_id)

    def _mark(self, kind: str, index: int, request_id: str) -> None:
        line = f"{self._marker} {kind} {index} {request_id}\n"
        for fd in (self._write_out, self._write_err):
            self._write(fd, line)

    def _write(self, fd: int, text: str) -> None:
        """Append to an output pipe (one write of under PIPE_BUF bytes: never split by another writer).

        Under its own lock, which :meth:`close` takes to close the pipes: a Runtime API hook
        still running then must not write to a descriptor number the process reuses. Not
        under ``_cond``, which the pumps need to drain a full pipe.
        """
        with self._pipe_lock:
            if not self._pipes_open:
                return
            with contextlib.suppress(OSError):
                os.write(fd, text.encode())

    def _await_markers(self, index: int) -> None:
        with self._cond:
            self._cond.wait_for(lambda: all(index in ended for ended in self._ended.values()), timeout=10)

    def _await_exit(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not _has_exited(self._process) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _result(self, index: int, invocation: Invocation, *, killed: bool) -> InvocationResult:
        with self._cond:
            stdout = "".join(self._buffers.pop(("stdout", index), []))
            stderr = "".join(self._buffers.pop(("stderr", index), []))
        init_error = self._api.init_error if index == 0 else None
        payload = invocation.payload()
        if invocation.outcome == "response":
            status, returncode = "ok", 0
        elif invocation.outcome == "error":
            status, returncode = "error", 1
        elif killed:
            status, returncode = "timeout", self._process.returncode
        elif init_error is not None and invocation.started is None:
            status, returncode, payload = "init_error", 1, init_error
        else:
            status, returncode = "crashed", self._process.returncode
        started = invocation.started
        end = invocation.finished or time.monotonic()
        first_poll = self._api.first_poll
        return InvocationResult(
            returncode=returncode,
            stdout=stdout,
            stderr=stderr,
            duration_s=end - started if started is not None else 0.0,
            timed_out=status == "timeout",
            status=status,
            request_id=invocation.request_id,
            response=payload if status == "ok" else None,
            error_type=payload.get("errorType") if status != "ok" and isinstance(payload, dict) else None,
            error_message=payload.get("errorMessage") if status != "ok" and isinstance(payload, dict) else None,
            cold_start=index == 0,
            init_duration_s=first_poll - self._spawned if index == 0 and first_poll is not None else None,
            pid=self._process.pid,
        )

    def _pump(self, fd: int, name: str) -> None:
        current = 0
        with open(fd, "rb") as stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace")
                position = line.find(self._marker)
                with self._cond:
                    if position < 0:
                        self._buffers.setdefault((name, current), []).append(line)
                        continue
                    if position > 0:  # output without a trailing newline, then the marker
                        self._buffers.setdefault((name, current), []).append(line[:position] + "\n")
                    _marker, kind, index, _request_id = line[position:].split()
                    if kind == "START":
                        current = int(index)
                    else:
                        self._ended[name].add(int(index))
                        current = int(index) + 1  # output between invocations shows up with the next one
                        self._cond.notify_all()

    # -- ending --------------------------------------------------------------------------

    def _bury(self) -> None:
        """Kill the whole process group (before reaping: its id cannot have been reused) and reap."""
        with self._cond:
            if self._dead:
                return
            self._dead = True
        kill_group(self._process.pid)
        self._process.wait()
        self._api.changed()

    def close(self) -> None:
        """Kill the environment (Lambda reclaims idle ones without warning) and release its pipes. Idempotent."""
        self._bury()  # first: no event is taken from here on
        self._api.close()
        with self._pipe_lock:
            if not self._pipes_open:
                return
            self._pipes_open = False
            for fd in (self._write_out, self._write_err):  # the pumps then reach the end of their pipes
                os.close(fd)
        for pump in self._pumps:
            pump.join(timeout=5)


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process has exited, *without* reaping it (so its pid stays reserved)."""
    if not hasattr(os, "waitid"):  # pragma: no cover - Linux and macOS have waitid
        return process.poll() is not None
    state = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return state is not None
