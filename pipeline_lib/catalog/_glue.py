"""The catalog of an S3 lake: a publish pointer in S3 and the tables in the Glue Data Catalog.

The pointer, ``_meta/published.json`` in the lake, is the single source of truth for what
is live, as the DuckDB file is locally: which run's version of each table is published,
and the schema version history of every table. A publish rewrites it with a conditional
PUT on the version it read, so of two runs that publish from the same state one wins and
the other is refused (:class:`PublishConflictError`), never mixed.

Then each published table is pointed at its version in Glue with one ``UpdateTable``:
the table's location is the version's folder, and its monthly partitions are projected
(Athena partition projection: no partitions to add or drop, so a switch is one call per
table). Glue keeps the previous table definition (catalog versioning). A sync that fails
after the pointer moved is redone by the next publish or ``refresh``: readers of the
pointer (the API, the audit) are never behind, Athena can be until then.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

import duckdb
import pyarrow as pa

from pipeline_lib.catalog._evolution import Columns
from pipeline_lib.catalog._local import PUBLISHED_KEY, PublishedState
from pipeline_lib.exceptions import PublishConflictError
from pipeline_lib.ingestion import VALIDATED_PREFIX
from pipeline_lib.jobs import layout_of, version_key, version_schema
from pipeline_lib.schemas import CONTRACTS
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

#: Environment variables naming the Glue databases (Terraform sets them); default: the zone.
DATABASE_ENV = {
    "raw": "PIPELINE_RAW_DATABASE",
    "processed": "PIPELINE_PROCESSED_DATABASE",
    "curated": "PIPELINE_CURATED_DATABASE",
}
#: Projected partitions: monthly, from the first month a version holds to this far ahead.
PROJECTION_FORMAT = "yyyy-MM"


@dataclass
class Pointer:
    """The content of ``_meta/published.json`` of an S3 lake, and the version read."""

    state: PublishedState = field(default_factory=PublishedState)
    #: Per table, its schema versions: ``{"version", "run_id", "columns", "change",
    #: "description", "recorded_at"}``, oldest first.
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token: Optional[str] = None

    def latest_columns(self, table: str) -> Optional[Columns]:
        versions = self.history.get(table)
        return dict(versions[-1]["columns"]) if versions else None

    def to_bytes(self) -> bytes:
        record = {**asdict(self.state), "history": self.history}
        return json.dumps(record, indent=2, sort_keys=True).encode()


def read_pointer(lake: Lake) -> Pointer:
    """The published state and history of an S3 lake (empty before the first publish)."""
    content, token = lake.read_with_token(Zone.META, PUBLISHED_KEY)
    if content is None:
        return Pointer()
    record = json.loads(content)
    history = record.pop("history", {})
    record.pop("catalog_stamp", None)
    return Pointer(PublishedState(**record), history, token)


def write_pointer(lake: Lake, pointer: Pointer) -> None:
    """Move the pointer, or raise PublishConflictError if it moved since it was read."""
    if not lake.write_if_unchanged(Zone.META, PUBLISHED_KEY, pointer.to_bytes(), pointer.token):
        live = read_pointer(lake).state
        raise PublishConflictError(
            f"run {pointer.state.run_id} not published: run {live.run_id} published at "
            f"{live.published_at} after this run read the live state. Nothing changed; run "
            "again to build on the new state"
        )


def version_columns(lake: Lake, zone: Zone, name: str, run_id: str) -> Columns:
    """Column name -> DuckDB type of a table version (as the local catalog records them)."""
    schema = version_schema(lake, zone, name, run_id)
    with duckdb.connect() as con:
        relation = con.from_arrow(pa.Table.from_batches([], schema=schema))
        return {str(c): str(t) for c, t in zip(relation.columns, relation.types)}


def record_change(
    pointer: Pointer, table: str, run_id: str, columns: Columns, kind: str, description: str
) -> int:
    """Append a schema version to the history (unless nothing changed); return the version."""
    versions = pointer.history.setdefault(table, [])
    if kind == "none" and versions:
        return int(versions[-1]["version"])
    versions.append(
        {
            "version": len(versions) + 1,
            "run_id": run_id,
            "columns": columns,
            "change": kind,
            "description": description,
            "recorded_at": datetime.now(timezone.utc).isoformat(),
        }
    )
    return len(versions)


class GlueCatalog:
    """The Glue Data Catalog tables of an S3 lake, one database per zone.

    ``databases`` maps zone names to Glue databases; by default
    ``PIPELINE_<ZONE>_DATABASE`` (set by Terraform), else the zone's name.
    """

    def __init__(self, lake: Lake, databases: Optional[Mapping[str, str]] = None) -> None:
        self.lake = lake
        self.databases = dict(
            databases
            or {zone: os.environ.get(variable) or zone for zone, variable in DATABASE_ENV.items()}
        )

    def sync(self, state: PublishedState) -> list[str]:
        """Point every table of ``state`` at its published version, and ``raw.<dataset>`` at
        the typed copies of the accepted files (as the local catalog's raw views); return
        the tables' names. So no Glue crawler is needed, nor paid for: the pipeline knows
        every table's files and schema when it publishes
        (docs/adr/0004-glue-tables-registered-on-publish.md)."""
        synced = []
        for dataset in CONTRACTS:
            if self._register_raw(dataset):
                synced.append(f"{self.databases['raw']}.{dataset}")
        for qualified, run_id in sorted(state.tables.items()):
            zone_name, name = qualified.split(".", 1)
            self._register(Zone(zone_name), name, run_id)
            synced.append(f"{self.databases[zone_name]}.{name}")
        logger.info("glue catalog: %d tables point at their published versions", len(synced))
        return synced

    def _register(self, zone: Zone, name: str, run_id: str) -> None:
        import awswrangler as wr

        folder = self.lake.uri(zone, version_key(name, run_id)) + "/"
        columns, partitions = wr.s3.read_parquet_metadata(path=folder, dataset=True)
        layout = layout_of(name)
        projection = None
        months = (
            self._partition_values(zone, version_key(name, run_id), layout.partition_column)
            if layout.partition_column is not None and partitions
            else []
        )
        if layout.partition_column is not None and months:
            projection = {
                "projection_types": {layout.partition_column: "date"},
                "projection_formats": {layout.partition_column: PROJECTION_FORMAT},
                "projection_ranges": {layout.partition_column: f"{months[0]},{months[-1]}"},
                "projection_intervals": {layout.partition_column: "1"},
            }
        wr.catalog.create_parquet_table(
            database=self.databases[zone.value],
            table=name,
            path=folder,
            columns_types={c: t for c, t in columns.items() if c not in (partitions or {})},
            partitions_types=partitions or None,
            compression="snappy",
            description=f"{zone.value}.{name}, published version of run {run_id}",
            parameters={"pipeline_run_id": run_id},
            mode="overwrite",
            catalog_versioning=True,
            athena_partition_projection_settings=projection,  # type: ignore[arg-type]
        )

    def _register_raw(self, dataset: str) -> bool:
        """``raw.<dataset>``: every typed copy, partitioned by ``ingest_date`` (projected)."""
        import awswrangler as wr

        prefix = f"{VALIDATED_PREFIX}/{dataset}"
        days = self._partition_values(Zone.PROCESSED, prefix, "ingest_date")
        if not days:
            return False
        folder = self.lake.uri(Zone.PROCESSED, prefix) + "/"
        columns, partitions = wr.s3.read_parquet_metadata(path=folder, dataset=True)
        wr.catalog.create_parquet_table(
            database=self.databases["raw"],
            table=dataset,
            path=folder,
            columns_types={c: t for c, t in columns.items() if c not in (partitions or {})},
            partitions_types={"ingest_date": "string"},
            compression="snappy",
            description=f"raw.{dataset}: the typed copies of the accepted {dataset} files",
            mode="overwrite",
            athena_partition_projection_settings={
                "projection_types": {"ingest_date": "date"},
                "projection_formats": {"ingest_date": "yyyy-MM-dd"},
                "projection_ranges": {"ingest_date": f"{days[0]},NOW"},
                "projection_intervals": {"ingest_date": "1"},
            },
        )
        return True

    def _partition_values(self, zone: Zone, prefix: str, column: str) -> list[str]:
        months = sorted(
            {
                part.split("=", 1)[1]
                for key in self.lake.list_keys(zone, prefix)
                for part in key.split("/")
                if part.startswith(f"{column}=") and "__HIVE_DEFAULT_PARTITION__" not in part
            }
        )
        return months  # none for an empty table: nothing to project


def refresh_catalog(lake: Lake) -> list[str]:
    """Point the catalog at the published state again (idempotent): locally rebuild the
    DuckDB catalog, for an S3 lake re-sync the Glue tables with the pointer. Returns the
    tables whose schema changed (locally) or that were synced (Glue)."""
    from pipeline_lib.catalog._local import LocalCatalog
    from pipeline_lib.storage import LocalLake

    if isinstance(lake, LocalLake):
        return [c.table for c in LocalCatalog(lake).refresh() if c.change != "none"]
    return GlueCatalog(lake).sync(read_pointer(lake).state)
