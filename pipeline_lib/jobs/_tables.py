"""Processed and curated tables: their physical layout, and versioned writes and reads.

Every run writes its own version of a table under ``<zone>/<table>/run-<run_id>/``; readers
see a version only once the run publishes it (see ``pipeline_lib.catalog``). Large facts are
partitioned by month of their event date and sorted by that date inside each file, so a
date filter skips whole partitions and, through Parquet row-group statistics, most row
groups of the partitions it reads (docs/adr/0001-partitioning.md has the measurements).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Optional, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.schemas import PARTITIONS
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

#: Hive's name for a partition without a value (an empty table still gets one file).
EMPTY_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: Rows per Parquet row group: small enough that a month file has several (date pruning),
#: large enough to keep per-group overhead low. Chosen by `make bench`: docs/adr/0001.
ROW_GROUP_ROWS = 131_072


@dataclass(frozen=True)
class TableLayout:
    """How one table is stored.

    Attributes
    ----------
    sort_by
        Columns the rows are sorted by (deterministic files; row-group pruning on the first).
    partition_column
        Hive partition column (``YYYY-MM`` of ``partition_source``), or None.
    partition_source
        The date or timestamp column the partition is derived from.
    """

    sort_by: tuple[str, ...]
    partition_column: Optional[str] = None
    partition_source: Optional[str] = None


#: The sort order of each table's rows.
_SORT_BY: dict[str, tuple[str, ...]] = {
    "transactions": ("transaction_date", "transaction_id"),
    "clickstream": ("timestamp", "derived_session_id"),
    "sessions": ("session_start", "derived_session_id"),
    "products": ("product_id",),
    "reviews": ("review_date", "review_id"),
    "product_ratings": ("product_id",),
    "daily_funnel": ("date",),
    "customer_metrics": ("customer_id",),
    "product_performance": ("product_id",),
    "product_affinity": (),  # the transform's order (by excess baskets) is the meaning
}
#: Each table's layout: its sort order, and its month partition from the table contracts
#: (pipeline_lib.schemas.PARTITIONS, the one place that says which tables are partitioned).
LAYOUTS: dict[str, TableLayout] = {
    name: TableLayout(sort_by, *PARTITIONS.get(name, (None, None)))
    for name, sort_by in _SORT_BY.items()
}


@dataclass(frozen=True)
class TableVersion:
    """One written version of a table."""

    zone: Zone
    name: str
    run_id: str
    rows: int
    files: int
    bytes: int
    #: Run that wrote each partition's file (``transaction_month=2026-11`` -> run id);
    #: an incremental run shares the partitions it did not change (docs/adr/0002).
    partitions: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Folder of this version inside its zone."""
        return version_key(self.name, self.run_id)

    @property
    def qualified_name(self) -> str:
        return f"{self.zone.value}.{self.name}"


def version_key(name: str, run_id: str) -> str:
    return f"{name}/run-{run_id}"


def layout_of(name: str) -> TableLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise PipelineError(f"no layout for table {name!r}; add it to LAYOUTS") from None


def write_table(
    lake: Lake,
    zone: Zone,
    name: str,
    run_id: str,
    data: Union[pd.DataFrame, pa.Table],
) -> TableVersion:
    """Write ``data`` as version ``run_id`` of table ``name`` in ``zone``.

    Rows are sorted by the layout's keys and, for partitioned tables, written as one
    snappy Parquet file per month: ``<name>/run-<run_id>/<col>=YYYY-MM/part-0.parquet``.
    The same data always gives byte-identical files.
    """
    layout = layout_of(name)
    table = sorted_table(as_arrow(data), layout)
    base = version_key(name, run_id)
    parts: list[tuple[str, pa.Table]] = []
    if layout.partition_column is None:
        parts.append((PART_FILE, table))
    else:
        assert layout.partition_source is not None
        for month, part in _month_parts(table, layout.partition_source, name):
            parts.append((partition_key(layout, month), part))
    total_bytes = 0
    for key, part in parts:
        write_table_file(lake, zone, f"{base}/{key}", part)
        total_bytes += lake.size(zone, f"{base}/{key}")
    version = TableVersion(
        zone,
        name,
        run_id,
        table.num_rows,
        len(parts),
        total_bytes,
        partitions={key: run_id for key, _ in parts},
    )
    _record_version(lake, version)
    logger.info(
        "wrote %s version %s: %d rows, %d files",
        version.qualified_name,
        run_id,
        version.rows,
        version.files,
    )
    return version


