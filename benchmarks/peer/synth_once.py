"""Synthesize the peer once in this process and print one JSON line.

Run as ``python -m benchmarks.peer.synth_once --n N --outdir DIR``. A fresh
interpreter per run is the point: jsii starts a Node.js child on first import
of ``aws_cdk``, and users pay that start-up on every ``cdk synth``.

The JSON carries ``ok``, ``error`` (CDK's message when synth fails, e.g. the
500-resource validation), ``import_s``/``synth_s`` (in-process timings) and,
when synth passed, the :func:`~benchmarks.peer.peer_stack.measure_template`
figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def run(n: int, outdir: str) -> dict[str, Any]:
    """Import CDK, build and synth ``n`` instances into ``outdir``; never raises on synth errors."""
    t0 = time.perf_counter()
    from benchmarks.peer import peer_stack  # imports aws_cdk: jsii start-up

    t1 = time.perf_counter()
    result: dict[str, Any] = {"n": n, "outdir": outdir, "import_s": t1 - t0}
    try:
        peer_stack.synth_peer(n, outdir)
    except Exception as exc:  # jsii surfaces CDK validation errors as RuntimeError
        result.update(ok=False, error=str(exc)[:4000], synth_s=time.perf_counter() - t1)
        return result
    result.update(ok=True, error=None, synth_s=time.perf_counter() - t1)
    path = Path(outdir) / f"{peer_stack.STACK_NAME}.template.json"
    measure = peer_stack.measure_template(peer_stack.load_template(outdir), written_bytes=path.stat().st_size)
    result["measure"] = measure
    result["deployable"] = peer_stack.deployable(measure)
    return result


def main(argv: list[str] | None = None) -> int:
    """CLI entry: print the result JSON; exit 0 even when synth fails (failure is data)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.n, args.outdir)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
