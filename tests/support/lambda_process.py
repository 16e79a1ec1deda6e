"""Run a Lambda handler for real, in a separate Lambda-like Python process.

Why a process and not a function call: the behaviours worth testing in a custom-resource
handler are the ones a direct call hides - what is importable in the asset (and what only
happened to be installed in the test virtualenv), what the environment holds, how the
handler logs through the runtime's root handler, what happens at the deadline (crhelper
arms a timer at ``get_remaining_time_in_millis() - 0.5 s``), and what survives from one
event to the next in a warm container. So each call starts ``python -S`` on
``_lambda_bootstrap.py`` with:

* a clean environment: ``PATH`` plus Lambda's variables (``AWS_REGION``,
  ``AWS_LAMBDA_FUNCTION_NAME``, ``LAMBDA_TASK_ROOT``, dummy session credentials, ...)
  merged with the caller's ``env`` (``AWS_ENDPOINT_URL_APPINTEGRATIONS``,
  ``SSL_CERT_FILE``...). ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE`` point at
  ``os.devnull`` so a developer's ``~/.aws`` cannot leak in;
* ``sys.path`` = ``code_dir``, then ``extra_paths``, then ``extra_packages`` (venv
  distributions by name, e.g. ``("crhelper",)`` when ``code_dir`` is ``lambda_src/``),
  then boto3 and its dependencies, like Lambda's ``/var/task``, ``/opt/python``,
  ``/var/runtime``. ``-S`` keeps the virtualenv's site-packages out: the venv packages are
  exposed through per-distribution "shim" directories of symlinks, so a dependency the
  asset forgot to ship fails here as it would in Lambda;
* ``cwd`` = ``code_dir`` (Lambda's working directory is ``LAMBDA_TASK_ROOT``), and
  ``PYTHONDONTWRITEBYTECODE=1`` so running a handler never adds ``__pycache__`` to the
  asset directory (which would change a CDK asset hash).

Deadlines: the bootstrap itself kills the sandbox at ``timeout_ms`` (printing Lambda's
"Task timed out" line); the parent additionally SIGKILLs the process group at
``timeout_ms + kill_grace_s`` (10 s by default) or when init takes longer than
``init_timeout_s``, and reports ``timed_out=True``. Lambda's own init limit is 10 s, but
the default here is ``DEFAULT_INIT_TIMEOUT_S`` (60 s): on a shared 2-core machine under
load, starting Python and importing boto3 has taken over 10 s, and a test must not fail
for the machine's speed. How long init takes is measured by ``benchmarks.cold_start``.
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
from typing import IO, Any, TypedDict, Unpack

from tests.support._lambda_bootstrap import TIMEOUT_EXIT_CODE
from tests.support.account import ACCOUNT

__all__ = [
    "DUMMY_CREDENTIALS",
    "REPO_ROOT",
    "TIMEOUT_EXIT_CODE",
    "ContainerDiedError",
    "InvocationResult",
    "MemoryUse",
    "SandboxOptions",
    "WarmContainer",
    "invoke",
    "invoke_many",
    "lambda_environment",
    "memory_use",
    "package_shim",
    "yield_cpu",
]

BOOTSTRAP = Path(__file__).with_name("_lambda_bootstrap.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FUNCTION_NAME = "cdk-appintegrations-cr"
RUNTIME_PACKAGES = ("boto3",)
DEFAULT_INIT_TIMEOUT_S = 60.0
"""The parent's limit on init; generous on purpose (see the module docstring)."""
"""What the Lambda python runtime provides besides the standard library (with dependencies)."""

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEdummySessionTokenForLocalTestsOnly",
}
"""Lambda hands the function session credentials through the environment; these are fake."""


@dataclass(frozen=True)
class InvocationResult:
    """What one invocation produced.

    ``returncode`` is 0 when the handler returned, 1 when it raised (or init failed),
    ``TIMEOUT_EXIT_CODE`` when the in-sandbox deadline fired, ``-SIGKILL`` when the parent
    had to kill the process, and the process's own status if the handler made it exit. For
    :func:`invoke` this is the exit status of the process.
    ``stdout``/``stderr`` hold this invocation's output only; init output (module import)
    is attached to the first invocation of each process, as Lambda does.
    ``duration_s`` is the handler's own run time (Lambda's "Duration"), not process start-up.
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
    """The handler's return value after a JSON round trip (``None`` unless ``status == "ok"``)."""
    error_type: str | None = None
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


