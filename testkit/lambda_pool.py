"""Lambda's concurrency model for a local deploy: warm containers reused, new ones started on demand, no cap.

Why a pool and not a process per event: Lambda keeps an execution environment warm after
an event and hands it the next one, and starts a new environment only when none is idle.
That is what decides, in a real deploy, how many cold starts there are and how many
clients (each with its own connection pool and retry state) hit the service at once. With
no concurrency cap, N resources started together get N environments, as with Lambda's
unreserved concurrency.

Why a memory guard: every environment here is a real process (a Python one holding boto3
is ~35-50 MB), and an uncapped pool at N = 490 can exhaust a small machine. Lambda has no
such limit, so the guard is not a model of Lambda: when ``MemAvailable`` falls below
``memory_floor_bytes`` the pool refuses new containers (:class:`MemoryGuardError`) and a
sampler kills every container if it falls below half of it. A report whose pool tripped the
guard says so (:attr:`PoolStats.memory_guard_tripped`) and is not a measurement of the
handler.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from testkit.lambda_process import (
    ContainerDiedError,
    InvocationResult,
    LoggingConfig,
    MemoryUse,
    WarmContainer,
)

__all__ = [
    "Container",
    "ContainerFactory",
    "FunctionSpec",
    "LambdaPool",
    "MemoryGuardError",
    "PoolStats",
    "mem_available_bytes",
    "python_container",
]

DEFAULT_MEMORY_FLOOR_BYTES = 3 * 2**30
"""Leave this much of the machine's memory to everyone else (the machine is shared)."""


class MemoryGuardError(RuntimeError):
    """The pool refused to start a container: the machine is short of memory (not a Lambda behaviour)."""


@dataclass(frozen=True)
class FunctionSpec:
    """What Lambda needs to run one function version, taken from its template resource."""

    arn: str
    name: str
    code_dir: Path
    handler: str
    runtime: str
    timeout_s: float
    memory_mb: int = 128
    environment: tuple[tuple[str, str], ...] = ()
    """The function's ``Environment.Variables`` (sorted pairs, so that the spec is hashable)."""
    reserved_concurrency: int | None = None
    """``ReservedConcurrentExecutions``: Lambda runs at most this many of its invocations at once."""
    logging_config: LoggingConfig = field(default_factory=LoggingConfig)


class Container(Protocol):
    """One execution environment: runs one event at a time until it dies."""

    @property
    def pid(self) -> int:
        """The process id."""

    @property
    def alive(self) -> bool:
        """Whether it can take another event."""

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult:
        """Run one event to its end."""

    def memory(self) -> MemoryUse | None:
        """Current memory use, ``None`` once gone."""

    def close(self) -> None:
        """Stop it."""


ContainerFactory = Callable[[FunctionSpec, Mapping[str, str]], Container]
"""Start a container for a function, given the environment the test adds (endpoints, CA file)."""


INIT_TIMEOUT_S = 300.0
"""How long a pooled container may take to start and import its handler.

Lambda's own limit is 10 s, but here hundreds of containers start at once on a few shared
cores, so a wall-clock 10 s would kill healthy containers (and, through Lambda's
asynchronous retries, delay their events by a minute): a local artifact, not a Lambda
behaviour. The time is reported instead (:attr:`PoolStats.start_delays_s`)."""


CONTAINER_NICE = 19
"""Containers yield the CPU to the driver's process, which hosts the emulator and the receiver
(``SCHED_IDLE``, else this niceness; see :func:`~testkit.lambda_process.yield_cpu`): on a
few shared cores, hundreds of starting containers otherwise starved them into read timeouts
(measured: 58 of 490 executions failed an unthrottled create) that AWS's endpoints, which do
not share Lambda's CPU, would never cause."""


def python_container(spec: FunctionSpec, env: Mapping[str, str]) -> Container:
    """A :class:`~testkit.lambda_process.WarmContainer` running a ``python*`` function."""
    return WarmContainer(
        spec.code_dir,
        env={**dict(spec.environment), **env},
        timeout_ms=int(spec.timeout_s * 1000),
        handler=spec.handler,
        function_name=spec.name,
        memory_mb=spec.memory_mb,
        logging_config=spec.logging_config,
        init_timeout_s=INIT_TIMEOUT_S,
        nice=CONTAINER_NICE,
    )


