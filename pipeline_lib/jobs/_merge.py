"""Merge a run's batch into the live version of a table, rewriting only what it touches.

The new version of a partitioned table is, month by month, either the live month's file
shared unchanged (a hard link locally) or, for a month the batch touches, the live rows
minus the rows the batch replaces, plus the batch's rows of that month, sorted as every
version is. A month is touched when it holds a new row or a row the batch replaces, found
by key over the whole live table while reading only the key column, one file at a time
(docs/adr/0002-incremental-runs.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs._tables import (
    EMPTY_PARTITION,
    PART_FILE,
    TableVersion,
    as_arrow,
    layout_of,
    month_parts,
    partition_key,
    record_version,
    sorted_table,
    version_key,
    write_parquet_file,
    write_table,
)
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeResult:
    """The merged version and what the merge did to the live one.

    Attributes
    ----------
    version
        The new version (a whole table: shared and rewritten partitions).
    replaced
        Live rows the batch replaced (a later version of the same key).
    rewritten, shared
        Partition keys written anew, and shared unchanged with the live version.
    """

    version: TableVersion
    replaced: int
    rewritten: tuple[str, ...]
    shared: tuple[str, ...]


def merge_table(
    lake: LocalLake,
    zone: Zone,
    name: str,
    run_id: str,
    batch: Union[pd.DataFrame, pa.Table],
    *,
    key: str,
    base_run: Optional[str],
) -> MergeResult:
    """Write version ``run_id`` of ``name``: version ``base_run`` with ``batch`` merged in.

    A ``batch`` row replaces every live row with the same ``key`` (the batch is already
    deduplicated, its rows are the later ones). Without a base version this is
    :func:`~pipeline_lib.jobs.write_table` of the batch. When the batch brings columns the
    live version lacks (or other types), every partition is rewritten so that all files of
    the version share one schema, as a full build would write them.

    Examples
    --------
    >>> merge_table(lake, Zone.PROCESSED, "transactions", "run-2", cleaned,  # doctest: +SKIP
    ...             key="transaction_id", base_run="run-1").rewritten
    ('transaction_month=2026-11/part-0.parquet',)
    """
    layout = layout_of(name)
    base_dir = lake.path(zone, version_key(name, base_run)) if base_run else None
    new = sorted_table(as_arrow(batch), layout)
    if base_dir is None or not base_dir.is_dir():
        version = write_table(lake, zone, name, run_id, new)
        return MergeResult(version, 0, tuple(version.partitions), ())
    assert base_run is not None
    live_files = {
        path.relative_to(base_dir).as_posix(): path
        for path in sorted(base_dir.rglob("*.parquet"))
        if not path.name.startswith(".")
    }
    live_schemas = {part: pq.read_schema(p).remove_metadata() for part, p in live_files.items()}
    schema = _merged_schema(list(live_schemas.values()), new.schema)
    new = _conform(new, schema)
    if layout.partition_column is None:
        new_parts = {PART_FILE: new}
    else:
        new_parts = {partition_key(layout, m): part for m, part in month_parts(new, layout, name)}
        new_parts.pop(partition_key(layout, EMPTY_PARTITION), None)
    keys = pc.unique(new.column(key)) if new.num_rows else pa.array([], new.schema.field(key).type)
    rewrite_all = any(live != schema for live in live_schemas.values())
    target_dir = lake.path(zone, version_key(name, run_id))
    replaced = 0
    rewritten: list[str] = []
    shared: list[str] = []
    partitions: dict[str, str] = {}
    base_partitions = _base_partitions(lake, zone, name, base_run, live_files)
    for part_key in sorted(set(live_files) | set(new_parts)):
        live_path = live_files.get(part_key)
        if part_key.startswith(f"{layout.partition_column}={EMPTY_PARTITION}/"):
            continue  # an empty live table's placeholder: its rows are the batch's
        hits = _replaced_rows(live_path, key, keys) if live_path is not None else None
        touched = rewrite_all or part_key in new_parts or (hits is not None and hits.any())
        if not touched and live_path is not None:
            lake.share_object(zone, f"{version_key(name, run_id)}/{part_key}", zone,
                              f"{version_key(name, base_run)}/{part_key}")  # fmt: skip
            shared.append(part_key)
            partitions[part_key] = base_partitions.get(part_key, base_run)
            continue
        pieces = []
        if live_path is not None:
            live = _conform(pq.read_table(live_path).replace_schema_metadata(None), schema)
            if hits is not None and hits.any():
                replaced += int(hits.sum())
                live = live.filter(pa.array(~hits))
            pieces.append(live)
        if part_key in new_parts:
            pieces.append(new_parts[part_key])
        rows = sorted_table(pa.concat_tables(pieces), layout)
        if rows.num_rows == 0 and layout.partition_column is not None:
            continue  # every live row of the month moved to another month
        write_parquet_file(target_dir / part_key, rows)
        rewritten.append(part_key)
        partitions[part_key] = run_id
    if not partitions:  # an empty table still gets one (empty) file, as write_table does
        empty = schema.empty_table()
        version = write_table(lake, zone, name, run_id, empty)
        return MergeResult(version, replaced, tuple(version.partitions), ())
    version = _version_of(zone, name, run_id, target_dir, partitions)
    record_version(lake, version)
    logger.info("merged into %s.%s version %s: %d partitions rewritten, %d shared, %d rows "
                "replaced", zone.value, name, run_id, len(rewritten), len(shared),
                replaced)  # fmt: skip
    return MergeResult(version, replaced, tuple(rewritten), tuple(shared))


def _replaced_rows(path: Path, key: str, keys: pa.Array) -> Optional[npt.NDArray[np.bool_]]:
    """A boolean mask (numpy) of the live rows in ``path`` whose ``key`` the batch has."""
    if len(keys) == 0:
        return None
    column = pq.read_table(path, columns=[key]).column(key)
    hits = pc.is_in(column, value_set=keys.cast(column.type))
    return np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)


def _merged_schema(live: list[pa.Schema], batch: pa.Schema) -> pa.Schema:
    """The live columns in their order, then the batch's new ones; the batch's type wins
    where they differ (the version is then rewritten whole)."""
    if not live:
        return batch.remove_metadata()
    base = live[0].remove_metadata()
    for other in live[1:]:  # files of one version share a schema; tolerate a stray one
        base = pa.unify_schemas([base, other.remove_metadata()], promote_options="permissive")

    def wins(name: str) -> bool:  # an all-null batch column (an empty batch) has no type
        return name in batch.names and not pa.types.is_null(batch.field(name).type)

    fields = [batch.field(f.name) if wins(f.name) else f for f in base]
    fields += [f for f in batch if f.name not in base.names]
    return pa.schema(fields)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns, in its order; a missing column is all null."""
    columns = []
    for target in schema:
        if target.name in table.column_names:
            column = table.column(target.name)
            columns.append(column if column.type == target.type else column.cast(target.type))
        else:
            columns.append(pa.nulls(table.num_rows, target.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _base_partitions(
    lake: LocalLake, zone: Zone, name: str, base_run: str, live_files: dict[str, Path]
) -> dict[str, str]:
    """Which run wrote each live partition (from the base run's record, when it has one)."""
    record_key = f"runs/{base_run}/tables/{zone.value}.{name}.json"
    if not lake.exists(Zone.META, record_key):
        return dict.fromkeys(live_files, base_run)
    recorded: dict[str, str] = json.loads(lake.read_bytes(Zone.META, record_key)).get(
        "partitions", {}
    )
    return {part: recorded.get(part, base_run) for part in live_files}


def _version_of(
    zone: Zone, name: str, run_id: str, folder: Path, partitions: dict[str, str]
) -> TableVersion:
    files = [folder / part for part in sorted(partitions)]
    if not all(path.is_file() for path in files):
        missing = [str(path) for path in files if not path.is_file()]
        raise PipelineError(
            f"{zone.value}.{name} version {run_id} lost partition files while it was written "
            f"({', '.join(missing[:3])}); another process deleted them: run again"
        )
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    size = sum(path.stat().st_size for path in files)
    return TableVersion(zone, name, run_id, rows, len(files), size, partitions=dict(partitions))
