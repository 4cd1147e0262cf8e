"""DuckDB views over a table version, on a local lake and on an S3 lake (moto server).

Both lakes must give the same view of the same objects: the partition column read from
the keys as text, files of an older schema read by column name, nothing else in the
folder taken for data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage import Lake, LocalLake, ParquetFolder, Zone, create_parquet_view
from tests.unit.test_storage_contract import s3_lake

VERSION = "transactions/run-r2"


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    if request.param == "local":
        yield LocalLake(tmp_path)
    else:
        yield s3_lake(request.getfixturevalue("moto_server"))


def write_version(lake: Lake) -> None:
    """Two month partitions; the older one was written before ``channel`` existed."""
    older = pa.table({"transaction_id": ["T1", "T2"], "total": [10.0, 2.5]})
    newer = pa.table({"transaction_id": ["T3"], "total": [7.0], "channel": ["app"]})
    lake.write_parquet(Zone.CURATED, f"{VERSION}/transaction_month=2026-10/part-0.parquet", older)
    lake.write_parquet(Zone.CURATED, f"{VERSION}/transaction_month=2026-11/part-0.parquet", newer)
    lake.write_bytes(Zone.CURATED, f"{VERSION}/_SUCCESS.json", b"{}")


def view_rows(lake: Lake, prefix: str = VERSION) -> tuple[list[tuple[str, str]], list[tuple]]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA curated")
    create_parquet_view(con, "curated.transactions", ParquetFolder(lake, Zone.CURATED, prefix))
    columns = [
        (str(r[0]), str(r[1])) for r in con.execute("DESCRIBE curated.transactions").fetchall()
    ]
    rows = con.execute("SELECT * FROM curated.transactions ORDER BY 1").fetchall()
    con.close()
    return columns, rows


def test_a_version_reads_alike_on_either_lake(lake: Lake) -> None:
    write_version(lake)
    columns, rows = view_rows(lake)
    assert dict(columns) == {
        "transaction_id": "VARCHAR",
        "total": "DOUBLE",
        "channel": "VARCHAR",
        "transaction_month": "VARCHAR",
    }
    by_name = [dict(zip([c for c, _ in columns], row)) for row in rows]
    assert [(r["transaction_id"], r["transaction_month"], r["channel"]) for r in by_name] == [
        ("T1", "2026-10", None),
        ("T2", "2026-10", None),
        ("T3", "2026-11", "app"),
    ]


def test_an_unpartitioned_table_has_no_partition_column(lake: Lake) -> None:
    lake.write_parquet(Zone.CURATED, "products/run-r1/part-0.parquet", pa.table({"sku": ["A"]}))
    columns, rows = view_rows(lake, "products/run-r1")
    assert columns == [("sku", "VARCHAR")] and rows == [("A",)]


def test_a_version_without_parquet_objects_is_refused_by_name(lake: Lake) -> None:
    lake.write_bytes(Zone.CURATED, "products/run-r9/_SUCCESS.json", b"{}")
    with pytest.raises(StorageError, match=r"no Parquet objects under .*products/run-r9"):
        view_rows(lake, "products/run-r9")
