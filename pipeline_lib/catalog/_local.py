"""The local catalog: a DuckDB file with one schema per zone and views over Parquet tables.

One file, one switch. ``_meta/catalog.duckdb`` is the single source of truth for what is
live: besides the views (``curated.transactions`` ..., and ``raw.<dataset>`` over the typed
copies of the accepted files) it holds the schema version history of every table and the
published state it was built from (``catalog_meta.published``: which run's version of
each table is live). :meth:`LocalCatalog.refresh` builds a complete new file for a state
next to the live one and renames it over the live one: that ``os.replace`` is the moment
a run's tables go live, all together, with their history. A build that fails at any
point (a schema-evolution refusal, a full disk, a kill) leaves the live file untouched;
there is nothing to undo.

``_meta/published.json`` is an export of that state, written just after the rename, so
that readers get the state without opening DuckDB (the API's cache keys, CURRENT_DATE,
the audit). It is stamped with the identity (inode, size, mtime) of the catalog file it
describes, and :func:`read_published` trusts it only while that file is the one in place
(one ``stat``); otherwise it reads the state from the catalog itself. So a process killed
between the rename and the export cannot leave readers split between two runs, and the
next refresh rewrites the export. Two files renamed one after the other could not give
that: a kill between the renames would leave them naming different runs, and a catalog
rebuilt from a ``published.json`` written first would make a failed run live.

Readers never block a publish and never see a half-built catalog: a connection keeps
reading the file it opened, and the new file appears whole, by rename.
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
from pipeline_lib.exceptions import PipelineError, SchemaEvolutionError
from pipeline_lib.ingestion import VALIDATED_PREFIX
from pipeline_lib.schemas import CONTRACTS
from pipeline_lib.storage import Lake, LocalLake, Zone, fsync_dir

logger = logging.getLogger(__name__)

CATALOG_KEY = "catalog.duckdb"
PUBLISHED_KEY = "published.json"
SCHEMAS = ("raw", "processed", "curated")
#: The field of ``published.json`` naming the catalog file it is the export of.
STAMP_FIELD = "catalog_stamp"

_META_DDL = """
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
CREATE TABLE IF NOT EXISTS catalog_meta.published (state VARCHAR NOT NULL);
"""


@dataclass(frozen=True)
class PublishedState:
    """Which run's version of each table is live (``"curated.transactions" -> run_id``)."""

    run_id: Optional[str] = None
    published_at: Optional[str] = None
    as_of: Optional[str] = None
    tables: dict[str, str] = field(default_factory=dict)


def read_published(lake: Lake) -> PublishedState:
    """The published state: the one the live catalog was built from.

    Empty before the first publish. ``published.json`` answers when it is the export of
    the catalog file now in place (one ``stat``); otherwise (a publish killed between its
    switch and its export, a lake copied file by file) the state is read from the catalog
    itself. Without a catalog (never built, or lost) ``published.json`` is all there is.
    An S3 lake's pointer is its ``published.json`` (:mod:`pipeline_lib.catalog._glue`).
    """
    if not isinstance(lake, LocalLake):
        from pipeline_lib.catalog._glue import read_pointer  # _glue builds on this module

        return read_pointer(lake).state
    exported, stamp = _read_export(lake)
    catalog_path = lake.path(Zone.META, CATALOG_KEY)
    current = _file_stamp(catalog_path)
    if current is None or (exported is not None and stamp == current):
        return exported or PublishedState()
    carried = _carried_state(catalog_path)
    if carried is not None:
        return carried
    return exported or PublishedState()  # a catalog built before it carried its state


def write_published(lake: LocalLake, state: PublishedState) -> None:
    """Write ``published.json``: ``state`` as the export of the catalog file now in place.

    :meth:`LocalCatalog.refresh` calls it after each switch. Called by hand (an operator
    pointing a table back at its previous version), readers see ``state`` at once and the
    next refresh builds the views for it.
    """
    record = {**asdict(state), STAMP_FIELD: _file_stamp(lake.path(Zone.META, CATALOG_KEY))}
    data = json.dumps(record, indent=2, sort_keys=True).encode()
    lake.write_bytes(Zone.META, PUBLISHED_KEY, data)


def _read_export(lake: LocalLake) -> tuple[Optional[PublishedState], Optional[str]]:
    """The state in ``published.json`` and the catalog stamp it carries (None, None if absent)."""
    if not lake.exists(Zone.META, PUBLISHED_KEY):
        return None, None
    record = json.loads(lake.read_bytes(Zone.META, PUBLISHED_KEY))
    stamp = record.pop(STAMP_FIELD, None)
    return PublishedState(**record), stamp