def mem_available_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` (``None`` where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _rss_bytes(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()
    except OSError:
        return 0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class PoolStats:
    """What the pool did and what it cost the machine."""

    containers_started: int
    invocations: int
    peak_busy: int
    """Most invocations running at once (Lambda's concurrency)."""
    peak_rss_total_bytes: int
    """Largest sum of the containers' RSS seen by the sampler (RSS counts shared pages once per process)."""
    pss_per_container_bytes: tuple[int, ...]
    """Each container's PSS after its first invocation (what one more container really costs)."""
    min_mem_available_bytes: int | None
    memory_guard_tripped: bool
    start_delays_s: tuple[float, ...] = ()
    """Per invocation: time from the event to the handler starting (a new process's start and init
    included, ~0.3 s each in Lambda, in parallel). Far longer here means this machine, not Lambda,
    was the bottleneck: many containers starting at once on few cores start one after another."""

    @property
    def max_start_delay_s(self) -> float | None:
        """The slowest start of an invocation."""
        return max(self.start_delays_s) if self.start_delays_s else None

    @property
    def median_pss_bytes(self) -> float | None:
        """Median PSS of a used container."""
        return statistics.median(self.pss_per_container_bytes) if self.pss_per_container_bytes else None


@dataclass
class _Entry:
    container: Container
    spec: FunctionSpec


@dataclass
class _Counters:
    started: int = 0
    invocations: int = 0
    busy: int = 0
    peak_busy: int = 0
    peak_rss: int = 0
    pss: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    min_available: int | None = None
    tripped: bool = False


class LambdaPool:
    """Execution environments per function: an idle one takes the event, else a new one starts.

    Thread-safe; :meth:`invoke` blocks its caller for the event's duration, so the caller
    runs one thread per concurrent invocation (as Lambda runs one environment per event).
    ``factories`` maps a runtime prefix (``python``, ``nodejs``) to how to start a container
    for it.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        factories: Mapping[str, ContainerFactory] | None = None,
        memory_floor_bytes: int = DEFAULT_MEMORY_FLOOR_BYTES,
        sample_interval_s: float = 1.0,
    ) -> None:
        """Start the memory sampler; no container starts before the first event."""
        self.env = dict(env)
        self.factories: dict[str, ContainerFactory] = {"python": python_container, **(factories or {})}
        self.memory_floor_bytes = memory_floor_bytes
        self._lock = threading.Lock()
        self._idle: dict[FunctionSpec, list[Container]] = {}
        self._all: list[_Entry] = []
        self._counters = _Counters()
        self._closed = threading.Event()
        self._sampler = threading.Thread(target=self._sample, args=(sample_interval_s,), daemon=True, name="pool-mem")
        self._sampler.start()

    # -- invoking --------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event`` on an idle container of ``spec`` or a new one; raises :class:`MemoryGuardError`."""
        called = time.monotonic()
        while True:
            container, cold = self._checkout(spec)
            with self._lock:
                self._counters.invocations += 1
                self._counters.busy += 1
                self._counters.peak_busy = max(self._counters.peak_busy, self._counters.busy)
            try:
                result = container.invoke(event)
            except ContainerDiedError:
                if cold:
                    raise
                continue  # it died while idle (the sampler, a stray exit): Lambda would pick another
            finally:
                with self._lock:
                    self._counters.busy -= 1
            with self._lock:
                self._counters.delays.append(max(0.0, time.monotonic() - called - result.duration_s))
            if cold:
                use = container.memory()
                if use is not None:
                    with self._lock:
                        self._counters.pss.append(use.pss_bytes or use.rss_bytes)
            self._checkin(spec, container)
            return result

    def _checkout(self, spec: FunctionSpec) -> tuple[Container, bool]:
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("the pool is closed")
            idle = self._idle.setdefault(spec, [])
            while idle:
                container = idle.pop()  # the most recently used, the warmest
                if container.alive:
                    return container, False
        available = mem_available_bytes()
        if available is not None and available < self.memory_floor_bytes:
            with self._lock:
                self._counters.tripped = True
            raise MemoryGuardError(
                f"not starting another container: MemAvailable {available / 2**20:.0f} MiB is below the floor of"
                f" {self.memory_floor_bytes / 2**20:.0f} MiB ({self.stats().containers_started} containers started)"
            )
        container = self._factory(spec)(spec, self.env)
        with self._lock:
            self._all.append(_Entry(container, spec))
            self._counters.started += 1
        return container, True

    def _factory(self, spec: FunctionSpec) -> ContainerFactory:
        for prefix, factory in self.factories.items():
            if spec.runtime.startswith(prefix):
                return factory
        raise RuntimeError(f"no container factory for runtime {spec.runtime!r} (have {sorted(self.factories)})")

    def _checkin(self, spec: FunctionSpec, container: Container) -> None:
        if not container.alive:
            return
        with self._lock:
            if not self._closed.is_set():
                self._idle.setdefault(spec, []).append(container)
                return
        container.close()

    # -- memory ----------------------------------------------------------------------------

    def _sample(self, interval: float) -> None:
        while not self._closed.wait(interval):
            with self._lock:
                pids = [entry.container.pid for entry in self._all]
            total = sum(_rss_bytes(pid) for pid in pids)
            available = mem_available_bytes()
            with self._lock:
                self._counters.peak_rss = max(self._counters.peak_rss, total)
                if available is not None:
                    low = self._counters.min_available
                    self._counters.min_available = available if low is None else min(low, available)
            if available is not None and available < self.memory_floor_bytes // 2:
                with self._lock:
                    self._counters.tripped = True
                    victims = [entry.container for entry in self._all]
                for container in victims:  # save the machine; every invocation in flight fails
                    container.close()

    def stats(self) -> PoolStats:
        """A snapshot of the counters."""
        with self._lock:
            c = self._counters
            return PoolStats(
                containers_started=c.started,
                invocations=c.invocations,
                peak_busy=c.peak_busy,
                peak_rss_total_bytes=c.peak_rss,
                pss_per_container_bytes=tuple(c.pss),
                min_mem_available_bytes=c.min_available,
                memory_guard_tripped=c.tripped,
                start_delays_s=tuple(c.delays),
            )

    def live_containers(self) -> int:
        """Containers still running (busy or idle)."""
        with self._lock:
            entries = list(self._all)
        return sum(entry.container.alive for entry in entries)

    def close(self) -> None:
        """Stop every container and the sampler. Idempotent."""
        self._closed.set()
        with self._lock:
            entries, self._all = list(self._all), []
            self._idle.clear()
        for entry in entries:
            entry.container.close()
        self._sampler.join(timeout=5)
