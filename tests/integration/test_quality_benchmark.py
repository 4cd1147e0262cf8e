"""A smoke test of the quality benchmark (``make bench-quality``): one small shop lake
through the real pipeline, a clean delivery and one fault, scored as the benchmark does."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_quality  # noqa: E402
from quality_bench.faults import FAULTS, Context  # noqa: E402
from quality_bench.harness import markdown  # noqa: E402
from quality_bench.shops import BUILDERS, build  # noqa: E402


def test_every_fault_kind_is_written_for_every_shop() -> None:
    assert len(FAULTS) >= 30
    assert {f.family for f in FAULTS.values()} == {
        "timeliness",
        "duplication",
        "volume",
        "values",
        "structure",
        "distribution",
        "consistency",
        "mix",
    }
    day = date(2026, 10, 9)
    shop = build("nordic", 1, day, 21, scale=0.3)

    def rendered(batch: object) -> dict[str, bytes]:
        return {f.name: shop.render(f) for f in batch.files}  # type: ignore[attr-defined]

    clean = rendered(shop.delivery(day))
    for fault in FAULTS.values():
        batch = shop.delivery(day)
        context = Context(shop, day, shop.delivery(day), np.random.default_rng(1))
        assert fault.apply(batch, context), fault.name
        assert rendered(batch) != clean, f"{fault.name} changed nothing"
    assert set(BUILDERS) == {"generator", "garden", "nordic"}


def test_a_small_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    summary, outcomes = bench_quality.run(
        shops={"nordic": 1},
        faults=["amounts_in_cents"],
        fault_lakes=1,
        work=tmp_path,
        history_days=63,
        daily_runs=1,
        scale=0.5,
        progress=False,
    )
    kinds = [o.kind for o in outcomes]
    assert kinds == ["daily", "clean", "amounts_in_cents"]
    assert all(o.status == "succeeded" for o in outcomes if o.kind != "amounts_in_cents")
    assert summary["clean_false_alarms"] == 0, summary["false_alarm_details"]
    assert summary["kinds"]["amounts_in_cents"]["audit"] == 1
    table = markdown(summary)
    assert "| values | 1 | 1 | 1 | 100.0% |" in table
    assert "False alarms: 0 of 1 clean trials" in table
