"""Handler cost of both providers: cold init and Create/Update/Delete time, same emulator, same events.

Ours runs from the synthesized asset (what ships: ``index.py``, ``appintegrations_cr/``,
``crhelper/``) in a Lambda-like ``python -S`` process that sees only boto3 besides the
asset (:func:`testkit.lambda_process.invoke_many`). The peer runs the bundled
``index.js`` of AwsCustomResource under Node with ``@aws-sdk/client-appintegrations``
from npm (:func:`benchmarks.peer.node_bench.run_once`). Both answer a local HTTPS
receiver standing in for CloudFormation's ResponseURL, and every response is checked.

Each process gets, per resource, Create, Update and Delete (in that order); its first
event is the cold one. Our Update changes ``RerunToken`` so that it calls the API, as the
peer's Update always does. A second kind of process gets a single Delete: the cold Delete
(a rollback after a failed deploy typically lands on a cold container).

Both test doubles set ``TCP_NODELAY`` (see their ``_Handler``): otherwise a Python client
(boto3, crhelper's ``http.client``) would stall ~40 ms per response on Nagle's algorithm
meeting its delayed ACK, which no real endpoint does and Node's client does not suffer.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from appintegrations_cr.constants import RESOURCE_TYPE

from benchmarks.peer.node_bench import run_once as run_peer_once
from benchmarks.peer.node_handler import STACK_ID, custom_resources, make_event, node_env
from testkit.synth_env import node_bin_dir

REQUEST_TYPES: Final = ("Create", "Update", "Delete")


@dataclass(frozen=True)
class ProcessTimings:
    """One fresh handler process: handler import ms, then ``(request type, ms)`` per event, the first cold."""

    import_ms: float
    events: list[tuple[str, float]]
    extra: dict[str, Any] = field(default_factory=dict)


def _median(values: Sequence[float]) -> float | None:
    """Median, ``None`` for no values."""
    return statistics.median(values) if values else None


# -- ours ------------------------------------------------------------------------------------


def ours_events(
    template: Mapping[str, Any],
    response_url: Callable[[str], str],
    request_types: Sequence[str] = REQUEST_TYPES,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """CloudFormation events for our resources (up to ``limit``), one per request type, per resource.

    Update carries a new ``RerunToken`` (the old properties have none), so it applies.
    """
    events: list[dict[str, Any]] = []
    for n, (lid, props) in enumerate(custom_resources(template, RESOURCE_TYPE)[:limit]):
        physical = f"{props['DataIntegrationIdentifier']}|{props['DataIntegrationAssociationIdentifier']}"
        for rtype in request_types:
            rid = f"{rtype.lower()}-{n}-{time.monotonic_ns()}"
            new = {**props, "RerunToken": "benchmark-update"} if rtype == "Update" else props
            events.append(
                make_event(
                    rtype,
                    lid,
                    new,
                    response_url(rid),
                    request_id=rid,
                    physical_id=physical,
                    old_props=props,
                    resource_type=RESOURCE_TYPE,
                )
            )
    return events


def ours_process(
    asset_dir: Path, template: Mapping[str, Any], resources: int, request_types: Sequence[str] = REQUEST_TYPES
) -> ProcessTimings:
    """One fresh Lambda-like process over ``resources`` x ``request_types`` events; checks every answer."""
    from testkit.cfn_receiver import CfnResponseReceiver
    from testkit.emulator import AppIntegrationsEmulator
    from testkit.lambda_process import invoke_many

    with AppIntegrationsEmulator() as emu, CfnResponseReceiver() as receiver:
        for _lid, props in custom_resources(template, RESOURCE_TYPE)[:resources]:
            emu.add_association(props["DataIntegrationIdentifier"], props["DataIntegrationAssociationIdentifier"])
        events = ours_events(template, receiver.response_url, request_types, limit=resources)
        emu.set_stack_status(STACK_ID, "UPDATE_IN_PROGRESS")  # the handler reads it: a plain forward deploy
        env = {**emu.endpoints, "SSL_CERT_FILE": str(receiver.ca_file)}
        results = invoke_many(asset_dir, events, env=env)
        for event, result in zip(events, results, strict=True):
            answers = receiver.wait_for(event["RequestId"], timeout=10)
            statuses = [(a.body or {}).get("Status") for a in answers]
            if not result.ok or statuses != ["SUCCESS"]:
                raise AssertionError(f"{event['RequestType']} {event['RequestId']}: {statuses} {result.output[-2000:]}")
        updates = len(emu.update_calls())
    expected = resources * sum(t in ("Create", "Update") for t in request_types)
    if updates != expected:
        raise AssertionError(f"emulator saw {updates} update calls, expected {expected}")
    init_s = results[0].init_duration_s or 0.0
    return ProcessTimings(
        # Lambda's Init Duration, less the runtime client's own start: the handler's import, as the peer's.
        import_ms=max(0.0, init_s - _runtime_client_init_s()) * 1000,
        events=[(e["RequestType"], r.duration_s * 1000) for e, r in zip(events, results, strict=True)],
    )


def _runtime_client_init_s() -> float:
    """Init of an empty handler under the same runtime client: Python's and ``awslambdaric``'s own start.

    The sandbox runs the handler as Lambda does (``python -m awslambdaric``), so its Init
    Duration counts the interpreter and the runtime client too; the peer's figure is its
    handler's import alone, so ours is taken net of this.
    """
    import tempfile

    from testkit.lambda_process import invoke_many

    with tempfile.TemporaryDirectory(prefix="empty-handler-") as folder:
        (Path(folder) / "index.py").write_text("def handler(event, context):\n    return None\n")
        [result] = invoke_many(Path(folder), [{}], env={})
    return result.init_duration_s or 0.0


# -- the peer --------------------------------------------------------------------------------


def peer_process(outdir: Path, resources: int, request_types: Sequence[str] = REQUEST_TYPES) -> ProcessTimings:
    """One fresh node process running the peer's handler; ``node_bench`` checks every answer.

    The first event's time leaves out ``sdk_shim_ms`` (building the one SDK command
    the npm SDK lacks, ~1 ms), which the Lambda runtime's SDK would not need.
    """
    records = run_peer_once(outdir, resources, tuple(request_types))
    init, events = records[0], records[1:]
    return ProcessTimings(
        import_ms=float(init["import_ms"]),
        events=[(str(e["request_type"]), float(e["total_ms"]) - float(e.get("sdk_shim_ms") or 0.0)) for e in events],
        extra={
            "node_boot_ms": init["node_boot_ms"],
            "sdk_version": init["sdk_version"],
            "node_version": init["node_version"],
            "sdk_command_shimmed": events[0].get("sdk_command_shimmed"),
            "first_event_sdk_require_ms": events[0].get("sdk_require_ms"),
        },
    )


# -- both ------------------------------------------------------------------------------------


def summarize(runs: Sequence[ProcessTimings], cold_deletes: Sequence[ProcessTimings]) -> dict[str, Any]:
    """Medians over processes (ms).

    ``cold_init_ms`` = handler import + (cold Create - that process's median warm
    Create): what the first event costs on top of a warm one (runtime SDK load,
    client creation, first-use caches), the same formula for both providers.
    """
    warm = {t: [ms for r in runs for rt, ms in r.events[1:] if rt == t] for t in REQUEST_TYPES}
    cold_inits = []
    for r in runs:
        warm_creates = [ms for rt, ms in r.events[1:] if rt == "Create"]
        if warm_creates:
            cold_inits.append(r.import_ms + r.events[0][1] - statistics.median(warm_creates))
    deletes = [ms for r in runs for rt, ms in r.events if rt == "Delete"] + [r.events[0][1] for r in cold_deletes]
    return {
        "processes": len(runs),
        "events_per_process": len(runs[0].events) if runs else 0,
        "import_ms": _median([r.import_ms for r in runs]),
        "cold_create_ms": _median([r.events[0][1] for r in runs]),
        "cold_init_ms": _median(cold_inits),
        **{f"warm_{t.lower()}_ms": _median(warm[t]) for t in REQUEST_TYPES},
        "cold_delete_ms": _median([r.events[0][1] for r in cold_deletes]),
        "cold_delete_processes": len(cold_deletes),
        "delete_max_ms": max(deletes) if deletes else None,
    }


def node_start_ms(runs: int) -> float:
    """Median wall ms of ``node -e 0`` (the Node runtime's own start, for reference)."""
    node_dir = node_bin_dir()
    node = str(node_dir / "node") if node_dir else "node"
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([node, "-e", "0"], env=node_env({}), check=True, capture_output=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def node_version() -> str:
    """``node --version`` of the node that runs the peer."""
    node_dir = node_bin_dir()
    node = str(node_dir / "node") if node_dir else "node"
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def _one_round(
    collected: dict[str, dict[str, list[ProcessTimings]]],
    ours_asset: Path,
    ours_template: Mapping[str, Any],
    peer_outdir: Path,
    resources: int,
) -> None:
    """One process of each kind for each provider, appended to ``collected``."""
    collected["ours"]["runs"].append(ours_process(ours_asset, ours_template, resources))
    collected["peer"]["runs"].append(peer_process(peer_outdir, resources))
    collected["ours"]["cold_deletes"].append(ours_process(ours_asset, ours_template, 1, ("Delete",)))
    collected["peer"]["cold_deletes"].append(peer_process(peer_outdir, 1, ("Delete",)))


def measure_handlers(
    ours_asset: Path, ours_template: Mapping[str, Any], peer_outdir: Path, *, runs: int, resources: int
) -> dict[str, Any]:
    """Both providers, processes interleaved so machine drift hits both alike."""
    collected: dict[str, dict[str, list[ProcessTimings]]] = {
        "ours": {"runs": [], "cold_deletes": []},
        "peer": {"runs": [], "cold_deletes": []},
    }
    for _ in range(runs):
        _one_round(collected, ours_asset, ours_template, peer_outdir, resources)
    result: dict[str, Any] = {"resources_per_process": resources}
    for name, got in collected.items():
        result[name] = summarize(got["runs"], got["cold_deletes"])
    peer_extra = [r.extra for r in collected["peer"]["runs"]]
    result["peer"].update(
        node_boot_ms=_median([float(x["node_boot_ms"]) for x in peer_extra]),
        first_event_sdk_require_ms=_median([float(x["first_event_sdk_require_ms"] or 0.0) for x in peer_extra]),
        sdk_version=peer_extra[0]["sdk_version"],
        node_version=peer_extra[0]["node_version"],
        sdk_command_shimmed=peer_extra[0]["sdk_command_shimmed"],
    )
    return result
