"""Whole-history curated tables from SQL: ratings, customer metrics, performance, affinity.

Each table is one query in ``sql/aggregates/<table>.sql``, written in the Athena dialect
with the header of the named queries (``-- param:``, ``-- tables:``), but not a named
query: the API, ``ecom-pipeline query`` and Athena's saved queries list only
``sql/*.sql``. A query is the table's SELECT: on AWS an Athena CTAS wraps it
(``create table ... with (format = 'PARQUET', external_location = ...) as <select>``);
here DuckDB runs it over the run's version of every table it reads, within a memory
limit and spilling to disk beyond it, so the history never has to fit in memory
(docs/adr/0002-incremental-runs.md). The tests compare these queries with a pandas
reference kept in the test tree (``tests/reference_aggregates.py``), not in the package.

A job step that lives here, not in ``pipeline_lib.jobs``: it needs the query loader and the
Athena-to-DuckDB transpiler, and ``jobs`` sits below ``query`` (the import layers in
pyproject.toml); it writes through ``jobs.write_table``. A local lake's Parquet files are
read by DuckDB directly; an S3 lake's through the lake's Arrow dataset (no DuckDB httpfs
extension to install or configure). The result (a row per customer, product or pair) is
held in memory as an Arrow table; only the work over the history spills.

Settings come from ``aggregates:`` in ``params/<env>.yaml`` (``memory_limit``,
``temp_directory``, ``threads``); ``PIPELINE_AGGREGATES_MEMORY_LIMIT`` and
``PIPELINE_AGGREGATES_TEMP_DIR`` override them for one process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Optional

import duckdb
import pyarrow as pa

from pipeline_lib.exceptions import ConfigError, PipelineError
from pipeline_lib.jobs import JobContext, TableVersion, version_files, version_key, write_table
from pipeline_lib.query._dialect import to_duckdb
from pipeline_lib.query._loader import NamedQuery, QueryError, load_query, placeholders, sql_dir
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import Lake, ParquetFolder, Zone, create_parquet_view

logger = logging.getLogger(__name__)

#: The curated tables built from ``sql/aggregates/``, in build order
#: (product_performance reads product_ratings).
AGGREGATE_TABLES = (
    "product_ratings",
    "customer_metrics",
    "product_performance",
    "product_affinity",
)
#: The query parameter every job sets from its run rather than from settings.
AS_OF = "as_of"
DEFAULT_MEMORY_LIMIT = "2GB"
MEMORY_LIMIT_ENV = "PIPELINE_AGGREGATES_MEMORY_LIMIT"
TEMP_DIR_ENV = "PIPELINE_AGGREGATES_TEMP_DIR"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


@dataclass(frozen=True)
class AggregateSettings:
    """How DuckDB may use the machine while it builds the aggregates.

    Attributes
    ----------
    memory_limit
        DuckDB's ``memory_limit`` (``2GB``, ``512MiB``...): beyond it joins, aggregates
        and sorts spill to ``temp_directory``. Leave room for the rest of the job (the
        merge job holds the run's transactions in pandas too).
    temp_directory
        Where DuckDB spills; None: a fresh folder in the system's temporary directory,
        removed after each query.
    threads
        DuckDB's worker threads; None: one per core.
    """

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    temp_directory: Optional[str] = None
    threads: Optional[int] = None

    def __post_init__(self) -> None:
        if not _MEMORY.match(self.memory_limit.strip()):
            raise ConfigError(
                f"aggregates.memory_limit {self.memory_limit!r} is not a size: write e.g. "
                "2GB or 512MiB"
            )
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"aggregates.threads must be at least 1, got {self.threads}")


def aggregate_settings(
    raw: Optional[Mapping[str, Any]] = None, environ: Optional[Mapping[str, str]] = None
) -> AggregateSettings:
    """Settings from an ``aggregates:`` mapping, then the environment variables.

    Examples
    --------
    >>> aggregate_settings({"memory_limit": "1GB"}, environ={}).memory_limit
    '1GB'
    >>> aggregate_settings({}, environ={MEMORY_LIMIT_ENV: "64MB"}).memory_limit
    '64MB'
    """
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError(f"the aggregates settings must be a mapping, got {raw!r}")
    raw = dict(raw or {})
    environ = os.environ if environ is None else environ
    unknown = sorted(set(raw) - {"memory_limit", "temp_directory", "threads"})
    if unknown:
        raise ConfigError(
            f"unknown aggregates setting {', '.join(unknown)}; known: memory_limit, "
            "temp_directory, threads"
        )
    memory_limit = environ.get(MEMORY_LIMIT_ENV) or str(raw.get("memory_limit") or "")
    temp_directory = environ.get(TEMP_DIR_ENV) or str(raw.get("temp_directory") or "")
    try:
        threads = int(raw["threads"]) if raw.get("threads") is not None else None
    except (TypeError, ValueError):
        raise ConfigError(
            f"aggregates.threads must be an integer, got {raw['threads']!r}"
        ) from None
    return AggregateSettings(
        memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
        temp_directory=temp_directory or None,
        threads=threads,
    )


def aggregates_dir() -> Path:
    """The folder of the aggregate queries: ``sql/aggregates/``."""
    return sql_dir() / "aggregates"


def load_aggregate(name: str) -> NamedQuery:
    """The query of curated table ``name``, its header checked against its text.

    Raises
    ------
    QueryError
        If there is no such query or its header disagrees with the SQL.
    """
    return load_query(name, aggregates_dir())


def run_aggregate(
    lake: Lake,
    run_id: str,
    name: str,
    *,
    as_of: date,
    params: Optional[Mapping[str, object]] = None,
    settings: Optional[AggregateSettings] = None,
) -> pa.Table:
    """Run the query of curated table ``name`` over the run's versions of its inputs.

    Every ``zone.table`` the query reads is the version ``run_id`` of that table (written
    earlier in the run). The result has the table's contract schema
    (``pipeline_lib.schemas.TABLES``): column names, order and Arrow types.

    Parameters
    ----------
    lake, run_id
        Where the inputs are, and which version of them.
    name
        A table of :data:`AGGREGATE_TABLES`.
    as_of
        The run's date (``as_of`` of the queries that declare it).
    params
        Other parameter values; a name the query does not declare is refused.
    settings
        Memory limit, spill folder, threads; default :class:`AggregateSettings`.

    Raises
    ------
    QueryError
        Unknown query or bad parameter.
    PipelineError
        An input version is missing, DuckDB failed, or the result does not match the
        table's contract.
    """
    query = load_aggregate(name)
    values: dict[str, object] = dict(params or {})
    if any(p.name == AS_OF for p in query.params):
        values.setdefault(AS_OF, as_of)
    bound = query.bind(values)
    expression = query.expression()
    used = set(placeholders(expression))
    sql = to_duckdb(expression)
    started = time.perf_counter()
    with _connection(settings or AggregateSettings()) as con:
        for table in query.tables:
            _attach(con, lake, table, run_id)
        try:
            relation = con.sql(sql, params={k: v for k, v in bound.items() if k in used} or None)
            assert relation is not None  # a SELECT
            table = relation.to_arrow_table()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise PipelineError(
                f"aggregate {name} of run {run_id} failed in DuckDB: {first}; if it ran out "
                f"of memory or disk, raise aggregates.memory_limit or point "
                f"{TEMP_DIR_ENV} at a larger disk"
            ) from None
    logger.info(
        "aggregate %s: %d rows in %.2f s", name, table.num_rows, time.perf_counter() - started
    )
    return conform_to_contract(table, name)


def write_aggregate(
    lake: Lake,
    run_id: str,
    name: str,
    *,
    as_of: date,
    params: Optional[Mapping[str, object]] = None,
    settings: Optional[AggregateSettings] = None,
) -> TableVersion:
    """Run the query of curated table ``name`` (:func:`run_aggregate`) and write the
    result as the run's version of that table."""
    table = run_aggregate(lake, run_id, name, as_of=as_of, params=params, settings=settings)
    return write_table(lake, Zone.CURATED, name, run_id, table)


def write_aggregates(
    ctx: JobContext,
    params: Optional[Mapping[str, object]] = None,
    *,
    settings: Optional[AggregateSettings] = None,
) -> list[TableVersion]:
    """Build every table of :data:`AGGREGATE_TABLES` for the run, in order.

    Each query gets the values of ``params`` it declares, and ``as_of`` from ``ctx``.
    ``settings`` default to ``aggregates:`` of the environment's params file.

    Raises
    ------
    QueryError
        A name in ``params`` that no aggregate query declares, or a bad value.

    Examples
    --------
    >>> write_aggregates(ctx, {"rating_prior_weight": 10.0,
    ...                             "affinity_min_pair_count": 3})  # doctest: +SKIP
    """
    params = dict(params or {})
    queries = {name: load_aggregate(name) for name in AGGREGATE_TABLES}
    declared = {p.name for q in queries.values() for p in q.params}
    unknown = sorted(set(params) - declared)
    if unknown:
        raise QueryError(
            f"no aggregate query has a parameter {', '.join(unknown)}; their parameters: "
            f"{', '.join(sorted(declared))}"
        )
    if settings is None:
        settings = aggregate_settings(ctx.settings().params.get("aggregates"))
    versions = []
    for name, query in queries.items():
        own = {p.name: params[p.name] for p in query.params if p.name in params}
        versions.append(
            write_aggregate(
                ctx.lake, ctx.run_id, name, as_of=ctx.as_of, params=own, settings=settings
            )
        )
    return versions


def conform_to_contract(table: pa.Table, name: str) -> pa.Table:
    """``table`` with the Arrow schema of ``curated.<name>``'s contract.

    Only string representations are converted (DuckDB may hand strings over as
    ``large_string`` or ``string_view``); any other difference is a mistake in the query.

    Raises
    ------
    PipelineError
        When the columns, their order or their types differ from the contract's.
    """
    expected = TABLES[f"curated.{name}"].arrow_schema()
    if table.column_names != expected.names:
        raise PipelineError(
            f"aggregate {name}: the query returns columns {table.column_names}, the contract "
            f"of curated.{name} has {expected.names}; fix sql/aggregates/{name}.sql"
        )
    columns = []
    wrong = []
    for column, field in zip(table.columns, expected):
        if column.type != field.type:
            if _is_string(column.type) and _is_string(field.type):
                column = column.cast(field.type)
            else:
                wrong.append(f"{field.name} ({column.type}, not {field.type})")
        columns.append(column)
    if wrong:
        raise PipelineError(
            f"aggregate {name}: wrong column types {', '.join(wrong)}; cast them in "
            f"sql/aggregates/{name}.sql"
        )
    return pa.Table.from_arrays(columns, schema=expected)


def _is_string(arrow_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    )


@contextlib.contextmanager
def _connection(settings: AggregateSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the memory limit and a spill folder."""
    with contextlib.ExitStack() as stack:
        folder = settings.temp_directory or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ecom-aggregates-")
        )
        Path(folder).mkdir(parents=True, exist_ok=True)
        con = stack.enter_context(duckdb.connect(":memory:"))
        con.execute(f"SET memory_limit = '{settings.memory_limit.strip()}'")
        con.execute(f"SET temp_directory = {_literal(str(folder))}")
        # The queries order their results; rows need not keep the order they were read in.
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET TimeZone = 'UTC'")
        if settings.threads is not None:
            con.execute(f"SET threads = {int(settings.threads)}")
        yield con


def _attach(con: duckdb.DuckDBPyConnection, lake: Lake, qualified: str, run_id: str) -> None:
    """Make ``zone.table`` a view of the run's version of that table, on a local or an
    S3 lake (:func:`pipeline_lib.storage.create_parquet_view`)."""
    zone_name, _, name = qualified.partition(".")
    try:
        zone = Zone(zone_name)
    except ValueError:
        raise PipelineError(f"aggregate input {qualified!r} names no zone of the lake") from None
    if not version_files(lake, zone, name, run_id):
        raise PipelineError(
            f"table {qualified} has no version {run_id}; write it before the aggregates "
            "that read it"
        )
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{zone.value}"')
    view = f'"{zone.value}"."{name}"'
    create_parquet_view(con, view, ParquetFolder(lake, zone, version_key(name, run_id)))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
