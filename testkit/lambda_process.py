"""Run a Lambda handler for real: AWS's own runtime interface client in a Lambda-like process.

Why a process: a direct call hides what is importable in the asset, what the environment holds, how
the runtime formats the handler's logs, the deadline and what survives in a warm container. Each
environment is ``python -S -m awslambdaric <handler>`` polling its own :class:`RuntimeApi`, with
Lambda's variables (dummy credentials, no ``~/.aws``), ``cwd`` = ``code_dir``, and ``sys.path`` =
``code_dir``, the named venv packages, then the runtime's (:data:`RUNTIME_PACKAGES`), each through a
directory of symlinks: ``-S`` keeps the venv out, so a dependency the asset forgot fails as in Lambda.
What Lambda's platform does is done here: the deadline (SIGKILL and Lambda's "Task timed out" line),
the init limit (60 s, not 10: a loaded 2-core machine has taken longer to import boto3), cold starts,
the freeze between events (SIGSTOP while the client waits for one, SIGCONT when it comes: a thread the
handler leaves behind runs on the next event, not in between) and the refusal of reserved variables.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from testkit.account import ACCOUNT

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FUNCTION_NAME = "cdk-appintegrations-cr"
RUNTIME_PACKAGES = ("boto3", "awslambdaric")  # what Lambda's python runtime adds to the standard library
DEFAULT_INIT_TIMEOUT_S = 60.0
EXECUTION_ENV = "AWS_Lambda_python3.14"
# Lambda refuses a function whose environment sets one of these (docs: "Defined runtime environment variables").
_RESERVED = """_HANDLER _X_AMZN_TRACE_ID AWS_DEFAULT_REGION AWS_REGION AWS_EXECUTION_ENV AWS_LAMBDA_FUNCTION_NAME
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_FUNCTION_VERSION AWS_LAMBDA_INITIALIZATION_TYPE AWS_LAMBDA_LOG_GROUP_NAME
    AWS_LAMBDA_LOG_STREAM_NAME AWS_ACCESS_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    AWS_LAMBDA_RUNTIME_API LAMBDA_TASK_ROOT LAMBDA_RUNTIME_DIR TZ"""
RESERVED_VARIABLES = frozenset(_RESERVED.split())
DUMMY_CREDENTIALS = {  # Lambda hands the function session credentials in its environment
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEdummySessionTokenForLocalTestsOnly",
}


@dataclass(frozen=True)
class InvocationResult:
    """One invocation: ``status`` is ``ok``, ``error``, ``timeout``, ``init_error`` or ``crashed``; ``returncode`` 0, 1
    (raised, init failed), ``-SIGKILL`` (the runner's kill) or the process's own. The output is this invocation's (init's
    goes with a cold start's); ``duration_s`` is the handler's, ``init_duration_s`` from process start to first poll.
    """

    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    status: str = "ok"
    request_id: str | None = None
    response: Any = None  # what the handler returned
    error_type: str | None = None  # of the runtime's error report, e.g. Runtime.ImportModuleError
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
        """Everything this invocation wrote to its log stream."""
        return self.stdout + self.stderr


# -- the Runtime API ----------------------------------------------------------------------------

_PREFIX = "/2018-06-01/runtime"
_OUTCOME = re.compile(rf"^{_PREFIX}/invocation/([^/]+)/(response|error)$")


@dataclass
class Invocation:
    """One event and, once the client posts it, its outcome."""

    request_id: str
    event: bytes
    timeout_ms: int
    started: float | None = None  # time.monotonic() when handed to the client
    outcome: str | None = None  # "response" or "error"
    body: bytes = b""
    finished: float | None = None
    output_end: tuple[int, int] = (0, 0)  # how much the process had written to stdout and stderr by the outcome
    done: threading.Event = field(default_factory=threading.Event)


class RuntimeApi:
    """One environment's Lambda Runtime API, as AWS's runtime interface emulator serves it.

    ``GET .../invocation/next`` waits for an event and answers it with the request id, the deadline
    (epoch ms), the function ARN, a trace id and a ``Content-Type`` (without one the client's C part
    crashes, silently); the client posts ``.../{id}/response``, ``.../{id}/error`` or ``/init/error``.
    ``on_end`` runs when an outcome arrives, before :attr:`Invocation.done` is set. ``freeze(True)``
    runs when the client polls and no event waits (Lambda then freezes the environment), ``freeze(False)``
    when an event comes. Waits block on a condition, not a poll, so hundreds of idle environments cost no CPU.
    """

    def __init__(self, function_arn: str, on_end: Callable[[Invocation], None], freeze: Callable[[bool], None]) -> None:
        """Listen at once: the client may poll before any event."""
        self.function_arn = function_arn
        self._on_end, self._freeze = on_end, freeze
        self._cond = threading.Condition()
        self._queue: deque[Invocation] = deque()
        self._running: dict[str, Invocation] = {}
        self._closed = False
        self.first_poll: float | None = None  # time.monotonic() of the client's first poll: init is over
        self.init_error: dict[str, Any] | None = None  # the body of /init/error
        self._server = _RuntimeApiServer(("127.0.0.1", 0), _RuntimeApiHandler)
        self._server.api = self
        self._thread = threading.Thread(target=self._accept, daemon=True, name="runtime-api")
        self._thread.start()

    @property
    def address(self) -> str:
        """``AWS_LAMBDA_RUNTIME_API``: host and port."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def submit(self, event: Mapping[str, Any], *, timeout_ms: int) -> Invocation:
        """Queue ``event``; its deadline is ``timeout_ms`` after the client takes it."""
        invocation = Invocation(str(uuid.uuid4()), json.dumps(event).encode(), timeout_ms)
        with self._cond:
            self._queue.append(invocation)
            self._freeze(False)  # under the lock, so never before the freeze of a poll that found no event
            self._cond.notify_all()
        return invocation

    def close(self) -> None:
        """Stop listening and release every waiting poll. Idempotent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            self._server.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._thread.join(timeout=5)
        self._server.server_close()

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self._server.get_request()
            except OSError:
                return
            self._server.process_request(connection, address)  # a thread per connection

    def _next(self) -> Invocation | None:
        with self._cond:
            self.first_poll = self.first_poll or time.monotonic()
            if not self._queue and not self._closed:
                self._freeze(True)
            self._cond.wait_for(lambda: self._queue or self._closed)
            if self._closed:
                return None
            invocation = self._queue.popleft()
            invocation.started = time.monotonic()
            self._running[invocation.request_id] = invocation
        return invocation

    def _finish(self, request_id: str, outcome: str, body: bytes) -> bool:
        with self._cond:
            invocation = self._running.pop(request_id, None)
            if invocation is None:
                return False
            invocation.outcome, invocation.body, invocation.finished = outcome, body, time.monotonic()
        self._on_end(invocation)
        invocation.done.set()
        return True


class _RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    api: RuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client killed mid-call (the deadline, a crash) is what the tests make happen."""


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the client keeps its connection open between calls

    def do_GET(self) -> None:
        api = cast("_RuntimeApiServer", self.server).api
        invocation = api._next() if self.path == f"{_PREFIX}/invocation/next" else None
        if invocation is None:  # closing (the client is being stopped too), or an unknown path
            self.close_connection = True
            return
        deadline_ms = int(time.time() * 1000) + invocation.timeout_ms
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
        self._reply(
            200,
            invocation.event,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                "Lambda-Runtime-Trace-Id": trace,
            },
        )

    def do_POST(self) -> None:
        api = cast("_RuntimeApiServer", self.server).api
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _OUTCOME.match(self.path)
        if self.path == f"{_PREFIX}/init/error":
            api.init_error = json.loads(body)
        elif match is None or not api._finish(match.group(1), match.group(2), body):
            self._reply(404, b'{"errorType": "InvalidRequestID"}')
            return
        self._reply(202, b'{"status": "OK"}')

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the function's output, not the server's."""


# -- the package shims ----------------------------------------------------------------------


@cache
def _shim_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="lambda-shims-"))
    atexit.register(shutil.rmtree, root, True)
    return root


def _closure(names: Sequence[str]) -> list[importlib.metadata.Distribution]:
    """The distributions ``names`` need, themselves included (extras left out)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name not in seen:
            seen[name] = importlib.metadata.distribution(name)
            requirements = seen[name].requires or []
            pending += [re.match(r"[\w.-]+", r)[0] for r in requirements if not re.search(r"extra\s*==", r)]  # type: ignore[index]
    return list(seen.values())


