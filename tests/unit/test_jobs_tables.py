"""Versioned table writes: month partitions, sorted rows, byte-identical files, version records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import (
    TableVersion,
    copy_table,
    load_versions,
    read_table,
    write_table,
)
from pipeline_lib.jobs._tables import EMPTY_PARTITION, layout_of
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake, Zone


def transactions_frame() -> pd.DataFrame:
    """Five lines over three months, deliberately out of (date, id) order."""
    return pd.DataFrame(
        {
            "transaction_id": ["txn_5", "txn_2", "txn_4", "txn_1", "txn_3"],
            "transaction_date": [
                date(2026, 3, 2),
                date(2026, 1, 31),
                date(2026, 2, 14),
                date(2026, 1, 31),
                date(2026, 1, 2),
            ],
            "total_amount": [50.0, 20.0, 40.0, 10.0, 30.0],
        }
    )


def parquet_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))


def test_partitioned_table_has_one_sorted_file_per_month(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    version = write_table(lake, Zone.PROCESSED, "transactions", "r1", transactions_frame())

    base = tmp_path / "processed" / "transactions" / "run-r1"
    assert parquet_files(base) == [
        "transaction_month=2026-01/part-0.parquet",
        "transaction_month=2026-02/part-0.parquet",
        "transaction_month=2026-03/part-0.parquet",
    ]
    january = pq.ParquetFile(base / "transaction_month=2026-01" / "part-0.parquet").read()
    # Sorted by (transaction_date, transaction_id): the 2nd before both lines of the 31st.
    assert january.column("transaction_id").to_pylist() == ["txn_3", "txn_1", "txn_2"]
    assert january.schema.metadata is None  # no pandas metadata in the files
    assert "transaction_month" not in january.column_names
    assert (
        pq.ParquetFile(base / "transaction_month=2026-01" / "part-0.parquet")
        .metadata.row_group(0)
        .column(0)
        .compression
        == "SNAPPY"
    )
    assert version == TableVersion(
        Zone.PROCESSED,
        "transactions",
        "r1",
        rows=5,
        files=3,
        bytes=sum(p.stat().st_size for p in base.rglob("*.parquet")),
        partitions={f"transaction_month=2026-0{m}/part-0.parquet": "r1" for m in (1, 2, 3)},
    )
    assert version.key == "transactions/run-r1"
    assert version.qualified_name == "processed.transactions"


def test_unpartitioned_table_is_one_file_sorted_by_its_key(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    products = pd.DataFrame(
        {"product_id": ["prod_3", "prod_1", "prod_2"], "price": [3.0, 1.0, 2.0]}
    )
    version = write_table(lake, Zone.CURATED, "products", "r1", products)

    base = tmp_path / "curated" / "products" / "run-r1"
    assert parquet_files(base) == ["part-0.parquet"]
    assert pq.read_table(base / "part-0.parquet").column("product_id").to_pylist() == [
        "prod_1",
        "prod_2",
        "prod_3",
    ]
    assert (version.rows, version.files) == (3, 1)


def test_same_data_written_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    frame = transactions_frame()
    write_table(lake, Zone.PROCESSED, "transactions", "first", frame)
    # Same rows in another order: sorting makes the files identical anyway.
    write_table(lake, Zone.PROCESSED, "transactions", "second", frame.iloc[::-1])

    first = tmp_path / "processed" / "transactions" / "run-first"
    second = tmp_path / "processed" / "transactions" / "run-second"
    names = parquet_files(first)
    assert names == parquet_files(second)
    assert len(names) == 3
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_read_table_round_trips_the_sorted_rows_without_the_partition_column(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path)
    write_table(lake, Zone.PROCESSED, "transactions", "r1", transactions_frame())

    back = read_table(lake, Zone.PROCESSED, "transactions", "r1")

    assert list(back.columns) == ["transaction_id", "transaction_date", "total_amount"]
    assert back.to_dict("records") == [
        {"transaction_id": "txn_3", "transaction_date": date(2026, 1, 2), "total_amount": 30.0},
        {"transaction_id": "txn_1", "transaction_date": date(2026, 1, 31), "total_amount": 10.0},
        {"transaction_id": "txn_2", "transaction_date": date(2026, 1, 31), "total_amount": 20.0},
        {"transaction_id": "txn_4", "transaction_date": date(2026, 2, 14), "total_amount": 40.0},
        {"transaction_id": "txn_5", "transaction_date": date(2026, 3, 2), "total_amount": 50.0},
    ]
    assert all(isinstance(dtype, pd.ArrowDtype) for dtype in back.dtypes)


def test_empty_partitioned_table_still_gets_one_readable_file(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    empty = pa.table(
        {
            "transaction_id": pa.array([], pa.string()),
            "transaction_date": pa.array([], pa.date32()),
            "total_amount": pa.array([], pa.float64()),
        }
    )
    version = write_table(lake, Zone.PROCESSED, "transactions", "r1", empty)

    base = tmp_path / "processed" / "transactions" / "run-r1"
    assert parquet_files(base) == [f"transaction_month={EMPTY_PARTITION}/part-0.parquet"]
    assert (version.rows, version.files) == (0, 1)
    back = read_table(lake, Zone.PROCESSED, "transactions", "r1")
    assert len(back) == 0
    assert list(back.columns) == ["transaction_id", "transaction_date", "total_amount"]


def test_null_partition_date_is_refused(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    frame = pa.table(
        {
            "transaction_id": ["txn_1", "txn_2"],
            "transaction_date": pa.array([date(2026, 1, 2), None], pa.date32()),
        }
    )
    with pytest.raises(PipelineError, match="transaction_date is null in some rows"):
        write_table(lake, Zone.PROCESSED, "transactions", "r1", frame)


def test_copy_table_copies_files_unchanged_and_records_the_curated_version(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path)
    written = write_table(lake, Zone.PROCESSED, "transactions", "r1", transactions_frame())

    copied = copy_table(lake, Zone.PROCESSED, Zone.CURATED, "transactions", "r1")

    source = tmp_path / "processed" / "transactions" / "run-r1"
    target = tmp_path / "curated" / "transactions" / "run-r1"
    assert parquet_files(target) == parquet_files(source)
    for name in parquet_files(source):
        assert (target / name).read_bytes() == (source / name).read_bytes()
        # Shared, not rewritten: the curated name is a link to the processed file.
        assert (target / name).stat().st_ino == (source / name).stat().st_ino
    assert copied == TableVersion(
        Zone.CURATED,
        "transactions",
        "r1",
        rows=5,
        files=3,
        bytes=written.bytes,
        partitions=written.partitions,
    )
    assert read_table(lake, Zone.CURATED, "transactions", "r1").equals(
        read_table(lake, Zone.PROCESSED, "transactions", "r1")
    )


def test_copy_of_a_missing_version_names_it(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"processed\.products has no version r9"):
        copy_table(LocalLake(tmp_path), Zone.PROCESSED, Zone.CURATED, "products", "r9")


def test_load_versions_returns_what_the_run_wrote_by_qualified_name(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    products = pd.DataFrame({"product_id": ["prod_1", "prod_2"]})
    written = [
        write_table(lake, Zone.PROCESSED, "transactions", "r1", transactions_frame()),
        write_table(lake, Zone.CURATED, "products", "r1", products),
        copy_table(lake, Zone.PROCESSED, Zone.CURATED, "transactions", "r1"),
        write_table(lake, Zone.PROCESSED, "products", "other-run", products),
    ]

    loaded = load_versions(lake, "r1")

    assert [v.qualified_name for v in loaded] == [
        "curated.products",
        "curated.transactions",
        "processed.transactions",
    ]
    assert loaded == sorted(written[:3], key=lambda v: v.qualified_name)
    assert all(isinstance(v.zone, Zone) for v in loaded)
    record = json.loads(
        (tmp_path / "_meta" / "runs" / "r1" / "tables" / "curated.products.json").read_text()
    )
    assert record["zone"] == "curated" and record["rows"] == 2
    assert load_versions(lake, "never-ran") == []


def test_unknown_table_name_is_refused_before_writing(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    with pytest.raises(PipelineError, match="no layout for table 'orders'; add it to LAYOUTS"):
        write_table(lake, Zone.CURATED, "orders", "r1", pd.DataFrame({"a": [1]}))
    assert not (tmp_path / "curated").exists()
    assert load_versions(lake, "r1") == []


def test_read_of_a_missing_version_says_which_job_to_run(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"curated\.products has no version r1"):
        read_table(LocalLake(tmp_path), Zone.CURATED, "products", "r1")


def test_read_table_can_read_only_some_columns(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    write_table(lake, Zone.PROCESSED, "transactions", "r1", transactions_frame())

    back = read_table(lake, Zone.PROCESSED, "transactions", "r1", columns=["total_amount"])
    whole = read_table(lake, Zone.PROCESSED, "transactions", "r1")

    assert list(back.columns) == ["total_amount"]
    assert back["total_amount"].tolist() == whole["total_amount"].tolist()


@pytest.mark.parametrize("qualified", sorted(TABLES))
def test_every_table_is_written_in_the_partitions_its_contract_names(
    qualified: str, tmp_path: Path
) -> None:
    schema = TABLES[qualified]
    layout = layout_of(schema.name)
    assert layout.partition_column == schema.partition_column
    if layout.partition_source is None:
        return
    assert layout.partition_source in schema.column_names
    day = date(2026, 2, 14)
    frame = pd.DataFrame(
        {
            c: [day if c == layout.partition_source else "x"]
            for c in (*layout.sort_by, layout.partition_source)
        }
    )
    version = write_table(LocalLake(tmp_path), Zone(schema.zone), schema.name, "r1", frame)
    assert list(version.partitions) == [f"{schema.partition_column}=2026-02/part-0.parquet"]
