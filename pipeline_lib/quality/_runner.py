"""Where quality SQL runs: DuckDB over the live or staged tables locally, Athena on AWS.

Quality checks are plain ANSI SQL that DuckDB and Athena both accept, sent through a
:class:`SqlRunner`. The audit of a run must look at the run's staged (not yet published)
versions, so :func:`staged_runner` builds an in-memory DuckDB whose views
``processed.<table>`` / ``curated.<table>`` point at those versions. On AWS the
:class:`AthenaRunner` sends the same SQL to Athena.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, Union

import duckdb
import pandas as pd

from pipeline_lib.catalog import read_published
from pipeline_lib.catalog._local import _parquet_scan
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import TableVersion, version_key
from pipeline_lib.storage import Lake, ParquetFolder, Zone, create_parquet_view

logger = logging.getLogger(__name__)


class SqlRunner(Protocol):
    """Runs one SQL statement and returns its rows as a DataFrame."""

    def query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - protocol
        ...


class DuckDBRunner:
    """An in-memory DuckDB with one view per table, each over one table version.

    ``tables`` maps ``zone.table`` to a :class:`~pipeline_lib.storage.ParquetFolder` (a
    version in a local or S3 lake) or to a local folder of Parquet files.
    """

    #: SQL dialect, for the few functions DuckDB and Athena spell differently.
    dialect = "duckdb"

    def __init__(self, tables: Mapping[str, Union[ParquetFolder, Path]]) -> None:
        self.tables = dict(tables)
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")
        for schema in sorted({name.split(".", 1)[0] for name in self.tables}):
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, source in sorted(self.tables.items()):
            if isinstance(source, ParquetFolder):
                create_parquet_view(self._con, name, source)
            else:
                self._con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_parquet_scan(source)}")

    def query(self, sql: str) -> pd.DataFrame:
        try:
            return self._con.execute(sql).df()
        except duckdb.Error as exc:
            raise PipelineError(f"quality query failed: {exc}\n{sql}") from exc

    def close(self) -> None:
        self._con.close()


class AthenaRunner:
    """Run quality SQL on Athena through awswrangler (needs AWS credentials).

    Parameters
    ----------
    settings
        The environment's settings; ``query.workgroup`` and ``query.database`` are used.
    """

    dialect = "athena"

    def __init__(self, settings: Settings, *, boto3_session: Any = None) -> None:
        from pipeline_lib.query import query_settings

        self.settings = query_settings(settings)
        self.boto3_session = boto3_session

    def request(self, sql: str) -> dict[str, Any]:
        """The keyword arguments of ``awswrangler.athena.read_sql_query`` for ``sql``."""
        return {
            "sql": sql,
            "database": self.settings.database,
            "workgroup": self.settings.workgroup,
            "ctas_approach": False,
        }

    def query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - needs AWS
        import awswrangler as wr

        frame = wr.athena.read_sql_query(boto3_session=self.boto3_session, **self.request(sql))
        assert isinstance(frame, pd.DataFrame)
        return frame


def staged_runner(lake: Lake, versions: Iterable[TableVersion]) -> DuckDBRunner:
    """Views over a run's staged versions, plus the live versions of the other tables."""
    tables = live_tables(lake)
    for version in versions:
        tables[version.qualified_name] = ParquetFolder(lake, version.zone, version.key)
    return DuckDBRunner(tables)


def live_runner(lake: Lake) -> DuckDBRunner:
    """Views over the published (live) versions, as the catalog shows them."""
    tables = live_tables(lake)
    if not tables:
        raise PipelineError(
            f"nothing is published in {lake.location}: run `ecom-pipeline run` first"
        )
    return DuckDBRunner(tables)


def live_tables(lake: Lake) -> dict[str, ParquetFolder]:
    """Qualified table name -> its live version."""
    state = read_published(lake)
    tables: dict[str, ParquetFolder] = {}
    for qualified, run in state.tables.items():
        zone, name = qualified.split(".", 1)
        tables[qualified] = ParquetFolder(lake, Zone(zone), version_key(name, run))
    return tables