_SHIM_LOCK = threading.Lock()


def package_shim(*names: str, exclude: tuple[str, ...] = ()) -> Path:
    """A directory of symlinks to the named venv distributions and their dependencies, less ``exclude``'s.

    Thread-safe: a pool starting many sandboxes must never hand one a directory still being filled.
    """
    with _SHIM_LOCK:
        return _package_shim(names, exclude)


@cache
def _package_shim(names: tuple[str, ...], exclude: tuple[str, ...]) -> Path:
    excluded = {d.metadata["Name"].lower() for d in _closure(exclude)}
    directory = _shim_root() / ("-".join(sorted(names)) + "".join(f"-minus-{name}" for name in exclude))
    directory.mkdir(parents=True, exist_ok=True)
    for distribution in _closure(names):
        if distribution.metadata["Name"].lower() in excluded:
            continue
        for top in {file.parts[0] for file in distribution.files or []}:
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".egg-info", ".pth")):
                continue
            target, link = Path(str(distribution.locate_file(top))), directory / top
            if target.exists() and not link.exists():
                link.symlink_to(target, target_is_directory=target.is_dir())
    return directory


# -- environment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggingConfig:
    """A function's ``LoggingConfig`` as its runtime sees it: ``AWS_LAMBDA_LOG_FORMAT``, and the level if given.

    Lambda passes a level only with JSON (:meth:`of_function`); tests may give one with Text to turn DEBUG on.
    """

    log_format: str = "Text"
    log_level: str | None = None

    @classmethod
    def of_function(cls, properties: Mapping[str, Any]) -> LoggingConfig:
        """What Lambda applies for an ``AWS::Lambda::Function``'s properties."""
        config = properties.get("LoggingConfig") or {}
        if config.get("LogFormat") != "JSON":
            return cls(str(config.get("LogFormat") or "Text"))
        return cls("JSON", str(config.get("ApplicationLogLevel") or "INFO"))


