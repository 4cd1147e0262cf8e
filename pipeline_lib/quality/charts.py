"""Figures and tables of the data quality notebook: data in, plotly figures or HTML out.

Every ``*_figure`` function is pure (DataFrames, accounting entries or a
:class:`QualityReport` in, a ``plotly.graph_objects.Figure`` out), so the notebook stays
thin and the figures are testable without a kernel. Each trace carries a ``meta`` mapping
(``{"role": ..., "metric": ...}``) naming what it draws.

The notebook shows figures through :func:`offline`: the output holds the plotly JSON (for
JupyterLab) and an HTML ``div`` that needs plotly.js but does not load it, so the executed
notebook stays small and never references a CDN. :func:`pipeline_lib.quality.report.render_report`
supplies plotly.js once per report. Every text that goes into HTML is escaped.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from pipeline_lib.jobs import StageAccounting, accounting_frame
from pipeline_lib.quality._explain import rule_hint
from pipeline_lib.quality._model import (
    FAIL,
    PASS,
    WARN,
    WARNING,
    Anomaly,
    QualityReport,
    RuleResult,
)

logger = logging.getLogger(__name__)

#: Output metadata key under which the banner records the report's summary; the HTML
#: report reads the status from it.
SUMMARY_KEY = "pipeline_lib.quality"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"

STATUS_COLORS = {PASS: "#1e8e3e", WARN: "#e37400", FAIL: "#c5221f", "unknown": "#5f6368"}
STATUS_HEADLINES = {
    PASS: "every rule passed and no metric left its expected range",
    WARN: "warnings or anomalies: reported, publish goes on",
    FAIL: "a critical rule failed: publish is blocked",
}
SEVERITY_COLORS = {"critical": STATUS_COLORS[FAIL], WARNING: STATUS_COLORS[WARN]}
BAND_COLOR = "rgba(26, 115, 232, 0.15)"
VALUE_COLOR = "#1a73e8"
RECONCILIATION_MEASURES = ("rows_in", "rows_out", "rejected", "duplicates_removed")
STATUS_ORDER = {FAIL: 0, WARN: 1, PASS: 2}
_CONFIG = {"displaylogo": False, "responsive": True}


# --------------------------------------------------------------------------- metric history


def history_figure(
    history: pd.DataFrame,
    anomalies: Sequence[Anomaly] = (),
    *,
    metrics: Optional[Sequence[str]] = None,
    max_metrics: int = 12,
    window_days: Optional[int] = 120,
) -> go.Figure:
    """Each key metric by day with its expected band and the anomalies marked.

    Parameters
    ----------
    history
        Columns ``day``, ``metric``, ``value``; optional ``low`` and ``high`` (the range
        the detector expected that day) draw a continuous band. Repeated (day, metric)
        rows, as in the raw snapshots of several runs, keep the latest (by
        ``computed_at``, else ``run_id``, else the last row).
    anomalies
        The report's anomalies. Each is marked (an ×, coloured by severity) at its day and
        observed value; when ``history`` has no band columns, the anomaly's own expected
        value and range (``low``..``high``) are drawn at that day instead.
    metrics
        The metrics to draw (default: whole-shop metrics before per-category ones
        ``<family>:<category>``, in the history's order, at most ``max_metrics``).
        Metrics with an anomaly are always drawn.
    max_metrics
        The most metrics drawn by default.
    window_days
        Only the last ``window_days`` days up to the latest day (None: all).

    Returns
    -------
    plotly.graph_objects.Figure
        One row per metric (history metrics first, then metrics only the anomalies name),
        with traces whose ``meta["role"]`` is ``band_high``, ``band_low``, ``value``,
        ``expected`` or ``anomaly``.
    """
    frame = _history_frame(history)
    if window_days is not None and not (frame.empty and not anomalies):
        latest = max([*frame["day"].tolist(), *(pd.Timestamp(a.day) for a in anomalies)])
        frame = frame[frame["day"] > latest - pd.Timedelta(days=window_days)]
    known = list(dict.fromkeys(frame["metric"].tolist()))
    flagged_metrics = list(dict.fromkeys(a.metric for a in anomalies))
    chosen = _choose_metrics(known, flagged_metrics, metrics, max_metrics)
    title = "Key metrics over time"
    available = len(set(known) | set(flagged_metrics))
    if len(chosen) < available:
        title += f" ({len(chosen)} of {available} metrics; every flagged metric is shown)"
    metrics = chosen
    if not metrics:
        return _empty_figure(title, "No metric history yet")
    has_band = {"low", "high"} <= set(frame.columns)
    fig = make_subplots(
        rows=len(metrics),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / len(metrics)),
        subplot_titles=metrics,
    )
    legend_shown: set[str] = set()

    def legend_once(name: str) -> bool:
        shown = name not in legend_shown
        legend_shown.add(name)
        return shown

    for row, metric in enumerate(metrics, start=1):
        rows = frame[frame["metric"] == metric]
        banded = rows.dropna(subset=["low", "high"]) if has_band else rows.iloc[0:0]
        if not banded.empty:
            fig.add_trace(
                go.Scatter(
                    x=banded["day"],
                    y=banded["high"],
                    mode="lines",
                    line={"width": 0},
                    name="expected high",
                    legendgroup="band",
                    showlegend=False,
                    hoverinfo="skip",
                    meta={"role": "band_high", "metric": metric},
                ),
                row=row,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=banded["day"],
                    y=banded["low"],
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=BAND_COLOR,
                    name="expected range",
                    legendgroup="band",
                    showlegend=legend_once("expected range"),
                    hoverinfo="skip",
                    meta={"role": "band_low", "metric": metric},
                ),
                row=row,
                col=1,
            )
        if not rows.empty:
            fig.add_trace(
                go.Scatter(
                    x=rows["day"],
                    y=rows["value"],
                    mode="lines+markers",
                    line={"color": VALUE_COLOR},
                    marker={"size": 4},
                    name="value",
                    legendgroup="value",
                    showlegend=legend_once("value"),
                    meta={"role": "value", "metric": metric},
                ),
                row=row,
                col=1,
            )
        flagged = sorted((a for a in anomalies if a.metric == metric), key=lambda a: a.day)
        if not flagged:
            continue
        days = [pd.Timestamp(a.day) for a in flagged]
        if banded.empty:
            fig.add_trace(
                go.Scatter(
                    x=days,
                    y=[a.expected for a in flagged],
                    mode="markers",
                    marker={"color": VALUE_COLOR, "symbol": "line-ew-open", "size": 14},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [a.high - a.expected for a in flagged],
                        "arrayminus": [a.expected - a.low for a in flagged],
                        "color": "rgba(26, 115, 232, 0.5)",
                        "thickness": 6,
                        "width": 0,
                    },
                    name="expected range",
                    legendgroup="band",
                    showlegend=legend_once("expected range"),
                    meta={"role": "expected", "metric": metric},
                ),
                row=row,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[a.observed for a in flagged],
                mode="markers",
                marker={
                    "symbol": "x",
                    "size": 13,
                    "color": [_severity_color(a.severity) for a in flagged],
                    "line": {"width": 1, "color": "white"},
                },
                name="anomaly",
                legendgroup="anomaly",
                showlegend=legend_once("anomaly"),
                hovertext=[_anomaly_hover(a) for a in flagged],
                hoverinfo="text",
                meta={"role": "anomaly", "metric": metric},
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        title=title,
        height=140 + 180 * len(metrics),
        hovermode="closest",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"},
        margin={"t": 110, "b": 40},
    )
    return fig


def _history_frame(history: pd.DataFrame) -> pd.DataFrame:
    missing = {"day", "metric", "value"} - set(history.columns)
    if missing:
        raise ValueError(f"history needs columns day, metric, value; missing {sorted(missing)}")
    frame = history.copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.normalize()
    frame["metric"] = frame["metric"].astype(str)
    for column in ("value", "low", "high"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    order = [c for c in ("computed_at", "run_id") if c in frame.columns]
    if order:
        frame = frame.sort_values(order, kind="stable")
    frame = frame.drop_duplicates(["day", "metric"], keep="last")
    # Keep the metrics in their order of first appearance, each sorted by day.
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(history["metric"].astype(str)))}
    frame = frame.assign(_order=frame["metric"].map(first_seen))
    frame = frame.sort_values(["_order", "day"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def _choose_metrics(
    known: Sequence[str],
    flagged: Sequence[str],
    wanted: Optional[Sequence[str]],
    max_metrics: int,
) -> list[str]:
    """The metrics to draw, in history order then flagged-only ones; flagged always in."""
    if wanted is not None:
        picked = set(wanted) | set(flagged)
        ordered = [*wanted, *(m for m in flagged if m not in set(wanted))]
        return [m for m in dict.fromkeys(ordered) if m in picked]
    whole_shop = [m for m in known if not _is_segment(m)]
    per_category = [m for m in known if _is_segment(m)]
    picked = set(flagged)
    for metric in (*whole_shop, *per_category):
        if len(picked) >= max(max_metrics, len(flagged)):
            break
        picked.add(metric)
    ordered = [*whole_shop, *per_category, *(m for m in flagged if m not in set(known))]
    return [m for m in ordered if m in picked]


def _is_segment(metric: str) -> bool:
    """``bookings[category=Books]`` (or a legacy ``bookings:Books``): a segment's metric."""
    return ":" in metric or "[" in metric


def _anomaly_hover(anomaly: Anomaly) -> str:
    # Plotly renders hover text as a small HTML subset: escape the explanation.
    return (
        f"<b>{html.escape(anomaly.metric)}</b> {html.escape(anomaly.day)}<br>"
        f"observed {anomaly.observed:,.4g}, expected {anomaly.expected:,.4g} "
        f"({anomaly.low:,.4g} to {anomaly.high:,.4g})<br>"
        f"{html.escape(anomaly.explanation)}"
    )


# --------------------------------------------------------------------------- null rates

_COLUMN_PERCENT = re.compile(r"'([A-Za-z_]\w*)':\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_ROWS_OF_TOTAL = re.compile(r"([\d,]+)\s+of\s+([\d,]+)\s+rows")


def null_rates_frame(rules: Iterable[RuleResult], *, match: str = "null") -> pd.DataFrame:
    """The null percentage of every checked column, one row per ``table.column``.

    A rule is a null check when its name contains ``match`` (case-insensitive) and it names
    a column. Several rules may check the same column (the configured ``null_pct`` rules,
    the contracts' ``not_null``, Great Expectations' ``expect_column_values_to_not_be_null``);
    each gives the percentage of null rows its own way, read here from:

    - an ``observed`` mapping with ``unexpected_percent`` (Great Expectations);
    - a ``detail`` with per-column percentages ``{'col': 1.5, ...}`` for a rule over a
      comma-separated list of columns (``null_pct``);
    - a ``detail`` reading ``"<n> of <total> rows"`` (null rows of all rows);
    - else ``observed`` itself when the rule's name says it is a percentage (``pct``).

    Rules none of these fit are left out. Per column: the highest percentage, the worst
    status, the strictest percentage threshold (the ``pct`` rules' maximum, or 0 for a rule
    that allows none) and the rules' names.

    Returns
    -------
    pandas.DataFrame
        Columns ``table, column, subject, null_pct, threshold, status, rules``, highest
        percentage first (then worst status, then subject).
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules:
        if not rule.column or match.lower() not in rule.rule.lower():
            continue
        for column, percent, status in _null_percentages(rule):
            entry = found.setdefault(
                (rule.table, column),
                {"null_pct": percent, "thresholds": [], "status": PASS, "rules": []},
            )
            entry["null_pct"] = max(entry["null_pct"], percent)
            if STATUS_ORDER.get(status, 3) < STATUS_ORDER.get(entry["status"], 3):
                entry["status"] = status
            if rule.rule not in entry["rules"]:
                entry["rules"].append(rule.rule)
            threshold = _number(rule.threshold)
            if threshold is not None and (threshold == 0 or "pct" in rule.rule.lower()):
                entry["thresholds"].append(threshold)
    rows = [
        {
            "table": table,
            "column": column,
            "subject": f"{table}.{column}",
            "null_pct": entry["null_pct"],
            "threshold": min(entry["thresholds"]) if entry["thresholds"] else None,
            "status": entry["status"],
            "rules": ", ".join(entry["rules"]),
        }
        for (table, column), entry in found.items()
    ]
    columns = ["table", "column", "subject", "null_pct", "threshold", "status", "rules"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame["threshold"] = pd.to_numeric(frame["threshold"], errors="coerce")
    frame["_status"] = frame["status"].map(lambda s: STATUS_ORDER.get(s, 3))
    frame = frame.sort_values(["null_pct", "_status", "subject"], ascending=[False, True, True])
    return frame.drop(columns="_status").reset_index(drop=True)


def _null_percentages(rule: RuleResult) -> list[tuple[str, float, str]]:
    """(column, percent of null rows, status) a null rule reports; empty if it cannot say.

    A rule over several columns broke only for the columns above its threshold: the others
    pass.
    """
    columns = [c.strip() for c in str(rule.column).split(",") if c.strip()]
    if isinstance(rule.observed, Mapping):
        percent = _number(rule.observed.get("unexpected_percent"))
        return [(c, percent, rule.status) for c in columns] if percent is not None else []
    if len(columns) > 1:
        named = {c: float(v) for c, v in _COLUMN_PERCENT.findall(rule.detail)}
        if set(columns) <= set(named):
            limit = _number(rule.threshold)
            return [
                (c, named[c], PASS if limit is not None and named[c] <= limit else rule.status)
                for c in columns
            ]
    counted = _ROWS_OF_TOTAL.search(rule.detail)
    if counted and len(columns) == 1:
        nulls, total = (int(g.replace(",", "")) for g in counted.groups())
        return [(columns[0], 100.0 * nulls / total if total else 0.0, rule.status)]
    observed = _number(rule.observed)
    if observed is not None and "pct" in rule.rule.lower():
        return [(c, observed, rule.status) for c in columns]
    return []


def null_rates_figure(rules: Iterable[RuleResult], *, match: str = "null") -> go.Figure:
    """Null percentage of the columns that have nulls or a broken null rule.

    Bars (``meta["role"] == "null_pct"``) are coloured by the worst status of the column's
    null rules; ticks (``"threshold"``) mark the strictest threshold. Columns without nulls
    whose rules passed are only counted in the title, so a healthy lake shows a short
    message rather than hundreds of empty bars.
    """
    frame = null_rates_frame(rules, match=match)
    title = "Null rates per table and column"
    if frame.empty:
        return _empty_figure(title, "No null checks in this report")
    shown = frame[(frame["null_pct"] > 0) | (frame["status"] != PASS)]
    if shown.empty:
        return _empty_figure(title, f"No nulls in the {len(frame)} checked columns")
    title += f" ({len(shown)} of {len(frame)} checked columns have nulls or failed)"
    # Horizontal bars list bottom-up: reverse so the highest rate is at the top.
    shown = shown.iloc[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=shown["null_pct"],
            y=shown["subject"],
            orientation="h",
            marker={"color": [_status_color(s) for s in shown["status"]]},
            name="null rows (%)",
            customdata=shown[["status", "rules"]].to_numpy(),
            hovertemplate="%{y}: %{x:.3g}% null (%{customdata[0]}; %{customdata[1]})"
            "<extra></extra>",
            meta={"role": "null_pct"},
        )
    )
    limits = shown[shown["threshold"].notna()]
    if not limits.empty:
        fig.add_trace(
            go.Scatter(
                x=limits["threshold"],
                y=limits["subject"],
                mode="markers",
                marker={
                    "symbol": "line-ns-open",
                    "size": 22,
                    "color": "#202124",
                    "line": {"width": 3},
                },
                name="threshold",
                hovertemplate="%{y}: at most %{x:.3g}%<extra></extra>",
                meta={"role": "threshold"},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="null rows (%)",
        xaxis_rangemode="tozero",
        height=max(260, 140 + 28 * len(shown)),
        showlegend=False,
        margin={"l": 240},
    )
    return fig


# --------------------------------------------------------------------------- accounting


def reject_reasons_frame(accounting: Iterable[StageAccounting]) -> pd.DataFrame:
    """Rejected rows by dataset, stage and reason (``dataset, stage, reason, rows``)."""
    rows = [
        {"dataset": e.dataset, "stage": e.stage, "reason": reason, "rows": int(count)}
        for e in accounting
        for reason, count in sorted(e.rejected.items())
        if count
    ]
    return pd.DataFrame(rows, columns=["dataset", "stage", "reason", "rows"])


def reject_reasons_figure(accounting: Iterable[StageAccounting]) -> go.Figure:
    """Rejected rows per dataset and stage, stacked by reason (one bar trace per reason)."""
    frame = reject_reasons_frame(accounting)
    title = "Rejected rows by reason"
    if frame.empty:
        return _empty_figure(title, "No rows were rejected in this run")
    frame["where"] = frame["dataset"] + " / " + frame["stage"]
    order = list(dict.fromkeys(frame["where"]))
    fig = go.Figure()
    for reason, rows in frame.groupby("reason", sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["rows"],
                y=rows["where"],
                orientation="h",
                name=str(reason),
                hovertemplate="%{y}: %{x:,} rows<extra>%{fullData.name}</extra>",
                meta={"role": "reason", "reason": str(reason)},
            )
        )
    fig.update_layout(
        title=title,
        barmode="stack",
        xaxis_title="rejected rows",
        yaxis={"categoryorder": "array", "categoryarray": order[::-1]},
        height=max(260, 140 + 40 * len(order)),
        margin={"l": 200},
    )
    return fig


def reconciliation_frame(accounting: Sequence[StageAccounting]) -> pd.DataFrame:
    """Rows in, out, rejected and duplicates removed per dataset and stage."""
    columns = ["dataset", "stage", *RECONCILIATION_MEASURES]
    if not accounting:
        return pd.DataFrame(columns=columns)
    return accounting_frame(list(accounting))[columns]


def reconciliation_figure(accounting: Sequence[StageAccounting]) -> go.Figure:
    """Grouped bars per ``dataset / stage``: one trace per measure (rows in, out, ...)."""
    frame = reconciliation_frame(accounting)
    title = "Row reconciliation per dataset and stage"
    if frame.empty:
        return _empty_figure(title, "No row accounting for this run")
    where = frame["dataset"] + " / " + frame["stage"]
    labels = {
        "rows_in": "rows in",
        "rows_out": "rows out",
        "rejected": "rejected",
        "duplicates_removed": "duplicates removed",
    }
    fig = go.Figure()
    for measure in RECONCILIATION_MEASURES:
        fig.add_trace(
            go.Bar(
                x=where,
                y=frame[measure],
                name=labels[measure],
                hovertemplate="%{x}: %{y:,}<extra>%{fullData.name}</extra>",
                meta={"role": measure},
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        yaxis_title="rows",
        yaxis_type="log" if _spans_decades(frame) else "linear",
        height=460,
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def _spans_decades(frame: pd.DataFrame) -> bool:
    """True when the non-zero counts differ by 1000x or more (a log axis shows both)."""
    values = frame[list(RECONCILIATION_MEASURES)].to_numpy().ravel()
    positive = values[values > 0]
    return bool(len(positive)) and float(positive.max()) >= 1000 * float(positive.min())


# --------------------------------------------------------------------------- tables


def rules_frame(report: QualityReport) -> pd.DataFrame:
    """Every rule outcome, failures first, then warnings, then passes."""
    columns = ["status", "severity", "rule", "table", "column", "observed", "threshold",
               "detail"]  # fmt: skip
    rows = [
        {
            "status": r.status,
            "severity": r.severity,
            "rule": r.rule,
            "table": r.table,
            "column": r.column or "",
            "observed": _display_value(r.observed),
            "threshold": _display_value(r.threshold),
            "detail": r.detail,
        }
        for r in sorted(
            report.rules, key=lambda r: (STATUS_ORDER.get(r.status, 3), r.table, r.rule)
        )
    ]
    return pd.DataFrame(rows, columns=columns)


def anomalies_frame(report: QualityReport) -> pd.DataFrame:
    """Every anomaly, by metric and day."""
    columns = ["metric", "day", "observed", "expected", "low", "high", "direction", "severity",
               "explanation"]  # fmt: skip
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


# --------------------------------------------------------------------------- findings

_FINDING_STYLE = (
    "<style>"
    ".quality-findings{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;}"
    ".quality-finding{border:1px solid #dadce0;border-left:6px solid var(--c);"
    "border-radius:6px;padding:10px 14px;margin:8px 0;display:flex;gap:16px;}"
    ".quality-finding svg{flex:0 0 auto;}"
    ".quality-finding .what{font-weight:600;margin-bottom:4px;}"
    ".quality-finding .badge{color:#fff;background:var(--c);border-radius:3px;"
    "padding:1px 6px;font-size:11px;margin-right:6px;text-transform:uppercase;}"
    ".quality-finding .next{color:#3c4043;margin-top:4px;}"
    "</style>"
)
SPARK_WIDTH, SPARK_HEIGHT = 220, 70


def _short(value: float) -> str:
    """A number for a small chart: 4 significant digits, thousands separated."""
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def _spark_y(value: float, low: float, high: float) -> float:
    top, bottom = 6.0, SPARK_HEIGHT - 6.0
    if high <= low:
        return (top + bottom) / 2
    clipped = min(max(value, low), high)
    return bottom - (clipped - low) / (high - low) * (bottom - top)


def anomaly_sparkline(anomaly: Anomaly) -> str:
    """A small SVG: the baseline points, the expected range (band), the observed value.

    An observed value far outside the range is drawn at the edge with an arrow and its
    value, so the history stays readable.
    """
    values = [v for _, v in anomaly.history]
    lows = [anomaly.low, anomaly.high, *values]
    bottom, top = min(lows), max(lows)
    if anomaly.low <= anomaly.observed <= anomaly.high or not values:
        bottom, top = min(bottom, anomaly.observed), max(top, anomaly.observed)
    pad = (top - bottom) * 0.1 or max(abs(top), 1.0) * 0.1
    bottom, top = bottom - pad, top + pad
    n = len(values) + 1
    step = (SPARK_WIDTH - 30) / max(n - 1, 1)
    xs = [8 + i * step for i in range(n)]
    band_top, band_bottom = _spark_y(anomaly.high, bottom, top), _spark_y(anomaly.low, bottom, top)
    parts = [
        f'<svg class="sparkline" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img" '
        f'aria-label="{html.escape(anomaly.metric)}: history, expected range, observed">',
        f'<rect x="0" y="{band_top:.1f}" width="{SPARK_WIDTH}" '
        f'height="{max(band_bottom - band_top, 1.0):.1f}" fill="{BAND_COLOR}"/>',
    ]
    if values:
        points = " ".join(f"{x:.1f},{_spark_y(v, bottom, top):.1f}" for x, v in zip(xs, values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{VALUE_COLOR}" '
                     'stroke-width="1.5"/>')  # fmt: skip
        parts += [
            f'<circle cx="{x:.1f}" cy="{_spark_y(v, bottom, top):.1f}" r="2" fill="{VALUE_COLOR}">'
            f"<title>{html.escape(d)}: {_short(v)}</title></circle>"
            for x, (d, v) in zip(xs, anomaly.history)
        ]
    x, y = xs[-1], _spark_y(anomaly.observed, bottom, top)
    color = _severity_color(anomaly.severity)
    clipped = not (bottom <= anomaly.observed <= top)
    marker = (
        f'<path d="M{x - 5:.1f},{y + (6 if anomaly.observed > top else -6):.1f} L{x:.1f},{y:.1f} '
        f'L{x + 5:.1f},{y + (6 if anomaly.observed > top else -6):.1f}" fill="{color}"/>'
        if clipped
        else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
    )
    parts.append(marker)
    # The value beside its marker, inside the chart: under an arrow at the top edge,
    # above one at the bottom.
    label_y = y + 16 if clipped and anomaly.observed > top else y - 8 if clipped else y + 4
    parts.append(
        f'<text x="{x - 8:.1f}" y="{min(max(label_y, 10), SPARK_HEIGHT - 2):.1f}" '
        f'font-size="10" text-anchor="end" fill="{color}">'
        f"{html.escape(_short(anomaly.observed))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def rule_gauge(rule: RuleResult) -> str:
    """A small SVG bar: the rule's observed value against its threshold (when numeric)."""
    observed, threshold = _number(rule.observed), _number(rule.threshold)
    if observed is None or threshold is None:
        return ""
    top = max(observed, threshold) * 1.25 or 1.0
    width = SPARK_WIDTH - 20
    bar = max(observed, 0.0) / top * width
    tick = threshold / top * width
    color = _status_color(rule.status)
    return (
        f'<svg class="gauge" width="{SPARK_WIDTH}" height="34" role="img" '
        f'aria-label="{html.escape(rule.rule)}: observed against threshold">'
        f'<rect x="10" y="8" width="{width}" height="12" fill="#f1f3f4"/>'
        f'<rect x="10" y="8" width="{bar:.1f}" height="12" fill="{color}"/>'
        f'<line x1="{10 + tick:.1f}" x2="{10 + tick:.1f}" y1="4" y2="24" stroke="#202124" '
        'stroke-width="2"/>'
        f'<text x="10" y="32" font-size="10" fill="#3c4043">'
        f"{html.escape(f'observed {_short(observed)}, threshold {_short(threshold)}')}</text></svg>"
    )


def _finding_card(
    color: str, badge: str, title: str, chart: str, text: str, next_steps: str
) -> str:
    return (
        f'<div class="quality-finding" style="--c:{color}">{chart}<div>'
        f'<div class="what"><span class="badge">{html.escape(badge)}</span>'
        f"{html.escape(title)}</div><div>{html.escape(text)}</div>"
        + (
            f'<div class="next"><b>Look at:</b> {html.escape(next_steps)}</div>'
            if next_steps
            else ""
        )
        + "</div></div>"
    )


def findings_html(report: QualityReport, *, max_findings: int = 60) -> str:
    """Every failed or warned rule and every anomaly as a card that explains itself.

    A card says what moved (or what broke), by how much, against which range from which
    history, and where to look next, beside a small chart: for an anomaly, its baseline
    points, expected range and the observed value; for a rule, the observed value against
    its threshold. Failures come first, then anomalies (newest day first), then warnings.
    Every text is escaped.
    """
    cards = []
    failed = [r for r in report.rules if r.status == FAIL]
    warned = [r for r in report.rules if r.status == WARN]
    for rule in failed:
        cards.append(_rule_card(rule))
    for anomaly in report.anomalies:
        title = f"{anomaly.metric} on {anomaly.day}: {anomaly.direction} its expected range"
        badge = {"mix": "mix shift", "run_rate": "run rate"}.get(anomaly.kind, "anomaly")
        cards.append(
            _finding_card(
                _severity_color(anomaly.severity),
                badge,
                title,
                anomaly_sparkline(anomaly),
                anomaly.explanation,
                "",
            )
        )
    for rule in warned:
        cards.append(_rule_card(rule))
    if not cards:
        return (
            f'{_FINDING_STYLE}<p class="quality-findings"><em>Nothing to explain: every rule '
            "passed and no metric left its expected range.</em></p>"
        )
    more = len(cards) - max_findings
    shown = "".join(cards[:max_findings])
    tail = f"<p><em>… and {more} more findings: see the tables below.</em></p>" if more > 0 else ""
    return f'{_FINDING_STYLE}<div class="quality-findings">{shown}{tail}</div>'


def _rule_card(rule: RuleResult) -> str:
    title = f"{rule.rule} on {rule.subject}"
    hint = "" if "Look at" in rule.detail else rule_hint(rule.rule)
    return _finding_card(_status_color(rule.status), rule.status, title, rule_gauge(rule),
                         rule.detail, hint)  # fmt: skip


class HtmlBlock:
    """Displays ready-made (escaped) HTML."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


def findings(report: QualityReport) -> HtmlBlock:
    """The report's findings as cards, for a notebook cell (see :func:`findings_html`)."""
    return HtmlBlock(findings_html(report))


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
            text = html.escape(_display_value(value))
            if column == "status":
                color = _status_color(str(value))
                text = f'<span class="status" style="background:{color}">{text}</span>'
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'{_TABLE_STYLE}<div class="quality-table-wrap"><table class="quality-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


# --------------------------------------------------------------------------- status banner


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
    color = _status_color(status)
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


# --------------------------------------------------------------------------- display


def figure_div(fig: go.Figure, *, height: Optional[int] = None) -> str:
    """The figure as an HTML ``div`` plus the script that draws it, without plotly.js.

    The page must load plotly.js before (the HTML report does); no CDN or MathJax script
    is referenced.
    """
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config=_CONFIG,
            default_width="100%",
            default_height=height or fig.layout.height or 480,
            validate=False,
        )
    )


