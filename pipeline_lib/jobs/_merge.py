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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    version_files,
    version_key,
    write_table,
    write_table_file,
)
from pipeline_lib.storage import Lake, Zone

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
    deleted
        Live rows removed because their key was among the keys to delete.
    rewritten, shared
        Partition keys written anew, and shared unchanged with the live version.
    """

    version: TableVersion
    replaced: int
    rewritten: tuple[str, ...]
    shared: tuple[str, ...]
    #: Live rows dropped because their key was in ``deleted``.
    deleted: int = 0


def merge_table(
    lake: Lake,
    zone: Zone,
    name: str,
    run_id: str,
    batch: Union[pd.DataFrame, pa.Table],
    *,
    key: Union[str, Sequence[str]],
    base_run: Optional[str],
    deleted: Optional[Union[pd.DataFrame, pa.Table]] = None,
    key_fixes_partition: bool = False,
) -> MergeResult:
    """Write version ``run_id`` of ``name``: version ``base_run`` with ``batch`` merged in.

    A ``batch`` row replaces every live row with the same ``key`` (one column or several;
    the batch is already deduplicated, its rows are the later ones), and live rows whose
    key is in ``deleted`` (a table of key columns) are dropped. Without a base version this
    is :func:`~pipeline_lib.jobs.write_table` of the batch. When the batch brings columns
    the live version lacks (or other types), every partition is rewritten so that all files
    of the version share one schema, as a full build would write them.

    ``key_fixes_partition`` says that a key's rows always fall in the same partition (the
    key holds the partition's source, as a clickstream event's timestamp does): live rows
    the batch replaces are then looked for only in the partitions the batch writes.

    Examples
    --------
    >>> merge_table(lake, Zone.PROCESSED, "transactions", "run-2", cleaned,  # doctest: +SKIP
    ...             key="transaction_id", base_run="run-1").rewritten
    ('transaction_month=2026-11/part-0.parquet',)
    """
    layout = layout_of(name)
    new = sorted_table(as_arrow(batch), layout)
    live_keys = version_files(lake, zone, name, base_run) if base_run else []
    if not live_keys:
        version = write_table(lake, zone, name, run_id, new)
        return MergeResult(version, 0, tuple(version.partitions), ())
    assert base_run is not None
    base_prefix = version_key(name, base_run)
    live_files = {key[len(base_prefix) + 1 :]: key for key in live_keys}
    live_schemas = {
        part: lake.parquet_metadata(zone, key).schema.to_arrow_schema().remove_metadata()
        for part, key in live_files.items()
    }
    schema = _merged_schema(list(live_schemas.values()), new.schema)
    new = _conform(new, schema)
    if layout.partition_column is None:
        new_parts = {PART_FILE: new} if new.num_rows else {}
    else:
        new_parts = {partition_key(layout, m): part for m, part in month_parts(new, layout, name)}
        new_parts.pop(partition_key(layout, EMPTY_PARTITION), None)
    key_columns = [key] if isinstance(key, str) else list(key)
    keys = _distinct_keys(new, key_columns)
    gone = None if deleted is None else _distinct_keys(as_arrow(deleted), key_columns)
    rewrite_all = any(live != schema for live in live_schemas.values())
    target = version_key(name, run_id)
    replaced = 0
    removed = 0
    rewritten: list[str] = []
    shared: list[str] = []
    partitions: dict[str, str] = {}
    base_partitions = _base_partitions(lake, zone, name, base_run, live_files)
    for part_key in sorted(set(live_files) | set(new_parts)):
        live_key = live_files.get(part_key)
        if part_key.startswith(f"{layout.partition_column}={EMPTY_PARTITION}/"):
            continue  # an empty live table's placeholder: its rows are the batch's
        hits = drops = None
        if live_key is not None:
            if part_key in new_parts or not key_fixes_partition:
                hits = _matching_rows(lake, zone, live_key, key_columns, keys)
            drops = _matching_rows(lake, zone, live_key, key_columns, gone)
        touched = rewrite_all or part_key in new_parts or _any(hits) or _any(drops)
        if not touched and live_key is not None:
            lake.share_object(zone, f"{target}/{part_key}", zone, live_key)
            shared.append(part_key)
            partitions[part_key] = base_partitions.get(part_key, base_run)
            continue
        pieces = []
        if live_key is not None:
            live = _conform(lake.read_parquet(zone, live_key).replace_schema_metadata(None), schema)
            keep = np.ones(live.num_rows, dtype=bool)
            if hits is not None:
                replaced += int(hits.sum())
                keep &= ~hits
            if drops is not None:
                removed += int((drops & keep).sum())
                keep &= ~drops
            if not keep.all():
                live = live.filter(pa.array(keep))
            pieces.append(live)
        if part_key in new_parts:
            pieces.append(new_parts[part_key])
        rows = sorted_table(pa.concat_tables(pieces), layout)
        if rows.num_rows == 0 and layout.partition_column is not None:
            continue  # every live row of the month moved to another month
        write_table_file(lake, zone, f"{target}/{part_key}", rows)
        rewritten.append(part_key)
        partitions[part_key] = run_id
    if not partitions:  # an empty table still gets one (empty) file, as write_table does
        empty = schema.empty_table()
        version = write_table(lake, zone, name, run_id, empty)
        return MergeResult(version, replaced, tuple(version.partitions), (), removed)
    version = _version_of(lake, zone, name, run_id, partitions)
    record_version(lake, version)
    logger.info(
        "merged into %s.%s version %s: %d partitions rewritten, %d shared, %d rows "
        "replaced, %d deleted",
        zone.value,
        name,
        run_id,
        len(rewritten),
        len(shared),
        replaced,
        removed,
    )
    return MergeResult(version, replaced, tuple(rewritten), tuple(shared), removed)


def _distinct_keys(table: pa.Table, key_columns: list[str]) -> pa.Table:
    """The distinct values of the key columns of ``table``."""
    keys = table.select(key_columns)
    if len(key_columns) == 1:
        return pa.table({key_columns[0]: pc.unique(keys.column(0))})
    return keys.group_by(key_columns, use_threads=False).aggregate([])


def _matching_rows(
    lake: Lake, zone: Zone, key: str, key_columns: list[str], keys: Optional[pa.Table]
) -> Optional[npt.NDArray[np.bool_]]:
    """A boolean mask (numpy) of the live rows in object ``key`` whose key is among ``keys``."""
    if keys is None or keys.num_rows == 0:
        return None
    live = lake.read_parquet(zone, key, columns=key_columns)
    if len(key_columns) == 1:
        column = live.column(0)
        hits = pc.is_in(column, value_set=keys.column(0).cast(column.type))
        return np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)
    # Several key columns: a semi join of the live keys (numbered) with the batch's.
    wanted = _conform(keys, live.schema)
    numbered = live.append_column("__row", pa.array(np.arange(live.num_rows, dtype=np.int64)))
    found = numbered.join(wanted, keys=key_columns, join_type="left semi", use_threads=False)
    mask = np.zeros(live.num_rows, dtype=bool)
    mask[np.asarray(found.column("__row"), dtype=np.int64)] = True
    return mask


def _any(mask: Optional[npt.NDArray[np.bool_]]) -> bool:
    return mask is not None and bool(mask.any())


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
    lake: Lake, zone: Zone, name: str, base_run: str, live_files: dict[str, str]
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
    lake: Lake, zone: Zone, name: str, run_id: str, partitions: dict[str, str]
) -> TableVersion:
    keys = [f"{version_key(name, run_id)}/{part}" for part in sorted(partitions)]
    missing = [key for key in keys if not lake.exists(zone, key)]
    if missing:
        raise PipelineError(
            f"{zone.value}.{name} version {run_id} lost partition files while it was written "
            f"({', '.join(lake.uri(zone, key) for key in missing[:3])}); another process "
            "deleted them: run again"
        )
    rows = sum(lake.parquet_metadata(zone, key).num_rows for key in keys)
    size = sum(lake.size(zone, key) for key in keys)
    return TableVersion(zone, name, run_id, rows, len(keys), size, partitions=dict(partitions))