def lambda_environment(
    code_dir: Path,
    *,
    handler: str,
    function_name: str = DEFAULT_FUNCTION_NAME,
    memory_mb: int = 128,
    python_path: Sequence[Path] = (),
    logging_config: LoggingConfig = LoggingConfig(),
) -> dict[str, str]:
    """The variables a Lambda python function sees (before the caller's and the Runtime API's address)."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": EXECUTION_ENV,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{dt.datetime.now(dt.timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
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
    return env if logging_config.log_level is None else {**env, "AWS_LAMBDA_LOG_LEVEL": logging_config.log_level}


# -- running ----------------------------------------------------------------------------------


def invoke(code_dir: Path, event: Mapping[str, Any], *, env: Mapping[str, str], **options: Any) -> InvocationResult:
    """Cold-start an environment (``options``: :class:`WarmContainer`'s), run ``event``, and return what happened."""
    [result] = invoke_many(code_dir, [event], env=env, **options)
    return result


def invoke_many(
    code_dir: Path, events: Sequence[Mapping[str, Any]], *, env: Mapping[str, str], **options: Any
) -> list[InvocationResult]:
    """Run ``events`` one after another in one warm environment; when it dies, the rest go to a new one (a cold start)."""
    results: list[InvocationResult] = []
    while len(results) < len(events):
        container = WarmContainer(code_dir, env=env, **options)
        try:
            results.append(container.invoke(events[len(results)]))
            while len(results) < len(events) and container.alive:
                results.append(container.invoke(events[len(results)]))
        finally:
            container.close()
    return results


class ContainerDiedError(RuntimeError):
    """The warm container is gone (timed out, crashed, failed init or closed): start another."""


@dataclass(frozen=True)
class MemoryUse:
    """A process's resident set and its proportional set (shared pages split among their sharers)."""

    rss_bytes: int
    pss_bytes: int | None


def memory_use(pid: int) -> MemoryUse | None:
    """``pid``'s memory from ``/proc``, or ``None`` when it is gone."""

    def field_kib(path: str, name: str) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            text = Path(f"/proc/{pid}/{path}").read_text(encoding="ascii")
            return next((int(line.split()[1]) * 1024 for line in text.splitlines() if line.startswith(name)), None)
        return None

    rss = field_kib("status", "VmRSS:")
    return None if rss is None else MemoryUse(rss, field_kib("smaps_rollup", "Pss:"))


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """SIGKILL (or ``sig``) the process group that ``pid`` leads (started in a new session: its children too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def yield_cpu(pid: int, nice: int) -> None:
    """Run ``pid`` only when nothing else wants the CPU (``SCHED_IDLE``; elsewhere ``nice`` more than ours).

    Why not nice 19 alone: hundreds of such processes still left the local stand-ins a few percent of a core.
    """
    with contextlib.suppress(OSError):  # it may already be gone
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        else:  # pragma: no cover - macOS
            os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))


class WarmContainer:
    """One execution environment: ``awslambdaric`` polling its own Runtime API, one event at a time, until it dies.

    Output goes to two files; what the process had written when an outcome arrived (or when it died)
    ends that invocation's share, so each gets exactly its own, and init's goes with the first, as in Lambda.
    """

    def __init__(
        self,
        code_dir: Path,
        *,
        env: Mapping[str, str],
        timeout_ms: int = 60000,
        handler: str = "index.handler",
        extra_packages: Sequence[str] = (),  # venv distributions (with their dependencies), e.g. ("crhelper",)
        function_name: str = DEFAULT_FUNCTION_NAME,
        memory_mb: int = 128,  # informational: nothing enforces it
        logging_config: LoggingConfig = LoggingConfig(),
        init_timeout_s: float = DEFAULT_INIT_TIMEOUT_S,
        nice: int = 0,
    ) -> None:
        """Start the process; init begins at once. ``nice``: see :func:`yield_cpu` (a driver's hundreds)."""
        if "PYTHONPATH" in env:
            raise ValueError("pass extra_packages instead of PYTHONPATH")
        if reserved := sorted(RESERVED_VARIABLES.intersection(env)):
            raise ValueError(f"Lambda refuses a function that sets reserved environment variables: {reserved}")
        code_dir = Path(code_dir).resolve()
        python_path = [code_dir]
        if extra_packages:
            python_path.append(package_shim(*extra_packages, exclude=RUNTIME_PACKAGES))
        python_path.append(package_shim(*RUNTIME_PACKAGES))
        lambda_env = lambda_environment(
            code_dir,
            handler=handler,
            function_name=function_name,
            memory_mb=memory_mb,
            python_path=python_path,
            logging_config=logging_config,
        )
        env = {**lambda_env, **env}
        self._timeout_s, self._init_timeout_s = timeout_ms / 1000, init_timeout_s
        self._lock = threading.Lock()
        self._index = -1  # of the latest event
        self._busy = self._dead = False
        self._read_to = (0, 0)  # how far the invocations so far took their output
        self._output = (tempfile.TemporaryFile(), tempfile.TemporaryFile())  # noqa: SIM115 - stdout, stderr: close() closes them
        arn = f"arn:aws:lambda:{env['AWS_REGION']}:{ACCOUNT}:function:{function_name}"
        self._api = RuntimeApi(arn, on_end=self._output_end, freeze=self._freeze)
        self._spawned = time.monotonic()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-S", "-m", "awslambdaric", handler],
                cwd=code_dir,
                env={**env, "AWS_LAMBDA_RUNTIME_API": self._api.address},
                stdin=subprocess.DEVNULL,
                stdout=self._output[0],
                stderr=self._output[1],
                start_new_session=True,  # so a kill takes the handler's children with it
            )
        except OSError:
            self._api.close()
            for file in self._output:
                file.close()
            raise
        if nice:
            yield_cpu(self._process.pid, nice)

    @property
    def pid(self) -> int:
        """The process id (also its process group)."""
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the environment can take another event."""
        if not self._dead and _has_exited(self._process):
            self._bury()
        return not self._dead

    def memory(self) -> MemoryUse | None:
        """The process's memory now (``None`` once it is gone)."""
        return None if self._dead else memory_use(self.pid)

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event`` now and wait for its outcome."""
        with self._lock:
            if self._dead:
                raise ContainerDiedError(f"container {self.pid} is gone")
            if self._busy:
                raise RuntimeError(f"container {self.pid} is busy: a Lambda environment runs one event at a time")
            self._busy = True
            self._index += 1
        try:
            return self._invoke(self._index, event)
        finally:
            self._busy = False

    def _invoke(self, index: int, event: Mapping[str, Any]) -> InvocationResult:
        invocation = self._api.submit(event, timeout_ms=round(self._timeout_s * 1000))
        sent = time.monotonic()
        killed = False
        while not invocation.done.is_set() and not self._dead and not _has_exited(self._process):
            if invocation.started is not None:
                deadline = invocation.started + self._timeout_s
            else:  # init (the first event) or a client that does not poll
                deadline = (self._spawned if index == 0 else sent) + self._init_timeout_s
            if deadline <= time.monotonic():
                killed = True
                break
            # Waking every half second is what notices a process that died on its own.
            invocation.done.wait(min(deadline - time.monotonic(), 0.5))
        if not invocation.done.is_set():
            for _ in range(0 if killed else 200):  # up to 2 s: e.g. after an init error the client exits on its own
                if self._dead or _has_exited(self._process):
                    break
                time.sleep(0.01)
            self._bury()  # Lambda ends the whole environment, then writes its line
            if killed and invocation.started is not None:
                stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                line = f"{stamp} {invocation.request_id} Task timed out after {self._timeout_s:.2f} seconds\n"
                with self._lock:
                    if not self._output[0].closed:
                        os.write(self._output[0].fileno(), line.encode())
            self._output_end(invocation)
        with self._lock:  # not while close() closes the files
            start, self._read_to = self._read_to, invocation.output_end
            stdout, stderr = (
                "" if file.closed else os.pread(file.fileno(), max(0, end - begin), begin).decode(errors="replace")
                for file, begin, end in zip(self._output, start, invocation.output_end, strict=True)
            )
        return self._result(index, invocation, stdout, stderr, killed=killed)

    def _freeze(self, frozen: bool) -> None:
        """Stop the whole environment while it waits for an event, as Lambda freezes it; continue it for the next."""
        if not self._dead and hasattr(self, "_process"):
            kill_group(self._process.pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def _output_end(self, invocation: Invocation) -> None:
        with self._lock:
            if not self._output[0].closed:
                invocation.output_end = tuple(os.fstat(file.fileno()).st_size for file in self._output)  # type: ignore[assignment]

    def _result(
        self, index: int, invocation: Invocation, stdout: str, stderr: str, *, killed: bool
    ) -> InvocationResult:
        init_error = self._api.init_error if index == 0 else None
        payload = json.loads(invocation.body) if invocation.body else None
        if invocation.outcome is not None:
            status, returncode = ("ok", 0) if invocation.outcome == "response" else ("error", 1)
        elif killed:
            status, returncode = "timeout", self._process.returncode
        elif init_error is not None and invocation.started is None:
            status, returncode, payload = "init_error", 1, init_error
        else:
            status, returncode = "crashed", self._process.returncode
        error = payload if status != "ok" and isinstance(payload, dict) else {}
        first_poll = self._api.first_poll
        return InvocationResult(
            returncode=returncode,
            stdout=stdout,
            stderr=stderr,
            duration_s=(invocation.finished or time.monotonic()) - invocation.started if invocation.started else 0.0,
            timed_out=status == "timeout",
            status=status,
            request_id=invocation.request_id,
            response=payload if status == "ok" else None,
            error_type=error.get("errorType"),
            error_message=error.get("errorMessage"),
            cold_start=index == 0,
            init_duration_s=first_poll - self._spawned if index == 0 and first_poll is not None else None,
            pid=self._process.pid,
        )

    def _bury(self) -> None:
        """Kill the whole process group (before reaping: its id cannot have been reused) and reap."""
        with self._lock:
            if self._dead:
                return
            self._dead = True
        kill_group(self._process.pid)
        self._process.wait()

    def close(self) -> None:
        """Kill the environment (Lambda reclaims idle ones without warning) and release its files. Idempotent."""
        self._bury()  # first: no event is taken from here on
        self._api.close()
        with self._lock:
            for file in self._output:
                file.close()


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process has exited, *without* reaping it (so its pid stays reserved)."""
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
