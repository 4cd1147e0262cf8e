"""Named analytics queries (``sql/``) and the engines that run them.

Locally the :class:`DuckDBEngine` transpiles the Athena SQL of record with sqlglot and runs
it read-only on the lake's DuckDB catalog; on AWS the :class:`AthenaEngine` sends the same
text to Athena with server-side parameters. Both refuse to spend more than the
workgroup's bytes-scanned cutoff; :func:`estimate_scan` shows what a query would read.
The whole-history curated tables are SQL too (``sql/aggregates/``, not named queries):
:func:`write_aggregates` builds them for a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_lib._lazy import lazy_exports

if TYPE_CHECKING:
    from pipeline_lib.query._aggregates import (
        AGGREGATE_TABLES,
        AggregateSettings,
        aggregate_settings,
        load_aggregate,
        run_aggregate,
        write_aggregate,
        write_aggregates,
    )
    from pipeline_lib.query._athena import AthenaEngine, athena_literal, athena_request
    from pipeline_lib.query._cost import (
        QueryBudgetError,
        QuerySettings,
        ScanEstimate,
        TableScan,
        estimate_scan,
        format_bytes,
        query_settings,
    )
    from pipeline_lib.query._dialect import bind_literals, pin_current_date, to_duckdb, to_qmark
    from pipeline_lib.query._duckdb import (
        DuckDBEngine,
        PreparedQuery,
        QueryExecutionError,
        QueryResult,
        resolve_current_date,
    )
    from pipeline_lib.query._loader import (
        NamedQuery,
        ParamSpec,
        QueryDefaults,
        QueryError,
        load_queries,
        load_query,
        query_names,
        sql_dir,
    )

__all__ = [
    "AGGREGATE_TABLES",
    "AggregateSettings",
    "AthenaEngine",
    "DuckDBEngine",
    "NamedQuery",
    "ParamSpec",
    "PreparedQuery",
    "QueryBudgetError",
    "QueryDefaults",
    "QueryError",
    "QueryExecutionError",
    "QueryResult",
    "QuerySettings",
    "ScanEstimate",
    "TableScan",
    "aggregate_settings",
    "athena_literal",
    "athena_request",
    "bind_literals",
    "estimate_scan",
    "format_bytes",
    "load_aggregate",
    "load_queries",
    "load_query",
    "pin_current_date",
    "query_names",
    "query_settings",
    "resolve_current_date",
    "run_aggregate",
    "sql_dir",
    "to_duckdb",
    "to_qmark",
    "write_aggregate",
    "write_aggregates",
]

if not TYPE_CHECKING:  # imported on first use: see pipeline_lib._lazy
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "._aggregates": (
                "AGGREGATE_TABLES",
                "AggregateSettings",
                "aggregate_settings",
                "load_aggregate",
                "run_aggregate",
                "write_aggregate",
                "write_aggregates",
            ),
            "._athena": ("AthenaEngine", "athena_literal", "athena_request"),
            "._cost": (
                "QueryBudgetError",
                "QuerySettings",
                "ScanEstimate",
                "TableScan",
                "estimate_scan",
                "format_bytes",
                "query_settings",
            ),
            "._dialect": ("bind_literals", "pin_current_date", "to_duckdb", "to_qmark"),
            "._duckdb": (
                "DuckDBEngine",
                "PreparedQuery",
                "QueryExecutionError",
                "QueryResult",
                "resolve_current_date",
            ),
            "._loader": (
                "NamedQuery",
                "ParamSpec",
                "QueryDefaults",
                "QueryError",
                "load_queries",
                "load_query",
                "query_names",
                "sql_dir",
            ),
        },
    )
