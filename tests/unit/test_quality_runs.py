"""Run-level rates tracked over runs: duplicates, replaced rows and rejects per reason."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality import RUN_RATE
from pipeline_lib.quality._metrics import RUN_PREFIX, read_metric_history, write_snapshot
from pipeline_lib.quality._runs import assess_run_rates, run_metrics
from pipeline_lib.quality.anomalies import AnomalySettings, assess_run
from pipeline_lib.storage import LocalLake
from tests.unit.quality_frames import AS_OF, FrameRunner, transactions

CFG = AnomalySettings()


def batch(
    rows: int = 1000,
    duplicates: int = 10,
    rejects: int = 5,
    replaced: int = 0,
    reason: str = "negative_amount",
) -> list[StageAccounting]:
    """A transactions batch: ingestion, then an ETL that drops duplicates and rejects."""
    out = rows - duplicates - rejects
    return [
        StageAccounting("transactions", "ingestion", rows, rows),
        StageAccounting(
            "transactions",
            "etl",
            rows,
            out,
            {reason: rejects} if rejects else {},
            duplicates_removed=duplicates,
            replaced=replaced,
        ),
    ]


def history_of(runs: list[list[StageAccounting]]) -> pd.DataFrame:
    frames = []
    for i, accounting in enumerate(runs):
        day = AS_OF - timedelta(days=len(runs) - i)
        frame = run_metrics(accounting, day)
        frames.append(
            frame.assign(run_id=f"r{i:02d}", as_of=pd.Timestamp(day), computed_at=pd.Timestamp(day))
        )
    return pd.concat(frames, ignore_index=True)


def usual(n: int = 10, seed: int = 1) -> list[list[StageAccounting]]:
    rng = np.random.default_rng(seed)
    return [
        batch(duplicates=int(rng.integers(5, 15)), rejects=int(rng.integers(2, 8)))
        for _ in range(n)
    ]


def test_rates_of_a_batch() -> None:
    rates = run_metrics(batch(replaced=40), AS_OF)
    values = dict(zip(rates["metric"], rates["value"]))
    assert values == {
        f"{RUN_PREFIX}rows_in[transactions]": 1000.0,
        f"{RUN_PREFIX}duplicate_rate[transactions]": 1.0,
        f"{RUN_PREFIX}replaced_rate[transactions]": 4.0,
        f"{RUN_PREFIX}reject_rate[transactions/negative_amount]": 0.5,
    }


def test_a_usual_batch_is_quiet() -> None:
    found = assess_run_rates(history_of(usual()), run_metrics(batch(), AS_OF), AS_OF, CFG)
    assert found.anomalies == [] and found.unjudged == []


def test_a_double_delivery_raises_the_duplicate_rate() -> None:
    doubled = batch(rows=2000, duplicates=1010)
    found = assess_run_rates(history_of(usual()), run_metrics(doubled, AS_OF), AS_OF, CFG)
    assert [(a.metric, a.direction, a.kind) for a in found.anomalies] == [
        ("duplicate_rate[transactions]", "above", RUN_RATE)
    ]
    text = found.anomalies[0].explanation
    assert "duplicate_rate[transactions] of the run as of 2026-10-31 was 50.50%" in text
    assert "from the median of the last 10 runs that read transactions" in text
    assert "a file delivered twice" in text


def test_a_file_delivered_again_on_another_day_raises_the_replaced_rate() -> None:
    again = batch(replaced=900)
    found = assess_run_rates(history_of(usual()), run_metrics(again, AS_OF), AS_OF, CFG)
    assert [a.metric for a in found.anomalies] == ["replaced_rate[transactions]"]


def test_a_new_reject_reason_is_compared_with_zero() -> None:
    commas = batch(rejects=80, reason="unparseable_value:price")
    found = assess_run_rates(history_of(usual()), run_metrics(commas, AS_OF), AS_OF, CFG)
    assert [(a.metric, a.expected) for a in found.anomalies] == [
        ("reject_rate[transactions/unparseable_value:price]", 0.0)
    ]


def test_a_rate_that_falls_is_found_too() -> None:
    runs = [batch(duplicates=200) for _ in range(6)]  # the feed always repeats 20%
    found = assess_run_rates(history_of(runs), run_metrics(batch(duplicates=0), AS_OF), AS_OF, CFG)
    assert [(a.metric, a.direction) for a in found.anomalies] == [
        ("duplicate_rate[transactions]", "below")
    ]


def test_small_batches_and_short_histories_are_listed_not_judged() -> None:
    small = assess_run_rates(
        history_of(usual()),
        run_metrics(batch(rows=50, duplicates=40, rejects=0), AS_OF),
        AS_OF,
        CFG,
    )
    assert small.anomalies == []
    assert {(u.metric, u.reason) for u in small.unjudged} == {
        ("duplicate_rate[transactions]", "too_small"),
        ("replaced_rate[transactions]", "too_small"),
    }
    short = assess_run_rates(
        history_of(usual(2)), run_metrics(batch(duplicates=500), AS_OF), AS_OF, CFG
    )
    assert short.anomalies == [] and {u.reason for u in short.unjudged} == {"history"}


def test_assess_run_keeps_the_rates_of_its_own_accounting_only(tmp_path) -> None:
    lake = LocalLake(tmp_path / "lake")
    runner = FrameRunner({"curated.transactions": transactions()})
    for i in range(4):
        assess_run(
            runner,
            lake=lake,
            run_id=f"r{i}",
            as_of=AS_OF - timedelta(days=4 - i),
            accounting=batch(),
        )
    found = assess_run(
        runner, lake=lake, run_id="r9", as_of=AS_OF, accounting=batch(rows=2000, duplicates=1000)
    )
    assert "duplicate_rate[transactions]" in {a.metric for a in found.anomalies}
    live = assess_run(runner, lake=lake, run_id="quality-1", as_of=AS_OF)  # no accounting
    assert all(a.kind != RUN_RATE for a in live.anomalies)
    kept = read_metric_history(lake)
    assert not kept[kept.run_id == "quality-1"].metric.str.startswith(RUN_PREFIX).any()
    assert kept[kept.run_id == "r9"].metric.str.startswith(RUN_PREFIX).any()


def test_snapshots_read_are_bounded_to_the_latest_runs(tmp_path) -> None:
    lake = LocalLake(tmp_path / "lake")
    frame = pd.DataFrame(
        {"day": [pd.Timestamp(date(2026, 1, 1))], "metric": ["bookings"], "value": [1.0]}
    )
    for i in range(5):
        write_snapshot(lake, frame, run_id=f"2026010{i}T000000Z-x", as_of=date(2026, 1, 1))
    latest = read_metric_history(lake, latest_runs=2)
    assert sorted(latest.run_id) == ["20260103T000000Z-x", "20260104T000000Z-x"]


def test_only_a_runs_own_audit_tracks_its_rates() -> None:
    from pipeline_lib.jobs import TableVersion
    from pipeline_lib.quality.audit import own_run_accounting
    from pipeline_lib.storage import Zone

    staged = [TableVersion(Zone.CURATED, "transactions", "r7", 10, 1, 1)]
    assert own_run_accounting("r7", staged, batch()) == batch()
    assert own_run_accounting("quality-1", staged, batch()) is None  # the live tables
    assert own_run_accounting("r7", staged, []) is None