def lambda_environment(
    code_dir: Path,
    *,
    handler: str,
    function_name: str = DEFAULT_FUNCTION_NAME,
    memory_mb: int = 128,
    region: str = "us-east-1",
    python_path: Sequence[Path] = (),
) -> dict[str, str]:
    """The variables a Lambda python function sees (before the caller's additions)."""
    today = dt.datetime.now(dt.timezone.utc)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": handler,
        **DUMMY_CREDENTIALS,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": os.pathsep.join(str(path) for path in python_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


# -- running --------------------------------------------------------------------------------


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
    enforce_deadline: bool
    """Whether the sandbox's own watchdog ends an invocation at ``timeout_ms`` (default true)."""
    kill_grace_s: float
    """How long past ``timeout_ms`` the parent waits before it SIGKILLs the sandbox (default 10)."""
    init_timeout_s: float
    """How long init may take before the parent kills it (default :data:`DEFAULT_INIT_TIMEOUT_S`)."""


def invoke(
    code_dir: Path, event: Mapping[str, Any], *, env: Mapping[str, str], **options: Unpack[SandboxOptions]
) -> InvocationResult:
    """Cold-start a sandbox, run ``event`` through the handler, and return what happened."""
    [result] = invoke_many(code_dir, [event], env=env, **options)
    return result


def invoke_many(
    code_dir: Path,
    events: Sequence[Mapping[str, Any]],
    *,
    env: Mapping[str, str],
    **options: Unpack[SandboxOptions],
) -> list[InvocationResult]:
    """Run ``events`` one after another in one warm sandbox; one result per event.

    Module state survives between events, as in a warm Lambda container. When the sandbox
    dies (timeout, init failure, crash), the remaining events go to a fresh one - a new
    cold start, which is what Lambda would do.
    """
    settings = _settings(code_dir, env, options)
    results: list[InvocationResult] = []
    while len(results) < len(events):
        results.extend(_run_sandbox(settings, list(events[len(results) :])))
    return results


def _settings(code_dir: Path, env: Mapping[str, str], options: SandboxOptions) -> _Settings:
    """Resolve the options (their defaults are here and nowhere else) into what a sandbox needs."""
    if "PYTHONPATH" in env:
        raise ValueError("pass extra_paths / extra_packages instead of PYTHONPATH")
    handler = options.get("handler", "index.handler")
    function_name = options.get("function_name", DEFAULT_FUNCTION_NAME)
    timeout_ms = options.get("timeout_ms", 60000)
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
    )
    full_env.update(env)
    return _Settings(
        code_dir=code_dir,
        handler=handler,
        env=full_env,
        timeout_ms=timeout_ms,
        function_arn=f"arn:aws:lambda:{full_env['AWS_REGION']}:{ACCOUNT}:function:{function_name}",
        enforce_deadline=options.get("enforce_deadline", True),
        kill_grace_s=options.get("kill_grace_s", 10.0),
        init_timeout_s=options.get("init_timeout_s", DEFAULT_INIT_TIMEOUT_S),
    )


@dataclass(frozen=True)
class _Settings:
    code_dir: Path
    handler: str
    env: dict[str, str]
    timeout_ms: int
    function_arn: str
    enforce_deadline: bool
    kill_grace_s: float
    init_timeout_s: float

    @property
    def timeout_s(self) -> float:
        """The timeout in seconds, for deadline arithmetic."""
        return self.timeout_ms / 1000.0


