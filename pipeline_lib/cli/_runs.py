"""``ecom-pipeline runs``: past runs, and one run's execution history."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline_lib.cli._state import state
from pipeline_lib.exceptions import PipelineError

runs_app = typer.Typer(
    help="Past runs: status, duration, failed state; `runs show RUN_ID` for the history.",
    no_args_is_help=False,
    invoke_without_command=True,
)
_STYLE = {"succeeded": "green", "failed": "red", "interrupted": "yellow", "running": "cyan"}


@runs_app.callback()
def runs_command(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", help="Show this many runs, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """List past runs, newest first: status, trigger, start, duration and failed state.

    A run without a record was interrupted (the process was killed), or is still running.

    Example: ecom-pipeline runs -n 5
    """
    if ctx.invoked_subcommand is not None:
        return
    from pipeline_lib.execution.history import list_runs
    from pipeline_lib.orchestration.pipeline import lake_is_busy

    lake = state(ctx).any_lake
    runs = sorted(list_runs(lake), key=lambda r: r.started_at or "", reverse=True)[:limit]
    busy = lake_is_busy(lake)
    rows = []
    for index, run in enumerate(runs):
        status = run.status
        if status == "interrupted" and busy and index == 0:
            status = "running"
        rows.append({**asdict(run), "status": status})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console = Console()
    if not rows:
        console.print(f"no runs yet in {lake.location} (start one with `ecom-pipeline run`)")
        return
    failures = any(row["failed_state"] or row["error"] for row in rows)
    table = Table(header_style="bold")
    for column in ("run id", "status", "trigger", "started (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    if failures:  # the columns that explain a failure, only when there is one
        table.add_column("failed state", overflow="fold")
        table.add_column("error", overflow="ellipsis", max_width=80)
    for row in rows:
        style = _STYLE.get(row["status"], "")
        seconds = f"{row['seconds']:.1f}" if row["seconds"] is not None else ""
        started = (row["started_at"] or "")[:16].replace("T", " ")
        cells = [
            escape(row["run_id"]),
            f"[{style}]{row['status']}[/]",
            row["trigger"] or "",
            started,
            seconds,
        ]
        if failures:
            cells += [escape(row["failed_state"] or ""), escape(row["error"] or "")]
        table.add_row(*cells)
    console.print(table)


@runs_app.command("show")
def show_command(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run id (see `ecom-pipeline runs`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON lines."),
) -> None:
    """Print a run's execution history: states entered and exited, task failures, retries.

    Example: ecom-pipeline runs show 20261128T075012Z-3f9a1c
    """
    from pipeline_lib.execution.history import failure_of, load_history, record_key
    from pipeline_lib.storage import Zone

    lake = state(ctx).any_lake
    events = load_history(lake, run_id)
    if not events:
        raise PipelineError(
            f"no execution history for run {run_id!r} in {lake.location} "
            "(list runs with `ecom-pipeline runs`)"
        )
    if as_json:
        for event in events:
            typer.echo(json.dumps(event, default=str))
        return
    console = Console()
    table = Table(header_style="bold", title=f"run {escape(run_id)}", title_justify="left")
    for column in ("#", "time (UTC)", "event", "state", "detail"):
        table.add_column(column, overflow="fold")
    for event in events:
        table.add_row(
            str(event["id"]),
            str(event["timestamp"])[11:23],
            event["type"],
            escape(event.get("state") or ""),
            escape(_detail(event.get("details") or {})),
        )
    console.print(table)
    if lake.exists(Zone.META, record_key(run_id)):
        record = json.loads(lake.read_bytes(Zone.META, record_key(run_id)))
        style = _STYLE.get(record["status"], "")
        console.print(
            f"[{style}]{record['status']}[/] in {record['seconds']:.1f} s", highlight=False
        )
    else:
        console.print("[yellow]no run record: the run was interrupted or is still running[/]")
    failure = failure_of(events)
    if failure is not None:
        console.print(
            f"failed state: {escape(failure.state)} ({escape(failure.error)}): "
            f"{escape(failure.message[:500])}",
            highlight=False,
        )


def _detail(details: dict[str, Any]) -> str:
    if "error" in details:
        attempt = (
            f" retry {details['attempt']} in {details['delay_seconds']:g} s"
            if ("attempt" in details)
            else ""
        )
        return f"{details['error']}{attempt}: {str(details.get('cause', ''))[:160]}"
    if "resource" in details:
        return str(details["resource"]).rsplit(":::", 1)[-1]
    return ""
