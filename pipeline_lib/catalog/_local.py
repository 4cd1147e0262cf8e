"""The local catalog: a DuckDB file with one schema per zone and views over Parquet tables.

Which version of each processed/curated table is live is decided by one small file,
``_meta/published.json``, written atomically by :func:`publish`: that write is the moment a
run's tables become visible, all together. The catalog turns that state into views
(``curated.transactions`` ...), adds ``raw.<dataset>`` views over the typed copies of the
accepted files, and keeps a version history of every table's columns.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import duckdb

from pipeline_lib.catalog._evolution import Columns, SchemaChange, compare_schemas
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.ingestion import VALIDATED_PREFIX
from pipeline_lib.schemas import CONTRACTS
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)

CATALOG_KEY = "catalog.duckdb"
PUBLISHED_KEY = "published.json"
SCHEMAS = ("raw", "processed", "curated")

_HISTORY_DDL = """
CREATE SCHEMA IF NOT EXISTS catalog_meta;
CREATE TABLE IF NOT EXISTS catalog_meta.table_versions (
    table_name VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    run_id VARCHAR,
    columns VARCHAR NOT NULL,
    change VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (table_name, version)
);
"""


class SchemaEvolutionError(PipelineError):
    """A new table version changes its schema in a way readers cannot follow."""


@dataclass(frozen=True)
class PublishedState:
    """Which run's version of each table is live (``"curated.transactions" -> run_id``)."""

    run_id: Optional[str] = None
    published_at: Optional[str] = None
    as_of: Optional[str] = None
    tables: dict[str, str] = field(default_factory=dict)


def read_published(lake: LocalLake) -> PublishedState:
    """The published state; empty before the first publish."""
    if not lake.exists(Zone.META, PUBLISHED_KEY):
        return PublishedState()
    return PublishedState(**json.loads(lake.read_bytes(Zone.META, PUBLISHED_KEY)))


def write_published(lake: LocalLake, state: PublishedState) -> None:
    """Switch the live versions: one atomic write."""
    data = json.dumps(asdict(state), indent=2, sort_keys=True).encode()
    lake.write_bytes(Zone.META, PUBLISHED_KEY, data)


@dataclass(frozen=True)
class TableChange:
    """What a catalog refresh found for one table."""

    table: str
    version: int
    change: str  # new | additive | breaking | none
    description: str
    partitions: int


