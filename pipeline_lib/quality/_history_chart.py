"""The key metrics by day, each with its expected band and its anomalies marked."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Optional

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline_lib.quality._model import Anomaly
from pipeline_lib.quality._style import BAND_COLOR, VALUE_COLOR, empty_figure, severity_color


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
        return empty_figure(title, "No metric history yet")
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
                    "color": [severity_color(a.severity) for a in flagged],
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
