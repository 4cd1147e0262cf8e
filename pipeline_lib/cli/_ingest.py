"""``ecom-pipeline ingest``: validate files and land them in the raw zone or quarantine."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline_lib.cli._state import state

if TYPE_CHECKING:
    from pipeline_lib.config import IngestionSettings
    from pipeline_lib.ingestion import FileResult, IngestReport
    from pipeline_lib.storage import Lake

logger = logging.getLogger(__name__)


def _status_style(status: str) -> str:
    from pipeline_lib.ingestion import ACCEPTED, DUPLICATE, QUARANTINED

    return {ACCEPTED: "green", QUARANTINED: "red", DUPLICATE: "yellow"}.get(status, "")


def ingest_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ...,
        help="Files or folders to ingest (folders recursively; hidden files and "
        "manifest.json skipped).",
        show_default=False,
    ),
    dataset: Optional[str] = typer.Option(
        None,
        "--dataset",
        help="Dataset of every file (transactions, products, clickstream, reviews) instead "
        "of recognizing it from the file name.",
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit with code 1 if any file is quarantined."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON instead of a table."
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        min=0.0,
        help="Seconds to wait for a run in progress on the lake to end (default: refuse at once).",
    ),
) -> None:
    """Validate raw files against their data contracts and land them in the lake.

    Accepted files are copied unchanged to raw/<dataset>/ingest_date=<today>/; files that
    fail a check are copied to quarantine/ with an .error.json beside them and a dead
    letter in _meta/dead_letter.jsonl; content already accepted is skipped as a duplicate.
    Rows with unparseable values go to quarantine/rejects/ while the rest of the file is
    accepted.

    Example: ecom-pipeline --lake lake ingest data/ extra/reviews_2025.csv.gz

    Ingest and runs take turns: while a run is in progress on the lake, ingest exits 1
    saying so (or waits up to --wait seconds), so a run never sees half of a new batch.

    Exit code 0 when every file was handled (accepted, quarantined or duplicate);
    with --strict, 1 when any file was quarantined.
    """
    from pipeline_lib.ingestion import QUARANTINED, collect_files, ingest_paths
    from pipeline_lib.orchestration.pipeline import run_lock

    lake = state(ctx).any_lake
    settings = state(ctx).settings.ingestion
    console = Console()
    files = collect_files(paths)
    with run_lock(lake, purpose="ingest", wait_seconds=wait):
        if as_json:
            report = ingest_paths(files, lake, settings, dataset=dataset)
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            report = _ingest_with_progress(files, lake, settings, dataset, console)
            render_ingest_report(report, console)
    if strict and report.counts[QUARANTINED]:
        raise typer.Exit(1)


def _ingest_with_progress(
    files: list[Path],
    lake: Lake,
    settings: IngestionSettings,
    dataset: Optional[str],
    console: Console,
) -> IngestReport:
    from pipeline_lib.ingestion import ingest_paths

    progress = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(files[0].name if files else "", total=len(files))

        def advance(result: FileResult) -> None:
            index = int(progress.tasks[0].completed) + 1
            upcoming = files[index].name if index < len(files) else ""
            progress.update(task, advance=1, description=escape(upcoming))

        return ingest_paths(files, lake, settings, dataset=dataset, on_file=advance)


def render_ingest_report(report: IngestReport, console: Console) -> None:
    """Print one row per file and the one-line total.

    Parameters
    ----------
    report
        The report of :func:`pipeline_lib.ingestion.ingest_paths`.
    console
        Where to print.
    """
    reasons = [_reason_text(result) for result in report.results]
    table = Table(show_lines=False, header_style="bold")
    table.add_column("file", overflow="fold")
    for name in ("dataset", "status"):
        table.add_column(name, no_wrap=True)
    table.add_column("accepted", justify="right", no_wrap=True)
    table.add_column("rejected", justify="right", no_wrap=True)
    table.add_column("route", no_wrap=True)
    for result in report.results:
        style = _status_style(result.status)
        cells = [
            escape(result.source.name),
            result.dataset or "-",
            f"[{style}]{result.status}[/]",
            f"{result.rows_accepted:,}",
            f"{result.rows_rejected:,}",
            result.route or "-",
        ]
        table.add_row(*cells)
    if report.results:
        console.print(table)
    # Reasons are long (paths, figures): full lines under the table read better than cells.
    for result, reason in zip(report.results, reasons):
        if reason:
            style = _status_style(result.status)
            console.print(
                f"[{style}]{escape(result.source.name)}[/] ({result.status}): {escape(reason)}",
                highlight=False,
            )
    console.print(report.summary(), highlight=False)


def _reason_text(result: FileResult) -> str:
    if result.reason:
        prefix = f"{result.check}: " if result.check else ""
        return prefix + result.reason
    if result.reject_reasons:
        return ", ".join(f"{k} x{v:,}" for k, v in sorted(result.reject_reasons.items()))
    return ""