#: The one file of an unpartitioned table, or of each partition, inside a version folder.
PART_FILE = "part-0.parquet"


def partition_key(layout: TableLayout, month: str) -> str:
    """``<partition column>=<month>/part-0.parquet``: a partition's file in its version."""
    return f"{layout.partition_column}={month}/{PART_FILE}"


def as_arrow(data: Union[pd.DataFrame, pa.Table]) -> pa.Table:
    """``data`` as an Arrow table without pandas metadata (noise for readers)."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    return table.replace_schema_metadata(None)


def sorted_table(table: pa.Table, layout: TableLayout) -> pa.Table:
    """``table`` in the layout's row order (stable; a no-op when already in order)."""
    if layout.sort_by and table.num_rows and not _is_sorted(table, layout.sort_by):
        return table.sort_by([(column, "ascending") for column in layout.sort_by])
    return table


def month_parts(table: pa.Table, layout: TableLayout, name: str) -> list[tuple[str, pa.Table]]:
    """``(YYYY-MM, rows)`` per month of a partitioned layout, months ascending."""
    assert layout.partition_source is not None
    return _month_parts(table, layout.partition_source, name)


def _is_sorted(table: pa.Table, columns: Sequence[str]) -> bool:
    """Whether ``table`` is already in ascending order of ``columns`` (lexicographic).

    Checking adjacent rows is one linear pass, far cheaper than sorting (and than moving
    millions of strings) when a transform already produced the table's order. Only answers
    True when the stable sort would be a no-op: columns with nulls (or NaN, which compares
    false) make it answer False and the caller sorts as before.
    """
    if table.num_rows < 2:
        return True
    in_order = pa.array(np.zeros(table.num_rows - 1, dtype=bool))  # decided by a key
    tied = pa.array(np.ones(table.num_rows - 1, dtype=bool))  # equal on all keys so far
    for column in columns:
        values = table.column(column)
        if values.null_count:
            return False
        earlier, later = values.slice(0, table.num_rows - 1), values.slice(1)
        in_order = pc.or_(in_order, pc.and_(tied, pc.less(earlier, later)))
        tied = pc.and_(tied, pc.equal(earlier, later))
    return bool(pc.all(pc.or_(in_order, tied)).as_py())


