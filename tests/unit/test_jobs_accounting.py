"""Row accounting: every stage balances, rejects are kept, entries are saved per run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import (
    DatasetInput,
    JobContext,
    StageAccounting,
    ingestion_accounting,
    load_accounting,
    record_stage,
    save_accounting,
)
from pipeline_lib.storage import LocalLake
from pipeline_lib.transform import TransformResult
from pipeline_lib.transform._values import ValueNote


def context(tmp_path: Path, run_id: str = "r1") -> JobContext:
    return JobContext(lake=LocalLake(tmp_path), run_id=run_id, as_of=date(2026, 11, 28))


NOTE = {
    "dataset": "transactions",
    "column": "status",
    "kind": "kept_as_other",
    "value": "lost",
    "rows": 1,
    "first_day": "2026-11-27",
}


def cleaning_result() -> TransformResult:
    """Six rows in: three kept, two rejected (two reasons), one older duplicate dropped."""
    data = pd.DataFrame({"transaction_id": ["txn_1", "txn_2", "txn_3"]})
    rejects = pd.DataFrame(
        {
            "transaction_id": ["txn_4", "txn_5"],
            "_reject_reason": ["negative_amount", "unknown_status"],
        }
    )
    note = ValueNote("transactions", "status", "kept_as_other", "lost", 1, "2026-11-27")
    return TransformResult(
        data=data, rejects=rejects, duplicates_removed=1, rows_in=6, notes=[note]
    )


def test_balanced_stage_is_accepted() -> None:
    entry = StageAccounting(
        "transactions",
        "etl",
        rows_in=10,
        rows_out=6,
        rejected={"a": 2, "b": 1},
        duplicates_removed=1,
    )
    assert entry.rows_rejected == 3


@pytest.mark.parametrize(
    ("rows_out", "duplicates", "accounted"),
    [(6, 0, 8), (8, 1, 11)],
    ids=["rows_lost", "rows_counted_twice"],
)
def test_unbalanced_stage_raises_with_every_figure(
    rows_out: int, duplicates: int, accounted: int
) -> None:
    with pytest.raises(PipelineError) as caught:
        StageAccounting(
            "transactions",
            "etl",
            rows_in=10,
            rows_out=rows_out,
            rejected={"negative_amount": 2},
            duplicates_removed=duplicates,
        )
    assert str(caught.value) == (
        f"transactions/etl: 10 rows in but {rows_out} out + 2 rejected + {duplicates} "
        f"duplicates = {accounted}: rows were lost or counted twice"
    )


def test_record_stage_keeps_rejects_in_quarantine_and_saves_the_entry(tmp_path: Path) -> None:
    ctx = context(tmp_path)

    entry = record_stage(ctx, "transactions", "etl", cleaning_result())

    assert entry == StageAccounting(
        "transactions",
        "etl",
        rows_in=6,
        rows_out=3,
        rejected={"negative_amount": 1, "unknown_status": 1},
        duplicates_removed=1,
        notes=[NOTE],
    )
    rejects = pq.read_table(
        tmp_path / "quarantine" / "etl_rejects" / "transactions" / "run-r1" / "etl.parquet"
    )
    assert rejects.to_pylist() == [
        {"transaction_id": "txn_4", "_reject_reason": "negative_amount"},
        {"transaction_id": "txn_5", "_reject_reason": "unknown_status"},
    ]
    assert rejects.schema.metadata is None
    saved = json.loads(
        (tmp_path / "_meta" / "runs" / "r1" / "accounting" / "transactions.etl.json").read_text()
    )
    assert saved == {
        "dataset": "transactions",
        "stage": "etl",
        "rows_in": 6,
        "rows_out": 3,
        "rejected": {"negative_amount": 1, "unknown_status": 1},
        "duplicates_removed": 1,
        "notes": [NOTE],
        "replaced": 0,
        "carried": 0,
    }
    assert load_accounting(ctx.lake, "r1") == [entry]  # notes survive the round trip


def test_record_stage_without_rejects_writes_no_reject_file(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    clean = TransformResult(
        data=pd.DataFrame({"review_id": ["rev_1"]}),
        rejects=pd.DataFrame({"review_id": [], "_reject_reason": []}),
        duplicates_removed=0,
        rows_in=1,
    )
    entry = record_stage(ctx, "reviews", "merge", clean)
    assert (entry.rows_in, entry.rows_out, entry.rejected) == (1, 1, {})
    assert not (tmp_path / "quarantine").exists()
    assert (tmp_path / "_meta" / "runs" / "r1" / "accounting" / "reviews.merge.json").is_file()


def test_record_stage_refuses_an_unknown_stage(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="unknown stage 'cleanup'"):
        record_stage(context(tmp_path), "transactions", "cleanup", cleaning_result())
    assert not (tmp_path / "_meta").exists()


def test_ingestion_accounting_comes_from_the_ledger_counts() -> None:
    source = DatasetInput(
        dataset="transactions",
        frame=pd.DataFrame({"transaction_id": ["txn_1", "txn_2", "txn_3"]}),
        files=2,
        rows_read=5,
        rows_rejected_at_ingestion=2,
        ingestion_reject_reasons={"unparseable_value:quantity": 2},
    )
    assert ingestion_accounting(source) == StageAccounting(
        "transactions",
        "ingestion",
        rows_in=5,
        rows_out=3,
        rejected={"unparseable_value:quantity": 2},
    )


def test_load_accounting_orders_by_dataset_then_stage_and_keeps_runs_apart(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path)
    for dataset, stage, rows in [
        ("transactions", "merge", 3),
        ("reviews", "etl", 2),
        ("transactions", "ingestion", 3),
        ("transactions", "etl", 3),
    ]:
        save_accounting(ctx, StageAccounting(dataset, stage, rows_in=rows, rows_out=rows))
    save_accounting(context(tmp_path, "r2"), StageAccounting("products", "etl", 1, 1))

    loaded = load_accounting(ctx.lake, "r1")

    assert [(e.dataset, e.stage) for e in loaded] == [
        ("reviews", "etl"),
        ("transactions", "ingestion"),
        ("transactions", "etl"),
        ("transactions", "merge"),
    ]
    assert load_accounting(ctx.lake, "no-such-run") == []
