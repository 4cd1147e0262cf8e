"""The report's rules, anomalies and unjudged metrics as frames, and frames as HTML tables."""

from __future__ import annotations

import html

import pandas as pd

from pipeline_lib.quality._model import QualityReport
from pipeline_lib.quality._style import STATUS_ORDER, display_value, status_color


def rules_frame(report: QualityReport) -> pd.DataFrame:
    """Every rule outcome, failures first, then warnings, then passes."""
    columns = ["status", "severity", "rule", "table", "column", "observed", "threshold", "detail"]
    rows = [
        {
            "status": r.status,
            "severity": r.severity,
            "rule": r.rule,
            "table": r.table,
            "column": r.column or "",
            "observed": display_value(r.observed),
            "threshold": display_value(r.threshold),
            "detail": r.detail,
        }
        for r in sorted(
            report.rules, key=lambda r: (STATUS_ORDER.get(r.status, 3), r.table, r.rule)
        )
    ]
    return pd.DataFrame(rows, columns=columns)


def anomalies_frame(report: QualityReport) -> pd.DataFrame:
    """Every anomaly, by metric and day."""
    columns = [
        "metric",
        "day",
        "observed",
        "expected",
        "low",
        "high",
        "direction",
        "severity",
        "explanation",
    ]
    rows = [
        {c: getattr(a, c) for c in columns}
        for a in sorted(report.anomalies, key=lambda a: (a.metric, a.day))
    ]
    return pd.DataFrame(rows, columns=columns)


UNJUDGED_REASONS = {
    "too_small": "too small to judge (expected volume below the floor)",
    "history": "too little history (earlier points below the minimum)",
}


def unjudged_frame(report: QualityReport) -> pd.DataFrame:
    """The metrics and segments the audit did not judge: why, and the figures."""
    columns = ["metric", "why", "observed", "needed"]
    rows = [
        {
            "metric": u.metric,
            "why": UNJUDGED_REASONS.get(u.reason, u.reason),
            "observed": u.observed,
            "needed": u.needed,
        }
        for u in sorted(report.unjudged, key=lambda u: (u.reason != "too_small", u.metric))
    ]
    return pd.DataFrame(rows, columns=columns)


_TABLE_STYLE = (
    "<style>"
    ".quality-table-wrap{max-height:640px;overflow:auto;border:1px solid #dadce0;}"
    ".quality-table{border-collapse:collapse;font-size:12px;width:100%;}"
    ".quality-table-wrap table.quality-table th{position:sticky;top:0;background:#f1f3f4;}"
    ".quality-table-wrap table.quality-table th,.quality-table-wrap table.quality-table td"
    "{padding:3px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #eceff1;"
    "max-width:420px;overflow-wrap:break-word;}"
    ".quality-table .status{color:#fff;border-radius:3px;padding:1px 6px;font-weight:600;}"
    "</style>"
)


def table_html(frame: pd.DataFrame, *, empty: str = "Nothing to show") -> str:
    """A frame as a compact, scrollable HTML table: every row, every cell escaped.

    A ``status`` column is shown as a coloured badge.
    """
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            text = html.escape(display_value(value))
            if column == "status":
                color = status_color(str(value))
                text = f'<span class="status" style="background:{color}">{text}</span>'
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'{_TABLE_STYLE}<div class="quality-table-wrap"><table class="quality-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


class HtmlTable:
    """Displays a frame through :func:`table_html` (all rows, escaped)."""

    def __init__(self, frame: pd.DataFrame, empty: str) -> None:
        self.frame = frame
        self.empty = empty

    def _repr_html_(self) -> str:
        return table_html(self.frame, empty=self.empty)


def table(frame: pd.DataFrame, *, empty: str = "Nothing to show") -> HtmlTable:
    """Wrap a frame for display as a full, escaped HTML table."""
    return HtmlTable(frame, empty)