def _month_parts(table: pa.Table, source: str, name: str) -> list[tuple[str, pa.Table]]:
    """``(YYYY-MM, rows)`` per month of the date column ``source``, months ascending, rows in
    table order; one ``EMPTY_PARTITION`` part for an empty table.

    Months are computed as integers: formatting every row with ``strftime`` cost seconds
    at millions of rows, so only one row per month is formatted. When the rows are already
    grouped by month (tables sorted by their date), parts are zero-copy slices.
    """
    dates = table.column(source)
    if dates.null_count:
        raise PipelineError(f"table {name}: {source} is null in some rows")
    if table.num_rows == 0:
        return [(EMPTY_PARTITION, table)]
    if pa.types.is_date32(dates.type) or (
        pa.types.is_timestamp(dates.type) and dates.type.tz in (None, "UTC", "+00:00")
    ):
        days = pc.cast(dates, pa.date32()).combine_chunks().cast(pa.int32())
        day_values = np.asarray(days.to_numpy(), dtype="datetime64[D]")
        months = day_values.astype("datetime64[M]").astype(np.int64)
    else:  # other types and time zones: let Arrow format every row, as it always has
        labels = pc.strftime(dates, format="%Y-%m").combine_chunks().dictionary_encode()
        months = np.asarray(labels.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    grouped = bool(np.all(months[1:] >= months[:-1]))
    if grouped:  # one linear pass instead of sorting millions of month numbers
        first_rows = np.flatnonzero(np.append(True, months[1:] != months[:-1]))
        distinct = months[first_rows]
    else:
        distinct, first_rows = np.unique(months, return_index=True)
    names = pc.strftime(dates.take(pa.array(first_rows)), format="%Y-%m").to_pylist()
    # Labels sort like the months for four-digit years; sort by label to keep the old order.
    by_label = sorted(zip(names, distinct.tolist()))
    if grouped:
        ends = np.append(first_rows[1:], len(months))
        slices = {
            month: table.slice(start, end - start)
            for month, start, end in zip(distinct.tolist(), first_rows.tolist(), ends.tolist())
        }
        return [(label, slices[month]) for label, month in by_label]
    return [(label, table.filter(pa.array(months == month))) for label, month in by_label]


def copy_table(lake: Lake, source: Zone, target: Zone, name: str, run_id: str) -> TableVersion:
    """Give a version's files unchanged to another zone (e.g. processed -> curated).

    The files are shared, not rewritten (hard links locally, server-side copies on S3):
    table files never change in place, and an incremental run must not pay for the whole
    history here.
    """
    prefix = version_key(name, run_id)
    keys = version_files(lake, source, name, run_id)
    if not keys:
        raise PipelineError(f"table {source.value}.{name} has no version {run_id} to copy")
    total_bytes = 0
    rows = 0
    for key in keys:
        lake.share_object(target, key, source, key)
        total_bytes += lake.size(target, key)
        rows += lake.parquet_metadata(target, key).num_rows
    partitions = {key[len(prefix) + 1 :]: run_id for key in keys}
    source_record = f"runs/{run_id}/tables/{source.value}.{name}.json"
    if lake.exists(Zone.META, source_record):  # shared partitions keep the run that wrote them
        recorded = json.loads(lake.read_bytes(Zone.META, source_record))
        partitions.update(recorded.get("partitions", {}))
    version = TableVersion(target, name, run_id, rows, len(keys), total_bytes, partitions)
    _record_version(lake, version)
    return version


def version_files(lake: Lake, zone: Zone, name: str, run_id: str) -> list[str]:
    """The keys of a version's Parquet files, sorted (none when the version does not exist)."""
    return [
        key for key in lake.list_keys(zone, version_key(name, run_id)) if key.endswith(".parquet")
    ]


def _record_version(lake: Lake, version: TableVersion) -> None:
    # The run collects what its jobs wrote from these records (jobs run in other processes).
    record = {**asdict(version), "zone": version.zone.value}
    key = f"runs/{version.run_id}/tables/{version.qualified_name}.json"
    lake.write_bytes(Zone.META, key, json.dumps(record, sort_keys=True).encode())


def load_versions(lake: Lake, run_id: str) -> list[TableVersion]:
    """The table versions a run's jobs wrote, ordered by qualified name."""
    versions = []
    for key in lake.list_keys(Zone.META, f"runs/{run_id}/tables"):
        record = json.loads(lake.read_bytes(Zone.META, key))
        record["zone"] = Zone(record["zone"])
        versions.append(TableVersion(**record))
    return sorted(versions, key=lambda v: v.qualified_name)


def record_version(lake: Lake, version: TableVersion) -> None:
    """Record a version written outside :func:`write_table` (the partition merge)."""
    _record_version(lake, version)


def write_table_file(lake: Lake, zone: Zone, key: str, table: pa.Table) -> None:
    """One table file, written as every version's files are (snappy, ADR 0001 groups)."""
    lake.write_parquet(zone, key, table, row_group_size=ROW_GROUP_ROWS)


def read_table(
    lake: Lake,
    zone: Zone,
    name: str,
    run_id: str,
    columns: Optional[Sequence[str]] = None,
    *,
    where: Optional[ds.Expression] = None,
) -> pd.DataFrame:
    """Read version ``run_id`` of a table back (without its partition column).

    ``columns`` limits the read to those columns, in that order (Parquet is columnar: a
    caller needing two columns of a wide fact skips decoding the others); all by default.
    ``where`` keeps only the rows it holds for, read with row-group pruning (an incremental
    run reads the few live rows its batch touches, not the history).
    """
    keys = version_files(lake, zone, name, run_id)
    if not keys:
        raise PipelineError(
            f"table {zone.value}.{name} has no version {run_id} "
            f"({lake.uri(zone, version_key(name, run_id))}); run the job that writes it first"
        )
    dataset = lake.dataset(zone, keys)
    selected = None if columns is None else list(columns)
    return dataset.to_table(columns=selected, filter=where).to_pandas(types_mapper=pd.ArrowDtype)


def version_schema(lake: Lake, zone: Zone, name: str, run_id: str) -> pa.Schema:
    """The columns of version ``run_id`` of a table (without its partition column)."""
    keys = version_files(lake, zone, name, run_id)
    if not keys:
        raise PipelineError(f"table {zone.value}.{name} has no version {run_id}")
    return lake.dataset(zone, keys[:1]).schema


def versions_frame(versions: list[TableVersion]) -> pd.DataFrame:
    """Written table versions as a table for notebooks and reports."""
    return pd.DataFrame(
        [
            {"table": v.qualified_name, "rows": v.rows, "files": v.files, "MiB": v.bytes / 2**20}
            for v in versions
        ]
    ).round({"MiB": 2})
