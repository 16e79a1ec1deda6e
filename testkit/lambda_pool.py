"""Lambda's concurrency for a local deploy: an idle warm container takes the event, else a new one starts; no cap.

That decides how many cold starts a deploy has and how many clients hit the service at once.
The memory guard is not Lambda's: every container is a real process (~35-50 MB with boto3), so
below ``memory_floor_bytes`` of ``MemAvailable`` the pool refuses new ones (:class:`MemoryGuardError`),
and below half of it a sampler kills them all; :attr:`PoolStats.memory_guard_tripped` then says so.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from testkit.lambda_process import ContainerDiedError, InvocationResult, LoggingConfig, MemoryUse, WarmContainer

DEFAULT_MEMORY_FLOOR_BYTES = 3 * 2**30  # leave this much to everyone else: the machine is shared

# Lambda's init limit is 10 s, but hundreds of containers starting at once on a few cores would
# pass it while healthy: a local artifact; the time is reported instead (PoolStats.start_delays_s).
INIT_TIMEOUT_S = 300.0

# Containers yield the CPU to the driver's process, which hosts the emulator and the receiver
# (see yield_cpu): unyielding, 58 of 490 executions of a create failed on read timeouts that AWS,
# whose endpoints do not share Lambda's CPU, would never cause.
CONTAINER_NICE = 19


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
    environment: tuple[tuple[str, str], ...] = ()  # sorted pairs, so that the spec is hashable
    reserved_concurrency: int | None = None  # at most this many of its invocations at once
    logging_config: LoggingConfig = field(default_factory=LoggingConfig)


class Container(Protocol):
    """One execution environment: runs one event at a time until it dies."""

    @property
    def pid(self) -> int: ...

    @property
    def alive(self) -> bool: ...

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult: ...

    def memory(self) -> MemoryUse | None: ...

    def close(self) -> None: ...


# Starts a container for a function, given the environment the test adds (endpoints, CA file).
ContainerFactory = Callable[[FunctionSpec, Mapping[str, str]], Container]


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
    """``MemAvailable`` from ``/proc/meminfo`` (``None`` where there is none)."""
    try:
        lines = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("MemAvailable:")), None)


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


@dataclass
class PoolStats:
    """What the pool did and what it cost the machine."""

    containers_started: int = 0
    peak_busy: int = 0  # most invocations at once: Lambda's concurrency
    peak_rss_total_bytes: int = 0  # the containers' RSS summed (shared pages counted once per process)
    pss_per_container_bytes: tuple[int, ...] = ()  # each after its first invocation: what one more costs
    memory_guard_tripped: bool = False
    # Per invocation, from the event to the handler's start (a new container's start included: ~0.3 s
    # in Lambda, in parallel); far longer means this machine, not Lambda, was the bottleneck.
    start_delays_s: tuple[float, ...] = ()

    @property
    def max_start_delay_s(self) -> float | None:
        """The slowest start of an invocation."""
        return max(self.start_delays_s, default=None)

    @property
    def median_pss_bytes(self) -> float | None:
        """Median PSS of a used container."""
        return statistics.median(self.pss_per_container_bytes) if self.pss_per_container_bytes else None


class LambdaPool:
    """Execution environments per function. Thread-safe: :meth:`invoke` blocks for the event, so run a thread per invocation.

    ``factories`` maps a runtime prefix (``python``, ``nodejs``) to how to start its container.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        factories: Mapping[str, ContainerFactory] | None = None,
        memory_floor_bytes: int = DEFAULT_MEMORY_FLOOR_BYTES,
    ) -> None:
        """Start the memory sampler; no container starts before the first event."""
        self.env = dict(env)
        self.factories: dict[str, ContainerFactory] = {"python": python_container, **(factories or {})}
        self.memory_floor_bytes = memory_floor_bytes
        self._lock = threading.Lock()
        self._idle: dict[FunctionSpec, list[Container]] = {}
        self._all: list[Container] = []
        self._stats = PoolStats()
        self._busy = 0
        self._closed = threading.Event()
        self._sampler = threading.Thread(target=self._sample, args=(1.0,), daemon=True, name="pool-mem")
        self._sampler.start()

    def invoke(self, spec: FunctionSpec, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event`` on an idle container of ``spec`` or a new one; raises :class:`MemoryGuardError`."""
        called = time.monotonic()
        while True:
            container, cold = self._checkout(spec)
            with self._lock:
                self._busy += 1
                self._stats.peak_busy = max(self._stats.peak_busy, self._busy)
            try:
                result = container.invoke(event)
            except ContainerDiedError:
                if cold:
                    raise
                continue  # it died while idle (the sampler, a stray exit): Lambda would pick another
            finally:
                with self._lock:
                    self._busy -= 1
            use, alive = container.memory() if cold else None, container.alive
            with self._lock:
                self._stats.start_delays_s += (max(0.0, time.monotonic() - called - result.duration_s),)
                if use is not None:
                    self._stats.pss_per_container_bytes += (use.pss_bytes or use.rss_bytes,)
                if alive and not self._closed.is_set():
                    self._idle.setdefault(spec, []).append(container)
                    return result
            container.close()
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
                self._stats.memory_guard_tripped = True
            raise MemoryGuardError(
                f"not starting another container: MemAvailable {available / 2**20:.0f} MiB is below the floor of"
                f" {self.memory_floor_bytes / 2**20:.0f} MiB ({self.stats().containers_started} containers started)"
            )
        factory = next((f for prefix, f in self.factories.items() if spec.runtime.startswith(prefix)), None)
        if factory is None:
            raise RuntimeError(f"no container factory for runtime {spec.runtime!r} (have {sorted(self.factories)})")
        container = factory(spec, self.env)
        with self._lock:
            self._all.append(container)
            self._stats.containers_started += 1
        return container, True

    def _sample(self, interval: float) -> None:
        while not self._closed.wait(interval):
            with self._lock:
                pids = [container.pid for container in self._all]
            total = sum(_rss_bytes(pid) for pid in pids)
            available = mem_available_bytes()
            with self._lock:
                self._stats.peak_rss_total_bytes = max(self._stats.peak_rss_total_bytes, total)
                victims = list(self._all) if available is not None and available < self.memory_floor_bytes // 2 else []
                self._stats.memory_guard_tripped |= bool(victims)
            for container in victims:  # save the machine; every invocation in flight fails
                container.close()

    def stats(self) -> PoolStats:
        """A snapshot of the counters."""
        with self._lock:
            return dataclasses.replace(self._stats)

    def close(self) -> None:
        """Stop every container and the sampler. Idempotent."""
        self._closed.set()
        with self._lock:
            containers, self._all = self._all, []
            self._idle.clear()
        for container in containers:
            container.close()
        self._sampler.join(timeout=5)
