"""``ecom-pipeline run``: one pipeline run, with progress and a summary of where rows went."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline_lib.cli._state import state

if TYPE_CHECKING:
    from pipeline_lib.config import Settings
    from pipeline_lib.orchestration.pipeline import RunResult
    from pipeline_lib.storage import Lake

_STATUS_STYLE = {"succeeded": "green", "failed": "red", "skipped": "yellow"}


def run_command(
    ctx: typer.Context,
    run_date: Optional[str] = typer.Option(
        None, "--date", help="The run's logical date, YYYY-MM-DD (default: today, UTC)."
    ),
    run_id: Optional[str] = typer.Option(
        None, "--run-id", help="Name the run (default: new); an id that already ran is refused."
    ),
    reports: Path = typer.Option(
        Path("reports"), "--reports", help="Executed notebooks go to <reports>/runs/<run_id>/."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as JSON."),
    full_refresh: bool = typer.Option(
        False,
        "--full-refresh",
        help="Rebuild every table from all accepted files (backfill, recovery) instead of "
        "merging the files that arrived since the published run.",
    ),
) -> None:
    """Run the pipeline: ingest new raw files, ETL notebooks, merge, audit, publish.

    A run reads the files that arrived since the published run and rewrites only the
    partitions they touch; --full-refresh rebuilds everything from the raw zone.

    Executes the Step Functions definition (terraform/modules/step-functions/
    state-machine.json) locally. The ETL notebooks run in parallel with papermill; their
    executed copies are the run's audit trail. Tables become visible (catalog views in
    lake/_meta/catalog.duckdb) only when the audit passes; a failed run leaves the
    published tables as they were. `ecom-pipeline runs show RUN_ID` prints the history.

    Example: ecom-pipeline --lake lake run --date 2026-11-28
    """
    from pipeline_lib.orchestration.pipeline import run_pipeline

    cli = state(ctx)
    as_of = date.fromisoformat(run_date) if run_date else datetime.now(timezone.utc).date()
    console = Console()
    if as_json:
        result = run_pipeline(
            cli.any_lake,
            cli.settings,
            as_of=as_of,
            run_id=run_id,
            reports_dir=reports,
            full_refresh=full_refresh,
        )
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        result = run_with_progress(
            cli.any_lake, cli.settings, as_of, run_id, reports, console, full_refresh=full_refresh
        )
        render_run(result, cli.any_lake, console)
    if not result.succeeded:
        raise typer.Exit(1)


def run_with_progress(
    lake: Lake,
    settings: Settings,
    as_of: date,
    run_id: Optional[str],
    reports: Path,
    console: Console,
    *,
    full_refresh: bool = False,
) -> RunResult:
    """Run with a live status line naming the steps in progress."""
    from pipeline_lib.orchestration.pipeline import run_pipeline

    running: list[str] = []
    with console.status("starting run") as status:

        def on_progress(step: str, event: str) -> None:
            if event == "started":
                running.append(step)
            elif step in running:
                running.remove(step)
                console.log(f"finished {escape(step)}")
            status.update(f"running: {escape(', '.join(running)) or '...'}")

        return run_pipeline(
            lake,
            settings,
            as_of=as_of,
            run_id=run_id,
            reports_dir=reports,
            on_progress=on_progress,
            full_refresh=full_refresh,
        )


def render_run(result: RunResult, lake: Lake, console: Console) -> None:
    """Steps with durations, rows per table, the row accounting, then the verdict."""

    steps = Table(title="Steps", header_style="bold", title_justify="left")
    steps.add_column("step")
    steps.add_column("status", no_wrap=True)
    steps.add_column("seconds", justify="right", no_wrap=True)
    for step in result.steps:
        style = _STATUS_STYLE.get(step.status, "")
        steps.add_row(escape(step.name), f"[{style}]{step.status}[/]", f"{step.seconds:.1f}")
    console.print(steps)

    if result.versions:
        tables = Table(title="Tables written", header_style="bold", title_justify="left")
        for column in ("table", "rows", "files", "MiB"):
            tables.add_column(column, justify="left" if column == "table" else "right")
        for version in result.versions:
            tables.add_row(
                version.qualified_name,
                f"{version.rows:,}",
                str(version.files),
                f"{version.bytes / 2**20:.1f}",
            )
        console.print(tables)

    if result.accounting:
        rows = Table(title="Where every row went", header_style="bold", title_justify="left")
        for column in ("dataset", "stage", "in", "out", "rejected", "duplicates"):
            rows.add_column(column, justify="left" if column in ("dataset", "stage") else "right")
        # An incremental run merges its rows into the live tables: say what it kept of them.
        merged = any(entry.carried or entry.replaced for entry in result.accounting)
        if merged:
            rows.add_column("live rows kept (replaced)", justify="right")
        rows.add_column("reject reasons", overflow="fold")
        for entry in result.accounting:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(entry.rejected.items()))
            live = (
                [
                    f"{entry.carried:,} ({entry.replaced:,})"
                    if entry.carried or entry.replaced
                    else ""
                ]
                if merged
                else []
            )
            rows.add_row(
                entry.dataset,
                entry.stage,
                f"{entry.rows_in:,}",
                f"{entry.rows_out:,}",
                f"{entry.rows_rejected:,}",
                f"{entry.duplicates_removed:,}",
                *live,
                escape(reasons),
            )
        console.print(rows)

    quality = result.quality_summary()
    if quality is not None:
        style = {"pass": "green", "warn": "yellow", "fail": "red"}[quality["status"]]
        console.print(
            f"quality [{style}]{quality['status']}[/]: {quality['rules']} rules, "
            f"{quality['failed']} failed, {quality['warnings']} warnings, "
            f"{quality['anomalies']} anomalies",
            highlight=False,
        )
        for rule in result.audit.rules if result.audit else []:
            if rule.status != "pass":
                console.print(
                    f"  {rule.status} {escape(rule.rule)} on {escape(rule.subject)}: "
                    f"{escape(rule.detail)}",
                    highlight=False,
                )
    if result.quality_report is not None:
        console.print(f"quality report: {result.quality_report}", highlight=False)
    for step in result.steps:
        if step.name == "analytics_reports":  # rendered after the publish
            console.print(f"analytics reports: {escape(step.detail)}", highlight=False)
    console.print(f"executed notebooks: {result.reports_dir}", highlight=False)
    if result.succeeded:
        console.print(
            f"[green]run {result.run_id} succeeded[/] in {result.seconds:.1f} s; tables live in "
            f"{_where_live(lake)}",
            highlight=False,
        )
    else:
        where = f" in {escape(result.failed_state)}" if result.failed_state else ""
        console.print(
            f"[bold red]run {result.run_id} failed{where}:[/] {escape(result.error or '')}",
            highlight=False,
        )
    console.print(f"execution history: ecom-pipeline runs show {result.run_id}", highlight=False)


def _where_live(lake: Lake) -> str:
    """Where the published tables are read: the local catalog, or the Glue databases."""
    from pipeline_lib.catalog import CATALOG_KEY
    from pipeline_lib.storage import LocalLake, Zone

    if isinstance(lake, LocalLake):
        return str(lake.path(Zone.META, CATALOG_KEY))
    return f"the Glue Data Catalog (Athena), lake {lake.location}"