class _Output:
    """Collects one pipe's lines and notes when each invocation started (from the markers)."""

    def __init__(
        self, stream: IO[bytes], marker: str, starts: dict[int, tuple[float, str]], lock: threading.Lock
    ) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._marker = marker
        self._starts = starts
        self._lock = lock
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        for raw in iter(self._stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            position = line.find(self._marker)
            if position >= 0:
                fields = line[position:].split()
                if fields[1] == "START":
                    with self._lock:
                        self._starts.setdefault(int(fields[2]), (time.monotonic(), fields[3]))
            self.lines.append(line)
        self._stream.close()

    def split(self, count: int) -> list[str]:
        """This pipe's text for invocations ``0..count-1`` of the sandbox, markers removed."""
        buffers = [""] * max(count, 1)
        current = 0
        for line in self.lines:
            position = line.find(self._marker)
            if position < 0:
                buffers[min(current, len(buffers) - 1)] += line
                continue
            if position > 0:  # output without a trailing newline, then the marker
                buffers[min(current, len(buffers) - 1)] += line[:position] + "\n"
            fields = line[position:].split()
            if fields[1] == "START":
                current = int(fields[2])
        return buffers


def _run_sandbox(settings: _Settings, events: list[Mapping[str, Any]]) -> list[InvocationResult]:
    """One process: run as many of ``events`` as it survives; at least one result."""
    marker = f"@@lambda-bootstrap-{secrets.token_hex(8)}@@"
    with tempfile.TemporaryDirectory(prefix="lambda-run-") as scratch:
        results_file = Path(scratch) / "results.jsonl"
        command = _command(settings, marker, results_file)
        spawned = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=settings.code_dir,
            env=settings.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a kill takes the handler's children with it
        )
        if process.stdin is None or process.stdout is None or process.stderr is None:  # pragma: no cover
            raise RuntimeError("pipes were not created")
        starts: dict[int, tuple[float, str]] = {}  # index -> (monotonic start, request id)
        lock = threading.Lock()
        stdout = _Output(process.stdout, marker, starts, lock)
        stderr = _Output(process.stderr, marker, starts, lock)
        with contextlib.suppress(BrokenPipeError):  # the process may die before reading it
            process.stdin.write(json.dumps({"events": events}).encode())
            process.stdin.close()
        killed_at = _supervise(process, settings, starts, lock, spawned)
        stdout.thread.join(timeout=5)
        stderr.thread.join(timeout=5)
        records = {}
        if results_file.exists():
            for line in results_file.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                records[int(record["index"])] = record
    return _assemble(process, len(events), records, starts, killed_at=killed_at, pipes=(stdout, stderr))


def _command(settings: _Settings, marker: str, results_file: Path, *, serve: bool = False) -> list[str]:
    command = [
        sys.executable,
        "-S",  # no site: the venv's site-packages stay out of the sandbox
        str(BOOTSTRAP),
        "--handler",
        settings.handler,
        "--timeout-ms",
        str(settings.timeout_ms),
        "--results",
        str(results_file),
        "--marker",
        marker,
        "--function-arn",
        settings.function_arn,
    ]
    if not settings.enforce_deadline:
        command.append("--no-deadline")
    if serve:
        command.append("--serve")
    return command


