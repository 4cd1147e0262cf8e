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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Optional, Union

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.storage import LocalLake, Zone, atomic_write

logger = logging.getLogger(__name__)

#: Hive's name for a partition without a value (an empty table still gets one file).
EMPTY_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: Rows per Parquet row group: small enough that a month file has several (date pruning),
#: large enough to keep per-group overhead low. Chosen by `make bench` (see the ADR).
ROW_GROUP_ROWS = 32_768


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


LAYOUTS: dict[str, TableLayout] = {
    "transactions": TableLayout(
        ("transaction_date", "transaction_id"), "transaction_month", "transaction_date"
    ),
    "clickstream": TableLayout(("timestamp", "derived_session_id"), "event_month", "event_date"),
    "sessions": TableLayout(
        ("session_start", "derived_session_id"), "session_month", "session_date"
    ),
    "products": TableLayout(("product_id",)),
    "reviews": TableLayout(("review_date", "review_id")),
    "product_ratings": TableLayout(("product_id",)),
    "daily_funnel": TableLayout(("date",)),
    "customer_metrics": TableLayout(("customer_id",)),
    "product_performance": TableLayout(("product_id",)),
    "product_affinity": TableLayout(()),  # the transform's order (by lift) is the meaning
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
    lake: LocalLake,
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
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    table = table.replace_schema_metadata(None)  # pandas metadata is noise for readers
    if layout.sort_by and table.num_rows:
        table = table.sort_by([(column, "ascending") for column in layout.sort_by])
    base = lake.path(zone, version_key(name, run_id))
    parts: list[tuple[Path, pa.Table]] = []
    if layout.partition_column is None:
        parts.append((base / "part-0.parquet", table))
    else:
        assert layout.partition_source is not None
        months = pc.strftime(table.column(layout.partition_source), format="%Y-%m")
        values = sorted(v for v in pc.unique(months).to_pylist() if v is not None)
        if pc.any(pc.is_null(months)).as_py():
            raise PipelineError(f"table {name}: {layout.partition_source} is null in some rows")
        for month in values or [EMPTY_PARTITION]:
            part = table.filter(pc.equal(months, month)) if values else table
            parts.append((base / f"{layout.partition_column}={month}" / "part-0.parquet", part))
    total_bytes = 0
    for path, part in parts:
        _write_parquet(path, part)
        total_bytes += path.stat().st_size
    version = TableVersion(zone, name, run_id, table.num_rows, len(parts), total_bytes)
    _record_version(lake, version)
    logger.info("wrote %s version %s: %d rows, %d files", version.qualified_name, run_id,
                version.rows, version.files)  # fmt: skip
    return version


def copy_table(lake: LocalLake, source: Zone, target: Zone, name: str, run_id: str) -> TableVersion:
    """Copy a version's files unchanged to another zone (e.g. processed -> curated)."""
    from_dir = lake.path(source, version_key(name, run_id))
    if not from_dir.is_dir():
        raise PipelineError(f"table {source.value}.{name} has no version {run_id} to copy")
    files = 0
    total_bytes = 0
    for path in sorted(from_dir.rglob("*.parquet")):
        relative = path.relative_to(lake.path(source)).as_posix()
        lake.put_file(target, relative, str(path))
        files += 1
        total_bytes += path.stat().st_size
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in from_dir.rglob("*.parquet"))
    version = TableVersion(target, name, run_id, rows, files, total_bytes)
    _record_version(lake, version)
    return version


def _record_version(lake: LocalLake, version: TableVersion) -> None:
    # The run collects what its jobs wrote from these records (jobs run in other processes).
    record = {**asdict(version), "zone": version.zone.value}
    key = f"runs/{version.run_id}/tables/{version.qualified_name}.json"
    lake.write_bytes(Zone.META, key, json.dumps(record, sort_keys=True).encode())


def load_versions(lake: LocalLake, run_id: str) -> list[TableVersion]:
    """The table versions a run's jobs wrote, ordered by qualified name."""
    versions = []
    for key in lake.list_keys(Zone.META, f"runs/{run_id}/tables"):
        record = json.loads(lake.read_bytes(Zone.META, key))
        record["zone"] = Zone(record["zone"])
        versions.append(TableVersion(**record))
    return sorted(versions, key=lambda v: v.qualified_name)


def _write_parquet(path: Path, table: pa.Table) -> None:
    def write(handle: BinaryIO) -> None:
        pq.write_table(table, handle, compression="snappy", row_group_size=ROW_GROUP_ROWS)

    atomic_write(path, write)


def read_table(lake: LocalLake, zone: Zone, name: str, run_id: str) -> pd.DataFrame:
    """Read version ``run_id`` of a table back (without its partition column)."""
    base = lake.path(zone, version_key(name, run_id))
    if not base.is_dir():
        raise PipelineError(
            f"table {zone.value}.{name} has no version {run_id} ({base}); run the job "
            "that writes it first"
        )
    files = sorted(str(p) for p in base.rglob("*.parquet") if not p.name.startswith("."))
    dataset = ds.dataset(files, format="parquet")
    return dataset.to_table().to_pandas(types_mapper=pd.ArrowDtype)


def versions_frame(versions: list[TableVersion]) -> pd.DataFrame:
    """Written table versions as a table for notebooks and reports."""
    return pd.DataFrame(
        [
            {"table": v.qualified_name, "rows": v.rows, "files": v.files, "MiB": v.bytes / 2**20}
            for v in versions
        ]
    ).round({"MiB": 2})
