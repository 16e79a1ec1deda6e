"""A Lambda-like Python runtime loop, run as a script by :mod:`tests.support.lambda_process`.

Why a separate script (and stdlib only): the handler must run in a process that looks like
a Lambda sandbox - its own interpreter, the handler's code directory first on ``sys.path``,
only the packages the function would really have, and a real deadline. Importing anything
from the test suite here would leak the test environment into the "sandbox".

What it mirrors from the AWS python runtime (``awslambdaric``):

* Init phase: the handler module is imported once, before the first event (cold start);
  later events in the same process reuse it (warm container).
* The root logger gets one handler writing ``[LEVEL]\\t<UTC time>\\t<request id>\\t<message>``
  to stdout, and the root level stays WARNING. So ``logging.basicConfig()`` in a handler is
  a no-op, exactly as in Lambda - a classic source of "my logs vanished" surprises.
* ``context`` has ``aws_request_id``, ``function_name``, ``function_version``,
  ``invoked_function_arn``, ``memory_limit_in_mb`` (a *string*, as in the real runtime),
  ``log_group_name``, ``log_stream_name``, ``identity``/``client_context`` (``None``) and a
  real ``get_remaining_time_in_millis()`` counting down to start + timeout.
* A handler exception is reported (traceback on stderr) and the sandbox stays warm.
* At the deadline the sandbox dies: a watchdog prints Lambda's "Task timed out" line and
  exits the process at once, so a handler thread cannot keep sending after the timeout.
* After the last event the process exits without waiting for stray non-daemon threads
  (Lambda freezes the sandbox; their work would not happen either).

Protocol with the parent (private, may change with it): stdin carries
``{"events": [...]}``; one JSON line per invocation is appended to ``--results``; stdout and
stderr get ``<marker> START|END <index> <request id>`` lines (``--marker`` is a random nonce)
so that the parent can split output per invocation. With ``--serve`` the sandbox is a
long-lived warm container instead: it initialises at once (the cold start), then reads one
JSON event per stdin line and runs it as soon as it arrives, until stdin closes; the parent
learns that an invocation finished from its ``END`` marker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import IO, Any

TIMEOUT_EXIT_CODE = 124
"""Exit status of a sandbox killed by its own deadline watchdog."""

_current_request_id = ""


class LambdaContext:
    """The ``context`` argument, with the attributes and methods of the real runtime's."""

    def __init__(self, request_id: str, deadline: float, invoked_function_arn: str) -> None:
        """Build the context for one invocation; ``deadline`` is a ``time.monotonic()`` value."""
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the sandbox is killed (never negative)."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def log(self, message: str) -> None:
        """Write to the function's log, like the real ``context.log``."""
        sys.stdout.write(message)
        sys.stdout.flush()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError(f"Bad handler '{spec}': expected <module>.<function>")
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


def _marker(marker: str, kind: str, index: int, request_id: str) -> None:
    line = f"{marker} {kind} {index} {request_id}\n".encode()
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        stream.flush()
        os.write(fd, line)


class _Runtime:
    def __init__(self, args: argparse.Namespace, results: IO[str]) -> None:
        self.handler_spec: str = args.handler
        self.timeout_s: float = args.timeout_ms / 1000.0
        self.marker: str = args.marker
        self.enforce_deadline: bool = not args.no_deadline
        self.function_arn: str = args.function_arn
        self.results = results
        self.lock = threading.Lock()
        self.init_duration_s: float | None = None

    def write_result(self, **fields: Any) -> None:
        if self.init_duration_s is not None:
            fields["init_duration_s"] = self.init_duration_s
            self.init_duration_s = None  # only the cold start reports it
        self.results.write(json.dumps(fields) + "\n")
        self.results.flush()

    def init(self) -> Callable[[Any, LambdaContext], Any] | None:
        started = time.monotonic()
        try:
            handler = _load_handler(self.handler_spec)
        except Exception as error:
            traceback.print_exc()
            self.init_duration_s = time.monotonic() - started
            self.write_result(
                index=0,
                status="init_error",
                errorType=type(error).__name__,
                errorMessage=str(error),
                duration_s=self.init_duration_s,
            )
            return None
        self.init_duration_s = time.monotonic() - started
        return handler

    def invoke(self, handler: Callable[[Any, LambdaContext], Any], index: int, event: Any) -> int:
        global _current_request_id  # noqa: PLW0603 - the logging filter reads it, like the real runtime
        request_id = str(uuid.uuid4())
        _current_request_id = request_id
        _marker(self.marker, "START", index, request_id)
        started = time.monotonic()
        context = LambdaContext(request_id, started + self.timeout_s, self.function_arn)
        finished = threading.Event()
        if self.enforce_deadline:
            threading.Thread(
                target=self._watchdog, args=(finished, index, request_id, started), daemon=True, name="deadline"
            ).start()
        fields: dict[str, Any] = {"index": index, "request_id": request_id}
        try:
            response = handler(event, context)
        except Exception as error:
            traceback.print_exc()
            fields.update(status="error", errorType=type(error).__name__, errorMessage=str(error))
        else:
            try:  # Lambda serialises the return value to JSON; failing that is Runtime.MarshalError
                fields.update(status="ok", response=json.loads(json.dumps(response)))
            except (TypeError, ValueError) as error:
                fields.update(status="error", errorType="Runtime.MarshalError", errorMessage=str(error))
        fields["duration_s"] = time.monotonic() - started
        with self.lock:  # the watchdog may already be exiting the process; then we stop here
            finished.set()
            self.write_result(**fields)
            _marker(self.marker, "END", index, request_id)
        return 0 if fields["status"] == "ok" else 1

    def _watchdog(self, finished: threading.Event, index: int, request_id: str, started: float) -> None:
        if finished.wait(self.timeout_s):
            return
        with self.lock:
            if finished.is_set():
                return
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            sys.stdout.write(f"{stamp} {request_id} Task timed out after {self.timeout_s:.2f} seconds\n")
            self.write_result(
                index=index, request_id=request_id, status="timeout", duration_s=time.monotonic() - started
            )
            _marker(self.marker, "END", index, request_id)
            os._exit(TIMEOUT_EXIT_CODE)


def main(argv: list[str]) -> int:
    """Run every event from stdin through the handler; the exit status is the last one's (0 when serving)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--timeout-ms", type=int, required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--marker", required=True)
    parser.add_argument("--function-arn", required=True)
    parser.add_argument("--no-deadline", action="store_true")
    parser.add_argument("--serve", action="store_true", help="one event per stdin line, until stdin closes")
    args = parser.parse_args(argv)
    # Batch mode reads every event first; serve mode initialises at once (the cold start) and
    # reads each line only when the previous event is done, as a warm container waits for work.
    events = _stdin_events() if args.serve else iter(json.load(sys.stdin)["events"])
    _setup_logging()
    with open(args.results, "a", encoding="utf-8") as results:
        runtime = _Runtime(args, results)
        handler = runtime.init()
        if handler is None:
            return 1
        status = 0
        for index, event in enumerate(events):
            status = runtime.invoke(handler, index, event)
    return 0 if args.serve else status


def _stdin_events() -> Iterator[Any]:
    """Warm-container mode's events: one JSON event per stdin line, until stdin closes."""
    for line in iter(sys.stdin.buffer.readline, b""):
        if line.strip():
            yield json.loads(line)


if __name__ == "__main__":
    # Lambda puts only the task root (then layers, then the runtime) on sys.path: drop the
    # directory of this script, which Python prepends, so test helpers cannot be imported.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
    _status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status)  # like a frozen sandbox: do not wait for stray non-daemon threads