def _file_stamp(path: Path) -> Optional[str]:
    """The identity of the file at ``path`` (None if there is none).

    The inode alone could be reused by a later file; with the size and the modification
    time, a stamp matches only the very file that was stamped.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}"


def _carried_state(path: Path) -> Optional[PublishedState]:
    """The published state stored in the catalog file at ``path`` (None if it has none)."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT state FROM catalog_meta.published").fetchone()
    except duckdb.CatalogException:
        return None  # built before catalogs carried their state
    except duckdb.Error as exc:
        logger.warning(
            "cannot read the published state from %s (%s); using %s instead",
            path,
            exc,
            PUBLISHED_KEY,
        )
        return None
    return PublishedState(**json.loads(str(row[0]))) if row else None


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
        it over this one, so an open connection keeps reading the catalog it opened, whole.
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

    def refresh(self, state: Optional[PublishedState] = None) -> list[TableChange]:
        """Build the catalog for ``state`` next to the live one, then switch to it.

        Published tables come from ``state``; ``raw.<dataset>`` views cover the typed
        copies of all accepted files (columns unioned by name: a feed that adds a column
        adds it to the view). The new file is complete (views, version history, ``state``)
        before one rename makes it the live catalog; then ``published.json`` is rewritten
        as its export. If anything fails before the rename, the live catalog and
        ``published.json`` are untouched.

        Parameters
        ----------
        state
            The table versions to make live (:func:`publish` passes the new state).
            Default: the live state, to rebuild the views (new raw files, a lost catalog).

        Returns
        -------
        list of TableChange
            One per view, with its schema change against the version history.

        Raises
        ------
        SchemaEvolutionError
            A raw dataset changed in a breaking way (published tables are checked before
            publish instead); the live catalog is kept.
        PipelineError
            DuckDB could not build the catalog (e.g. the disk is full).
        """
        if state is None:
            state = read_published(self.lake)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            changes = self._build(staging, state)
            # The switch: whoever opens the catalog from here on sees the new state whole.
            os.replace(staging, self.path)
            fsync_dir(self.path.parent)
        finally:
            for leftover in (staging, staging.with_name(staging.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        self._export(state)
        logger.info("catalog refreshed: %d tables", len(changes))
        return changes

    def _build(self, staging: Path, state: PublishedState) -> list[TableChange]:
        """Write the complete catalog for ``state`` into the new file ``staging``."""
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
        changes: list[TableChange] = []
        try:
            with duckdb.connect(str(staging)) as con:
                con.execute(_META_DDL)
                if history:
                    con.executemany(
                        "INSERT INTO catalog_meta.table_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                        history,
                    )
                con.execute(
                    "INSERT INTO catalog_meta.published VALUES (?)",
                    [json.dumps(asdict(state), sort_keys=True)],
                )
                for schema in SCHEMAS:
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                for qualified, (folder, version_run) in sources.items():
                    changes.append(self._register(con, qualified, folder, version_run))
                con.execute("CHECKPOINT")
        except duckdb.Error as exc:
            raise PipelineError(
                f"cannot build the catalog {self.path}: {exc}; the live catalog is unchanged"
            ) from exc
        # On disk before the rename makes it live, so that a power cut cannot leave the
        # catalog path naming a file whose content never reached the disk.
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        return changes

    def _export(self, state: PublishedState) -> None:
        """Rewrite ``published.json`` for the catalog just switched to."""
        if state == PublishedState() and not self.lake.exists(Zone.META, PUBLISHED_KEY):
            return  # nothing published yet: no published.json, as before any refresh
        try:
            write_published(self.lake, state)
        except (OSError, PipelineError) as exc:
            # The switch is done and readers follow the catalog (the stamp no longer
            # matches), so this is not a failed publish; the next refresh writes it again.
            logger.warning(
                "the catalog %s is live but %s could not be rewritten (%s); readers take "
                "the state from the catalog until the next refresh",
                self.path,
                PUBLISHED_KEY,
                exc,
            )

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
    keys = sorted(
        {p.parent.name.split("=", 1)[0] for p in folder.rglob("*.parquet") if "=" in p.parent.name}
    )
    types = ", ".join(f"'{k}': VARCHAR" for k in keys)
    hive = f", hive_types = {{{types}}}" if keys else ""
    return f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true{hive})"
