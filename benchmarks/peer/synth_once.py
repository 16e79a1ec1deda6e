"""Synthesize the peer (or ours) once in this process and print one JSON line.

Run as ``python -m benchmarks.peer.synth_once --n N --outdir DIR [--approach ours|peer]``
(the peer by default; ``ours`` is :mod:`benchmarks.ours_stack`). A fresh
interpreter per run is the point: jsii starts a Node.js child on first import
of ``aws_cdk``, and users pay that start-up on every ``cdk synth``.

The JSON carries ``ok``, ``error`` (CDK's message when synth fails, e.g. the
500-resource validation), ``import_s``/``synth_s`` (in-process timings) and,
when synth passed, the :func:`~benchmarks.peer.peer_stack.measure_template`
figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.peer.synth_runner import APPROACHES, STACK_BUILDERS


def run(n: int, outdir: str, approach: str = "peer") -> dict[str, Any]:
    """Import CDK, build and synth ``n`` instances into ``outdir``; never raises on synth errors."""
    module_name, synth_name = STACK_BUILDERS[approach]
    t0 = time.perf_counter()
    from benchmarks.peer import peer_stack  # imports aws_cdk: jsii start-up

    stack_module = importlib.import_module(module_name)
    t1 = time.perf_counter()
    result: dict[str, Any] = {"n": n, "approach": approach, "outdir": outdir, "import_s": t1 - t0}
    try:
        getattr(stack_module, synth_name)(n, outdir)
    except Exception as exc:  # jsii surfaces CDK validation errors as RuntimeError
        result.update(ok=False, error=str(exc)[:4000], synth_s=time.perf_counter() - t1)
        return result
    result.update(ok=True, error=None, synth_s=time.perf_counter() - t1)
    stack_name = str(stack_module.STACK_NAME)
    path = Path(outdir) / f"{stack_name}.template.json"
    measure = peer_stack.measure_template(
        peer_stack.load_template(outdir, stack_name), written_bytes=path.stat().st_size, stack_name=stack_name
    )
    result["measure"] = measure
    result["deployable"] = peer_stack.deployable(measure)
    return result


def main(argv: list[str] | None = None) -> int:
    """CLI entry: print the result JSON; exit 0 even when synth fails (failure is data)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--outdir", required=True)
    parser.add_argument("--approach", choices=APPROACHES, default="peer")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.n, args.outdir, args.approach)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
