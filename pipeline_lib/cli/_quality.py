"""``ecom-pipeline quality``: the data quality audit of the live tables, with its report."""

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
from pipeline_lib.exceptions import PipelineError

if TYPE_CHECKING:
    from pipeline_lib.quality import QualityReport
    from pipeline_lib.storage import Lake


def quality_command(
    ctx: typer.Context,
    output_format: str = typer.Option(
        "table", "--format", help="table (readable) or json (the saved quality report)."
    ),
    reports: Path = typer.Option(
        Path("reports"),
        "--reports",
        help="The executed notebook goes to <reports>/runs/<run_id>/, the HTML report to "
        "<reports>/quality/<date>/.",
    ),
    run_date: Optional[str] = typer.Option(
        None, "--date", help="As-of date for freshness, YYYY-MM-DD (default: today, UTC)."
    ),
) -> None:
    """Audit the live tables: every quality rule and anomaly; exit 1 if a critical rule fails.

    Runs the quality notebook on the published tables with the rules of params/<env>.yaml
    (`quality:`), saves lake/_meta/runs/<run_id>/quality.json and renders the HTML report.

    Example: ecom-pipeline --lake lake quality --format table --reports reports
    """
    if output_format not in ("table", "json"):
        raise PipelineError(f"--format must be table or json, got {output_format!r}")
    from pipeline_lib.execution.notebooks import run_notebook
    from pipeline_lib.orchestration.audit_step import QUALITY_NOTEBOOK
    from pipeline_lib.quality.audit import load_report

    cli = state(ctx)
    now = datetime.now(timezone.utc)
    as_of = date.fromisoformat(run_date) if run_date else now.date()
    run_id = f"quality-{now.strftime('%Y%m%dT%H%M%S%fZ')}"
    folder = reports / "runs" / run_id
    executed = run_notebook(
        QUALITY_NOTEBOOK,
        output_dir=folder,
        parameters={
            "lake": cli.any_lake.location,
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "env": cli.settings.env,
            "staged": False,
        },
    )
    report = load_report(cli.any_lake, run_id)
    html = _render(executed.executed_path, cli.any_lake, as_of, reports)
    if output_format == "json":
        typer.echo(
            json.dumps(
                {**report.to_dict(), "report": str(html) if html else None}, indent=2, default=str
            )
        )
    else:
        render_quality(report, Console(), html)
    if not report.publishable:
        raise typer.Exit(1)


def _render(executed: Path, lake: Lake, as_of: date, reports: Path) -> Optional[Path]:
    from pipeline_lib.quality.report import render_report

    return render_report(executed, lake=lake, as_of=as_of, reports_dir=reports)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:6])
        return shown + (", ..." if len(value) > 6 else "")
    return "" if value is None else str(value)


def render_quality(report: QualityReport, console: Console, html: Optional[Path] = None) -> None:
    """Every rule's outcome (failures first), every anomaly, then the verdict and report."""
    from pipeline_lib.quality import FAIL, PASS, WARN

    styles = {PASS: "green", WARN: "yellow", FAIL: "red"}
    rules = Table(title="Rules", header_style="bold", title_justify="left")
    for column in ("rule", "table", "column", "severity", "status", "observed", "threshold"):
        rules.add_column(column, overflow="fold")
    order = {FAIL: 0, WARN: 1, PASS: 2}
    for rule in sorted(report.rules, key=lambda r: (order[r.status], r.table, r.rule)):
        style = styles[rule.status]
        rules.add_row(
            escape(rule.rule),
            escape(rule.table),
            escape(rule.column or ""),
            rule.severity,
            f"[{style}]{rule.status}[/]",
            escape(_text(rule.observed)),
            escape(_text(rule.threshold)),
        )
    console.print(rules)
    if report.anomalies:
        anomalies = Table(title="Anomalies", header_style="bold", title_justify="left")
        for column in ("metric", "day", "observed", "expected range", "direction", "explanation"):
            anomalies.add_column(column, overflow="fold")
        for a in report.anomalies:
            anomalies.add_row(
                escape(a.metric),
                a.day,
                f"{a.observed:g}",
                f"{a.low:g} .. {a.high:g} (expected {a.expected:g})",
                a.direction,
                escape(a.explanation),
            )
        console.print(anomalies)
    else:
        console.print("anomalies: none", highlight=False)
    counts = {s: sum(r.status == s for r in report.rules) for s in (PASS, WARN, FAIL)}
    style = styles[report.status]
    console.print(
        f"quality [{style}]{report.status}[/]: {len(report.rules)} rules, {counts[FAIL]} failed, "
        f"{counts[WARN]} warnings, {len(report.anomalies)} anomalies in {report.seconds:.1f} s "
        f"(run {report.run_id}, as of {report.as_of})",
        highlight=False,
    )
    if html is not None:
        console.print(f"report: {html}", highlight=False)