def _supervise(
    process: subprocess.Popen[bytes],
    settings: _Settings,
    starts: dict[int, tuple[float, str]],
    lock: threading.Lock,
    spawned: float,
) -> float | None:
    """Wait for the process, SIGKILL its group past the hard deadline; return the kill time.

    Whatever happens, the whole process group is killed before the process is reaped: a
    finished sandbox takes its stray children with it (Lambda freezes them), and killing
    while the exited leader is still a zombie means its id cannot have been reused yet.
    """
    killed_at = None
    while not _has_exited(process):
        with lock:
            latest = max(starts) if starts else None
            started = starts[latest][0] if latest is not None else None
        if started is None:
            deadline = spawned + settings.init_timeout_s
        else:
            deadline = started + settings.timeout_s + settings.kill_grace_s
        if time.monotonic() > deadline:
            killed_at = time.monotonic()
            break
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return killed_at


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process has exited, *without* reaping it (so its pid stays reserved)."""
    if not hasattr(os, "waitid"):  # pragma: no cover - Linux and macOS have waitid
        return process.poll() is not None
    state = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return state is not None


def _assemble(
    process: subprocess.Popen[bytes],
    event_count: int,
    records: dict[int, dict[str, Any]],
    starts: dict[int, tuple[float, str]],
    *,
    killed_at: float | None,
    pipes: tuple[_Output, _Output],
) -> list[InvocationResult]:
    """One result per event the sandbox reached (at least one), from its reports and its stdout/stderr."""
    reached = max([*records, *starts, 0]) + 1
    count = min(reached, event_count)
    stdout, stderr = pipes
    outputs = zip(stdout.split(count), stderr.split(count), strict=True)
    return [
        _invocation_result(records.get(i), i, starts.get(i), killed_at=killed_at, process=process, output=output)
        for i, output in enumerate(outputs)
    ]


_RETURN_CODES: dict[str, int] = {"ok": 0, "error": 1, "init_error": 1}


def _invocation_result(
    record: Mapping[str, Any] | None,
    index: int,
    begun: tuple[float, str] | None,
    *,
    killed_at: float | None,
    process: subprocess.Popen[bytes],
    output: tuple[str, str],
) -> InvocationResult:
    """One invocation's outcome: the sandbox's own report, else (none) how its process ended.

    ``begun`` is when the invocation started and its request id, from the ``START`` marker;
    ``killed_at`` is when the parent killed the sandbox past its hard deadline, if it did;
    ``output`` is the invocation's stdout and stderr.
    """
    if record is not None:
        status = str(record["status"])
        returncode = _RETURN_CODES.get(status, process.returncode)
        duration = float(record.get("duration_s", 0.0))
        init_duration = record.get("init_duration_s")
    else:  # the parent killed it (hard deadline) or the process died on its own
        status = "timeout" if killed_at is not None else "crashed"
        returncode = process.returncode
        end = killed_at if killed_at is not None else time.monotonic()
        duration = end - begun[0] if begun is not None else 0.0
        init_duration = None
    reported = record or {}
    return InvocationResult(
        returncode=returncode,
        stdout=output[0],
        stderr=output[1],
        duration_s=duration,
        timed_out=status == "timeout",
        status=status,
        request_id=reported.get("request_id", begun[1] if begun is not None else None),
        response=reported.get("response"),
        error_type=reported.get("errorType"),
        error_message=reported.get("errorMessage"),
        cold_start=index == 0,
        init_duration_s=float(init_duration) if init_duration is not None else None,
        pid=process.pid,
    )


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
    """One Lambda-like sandbox that stays up between invocations and is fed one event at a time.

    Why, next to :func:`invoke_many`: that needs every event up front, whereas a
    CloudFormation-like driver learns of an event only when a resource becomes ready, and
    Lambda's concurrency model (an idle warm container takes the next event; with none idle
    a new one starts) needs a process that waits for work. The process is the same
    ``python -S`` sandbox as :func:`invoke` (same environment, ``sys.path`` and deadline);
    it initialises at once (the cold start, reported on its first invocation) and then runs
    each event as it arrives. Like a Lambda execution environment it runs one event at a
    time, and it dies with the invocation that times out, crashes or fails init: then
    :attr:`alive` turns false and :meth:`invoke` raises :class:`ContainerDiedError`.

    Memory: each container is a Python process holding boto3 (see :func:`memory_use`);
    whoever starts many must keep an eye on the machine.
    """

    def __init__(
        self, code_dir: Path, *, env: Mapping[str, str], nice: int = 0, **options: Unpack[SandboxOptions]
    ) -> None:
        """Start the sandbox; init (importing the handler) begins at once, in the background.

        ``nice`` (non-zero) lowers the sandbox's CPU priority, see :func:`yield_cpu`: a driver
        running hundreds of sandboxes next to the local AppIntegrations and S3 stand-ins must not
        starve them, since the real services do not share the function's CPU.
        """
        self._settings = _settings(code_dir, env, options)
        self._marker = f"@@lambda-bootstrap-{secrets.token_hex(8)}@@"
        self._scratch = Path(tempfile.mkdtemp(prefix="lambda-warm-"))
        self._results_file = self._scratch / "results.jsonl"
        self._results_file.touch()
        self._results_offset = 0
        self._records: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._buffers: dict[tuple[str, int], list[str]] = {}
        self._ended: dict[str, set[int]] = {"stdout": set(), "stderr": set()}
        self._starts: dict[int, tuple[float, str]] = {}
        self._eof = 0
        self._next_index = 0
        self._busy = False
        self._dead = False
        self._closed = False
        self._spawned = time.monotonic()
        self._process = subprocess.Popen(
            _command(self._settings, self._marker, self._results_file, serve=True),
            cwd=self._settings.code_dir,
            env=self._settings.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a kill takes the handler's children with it
        )
        if self._process.stdin is None or self._process.stdout is None or self._process.stderr is None:
            raise RuntimeError("pipes were not created")  # pragma: no cover
        if nice:
            yield_cpu(self._process.pid, nice)
        self._pumps = [
            threading.Thread(target=self._pump, args=(stream, name), daemon=True, name=f"warm-{name}")
            for stream, name in ((self._process.stdout, "stdout"), (self._process.stderr, "stderr"))
        ]
        for pump in self._pumps:
            pump.start()

    # -- state ---------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The sandbox's process id (also its process group)."""
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the sandbox can take another event."""
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
        """The sandbox's memory now (``None`` once it is gone)."""
        return None if self._dead else memory_use(self.pid)

    # -- running -------------------------------------------------------------------------

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event`` now and wait for its outcome (one event at a time per container)."""
        with self._cond:
            if self._dead or self._closed:
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
        sent = time.monotonic()
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(OSError):  # a sandbox that died on its own is handled below
            stdin.write(json.dumps(event).encode() + b"\n")
            stdin.flush()
        killed_at = None
        with self._cond:
            while not all(index in ended for ended in self._ended.values()) and self._eof < len(self._pumps):
                started = self._starts.get(index)
                if started is not None:
                    deadline = started[0] + self._settings.timeout_s + self._settings.kill_grace_s
                else:  # init (the first event) or the sandbox not reading its stdin
                    deadline = (self._spawned if index == 0 else sent) + self._settings.init_timeout_s
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    killed_at = time.monotonic()
                    break
                self._cond.wait(min(remaining, 0.5))
        record = self._record(index)
        if killed_at is None and record is not None and record["status"] in ("timeout", "init_error"):
            self._await_exit(2.0)  # the sandbox is exiting on its own (watchdog, failed init): let it
        if killed_at is not None or record is None or _has_exited(self._process):
            self._bury()
        return self._result(index, record, killed_at)

    def _await_exit(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not _has_exited(self._process) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _record(self, index: int) -> dict[str, Any] | None:
        with self._results_file.open("rb") as results:
            results.seek(self._results_offset)
            chunk = results.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._results_offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            record = json.loads(line)
            self._records[int(record["index"])] = record
        return self._records.pop(index, None)

    def _result(self, index: int, record: dict[str, Any] | None, killed_at: float | None) -> InvocationResult:
        with self._cond:
            stdout = "".join(self._buffers.pop(("stdout", index), []))
            stderr = "".join(self._buffers.pop(("stderr", index), []))
            begun = self._starts.pop(index, None)
        return _invocation_result(
            record, index, begun, killed_at=killed_at, process=self._process, output=(stdout, stderr)
        )

    def _pump(self, stream: IO[bytes], name: str) -> None:
        current = 0
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            position = line.find(self._marker)
            with self._cond:
                if position < 0:
                    self._buffers.setdefault((name, current), []).append(line)
                    continue
                if position > 0:  # output without a trailing newline, then the marker
                    self._buffers.setdefault((name, current), []).append(line[:position] + "\n")
                fields = line[position:].split()
                index = int(fields[2])
                if fields[1] == "START":
                    current = index
                    self._starts.setdefault(index, (time.monotonic(), fields[3]))
                else:
                    self._ended[name].add(index)
                    current = index + 1  # output between invocations shows up with the next one
                    self._cond.notify_all()
        stream.close()
        with self._cond:
            self._eof += 1
            self._cond.notify_all()

    # -- ending --------------------------------------------------------------------------

    def _bury(self) -> None:
        """Kill the whole process group (before reaping: its id cannot have been reused) and reap."""
        with self._cond:
            if self._dead:
                return
            self._dead = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        for pump in self._pumps:
            pump.join(timeout=5)
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """Kill the sandbox (Lambda reclaims idle environments without warning) and remove its files. Idempotent."""
        with self._cond:
            self._closed = True
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        self._bury()
        shutil.rmtree(self._scratch, ignore_errors=True)
