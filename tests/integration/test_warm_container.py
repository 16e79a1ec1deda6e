"""The warm Lambda-like container that the deploy driver's pool reuses between events.

It runs the handler under AWS's runtime interface client, takes events one at a time as
they come, keeps module state while warm, and dies with the invocation that times out,
crashes or fails init.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from testkit.lambda_process import ContainerDiedError, WarmContainer, memory_use

pytestmark = [pytest.mark.integration, pytest.mark.harness]


def test_events_run_one_at_a_time_in_one_warm_process(probe_dir: Path) -> None:
    container = WarmContainer(probe_dir, env={"EXTRA_SETTING": "warm"}, timeout_ms=5000)
    try:
        a = container.invoke({"name": "a", "sleep": 0})
        time.sleep(0.2)  # idle between events, as a warm container is
        b = container.invoke({"name": "b", "sleep": 0, "raise": True})
        c = container.invoke({"name": "c", "sleep": 0})
    finally:
        container.close()

    assert [r.status for r in (a, b, c)] == ["ok", "error", "ok"]
    assert [r.cold_start for r in (a, b, c)] == [True, False, False]
    assert a.pid == b.pid == c.pid == container.pid
    assert (a.response["invocations"], c.response["invocations"]) == (1, 3)
    assert a.response["env"]["EXTRA_SETTING"] == "warm"
    assert a.response["importable"]["tests"] is False
    assert a.init_duration_s is not None
    assert c.init_duration_s is None
    assert "init ran" in a.stdout
    assert "init ran" not in c.stdout
    assert "stdout line for c" in c.stdout
    assert "stdout line for a" not in c.stdout
    assert "[ERROR] RuntimeError: handler failed on purpose" in b.stdout  # the runtime's own error report
    assert "RuntimeError" not in c.stdout
    assert (b.error_type, b.error_message) == ("RuntimeError", "handler failed on purpose")
    # Each invocation gets its own deadline from when it starts.
    assert 4000 < c.response["before"] <= 5000
    assert not container.alive


def test_a_timeout_kills_the_container(probe_dir: Path) -> None:
    """The runtime client never stops a handler: the runner ends the environment at the deadline, as Lambda does."""
    container = WarmContainer(probe_dir, env={}, timeout_ms=600)
    started = time.monotonic()
    try:
        slow = container.invoke({"name": "slow", "sleep": 30})
        assert time.monotonic() - started < 5
        assert slow.timed_out
        assert slow.returncode == -signal.SIGKILL
        assert f"{slow.request_id} Task timed out after 0.60 seconds" in slow.stdout
        assert "stdout line for slow" not in slow.stdout  # nothing runs after the deadline
        assert not container.alive
        with pytest.raises(ContainerDiedError):
            container.invoke({"name": "next"})
    finally:
        container.close()


def test_init_failure_is_reported_on_the_first_event(tmp_path: Path) -> None:
    (tmp_path / "index.py").write_text("raise ImportError('no such dependency')\n")
    container = WarmContainer(tmp_path, env={})
    try:
        result = container.invoke({"name": "x"})
    finally:
        container.close()
    assert result.status == "init_error"
    assert (result.error_type, result.error_message) == (
        "Runtime.ImportModuleError",
        "Unable to import module 'index': no such dependency",
    )
    assert "Runtime.ImportModuleError" in result.stdout  # the runtime logs it too
    assert not container.alive


def test_a_crash_mid_event_is_reported_and_buries_the_container(tmp_path: Path) -> None:
    (tmp_path / "index.py").write_text("import os\n\ndef handler(event, context):\n    os._exit(3)\n")
    container = WarmContainer(tmp_path, env={})
    try:
        result = container.invoke({})
    finally:
        container.close()
    assert result.status == "crashed"
    assert result.returncode == 3


def test_one_event_at_a_time_and_memory_is_measurable(probe_dir: Path) -> None:
    container = WarmContainer(probe_dir, env={}, timeout_ms=5000)
    try:
        worker = threading.Thread(target=container.invoke, args=({"name": "long", "sleep": 1.0},))
        worker.start()
        time.sleep(0.3)
        with pytest.raises(RuntimeError, match="one event at a time"):
            container.invoke({"name": "second"})
        worker.join()
        use = container.memory()
        assert use is not None
        assert 5 * 2**20 < use.rss_bytes < 500 * 2**20
        assert use.pss_bytes is None or use.pss_bytes <= use.rss_bytes
    finally:
        container.close()
    assert memory_use(container.pid) is None
    assert container.memory() is None


def test_a_pooled_container_yields_the_cpu_to_the_local_services(probe_dir: Path) -> None:
    import os

    container = WarmContainer(probe_dir, env={}, nice=10)
    try:
        assert os.sched_getscheduler(container.pid) == os.SCHED_IDLE
        assert container.invoke({"name": "n", "sleep": 0}).ok
    finally:
        container.close()


def test_an_idle_environment_is_frozen_until_the_next_event(tmp_path: Path) -> None:
    """As Lambda's: a thread a handler leaves behind does not run between events, only once the next one thaws it."""
    (tmp_path / "index.py").write_text(
        "import threading, time\nSTAMPS = []\n\n\ndef handler(event, context):\n"
        "    if event.get('leave_a_thread'):\n        threading.Timer(0.2, lambda: STAMPS.append(time.time())).start()\n"
        "    time.sleep(event.get('sleep', 0))\n    return STAMPS\n"
    )
    container = WarmContainer(tmp_path, env={})
    try:
        assert container.invoke({"leave_a_thread": True}).response == []
        time.sleep(0.6)
        thawed = time.time()
        [stamp] = container.invoke({"sleep": 0.3}).response
    finally:
        container.close()
    assert stamp >= thawed


@pytest.mark.parametrize("name", ["AWS_REGION", "_HANDLER", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "TZ"])
def test_lambda_refuses_a_function_that_sets_a_reserved_variable(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=f"reserved.*{name}"):
        WarmContainer(tmp_path, env={name: "x"}).close()
