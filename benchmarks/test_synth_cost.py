"""The synth-cost benchmark's arithmetic and report: ratios to the floor and to the peer, and the issue's targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.synth_cost import APPROACHES, BEFORE, _ratios, markdown_section, plot, targets

pytestmark = [pytest.mark.unit, pytest.mark.harness]


def _side(
    cpu: float, *, ok: bool = True, trips: float = 1.0, import_s: float | None = None, jsii: float = 1.0
) -> dict[str, Any]:
    return {
        "ok": ok,
        "error": None if ok else "TooManyResourcesInStack",
        "cpu_s": [cpu],
        "cpu_median_s": cpu,
        "round_trips_per_execution": trips,
        "jsii_median_s": jsii,
        "import_cpu_median_s": import_s,
        "import_wall_median_s": import_s,
    }


def _row(n: int, preload: bool, *, ours: float, before: float, peer: float, bare: float, peer_ok: bool = True) -> Any:
    row: dict[str, Any] = {
        "n": n,
        "preload": preload,
        "ours": _side(ours, trips=4.0, import_s=0.07, jsii=1.2),
        BEFORE: _side(before, trips=7.0, import_s=0.07),
        "peer": _side(peer, ok=peer_ok, trips=6.0),
        "bare": _side(bare),
        "bare+provider": _side(bare + 0.5, jsii=1.1),
    }
    row.update(_ratios(row, [*APPROACHES, BEFORE]))
    return row


def test_ratios_compare_ours_with_the_floor_and_what_it_adds_with_what_the_peer_adds() -> None:
    row = _row(249, True, ours=5.5, before=6.0, peer=6.5, bare=4.5)
    assert row["ratios"]["ours"]["over_bare"] == pytest.approx(5.5 / 4.5)
    assert row["ratios"]["ours"]["over_peer"] == pytest.approx(5.5 / 6.5)
    assert row["ratios"]["ours"]["added_vs_peer_added"] == pytest.approx(1.0 / 2.0)
    assert row["ratios"][BEFORE]["added_vs_peer_added"] == pytest.approx(1.5 / 2.0)
    assert row["ratios"]["ours"]["over_bare_with_provider"] == pytest.approx(5.5 / 5.0)
    assert row["provider_fixed_s"] == pytest.approx(0.5)
    assert row["executions_jsii_s"] == pytest.approx(0.1)


def test_a_peer_that_cannot_synthesize_gives_no_ratio_to_it() -> None:
    row = _row(490, True, ours=6.4, before=7.2, peer=3.0, bare=5.4, peer_ok=False)
    assert row["ratios"]["ours"]["over_peer"] is None
    assert row["ratios"]["ours"]["added_vs_peer_added"] is None
    assert row["ratios"]["ours"]["over_bare"] == pytest.approx(6.4 / 5.4)


def test_the_targets_are_judged_on_the_preloaded_rows_and_the_section_shows_before_and_after() -> None:
    data = {
        "rounds": 4,
        "load_average": 1.0,
        "preloaded_modules": ["aws_cdk.aws_lambda"],
        "before": "/elsewhere",
        "rows": [
            _row(249, False, ours=9.0, before=9.0, peer=9.0, bare=1.0),
            _row(249, True, ours=4.9, before=6.0, peer=6.5, bare=4.5),
        ],
        "notes": ["a note"],
    }
    assert targets(data) == [
        "N = 249, preloaded: ours/bare 1.09x (target ≤ 1.10x: met); of what ours adds, 0.50 s is the provider "
        "alone, and ours over bare + provider is 0.98x",
        "N = 249, preloaded: ours/bare is at least 1.13x: the provider alone is 11% of bare, and the "
        "executions' requests beyond a bare CfnResource (3.0 each) take 0.10 s of jsii time, 2% of bare",
        "N = 249, preloaded: what ours adds over bare is 0.20x what the peer adds (target ≤ 0.50x: met)",
    ]
    text = "\n".join(markdown_section(data))
    assert "| 249 | yes | 4.90 | 6.00 | 6.50 | 4.50 | 5.00 | 1.33x → 1.09x | 1.20x → 0.98x |" in text
    assert "* a note" in text


def test_the_plot_draws_every_measured_approach_and_skips_one_an_older_run_lacks(tmp_path: Path) -> None:
    rows = [
        _row(249, True, ours=4.9, before=6.0, peer=6.5, bare=4.5),
        _row(490, True, ours=6.4, before=7.2, peer=3.0, bare=5.4, peer_ok=False),
    ]
    drawn = tmp_path / "all.png"
    plot({"rows": rows}, drawn)
    for row in rows:
        del row["bare+provider"]
    older = tmp_path / "older.png"
    plot({"rows": rows}, older)
    assert drawn.read_bytes()[:8] == older.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn.read_bytes() != older.read_bytes()
