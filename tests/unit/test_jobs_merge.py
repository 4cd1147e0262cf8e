"""Merging a batch into the live version: touched months rewritten, the others shared."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_lib.jobs import merge_table, read_table, write_table
from pipeline_lib.storage import LocalLake, Zone

MONTH = "transaction_month={}/part-0.parquet"


def lines(*rows: tuple[str, date, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "transaction_id": [r[0] for r in rows],
            "transaction_date": [r[1] for r in rows],
            "total_amount": [r[2] for r in rows],
        }
    )


LIVE = lines(
    ("t1", date(2026, 1, 5), 10.0),
    ("t2", date(2026, 1, 9), 20.0),
    ("t3", date(2026, 2, 3), 30.0),
    ("t4", date(2026, 3, 7), 40.0),
)


def live_lake(tmp_path: Path) -> LocalLake:
    lake = LocalLake(tmp_path)
    write_table(lake, Zone.PROCESSED, "transactions", "r1", LIVE)
    return lake


def rows(lake: LocalLake, run: str) -> list[tuple[object, ...]]:
    frame = read_table(lake, Zone.PROCESSED, "transactions", run)
    return sorted(frame.itertuples(index=False, name=None))


def inode(lake: LocalLake, run: str, month: str) -> int:
    return lake.path(Zone.PROCESSED, f"transactions/run-{run}/{MONTH.format(month)}").stat().st_ino


def test_a_late_update_rewrites_its_month_and_shares_the_others(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    batch = lines(("t1", date(2026, 1, 5), 11.0), ("t5", date(2026, 4, 1), 50.0))

    merged = merge_table(
        lake, Zone.PROCESSED, "transactions", "r2", batch, key="transaction_id", base_run="r1"
    )

    assert merged.replaced == 1
    assert merged.rewritten == (MONTH.format("2026-01"), MONTH.format("2026-04"))
    assert merged.shared == (MONTH.format("2026-02"), MONTH.format("2026-03"))
    assert inode(lake, "r2", "2026-02") == inode(lake, "r1", "2026-02")
    assert inode(lake, "r2", "2026-01") != inode(lake, "r1", "2026-01")
    assert merged.version.partitions == {
        MONTH.format("2026-01"): "r2",
        MONTH.format("2026-02"): "r1",
        MONTH.format("2026-03"): "r1",
        MONTH.format("2026-04"): "r2",
    }
    assert merged.version.rows == 5
    # Exactly what one write of the deduplicated whole would hold.
    whole = lines(
        ("t1", date(2026, 1, 5), 11.0),
        ("t2", date(2026, 1, 9), 20.0),
        ("t3", date(2026, 2, 3), 30.0),
        ("t4", date(2026, 3, 7), 40.0),
        ("t5", date(2026, 4, 1), 50.0),
    )
    write_table(lake, Zone.PROCESSED, "transactions", "full", whole)
    assert rows(lake, "r2") == rows(lake, "full")
    for month in ("2026-01", "2026-04"):  # rewritten files are the files a full write makes
        part = MONTH.format(month)
        merged_file = lake.path(Zone.PROCESSED, f"transactions/run-r2/{part}")
        full_file = lake.path(Zone.PROCESSED, f"transactions/run-full/{part}")
        assert merged_file.read_bytes() == full_file.read_bytes()


def test_shared_partitions_survive_pruning_the_version_they_came_from(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        lines(("t9", date(2026, 3, 9), 9.0)),
        key="transaction_id",
        base_run="r1",
    )
    shutil.rmtree(lake.path(Zone.PROCESSED, "transactions/run-r1"))
    assert len(rows(lake, "r2")) == 5


def test_an_update_that_moves_a_row_to_another_month_leaves_the_old_one(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        lines(("t3", date(2026, 3, 1), 33.0)),
        key="transaction_id",
        base_run="r1",
    )
    assert merged.replaced == 1
    # February held only t3: it is gone, not left as an empty file.
    assert MONTH.format("2026-02") not in merged.version.partitions
    assert [r[0] for r in rows(lake, "r2")] == ["t1", "t2", "t3", "t4"]


def test_an_empty_batch_shares_every_partition(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        LIVE.iloc[0:0],
        key="transaction_id",
        base_run="r1",
    )
    assert merged.rewritten == () and merged.replaced == 0
    assert len(merged.shared) == 3
    assert rows(lake, "r2") == rows(lake, "r1")


def test_a_new_column_rewrites_every_partition_with_one_schema(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    batch = lines(("t6", date(2026, 3, 20), 60.0)).assign(coupon_code=["SPRING10"])
    merged = merge_table(
        lake, Zone.PROCESSED, "transactions", "r2", batch, key="transaction_id", base_run="r1"
    )
    assert merged.shared == ()
    folder = lake.path(Zone.PROCESSED, "transactions/run-r2")
    schemas = {pq.read_schema(p).names.__repr__() for p in folder.rglob("*.parquet")}
    assert schemas == {repr(["transaction_id", "transaction_date", "total_amount", "coupon_code"])}
    frame = read_table(lake, Zone.PROCESSED, "transactions", "r2")
    assert frame.set_index("transaction_id")["coupon_code"].to_dict() == {
        "t1": None,
        "t2": None,
        "t3": None,
        "t4": None,
        "t6": "SPRING10",
    }


def test_without_a_base_the_batch_is_the_table(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    merged = merge_table(
        lake, Zone.PROCESSED, "transactions", "r1", LIVE, key="transaction_id", base_run=None
    )
    assert merged.replaced == 0 and merged.shared == ()
    assert rows(lake, "r1") == sorted(LIVE.itertuples(index=False, name=None))


def test_an_unpartitioned_table_is_merged_as_one_file(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    products = pa.table({"product_id": ["p1", "p2"], "price": [1.0, 2.0]})
    write_table(lake, Zone.PROCESSED, "products", "r1", products)
    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "products",
        "r2",
        pa.table({"product_id": ["p2", "p3"], "price": [2.5, 3.0]}),
        key="product_id",
        base_run="r1",
    )
    assert merged.replaced == 1
    table = read_table(lake, Zone.PROCESSED, "products", "r2")
    assert table.to_dict("list") == {"product_id": ["p1", "p2", "p3"], "price": [1.0, 2.5, 3.0]}


def test_a_key_of_several_columns_replaces_only_the_row_equal_in_all(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)
    batch = lines(("t1", date(2026, 1, 5), 12.0), ("t2", date(2026, 1, 10), 21.0))

    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        batch,
        key=["transaction_id", "transaction_date"],
        base_run="r1",
    )

    assert merged.replaced == 1  # t1 on 01-05; t2 on 01-10 is another row than t2 on 01-09
    assert ("t1", date(2026, 1, 5), 12.0) in rows(lake, "r2")
    assert ("t1", date(2026, 1, 5), 10.0) not in rows(lake, "r2")
    assert {r[:2] for r in rows(lake, "r2") if r[0] == "t2"} == {
        ("t2", date(2026, 1, 9)),
        ("t2", date(2026, 1, 10)),
    }


def test_deleted_keys_leave_the_table_and_touch_only_their_months(tmp_path: Path) -> None:
    lake = live_lake(tmp_path)

    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        LIVE.iloc[:0],
        key="transaction_id",
        base_run="r1",
        deleted=pd.DataFrame({"transaction_id": ["t3", "t9"]}),
    )

    assert (merged.deleted, merged.replaced) == (1, 0)
    assert [r[0] for r in rows(lake, "r2")] == ["t1", "t2", "t4"]
    assert merged.rewritten == ()  # February held only t3: the month is gone
    assert inode(lake, "r2", "2026-01") == inode(lake, "r1", "2026-01")


def test_a_key_that_fixes_the_partition_is_looked_for_only_where_the_batch_writes(
    tmp_path: Path,
) -> None:
    lake = live_lake(tmp_path)
    # The key holds the date: a row of t1 on 01-05 can only live in January.
    batch = lines(("t1", date(2026, 1, 5), 13.0))

    merged = merge_table(
        lake,
        Zone.PROCESSED,
        "transactions",
        "r2",
        batch,
        key=["transaction_id", "transaction_date"],
        base_run="r1",
        key_fixes_partition=True,
    )

    assert merged.replaced == 1
    assert merged.rewritten == (MONTH.format("2026-01"),)
    assert merged.shared == (MONTH.format("2026-02"), MONTH.format("2026-03"))
