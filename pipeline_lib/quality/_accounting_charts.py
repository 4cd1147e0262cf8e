"""A run's row accounting drawn: rejected rows by reason, rows in and out per stage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.jobs import StageAccounting, accounting_frame
from pipeline_lib.quality._style import empty_figure

RECONCILIATION_MEASURES = ("rows_in", "rows_out", "rejected", "duplicates_removed")


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
        return empty_figure(title, "No rows were rejected in this run")
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
        return empty_figure(title, "No row accounting for this run")
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
