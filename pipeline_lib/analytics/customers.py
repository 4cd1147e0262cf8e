"""Customer lifetime value, RFM segments and cohort retention.

Inputs are the rows of the named queries ``customer_ltv`` (value segments), ``rfm_segments``
and ``cohort_retention``. A cohort is the month of a customer's first completed purchase;
its retention in month k is the share of its customers who bought again in the k-th month
after it. The month of ``as_of`` is still running, so its cells are shown but left out of
averages.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.analytics import display as d


def retention_matrix(cohorts: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Cohorts by month number: retention in percent, 0 where nobody came back.

    Parameters
    ----------
    cohorts
        ``cohort_retention`` rows: cohort_month, month_number, cohort_size, customers,
        retention_rate.
    as_of
        The analysis day; months after its month are empty (NaN), not 0.

    Returns
    -------
    pandas.DataFrame
        One row per cohort (oldest first): ``cohort`` (``YYYY-MM``), ``cohort_size``, then one
        column per month number 0, 1, ... holding the retention rate.
    """
    if cohorts.empty:
        return pd.DataFrame(columns=["cohort", "cohort_size"])
    frame = cohorts.copy()
    frame["cohort_month"] = pd.to_datetime(frame["cohort_month"]).dt.to_period("M")
    current = pd.Period(as_of, freq="M")
    months = sorted(frame["cohort_month"].unique())
    width = max(int((current - months[0]).n), int(frame["month_number"].max())) + 1
    rates = frame.pivot_table(
        index="cohort_month", columns="month_number", values="retention_rate", aggfunc="first"
    )
    sizes = frame.groupby("cohort_month")["cohort_size"].first()
    rows = []
    for month in months:
        elapsed = int((current - month).n)
        row: dict[object, object] = {"cohort": str(month), "cohort_size": int(sizes[month])}
        for k in range(width):
            if k > elapsed:
                row[k] = np.nan
            else:
                value = rates.at[month, k] if k in rates.columns else np.nan
                row[k] = 0.0 if pd.isna(value) else float(value)
        rows.append(row)
    return pd.DataFrame(rows, columns=["cohort", "cohort_size", *range(width)])


def mean_retention(matrix: pd.DataFrame, month: int, *, as_of: date) -> tuple[Optional[float], int]:
    """Mean retention in month ``month`` over cohorts that have lived it to its end.

    Returns (mean percent or None, number of cohorts averaged). Each cohort counts once,
    whatever its size.
    """
    if matrix.empty or month not in matrix.columns:
        return None, 0
    current = pd.Period(as_of, freq="M")
    complete = [
        value
        for cohort, value in zip(matrix["cohort"], matrix[month])
        if not pd.isna(value) and (pd.Period(cohort, freq="M") + month) < current
    ]
    if not complete:
        return None, 0
    return float(np.mean(complete)), len(complete)


def conclusions(
    rfm: pd.DataFrame,
    value_segments: pd.DataFrame,
    matrix: pd.DataFrame,
    *,
    as_of: date,
) -> list[str]:
    """Sentences about segments and retention, every number computed from the frames."""
    sentences: list[str] = []
    if not rfm.empty:
        top = rfm.sort_values("value_share", ascending=False).iloc[0]
        sentences.append(
            f"{top['rfm_segment']}: {d.percent(top['customer_share'])} of customers hold "
            f"{d.percent(top['value_share'])} of lifetime value, {d.money(top['avg_ltv'])} "
            f"each on average over {d.number(top['avg_orders'], 1)} orders."
        )
        at_risk = rfm[rfm["rfm_segment"] == "At Risk"]
        if not at_risk.empty:
            row = at_risk.iloc[0]
            sentences.append(
                f"At Risk: {d.count(row['customers'])} customers who used to buy often "
                f"({d.money(row['lifetime_value'])} of lifetime value) last bought "
                f"{d.number(row['avg_recency_days'], 0)} days ago on average."
            )
    if not value_segments.empty:
        total = float(value_segments["customer_count"].sum())
        high = value_segments.sort_values("avg_ltv", ascending=False).iloc[0]
        sentences.append(
            f"{high['customer_segment']} customers: {d.count(high['customer_count'])} "
            f"({d.percent(100 * high['customer_count'] / total if total else None)} of "
            f"{d.count(total)} buyers), {d.money(high['avg_ltv'])} lifetime value each."
        )
    first, cohorts = mean_retention(matrix, 1, as_of=as_of)
    if first is not None:
        third, later = mean_retention(matrix, 3, as_of=as_of)
        tail = (
            f"; in the third month after it, {d.percent(third)} ({later} cohorts)"
            if third is not None
            else ""
        )
        sentences.append(
            f"On average {d.percent(first)} of a cohort buys again in the month after its "
            f"first purchase ({cohorts} cohorts with that month complete){tail}."
        )
    return sentences


def segments_figure(rfm: pd.DataFrame) -> go.Figure:
    """Share of customers against share of lifetime value, per RFM segment."""
    title = "RFM segments: share of customers and of lifetime value"
    if rfm.empty:
        return d.empty_figure(title, "No customers with a completed purchase")
    names = d.labels(rfm["rfm_segment"])
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=names,
            y=rfm["customer_share"],
            name="customers",
            marker_color=d.PALETTE[0],
            customdata=rfm["customers"],
            hovertemplate="%{x}: %{y:.1f}% of customers (%{customdata:,})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=rfm["value_share"],
            name="lifetime value",
            marker_color=d.PALETTE[1],
            customdata=rfm["avg_ltv"],
            hovertemplate="%{x}: %{y:.1f}% of lifetime value (%{customdata:$,.2f}"
            " each)<extra></extra>",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(ticksuffix="%")
    return d.layout(fig, title, height=400)


def retention_figure(matrix: pd.DataFrame) -> go.Figure:
    """Cohort retention as a heat map: cohorts down, months since the first purchase across."""
    title = "Cohort retention: % of each cohort buying again, by month after the first purchase"
    months = [c for c in matrix.columns if isinstance(c, (int, np.integer))]
    if matrix.empty or not months:
        return d.empty_figure(title, "No first purchases in this window")
    later = [m for m in months if m > 0] or months
    values = matrix[later].to_numpy(dtype=float)
    cohorts = [f"{c} ({n:,})" for c, n in zip(matrix["cohort"], matrix["cohort_size"])]
    text = [["" if np.isnan(v) else f"{v:.1f}%" for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=[f"+{m}" for m in later],
            y=cohorts,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            hoverongaps=False,
            hovertemplate="cohort %{y}, month %{x}: %{z:.1f}%<extra></extra>",
            colorbar={"title": {"text": "%"}},
        )
    )
    fig.update_yaxes(autorange="reversed", title_text="cohort (customers)")
    fig.update_xaxes(title_text="months after the first purchase", side="top")
    return d.layout(fig, title, height=max(320, 34 * len(cohorts) + 160))
