"""Time the peer's Node.js handler against the project's local emulator and HTTPS receiver.

``python -m benchmarks.peer.node_bench --outdir CDK_OUT [--resources 5] [--runs 5]``

Why a separate module: :func:`~benchmarks.peer.node_handler.run_node_peer` only
runs events; this one sets up what a run needs (``testkit`` emulator with
the template's associations, an HTTPS receiver for ResponseURL), checks every
response CloudFormation would get, and reduces ``runs`` fresh processes to
medians: cold start (node boot, handler import, first event) and warm events.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.peer.asset import find_provider_asset
from benchmarks.peer.node_handler import custom_resources, events_from_template, run_node_peer
from benchmarks.peer.peer_stack import load_template


def _median(values: Iterable[float | None]) -> float | None:
    """Median of the non-null values, ``None`` when there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def run_once(outdir: Path, resources: int, request_types: tuple[str, ...]) -> list[dict[str, Any]]:
    """One fresh node process over ``resources`` x ``request_types`` events; asserts every PUT arrived."""
    from testkit.cfn_receiver import CfnResponseReceiver
    from testkit.emulator import AppIntegrationsEmulator

    template = load_template(outdir)
    with AppIntegrationsEmulator() as emu, CfnResponseReceiver() as receiver:
        for _lid, props in custom_resources(template)[:resources]:
            params = json.loads(props["Create"])["parameters"]
            emu.add_association(params["DataIntegrationIdentifier"], params["DataIntegrationAssociationIdentifier"])
        events = events_from_template(template, receiver.response_url, request_types, limit=resources)
        records = run_node_peer(
            find_provider_asset(outdir),
            events,
            {"AWS_ENDPOINT_URL_APPINTEGRATIONS": emu.endpoint_url, "NODE_EXTRA_CA_CERTS": str(receiver.ca_file)},
        )
        for event in events:
            got = receiver.wait_for(event["RequestId"], timeout=10)
            if len(got) != 1 or got[0].status != 200 or (got[0].body or {}).get("Status") != "SUCCESS":
                raise AssertionError(f"{event['RequestType']} {event['RequestId']}: {got!r}")
        updates = len(emu.update_calls())
    expected = resources * sum(t in ("Create", "Update") for t in request_types)
    if updates != expected:
        raise AssertionError(f"emulator saw {updates} update calls, expected {expected}")
    return records


def summarize(runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians over runs: init, the cold first event, and every later (warm) event."""
    inits = [r[0] for r in runs]
    firsts = [r[1] for r in runs]
    warm = [e for r in runs for e in r[2:] if e["api_calls"]]
    return {
        "runs": len(runs),
        "node_version": inits[0]["node_version"],
        "sdk_version": inits[0]["sdk_version"],
        "sdk_command_shimmed": firsts[0]["sdk_command_shimmed"],
        "node_boot_ms": _median(i["node_boot_ms"] for i in inits),
        "import_ms": _median(i["import_ms"] for i in inits),
        "first_event_ms": _median(e["total_ms"] for e in firsts),
        "first_event_sdk_require_ms": _median(e["sdk_require_ms"] for e in firsts),
        "first_event_sdk_shim_ms": _median(e["sdk_shim_ms"] for e in firsts),
        "first_event_before_api_ms": _median(e["before_api_ms"] for e in firsts),
        "cold_total_ms": _median(
            i["node_boot_ms"] + i["import_ms"] + e["total_ms"] for i, e in zip(inits, firsts, strict=True)
        ),
        "warm_event_ms": _median(e["total_ms"] for e in warm),
        "warm_before_api_ms": _median(e["before_api_ms"] for e in warm),
        "warm_api_ms": _median(e["api_ms"] for e in warm),
        "warm_cfn_put_ms": _median(e["cfn_put_ms"] for e in warm),
        "warm_events": len(warm),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: run, summarize, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", type=Path, required=True, help="a cdk.out holding the peer stack")
    parser.add_argument("--resources", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--request-types", default="Create,Update")
    args = parser.parse_args(argv)
    types = tuple(t for t in args.request_types.split(",") if t)
    runs = [run_once(args.outdir, args.resources, types) for _ in range(args.runs)]
    print(json.dumps(summarize(runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
