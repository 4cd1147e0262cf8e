"""The pass/warn/fail banner of a report, and the summary it records for the index."""

from __future__ import annotations

import html
from typing import Any

from pipeline_lib.quality._model import FAIL, PASS, WARN, QualityReport
from pipeline_lib.quality._style import STATUS_ORDER, status_color

#: Output metadata key under which the banner records the report's summary; the HTML
#: report reads the status from it.
SUMMARY_KEY = "pipeline_lib.quality"
STATUS_HEADLINES = {
    PASS: "every rule passed and no metric left its expected range",
    WARN: "warnings or anomalies: reported, publish goes on",
    FAIL: "a critical rule failed: publish is blocked",
}


def report_summary(report: QualityReport) -> dict[str, Any]:
    """Run, date, status and counts: what the banner shows and the reports index lists."""
    return {
        "run_id": report.run_id,
        "as_of": report.as_of,
        "status": report.status,
        **report.counts(),
        "seconds": round(report.seconds, 3),
    }


def status_banner_html(report: QualityReport, *, max_listed: int = 5) -> str:
    """A large coloured pass/warn/fail banner; every text in it is escaped.

    Lists up to ``max_listed`` failed then warned rules and anomalies under the headline.
    """
    summary = report_summary(report)
    status = str(summary["status"])
    color = status_color(status)
    counts = (
        f"{summary['rules']} rules: {summary['passed']} passed, {summary['warnings']} warned, "
        f"{summary['failed']} failed · {summary['anomalies']} anomalies"
    )
    problems = [
        f"{r.status.upper()} {r.rule} on {r.subject}"
        + (f" (observed {r.observed}, threshold {r.threshold})" if r.observed is not None else "")
        for r in sorted(report.rules, key=lambda r: STATUS_ORDER.get(r.status, 3))
        if r.status != PASS
    ] + [f"ANOMALY {a.metric} on {a.day}: {a.explanation}" for a in report.anomalies]
    listed = "".join(f"<li>{html.escape(p)}</li>" for p in problems[:max_listed]) + (
        f"<li>… and {len(problems) - max_listed} more</li>" if len(problems) > max_listed else ""
    )
    return (
        f'<div class="quality-banner" data-status="{html.escape(status)}" '
        f'style="background:{color};color:#fff;padding:18px 24px;border-radius:8px;'
        f'font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:8px 0;">'
        f'<div style="font-size:34px;font-weight:700;letter-spacing:0.06em;">'
        f"{html.escape(status.upper())}</div>"
        f'<div style="font-size:16px;margin-top:4px;">'
        f"{html.escape(STATUS_HEADLINES.get(status, ''))}</div>"
        f'<div style="font-size:14px;margin-top:8px;opacity:0.95;">'
        f"Run {html.escape(report.run_id)} · as of {html.escape(report.as_of)} · "
        f"{html.escape(counts)} · {summary['seconds']:.1f} s</div>"
        + (f'<ul style="margin:8px 0 0 0;font-size:14px;">{listed}</ul>' if listed else "")
        + "</div>"
    )


class StatusBanner:
    """Displays the banner; the output's metadata carries :func:`report_summary`."""

    def __init__(self, report: QualityReport) -> None:
        self.report = report

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        summary = report_summary(self.report)
        text = f"{summary['status'].upper()}: run {summary['run_id']} as of {summary['as_of']}"
        data = {"text/html": status_banner_html(self.report), "text/plain": text}
        return data, {SUMMARY_KEY: summary}


def banner(report: QualityReport) -> StatusBanner:
    """The pass/warn/fail banner for a notebook cell (its last expression)."""
    return StatusBanner(report)
