"""The local engine: Athena SQL transpiled by sqlglot, run read-only by DuckDB.

On a local lake DuckDB opens the lake's catalog; on an S3 lake it reads the live table
versions straight from S3 (the same Parquet Athena reads), without Athena.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Optional, Union

import duckdb

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.exceptions import QueryExecutionError
from pipeline_lib.query._cost import QuerySettings, ScanEstimate, estimate_scan
from pipeline_lib.query._dialect import pin_current_date, to_duckdb
from pipeline_lib.query._loader import NamedQuery, ParamValue, load_query, placeholders
from pipeline_lib.storage import Lake, LocalLake, ParquetFolder, Zone, create_parquet_view

if TYPE_CHECKING:  # pandas only for to_frame: a query answers without it
    import pandas as pd

logger = logging.getLogger(__name__)

QueryLike = Union[NamedQuery, str]


@dataclass(frozen=True)
class PreparedQuery:
    """A query ready to run: engine SQL, bound parameters, the pinned day, the scan estimate."""

    query: NamedQuery
    sql: str
    params: dict[str, ParamValue]
    current_date: date
    estimate: ScanEstimate


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query run, with what it cost."""

    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    seconds: float
    current_date: date
    params: dict[str, ParamValue] = field(default_factory=dict)
    estimate: ScanEstimate = field(default_factory=ScanEstimate)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row; dates and timestamps as ISO text, NaN as None (JSON-ready)."""
        return [{c: _jsonable(v) for c, v in zip(self.columns, row)} for row in self.rows]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows, columns=self.columns)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    return value


def resolve_current_date(lake: Lake, as_of: Optional[date] = None) -> date:
    """The day CURRENT_DATE means: ``as_of``, else the live run's as-of date, else today (UTC)."""
    if as_of is not None:
        return as_of
    published = read_published(lake).as_of
    return date.fromisoformat(published) if published else datetime.now(timezone.utc).date()


class DuckDBEngine:
    """Run named (or ad hoc Athena) queries on a lake's published tables, read-only.

    Parameters
    ----------
    lake
        The lake. A local lake's ``_meta/catalog.duckdb`` must exist (``ecom-pipeline
        run``); an S3 lake's published tables are read from S3.
    settings
        Workgroup cutoff etc. (``query:`` of the params file).
    as_of
        The day CURRENT_DATE stands for; default: the live run's as-of date
        (``_meta/published.json``), else today in UTC.

    Examples
    --------
    >>> engine = DuckDBEngine(LocalLake("lake"))  # doctest: +SKIP
    >>> engine.run("top_products", {"days": 7}).to_records()[:1]  # doctest: +SKIP
    """

    def __init__(
        self,
        lake: Lake,
        settings: Optional[QuerySettings] = None,
        *,
        as_of: Optional[date] = None,
    ) -> None:
        self.lake = lake
        self.settings = settings or QuerySettings()
        self.current_date = resolve_current_date(lake, as_of)
        self.catalog = LocalCatalog(lake) if isinstance(lake, LocalLake) else None

    @contextlib.contextmanager
    def connect(
        self, tables: Optional[Collection[str]] = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the published tables (on S3: only ``tables``, when
        given, are attached: each costs a listing and its files' footers)."""
        if self.catalog is not None:
            with self.catalog.connect(read_only=True) as con:
                yield con
            return
        con = duckdb.connect()
        try:
            for qualified, run_id in sorted(read_published(self.lake).tables.items()):
                if tables is not None and qualified not in tables:
                    continue
                zone, name = qualified.split(".", 1)
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{zone}"')
                folder = ParquetFolder(self.lake, Zone(zone), f"{name}/run-{run_id}")
                create_parquet_view(con, f'"{zone}"."{name}"', folder)
            yield con
        finally:
            con.close()

    def prepare(
        self, query: QueryLike, params: Optional[Mapping[str, object]] = None
    ) -> PreparedQuery:
        """Bind parameters, pin CURRENT_DATE, transpile and estimate the scan (runs nothing).

        ``query`` is a NamedQuery, the name of one in ``sql/``, or Athena SQL text (a
        string with whitespace), which then takes no parameters.
        """
        named = _as_query(query)
        bound = named.bind(params)
        expression = pin_current_date(named.expression(), self.current_date)
        estimate = estimate_scan(expression, self.lake, bound)
        used = set(placeholders(expression))
        return PreparedQuery(
            query=named,
            sql=to_duckdb(expression),
            params={k: v for k, v in bound.items() if k in used},
            current_date=self.current_date,
            estimate=estimate,
        )

    def explain(
        self, query: QueryLike, params: Optional[Mapping[str, object]] = None
    ) -> PreparedQuery:
        """What :meth:`run` would do and read, without running it."""
        return self.prepare(query, params)

    def run(self, query: QueryLike, params: Optional[Mapping[str, object]] = None) -> QueryResult:
        """Run a query; QueryBudgetError first if it would scan over the cutoff.

        Raises
        ------
        QueryError
            Unknown query or bad parameter.
        QueryBudgetError
            The estimated scan is over ``settings.bytes_scanned_cutoff``.
        QueryExecutionError
            The catalog is missing or busy, or DuckDB rejected the SQL.
        """
        prepared = self.prepare(query, params)
        prepared.estimate.check(prepared.query.name, self.settings)
        started = time.perf_counter()
        try:
            with self.connect({scan.table for scan in prepared.estimate.scans}) as con:
                con.execute("SET TimeZone = 'UTC'")
                cursor = con.execute(prepared.sql, prepared.params or None)
                columns = [str(d[0]) for d in cursor.description or []]
                rows = cursor.fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise QueryExecutionError(
                f"query {prepared.query.name} failed in DuckDB: {first}; check that "
                "`ecom-pipeline run` published the tables it reads and that no run is "
                "refreshing the catalog right now"
            ) from None
        seconds = time.perf_counter() - started
        logger.info("query %s: %d rows in %.3f s", prepared.query.name, len(rows), seconds)
        return QueryResult(
            name=prepared.query.name,
            columns=columns,
            rows=rows,
            seconds=seconds,
            current_date=prepared.current_date,
            params=prepared.params,
            estimate=prepared.estimate,
        )


def _as_query(query: QueryLike) -> NamedQuery:
    if isinstance(query, NamedQuery):
        return query
    if any(ch.isspace() for ch in query.strip()):
        return NamedQuery.from_sql(query)
    return load_query(query)
