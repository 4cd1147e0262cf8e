"""Parquet footers for scan estimates: DuckDB's reading (local lakes) equals Arrow's (S3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline_lib.query._footers import RowGroup, _arrow_footer, as_time, read_footers
from pipeline_lib.storage import LocalLake, ParquetFolder, Zone

UTC = timezone.utc


@pytest.fixture
def folder(tmp_path) -> tuple[LocalLake, ParquetFolder, list[str]]:
    """Two month partitions: one file with two row groups, one with an all-null column."""
    lake = LocalLake(tmp_path / "lake")
    prefix = "clickstream/run-r1"
    start = datetime(2026, 10, 30, 23, 59, 58, 250000, tzinfo=UTC)
    october = pa.table(
        {
            "event_id": [f"e{i}" for i in range(6)],
            "timestamp": [start + timedelta(hours=i) for i in range(6)],
            "event_date": [(start + timedelta(hours=i)).date() for i in range(6)],
            "amount": [1.5, None, 2.0, 3.0, None, 4.0],
        }
    )
    november = pa.table(
        {
            "event_id": ["n1", "n2"],
            "timestamp": pa.array([None, None], pa.timestamp("us", tz="UTC")),
            "event_date": [date(2026, 11, 1), date(2026, 11, 30)],
            "amount": [5.0, 6.0],
        }
    )
    keys = [
        f"{prefix}/event_month=2026-10/part-0.parquet",
        f"{prefix}/event_month=2026-11/p.parquet",
    ]
    for key, table, group_rows in ((keys[0], october, 3), (keys[1], november, 10)):
        path = lake.path(Zone.PROCESSED, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, row_group_size=group_rows)
    return lake, ParquetFolder(lake, Zone.PROCESSED, prefix), keys


def test_duckdb_reads_the_footers_arrow_reads(folder) -> None:
    lake, parquet, keys = folder
    columns = ("timestamp", "event_date")
    by_duckdb = read_footers(lake, parquet, keys, columns)
    by_arrow = [_arrow_footer(lake, parquet, key, columns) for key in keys]
    assert by_duckdb == by_arrow
    first, second = by_duckdb
    assert first.columns == ("event_id", "timestamp", "event_date", "amount")
    assert len(first.row_groups) == 2 and len(second.row_groups) == 1
    assert (
        first.footer_bytes
        == pq.ParquetFile(lake.path(Zone.PROCESSED, keys[0])).metadata.serialized_size
    )
    # Sub-second times keep their microseconds; a date's bound covers its whole day.
    assert first.row_groups[0].bounds["timestamp"] == (
        datetime(2026, 10, 30, 23, 59, 58, 250000, tzinfo=UTC),
        datetime(2026, 10, 31, 1, 59, 58, 250000, tzinfo=UTC),
    )
    assert first.row_groups[0].bounds["event_date"] == (
        datetime(2026, 10, 30, tzinfo=UTC),
        datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC),
    )
    # A column without statistics (all null) has no bound: it may match any window.
    assert "timestamp" not in second.row_groups[0].bounds
    assert second.row_groups[0].may_match("timestamp", datetime(2030, 1, 1, tzinfo=UTC), None)


def test_a_row_group_is_skipped_only_when_its_statistics_exclude_the_window() -> None:
    group = RowGroup(
        column_bytes={"timestamp": 100, "amount": 40},
        bounds={
            "timestamp": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
        },
    )
    assert group.may_match("timestamp", datetime(2026, 11, 2, tzinfo=UTC), None)
    assert not group.may_match("timestamp", datetime(2026, 11, 2, 0, 0, 1, tzinfo=UTC), None)
    assert not group.may_match("timestamp", None, datetime(2026, 10, 31, tzinfo=UTC))
    assert group.may_match("other", datetime(2030, 1, 1, tzinfo=UTC), None)
    assert (group.bytes_of(None), group.bytes_of({"amount"}), group.bytes_of(set())) == (140, 40, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 28, tzinfo=UTC)),
        ("2026-06-01 00:01:16+00", datetime(2026, 6, 1, 0, 1, 16, tzinfo=UTC)),
        ("2026-06-01 00:01:16.5+00", datetime(2026, 6, 1, 0, 1, 16, 500000, tzinfo=UTC)),
        ("2026-06-01T02:00:00+02:00", datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
        ("not a time", None),
        (None, None),
    ],
)
def test_statistics_become_utc_times(text: object, expected: object) -> None:
    assert as_time(text) == expected


def test_a_file_without_row_groups_still_names_its_columns(tmp_path) -> None:
    import duckdb

    lake = LocalLake(tmp_path / "lake")
    key = "reviews/run-r1/part-0.parquet"
    path = lake.path(Zone.PROCESSED, key)
    path.parent.mkdir(parents=True)
    # DuckDB writes an empty result as a file with no row group at all.
    duckdb.sql(
        "COPY (SELECT 1::BIGINT AS rating, 'x' AS review_id WHERE false) "
        f"TO '{path}' (FORMAT parquet)"
    )
    folder = ParquetFolder(lake, Zone.PROCESSED, "reviews/run-r1")
    (footer,) = read_footers(lake, folder, [key], ())
    assert footer == _arrow_footer(lake, folder, key, ())
    assert footer.columns == ("rating", "review_id") and footer.row_groups == ()


def test_a_damaged_file_is_named_with_what_to_do(folder) -> None:
    from pipeline_lib.exceptions import QueryExecutionError

    lake, parquet, keys = folder
    lake.path(Zone.PROCESSED, keys[1]).write_bytes(b"transaction_id,total\nt1,3\n")
    with pytest.raises(QueryExecutionError, match=r"clickstream/run-r1.*--full-refresh"):
        read_footers(lake, parquet, keys, ())
