"""``ecom-pipeline report``: render one analytics notebook as an HTML report, on demand."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline_lib.cli._options import parse_date, parse_params
from pipeline_lib.cli._state import state


def report_command(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(
        None, help="Analytics notebook (notebooks/analytics/NAME.py); omit to list them."
    ),
    param: Optional[list[str]] = typer.Option(
        None, "--param", "-p", help="Notebook parameter as NAME=VALUE; repeat for several."
    ),
    run_date: Optional[str] = typer.Option(
        None, "--date", help="Day analysed, YYYY-MM-DD (default: the live run's date)."
    ),
    reports: Path = typer.Option(
        Path("reports"),
        "--reports",
        help="The report goes to <reports>/analytics/<date>/NAME.html.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report's record as JSON."),
) -> None:
    """Render an analytics notebook on the live tables as an HTML report.

    Runs notebooks/analytics/NAME.py with papermill (its parameters cell's defaults,
    overridden by --param), keeps the executed notebook and converts it with nbconvert,
    without code, to <reports>/analytics/<date>/NAME.html; the indexes and
    <reports>/analytics/latest.json (linked from the dashboard) are refreshed. Every run
    renders all of them after its publish; this renders one when you need it now or with
    other parameters. Exits 1 when the notebook failed (the report shows where).

    Example: ecom-pipeline --lake lake report top_products_by_category --param days=7
    """
    from pipeline_lib.analytics.reports import convert_parameters, render_report

    console = Console()
    if name is None:
        _list_reports(console)
        return
    cli = state(ctx)
    parameters = convert_parameters(name, parse_params(param or []))
    day = parse_date(run_date, "--date")
    report = render_report(
        name,
        lake=cli.lake,
        reports_dir=reports,
        as_of=day,
        env=cli.settings.env,
        parameters=parameters,
    )
    page = reports / "analytics" / report.html
    if as_json:
        typer.echo(json.dumps({**asdict(report), "path": str(page)}, indent=2, default=str))
    else:
        for sentence in report.conclusions:
            console.print(f"- {escape(sentence)}", highlight=False)
        verdict = (
            "[green]ok[/]" if report.ok else f"[bold red]failed[/]: {escape(report.error or '')}"
        )
        console.print(
            f"report {escape(report.title)} ({verdict}, {report.seconds:.1f} s): "
            f"{escape(str(page))}",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(1)


def _list_reports(console: Console) -> None:
    from pipeline_lib.analytics.reports import notebook_parameters
    from pipeline_lib.analytics.settings import notebook_names

    table = Table(
        title="Analytics reports (notebooks/analytics/)", header_style="bold", title_justify="left"
    )
    table.add_column("report", no_wrap=True)
    table.add_column("parameters (default: meaning)", overflow="fold")
    for name in notebook_names():
        shown = [
            f"{p.name} = {p.default!r}: {p.help}"
            for p in notebook_parameters(name)
            if p.name not in ("lake", "as_of", "env")
        ]
        table.add_row(name, escape("\n".join(shown) or "-"))
    console.print(table)
    console.print("render one: ecom-pipeline report NAME [--param NAME=VALUE ...]", highlight=False)