class OfflineFigure:
    """Displays a figure as plotly JSON (JupyterLab) and a plotly.js-free HTML ``div``."""

    def __init__(self, fig: go.Figure) -> None:
        self.fig = fig

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = json.loads(pio.to_json(self.fig, validate=False))
        payload["config"] = dict(_CONFIG)
        title = self.fig.layout.title.text or "figure"
        return {
            PLOTLY_MIMETYPE: payload,
            "text/html": figure_div(self.fig),
            "text/plain": f"<plotly figure: {title}>",
        }


def offline(fig: go.Figure) -> OfflineFigure:
    """Wrap a figure for display in the notebook and the offline HTML report."""
    return OfflineFigure(fig)


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


# --------------------------------------------------------------------------- helpers


def _empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=html.escape(message),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 16, "color": "#5f6368"},
    )
    fig.update_layout(
        title=title,
        height=240,
        xaxis={"visible": False},
        yaxis={"visible": False},
        meta={"empty": True},
    )
    return fig


def _status_color(status: str) -> str:
    return STATUS_COLORS.get(status, STATUS_COLORS["unknown"])


def _severity_color(severity: str) -> str:
    return SEVERITY_COLORS.get(severity, STATUS_COLORS[WARN])


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def _display_value(value: Any) -> str:
    """Short text for a table cell: numbers formatted, mappings as ``k=v``, lists joined."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_display_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_display_value(v) for v in value)
    return str(value)