class LocalCatalog:
    """The DuckDB catalog file of a lake (``_meta/catalog.duckdb``).

    Examples
    --------
    >>> catalog = LocalCatalog(LocalLake("lake"))  # doctest: +SKIP
    >>> with catalog.connect(read_only=True) as con:  # doctest: +SKIP
    ...     con.sql("select count(*) from curated.transactions").fetchone()
    """

    def __init__(self, lake: LocalLake) -> None:
        self.lake = lake
        self.path = lake.path(Zone.META, CATALOG_KEY)

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """A connection to the live catalog (read-only by default).

        Readers never block a publish: :meth:`refresh` builds a new catalog file and renames
        it over this one, so an open connection keeps reading the catalog it opened.
        """
        if not self.path.exists():
            raise PipelineError(
                f"no catalog at {self.path}: run `ecom-pipeline run` to build the tables"
            )
        return duckdb.connect(str(self.path), read_only=read_only)

    def version_columns(self, folder: Path) -> Columns:
        """Column name -> DuckDB type of the Parquet files under ``folder``."""
        with duckdb.connect() as con:
            rows = con.execute(f"DESCRIBE SELECT * FROM {_parquet_scan(folder)}").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def _history_rows(self) -> list[tuple[object, ...]]:
        """Every recorded table version, oldest first ([] before the first refresh)."""
        if not self.path.exists():
            return []
        try:
            with self.connect() as con:
                return con.execute(
                    "SELECT * FROM catalog_meta.table_versions ORDER BY table_name, version"
                ).fetchall()
        except duckdb.Error as exc:
            raise PipelineError(f"cannot read the catalog {self.path}: {exc}") from exc

    def latest_columns(self, table: str) -> Optional[Columns]:
        """The columns recorded for the latest version of ``table`` (None if never seen)."""
        rows = [row for row in self._history_rows() if row[0] == table]
        return dict(json.loads(str(rows[-1][3]))) if rows else None

    def history(self, table: str) -> list[dict[str, object]]:
        """Every recorded version of ``table``, oldest first."""
        keys = ("version", "run_id", "change", "description", "columns")
        return [
            dict(zip(keys, (row[1], row[2], row[4], row[5], row[3])))
            for row in self._history_rows()
            if row[0] == table
        ]

    def refresh(self) -> list[TableChange]:
        """Crawl the lake: rebuild every view and record schema changes.

        Published tables come from ``published.json``; ``raw.<dataset>`` views cover the
        typed copies of all accepted files (columns unioned by name: a feed that adds a
        column adds it to the view). The new catalog is built in a temp file and renamed
        over the live one, so readers are never blocked and never see half a catalog.
        Raises SchemaEvolutionError (and keeps the live catalog) if a raw dataset changed
        in a breaking way; published tables are checked before publish instead.
        """
        state = read_published(self.lake)
        sources: dict[str, tuple[Path, Optional[str]]] = {}
        for dataset in CONTRACTS:
            folder = self.lake.path(Zone.PROCESSED, f"{VALIDATED_PREFIX}/{dataset}")
            if _has_parquet(folder):
                sources[f"raw.{dataset}"] = (folder, None)
        for qualified, live_run in sorted(state.tables.items()):
            zone_name, name = qualified.split(".", 1)
            folder = self.lake.path(Zone(zone_name), f"{name}/run-{live_run}")
            sources[qualified] = (folder, live_run)
        history = self._history_rows()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        changes: list[TableChange] = []
        try:
            with duckdb.connect(str(staging)) as con:
                con.execute(_HISTORY_DDL)
                if history:
                    con.executemany(
                        "INSERT INTO catalog_meta.table_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                        history,
                    )
                for schema in SCHEMAS:
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                for qualified, (folder, version_run) in sources.items():
                    changes.append(self._register(con, qualified, folder, version_run))
                con.execute("CHECKPOINT")
            os.replace(staging, self.path)
        except duckdb.Error as exc:
            raise PipelineError(f"cannot build the catalog {self.path}: {exc}") from exc
        finally:
            for leftover in (staging, staging.with_name(staging.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        logger.info("catalog refreshed: %d tables", len(changes))
        return changes

    def _register(
        self,
        con: duckdb.DuckDBPyConnection,
        qualified: str,
        folder: Path,
        run_id: Optional[str],
    ) -> TableChange:
        con.execute(f"CREATE OR REPLACE VIEW {qualified} AS SELECT * FROM {_parquet_scan(folder)}")
        columns = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {qualified}").fetchall()}
        partitions = len({p.parent for p in folder.rglob("*.parquet") if "=" in p.parent.name})
        row = con.execute(
            "SELECT version, columns FROM catalog_meta.table_versions WHERE table_name = ? "
            "ORDER BY version DESC LIMIT 1",
            [qualified],
        ).fetchone()
        if row is None:
            change, version = SchemaChange(added=columns), 1
            kind, description = "new", f"{len(columns)} columns"
        else:
            change = compare_schemas(dict(json.loads(row[1])), columns)
            kind, description = change.kind, change.describe()
            version = int(row[0]) + (0 if kind == "none" else 1)
            if kind == "breaking":
                raise SchemaEvolutionError(f"{qualified}: breaking schema change: {description}")
        if kind != "none":
            con.execute(
                "INSERT INTO catalog_meta.table_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    qualified,
                    version,
                    run_id,
                    json.dumps(columns),
                    kind,
                    description,
                    datetime.now(timezone.utc),
                ],
            )
        return TableChange(qualified, version, kind, description, partitions)


def _has_parquet(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.parquet"))


def _parquet_scan(folder: Path) -> str:
    """A read_parquet over every file below ``folder`` with hive partitions as text."""
    glob = str(folder / "**" / "*.parquet").replace("'", "''")
    keys = sorted({p.parent.name.split("=", 1)[0] for p in folder.rglob("*.parquet")
                   if "=" in p.parent.name})  # fmt: skip
    types = ", ".join(f"'{k}': VARCHAR" for k in keys)
    hive = f", hive_types = {{{types}}}" if keys else ""
    return f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true{hive})"
