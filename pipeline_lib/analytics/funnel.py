"""The conversion funnel by device: how far sessions get, and where they drop out.

Input: the rows of the named query ``funnel_by_device`` (sessions of the last N days per
device, and how many of them reached each step; a sampled clickstream's sessions count
their sample weight).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.analytics import display as d

#: (column of funnel_by_device, step name), in funnel order.
STEPS = (
    ("page_views", "Page view"),
    ("product_views", "Product view"),
    ("add_to_carts", "Add to cart"),
    ("checkouts", "Checkout"),
    ("purchases", "Purchase"),
)


def funnel_steps(by_device: pd.DataFrame) -> pd.DataFrame:
    """One row per device and step, plus an ``all devices`` total.

    Returns
    -------
    pandas.DataFrame
        device, step, sessions (reaching the step), share_of_sessions (percent of the
        device's sessions), step_rate (percent of the previous step's sessions; empty for
        the first step).
    """
    columns = ["device", "step", "sessions", "share_of_sessions", "step_rate"]
    if by_device.empty:
        return pd.DataFrame(columns=columns)
    total = by_device[["sessions", *(c for c, _ in STEPS)]].sum()
    frames = [*by_device.to_dict("records"), {"device": "all devices", **total.to_dict()}]
    rows = []
    for device in frames:
        previous = None
        for column, step in STEPS:
            reached = float(device[column])
            rows.append(
                {
                    "device": str(device["device"]),
                    "step": step,
                    "sessions": reached,
                    "share_of_sessions": _pct(reached, float(device["sessions"])),
                    "step_rate": _pct(reached, previous) if previous is not None else float("nan"),
                }
            )
            previous = reached
    return pd.DataFrame(rows, columns=columns)


def biggest_drop(steps: pd.DataFrame, device: str = "all devices") -> pd.Series:
    """The step of ``device`` that keeps the smallest share of the step before it."""
    rows = steps[(steps["device"] == device) & steps["step_rate"].notna()]
    return rows.loc[rows["step_rate"].idxmin()]


def conclusions(by_device: pd.DataFrame, steps: pd.DataFrame, *, days: int) -> list[str]:
    """Sentences about traffic, conversion per device and the biggest drop-off."""
    if by_device.empty or by_device["sessions"].sum() == 0:
        return [f"No sessions in the last {days} days."]
    total = float(by_device["sessions"].sum())
    biggest = by_device.sort_values("sessions", ascending=False).iloc[0]
    purchases = float(by_device["purchases"].sum())
    sentences = [
        f"{d.count(total)} sessions in the last {days} days on {len(by_device)} devices; "
        f"{biggest['device']} brings {d.percent(100 * biggest['sessions'] / total)} of them. "
        f"{d.percent(100 * purchases / total, 2)} of all sessions end in a purchase."
    ]
    ranked = by_device[by_device["sessions"] > 0].sort_values("conversion_rate")
    if len(ranked) > 1:
        low, high = ranked.iloc[0], ranked.iloc[-1]
        gap = (
            f", {d.number(high['conversion_rate'] / low['conversion_rate'], 1)} times as often"
            if low["conversion_rate"]
            else ""
        )
        sentences.append(
            f"{high['device']} sessions convert best ({d.percent(high['conversion_rate'], 2)}), "
            f"{low['device']} least ({d.percent(low['conversion_rate'], 2)}){gap}."
        )
    drop = biggest_drop(steps)
    position = [name for _, name in STEPS].index(drop["step"])
    before = STEPS[position - 1][1]
    sentences.append(
        f"Biggest drop-off: of the sessions that reached {before.lower()}, "
        f"{d.percent(drop['step_rate'])} went on to {str(drop['step']).lower()}."
    )
    return sentences


def funnel_figure(steps: pd.DataFrame) -> go.Figure:
    """Share of each device's sessions that reached each step."""
    title = "Funnel by device: % of sessions reaching each step"
    if steps.empty:
        return d.empty_figure(title, "No sessions in this window")
    fig = go.Figure()
    for i, (device, rows) in enumerate(steps.groupby("device", sort=False)):
        color = "#5f6368" if device == "all devices" else d.PALETTE[i % len(d.PALETTE)]
        fig.add_trace(
            go.Bar(
                x=rows["step"],
                y=rows["share_of_sessions"],
                name=d.label(device),
                marker_color=color,
                customdata=rows[["sessions", "step_rate"]].to_numpy(),
                hovertemplate="%{x}: %{y:.2f}% of sessions (%{customdata[0]:,.0f}); "
                "%{customdata[1]:.1f}% of the step before"
                "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(type="log", ticksuffix="%", title_text="% of sessions (log scale)")
    return d.layout(fig, title, height=440)


def _pct(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator if denominator else float("nan")
