"""``ecom-pipeline demo``: generate sample data, ingest it, and show where it all landed."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from pipeline_lib.cli._generate import render_generation
from pipeline_lib.cli._ingest import render_ingest_report
from pipeline_lib.cli._run import render_run, run_with_progress
from pipeline_lib.cli._state import state

console = Console()


def demo_command(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("data/demo"), "--out", help="Folder for the generated sample files."
    ),
    transactions: int = typer.Option(
        100_000, "--transactions", min=100, help="Transaction lines to generate."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same data."),
    end_date: Optional[str] = typer.Option(
        None, "--end-date", help="Last day of data, YYYY-MM-DD (default: today, UTC)."
    ),
    reports: Path = typer.Option(
        Path("reports"), "--reports", help="Executed notebooks go to <reports>/runs/<run_id>/."
    ),
    dirty_rate: float = typer.Option(
        0.01,
        "--dirty-rate",
        min=0.0,
        max=0.2,
        help="Share of rows with real-feed imperfections (the ETL cleans them).",
    ),
) -> None:
    """Generate sample data, ingest it, run the pipeline, and show where everything landed.

    Example: ecom-pipeline --lake lake demo --transactions 20000

    Running it again with the same options finds the same files already ingested
    (content hashes in the ledger) and processes nothing twice.
    """
    from pipeline_lib.catalog import CATALOG_KEY
    from pipeline_lib.generators import GeneratorConfig, generate_all
    from pipeline_lib.ingestion import ingest_paths
    from pipeline_lib.orchestration.pipeline import run_lock
    from pipeline_lib.storage import Zone

    lake = state(ctx).lake
    settings = state(ctx).settings
    last_day = date.fromisoformat(end_date) if end_date else datetime.now(timezone.utc).date()
    started = time.perf_counter()

    console.rule("[bold]1/3 Generate sample data")
    config = GeneratorConfig(
        transactions=transactions, seed=seed, end_date=last_day, dirty_rate=dirty_rate
    )
    generated = generate_all(out, config)
    render_generation(generated, console)

    console.rule("[bold]2/3 Validate and ingest into the raw zone")
    with run_lock(lake, purpose="ingest"):
        report = ingest_paths(
            [generated.files[name] for name in sorted(generated.files)],
            lake,
            settings.ingestion,
        )
    render_ingest_report(report, console)

    console.rule("[bold]3/3 ETL notebooks, audit, publish")
    run = run_with_progress(lake, settings, last_day, None, reports, console)
    render_run(run, lake, console)

    elapsed = time.perf_counter() - started
    where = Table.grid(padding=(0, 2))
    where.add_column(style="bold")
    where.add_column()
    where.add_row("sample files", str(out.resolve()))
    where.add_row("raw zone", f"{lake.path(Zone.RAW)}  ({len(lake.list_keys(Zone.RAW))} files)")
    quarantined = [k for k in lake.list_keys(Zone.QUARANTINE, "files") if k.endswith(".json")]
    rejects = lake.list_keys(Zone.QUARANTINE, "rejects")
    rejects += lake.list_keys(Zone.QUARANTINE, "etl_rejects")
    where.add_row(
        "quarantine",
        f"{lake.path(Zone.QUARANTINE)}  ({len(quarantined)} files, {len(rejects)} row-reject sets)",
    )
    where.add_row("curated tables", f"{lake.path(Zone.CURATED)}  (views in the catalog)")
    where.add_row("catalog", str(lake.path(Zone.META, CATALOG_KEY)))
    where.add_row("executed notebooks", str(run.reports_dir))
    analytics = reports / "analytics" / "index.html"
    if analytics.is_file():
        where.add_row("analytics reports", str(analytics))
    where.add_row("ledger", str(lake.path(Zone.META, "ingestion.sqlite")))
    where.add_row("dead letters", str(lake.path(Zone.META, "dead_letter.jsonl")))
    where.add_row("manifest", str(generated.manifest_path))
    console.print(
        Panel(
            where,
            title=f"Demo {'finished' if run.succeeded else 'FAILED'} in {elapsed:.1f} s: "
            "where everything landed",
            subtitle="query the catalog with DuckDB: see the README",
        )
    )
    if not run.succeeded:
        raise typer.Exit(1)
