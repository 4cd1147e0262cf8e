"""Where quality SQL runs: DuckDB over the live or staged tables locally, Athena on AWS.

Quality checks are plain ANSI SQL that DuckDB and Athena both accept, sent through a
:class:`SqlRunner`. The audit of a run must look at the run's staged (not yet published)
versions, so :func:`staged_runner` builds an in-memory DuckDB whose views
``processed.<table>`` / ``curated.<table>`` point at those versions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.catalog._local import _parquet_scan
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import TableVersion
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)


class SqlRunner(Protocol):
    """Runs one SQL statement and returns its rows as a DataFrame."""

    def query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - protocol
        ...


class DuckDBRunner:
    """An in-memory DuckDB with one view per table, each over a folder of Parquet files."""

    #: SQL dialect, for the few functions DuckDB and Athena spell differently.
    dialect = "duckdb"

    def __init__(self, tables: Mapping[str, Path]) -> None:
        self.tables = dict(tables)
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")
        for schema in sorted({name.split(".", 1)[0] for name in self.tables}):
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, folder in sorted(self.tables.items()):
            self._con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_parquet_scan(folder)}")

    def query(self, sql: str) -> pd.DataFrame:
        try:
            return self._con.execute(sql).df()
        except duckdb.Error as exc:
            raise PipelineError(f"quality query failed: {exc}\n{sql}") from exc

    def close(self) -> None:
        self._con.close()


def staged_runner(lake: LocalLake, versions: Iterable[TableVersion]) -> DuckDBRunner:
    """Views over a run's staged versions, plus the live versions of the other tables."""
    tables = live_tables(lake)
    for version in versions:
        tables[version.qualified_name] = lake.path(version.zone, version.key)
    return DuckDBRunner(tables)


def live_runner(lake: LocalLake) -> DuckDBRunner:
    """Views over the published (live) versions, as the catalog shows them."""
    tables = live_tables(lake)
    if not tables:
        raise PipelineError(
            f"nothing is published in {lake.root} ({LocalCatalog(lake).path} is empty): "
            "run `ecom-pipeline run` first"
        )
    return DuckDBRunner(tables)


def live_tables(lake: LocalLake) -> dict[str, Path]:
    """Qualified table name -> folder of its live version."""
    state = read_published(lake)
    return {
        qualified: lake.path(
            Zone(qualified.split(".", 1)[0]), f"{qualified.split('.', 1)[1]}/run-{run}"
        )
        for qualified, run in state.tables.items()
    }
