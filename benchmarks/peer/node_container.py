"""The peer's Node.js provider as a Lambda "execution environment" for the deploy driver's pool.

Why one-shot: ``invoke.mjs`` reads its events from stdin up front, so each container here
runs exactly one event in a fresh ``node`` process (a cold start every time) and is then
spent; the pool starts another for the next event. In a deploy that starts every resource
at once this is what Lambda does anyway (one new environment per concurrent event); only
later, sequential events (a rollback) are colder than Lambda would make them, which slows
the peer slightly and never helps it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from benchmarks.peer.node_handler import INVOKE_MJS, NODE_PEER_DIR, node_env
from testkit.lambda_pool import CONTAINER_NICE, Container, FunctionSpec
from testkit.lambda_process import InvocationResult, MemoryUse, kill_group, memory_use, yield_cpu
from testkit.synth_env import node_bin_dir, npm_command, synth_env

KILL_GRACE_S = 10.0


class NodeOneShotContainer:
    """Runs one event through the peer's bundled ``index.js`` under ``invoke.mjs``, then is gone."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str]) -> None:
        """Prepare; the process starts with the event (``invoke.mjs`` needs it on stdin)."""
        if not (NODE_PEER_DIR / "node_modules" / "@aws-sdk").is_dir():
            raise RuntimeError(f"run `npm ci` in {NODE_PEER_DIR} first")
        self._spec = spec
        self._env = node_env(
            {**dict(spec.environment), **env, "PEER_LAMBDA_TIMEOUT_MS": str(int(spec.timeout_s * 1000))}
        )
        self._process: subprocess.Popen[str] | None = None
        self._used = False

    @property
    def pid(self) -> int:
        """The node process id (0 before the event)."""
        return self._process.pid if self._process is not None else 0

    @property
    def alive(self) -> bool:
        """Only until its one event."""
        return not self._used

    def memory(self) -> MemoryUse | None:
        """The node process's memory while it runs."""
        return memory_use(self.pid) if self._process is not None and self._process.poll() is None else None

    def invoke(self, event: Mapping[str, Any]) -> InvocationResult:
        """Run ``event``; a handler exception is ``error``, running past Timeout is ``timeout``."""
        self._used = True
        node_dir = node_bin_dir()
        node = str(node_dir / "node") if node_dir is not None else "node"
        started = time.monotonic()
        self._process = subprocess.Popen(
            [node, str(INVOKE_MJS), str(self._spec.code_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env,
            text=True,
            start_new_session=True,
        )
        yield_cpu(self._process.pid, CONTAINER_NICE)  # the local services must not starve
        try:
            stdout, stderr = self._process.communicate(
                json.dumps(event) + "\n", timeout=self._spec.timeout_s + KILL_GRACE_S
            )
        except subprocess.TimeoutExpired:
            self.close()
            stdout, stderr = self._process.communicate()
            return InvocationResult(
                returncode=self._process.returncode,
                stdout=stdout,
                stderr=stderr,
                duration_s=time.monotonic() - started,
                timed_out=True,
                status="timeout",
                pid=self._process.pid,
            )
        records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        handled = next((r for r in records if r.get("kind") == "event"), None)
        if self._process.returncode != 0 or handled is None:
            status, message = "crashed", stderr[-2000:]
        elif handled.get("error"):
            status, message = "error", str(handled["error"])[:2000]
        else:
            status, message = "ok", None
        return InvocationResult(
            returncode=self._process.returncode,
            stdout=stdout,
            stderr=stderr,
            duration_s=float(handled["total_ms"]) / 1000 if handled else time.monotonic() - started,
            status=status,
            error_message=message,
            request_id=str(event.get("RequestId")),
            pid=self._process.pid,
        )

    def close(self) -> None:
        """Kill the node process group if it still runs."""
        if self._process is not None and self._process.poll() is None:
            kill_group(self._process.pid)


def ensure_peer_sdk() -> None:
    """Install the peer's SDK (``npm ci`` in ``benchmarks/node_peer``) if it is not there yet."""
    if (NODE_PEER_DIR / "node_modules" / "@aws-sdk" / "client-appintegrations").is_dir():
        return
    subprocess.run(
        [*npm_command(), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_PEER_DIR,
        env=synth_env(),
        check=True,
    )


def node_container(spec: FunctionSpec, env: Mapping[str, str]) -> Container:
    """A :data:`~testkit.lambda_pool.ContainerFactory` for ``nodejs*`` runtimes."""
    return NodeOneShotContainer(spec, env)
