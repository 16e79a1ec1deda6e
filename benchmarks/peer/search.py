"""CLI: find the largest N the peer (or ours) can deploy and the largest it can synthesize.

``python -m benchmarks.peer.search [--grid 1,10,...] [--approach ours|peer] [--out FILE]`` prints (and
optionally writes) one JSON document with every evaluated point. Synths run one
at a time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.peer.synth_runner import APPROACHES, DEFAULT_GRID, search_largest


def run(grid: list[int], approach: str = "peer") -> dict[str, Any]:
    """Deploy search first, then the synth search reusing the points already taken."""
    points: dict[int, dict[str, Any]] = {}
    deploy = search_largest(grid, "deploy", points=points, approach=approach)
    synth = search_largest(grid, "synth", points=points, approach=approach)
    return {
        "approach": approach,
        "grid": grid,
        "largest_deployable": deploy["largest"],
        "first_undeployable": deploy["first_failing"],
        "largest_synthesizable": synth["largest"],
        "first_unsynthesizable": synth["first_failing"],
        "points": {str(n): points[n] for n in sorted(points)},
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the grid, run both searches, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid", default=",".join(map(str, DEFAULT_GRID)))
    parser.add_argument("--approach", choices=APPROACHES, default="peer")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    grid = [int(x) for x in args.grid.split(",") if x]
    text = json.dumps(run(grid, args.approach), indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
