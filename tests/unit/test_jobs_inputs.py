"""read_validated: every accepted file of a dataset, typed, in arrival order, with its counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import (
    JobContext,
    ingestion_accounting,
    processing_fingerprints,
    read_validated,
)
from pipeline_lib.storage import LocalLake
from pipeline_lib.transform import SOURCE_ORDER, clean_transactions

HEADER = "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
FIRST_FILE = [
    "txn_1,cust_1,prod_1,2,9.99,19.98,2026-11-20,completed",
    "txn_2,cust_2,prod_2,1,5.00,5.00,2026-11-21,completed",
    "txn_3,cust_3,prod_1,lots,9.99,19.98,2026-11-21,completed",  # rejected at ingestion
]
SECOND_FILE = [
    "txn_4,cust_1,prod_3,1,3.50,3.50,2026-11-26,completed",
    "txn_1,cust_1,prod_1,2,9.99,19.98,2026-11-20,returned",  # a later status of txn_1
    "txn_5,cust_4,prod_2,1,5.00,5.00,not-a-date,completed",  # rejected at ingestion
]
TODAY = date(2026, 11, 28)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def two_files_lake(tmp_path: Path) -> LocalLake:
    """Two transaction files ingested one after the other (the second arrives later)."""
    lake = LocalLake(tmp_path / "lake")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, lines in [("transactions_1.csv", FIRST_FILE), ("transactions_2.csv", SECOND_FILE)]:
        report = ingest_paths(
            [write_csv(inbox / name, lines)], lake, IngestionSettings(), today=TODAY
        )
        assert report.counts["accepted"] == 1, report.summary()
    return lake


def context(lake: LocalLake) -> JobContext:
    return JobContext(lake=lake, run_id="r1", as_of=TODAY)


def test_rows_of_both_files_are_typed_and_in_arrival_order(two_files_lake: LocalLake) -> None:
    source = read_validated(context(two_files_lake), "transactions")

    frame = source.frame
    assert frame["transaction_id"].tolist() == ["txn_1", "txn_2", "txn_4", "txn_1"]
    assert frame["status"].tolist() == ["completed", "completed", "completed", "returned"]
    assert frame["transaction_date"].tolist()[0] == date(2026, 11, 20)
    assert str(frame["quantity"].dtype) == "int64[pyarrow]"
    order = frame[SOURCE_ORDER].tolist()
    # (file position << 32) + data row number in the file (row 3 of each file was
    # rejected): the status update in the second file has a higher order than the line it
    # updates.
    assert order == [1, 2, (1 << 32) + 1, (1 << 32) + 2]
    assert order == sorted(order)
    first, update = frame.index[frame["transaction_id"] == "txn_1"]
    assert frame.loc[update, SOURCE_ORDER] > frame.loc[first, SOURCE_ORDER]


def test_the_later_status_wins_when_the_etl_deduplicates(two_files_lake: LocalLake) -> None:
    source = read_validated(context(two_files_lake), "transactions")
    result = clean_transactions(source.frame, processing_date=TODAY)
    statuses = dict(zip(result.data["transaction_id"], result.data["status"]))
    assert statuses == {"txn_1": "returned", "txn_2": "completed", "txn_4": "completed"}
    assert result.duplicates_removed == 1


def test_ingestion_rejects_are_counted_from_the_ledger(two_files_lake: LocalLake) -> None:
    source = read_validated(context(two_files_lake), "transactions")

    assert (source.files, source.rows_read, source.rows_rejected_at_ingestion) == (2, 6, 2)
    assert source.ingestion_reject_reasons == {
        "unparseable_value:quantity": 1,
        "unparseable_value:transaction_date": 1,
    }
    entry = ingestion_accounting(source)
    assert (entry.rows_in, entry.rows_out, entry.rows_rejected) == (6, 4, 2)


def test_a_dataset_never_ingested_gives_an_empty_typed_frame(two_files_lake: LocalLake) -> None:
    source = read_validated(context(two_files_lake), "reviews")

    assert (source.files, source.rows_read, source.rows_rejected_at_ingestion) == (0, 0, 0)
    assert len(source.frame) == 0
    assert "review_id" in source.frame.columns and SOURCE_ORDER in source.frame.columns
    assert ingestion_accounting(source).rows_in == 0


def test_a_feed_setting_changes_only_its_datasets_fingerprint() -> None:
    before = processing_fingerprints({"feeds": {}, "etl": {"session_gap_minutes": 30}})
    dropped = processing_fingerprints(
        {
            "feeds": {"transactions": {"drop_columns": ["coupon_code"]}},
            "etl": {"session_gap_minutes": 30},
        }
    )
    assert dropped["transactions"] != before["transactions"]
    assert {k: v for k, v in dropped.items() if k != "transactions"} == {
        k: v for k, v in before.items() if k != "transactions"
    }
    longer_gap = processing_fingerprints({"feeds": {}, "etl": {"session_gap_minutes": 45}})
    assert all(longer_gap[k] != before[k] for k in before)  # job parameters concern every job
