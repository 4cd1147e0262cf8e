"""``ecom-pipeline query``: run a named query of ``sql/`` on the lake with DuckDB."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline_lib.cli._options import parse_date, parse_params
from pipeline_lib.cli._state import state

if TYPE_CHECKING:
    from pipeline_lib.query import DuckDBEngine, NamedQuery, PreparedQuery, QueryResult

logger = logging.getLogger(__name__)

FORMATS = ("table", "json", "csv")


def query_command(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(
        None, help="Named query (a file in sql/); omit to list the queries."
    ),
    param: Optional[list[str]] = typer.Option(
        None, "--param", "-p", help="Parameter as NAME=VALUE; repeat for several."
    ),
    output: str = typer.Option("table", "--format", "-f", help="Output: table, json or csv."),
    explain: bool = typer.Option(
        False, "--explain", help="Show what the query would scan (partitions, files, bytes)."
    ),
    as_of: Optional[str] = typer.Option(
        None,
        "--as-of",
        help="Day CURRENT_DATE stands for, YYYY-MM-DD (default: the live run's date).",
    ),
) -> None:
    """Run a named analytics query (Athena SQL of record) on the lake with DuckDB.

    JSON output is a list of row objects. CSV output is for spreadsheets: a text cell that
    starts with =, +, -, @, a tab or a carriage return gets a leading ' so that it is shown
    as text, never run as a formula. The query is refused, like Athena does, when it
    would scan more than the workgroup's bytes_scanned_cutoff (params/<env>.yaml).

    On an S3 lake (--env dev, or --lake s3://...) DuckDB reads the published tables
    from S3 directly; Athena runs the same SQL as the environment's saved queries.

    Example: ecom-pipeline --lake lake query top_products --param days=7 --format json
    """
    from pipeline_lib.analytics.settings import analytics_settings
    from pipeline_lib.query import (
        DuckDBEngine,
        QueryError,
        load_queries,
        load_query,
        query_settings,
    )

    if output not in FORMATS:
        raise QueryError(f"unknown format {output!r}; use one of {', '.join(FORMATS)}")
    console = Console()
    cli = state(ctx)
    # The deployment's defaults (analytics.recommendations for product_recommendations).
    defaults = analytics_settings(cli.settings).query_defaults()
    if name is None:
        _list_queries(console, load_queries(defaults=defaults))
        return
    query = load_query(name, defaults=defaults)
    params = parse_params(param or [], QueryError)
    pinned = parse_date(as_of, "--as-of", QueryError)
    engine = DuckDBEngine(cli.any_lake, query_settings(cli.settings), as_of=pinned)
    if explain:
        prepared = engine.explain(query, params)
        if output == "json":
            typer.echo(json.dumps(_explain_dict(prepared, engine), indent=2))
        else:
            _render_explain(prepared, engine, console)
        return
    result = engine.run(query, params)
    if output == "json":
        typer.echo(json.dumps(result.to_records(), indent=2))
    elif output == "csv":
        typer.echo(_to_csv(result), nl=False)
    else:
        _render_table(result, console)


def _list_queries(console: Console, queries: list[NamedQuery]) -> None:
    table = Table(title="Named queries (sql/)", header_style="bold", title_justify="left")
    table.add_column("query", no_wrap=True)
    table.add_column("question", overflow="fold")
    table.add_column("parameters", overflow="fold")
    for query in queries:
        params = "\n".join(f"{p.name}: {p.describe_rule()}" for p in query.params)
        table.add_row(query.name, escape(query.question), escape(params or "-"))
    console.print(table)
    console.print("run one: ecom-pipeline query NAME [--param NAME=VALUE ...]", highlight=False)


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _render_table(result: QueryResult, console: Console) -> None:
    from pipeline_lib.query import format_bytes

    table = Table(header_style="bold")
    for column in result.columns:
        table.add_column(escape(column), overflow="fold")
    for row in result.rows:
        table.add_row(*(escape(_display(v)) for v in row))
    console.print(table)
    console.print(
        f"{len(result.rows):,} rows in {result.seconds:.2f} s; scanned about "
        f"{format_bytes(result.estimate.bytes_read)}; current_date = "
        f"{result.current_date.isoformat()}",
        highlight=False,
    )


def _to_csv(result: QueryResult) -> str:
    # This CSV is opened in spreadsheets: text from the data (product names) must not
    # run as a formula there; to_csv escapes such cells.
    from pipeline_lib.query.csv_export import to_csv

    return to_csv(result.columns, (list(r.values()) for r in result.to_records()))


def _explain_dict(prepared: PreparedQuery, engine: DuckDBEngine) -> dict[str, object]:
    return {
        "query": prepared.query.name,
        "current_date": prepared.current_date.isoformat(),
        "params": {k: str(v) for k, v in prepared.params.items()},
        "workgroup": engine.settings.workgroup,
        "bytes_scanned_cutoff": engine.settings.bytes_scanned_cutoff,
        "within_cutoff": prepared.estimate.bytes_read <= engine.settings.bytes_scanned_cutoff,
        "unfiltered_facts": prepared.estimate.unfiltered_facts,
        **prepared.estimate.to_dict(),
        "duckdb_sql": prepared.sql,
    }


def _render_explain(prepared: PreparedQuery, engine: DuckDBEngine, console: Console) -> None:
    from pipeline_lib.query import format_bytes

    table = Table(
        title=f"{prepared.query.name}: estimated scan", header_style="bold", title_justify="left"
    )
    for column in ("table", "date filter", "partitions", "files", "row groups", "bytes"):
        table.add_column(column, justify="left" if column in ("table", "date filter") else "right")
    for scan in prepared.estimate.scans:
        if scan.has_date_filter:
            window = f"{scan.window[0]} .. {scan.window[1] or ''}"
        else:
            window = "none: full scan" if scan.partitioned else "-"
        table.add_row(
            scan.table,
            window,
            f"{scan.partitions_read}/{scan.partitions_total}" if scan.partitioned else "-",
            f"{scan.files_read}/{scan.files_total}",
            f"{scan.row_groups_read}/{scan.row_groups_total}",
            f"{format_bytes(scan.bytes_read)} of {format_bytes(scan.bytes_total)}",
        )
    console.print(table)
    total, cutoff = prepared.estimate.bytes_read, engine.settings.bytes_scanned_cutoff
    verdict = "[green]within[/]" if total <= cutoff else "[bold red]over[/]"
    console.print(
        f"total {format_bytes(total)}: {verdict} the {format_bytes(cutoff)} cutoff of workgroup "
        f"{escape(engine.settings.workgroup)}; current_date = {prepared.current_date}",
        highlight=False,
    )
