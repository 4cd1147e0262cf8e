"""Revenue trends and seasonality: daily and monthly revenue, weekday pattern, growth.

Inputs are the rows of the named query ``revenue_trend`` (completed lines only). The
newest days are *settling*: most of their lines are still pending and count as revenue
only once completed, so comparisons leave the last ``settle_days`` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.analytics import display as d

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Days in each half of the growth comparison.
GROWTH_WINDOW_DAYS = 28
#: Settled days of history the weekday pattern needs (two of each weekday).
MIN_WEEKDAY_DAYS = 14


@dataclass(frozen=True)
class Growth:
    """Revenue of the last ``days`` settled days against the ``days`` before them."""

    days: int
    start: date  # first day of the recent window
    end: date  # last settled day
    revenue: float
    previous_revenue: float
    orders: int
    previous_orders: int

    @property
    def change_pct(self) -> Optional[float]:
        """Percent change of revenue; None when the previous window earned nothing."""
        if self.previous_revenue == 0:
            return None
        return 100.0 * (self.revenue - self.previous_revenue) / self.previous_revenue


def daily_revenue(
    rows: pd.DataFrame, *, as_of: date, days: int, settle_days: int = 7
) -> pd.DataFrame:
    """One row per day of the window, days without a sale included (revenue 0).

    Parameters
    ----------
    rows
        ``revenue_trend`` with ``grain='day'``: period, orders, units_sold, revenue.
    as_of, days
        The window: the ``days`` days ending on ``as_of`` (``as_of`` included), as the
        query cuts it.
    settle_days
        The last days whose revenue is still growing (pending lines): ``settling`` True.

    Returns
    -------
    pandas.DataFrame
        day, orders, units_sold, revenue, weekday, rolling_7 (mean revenue of the 7 days
        ending that day, once 7 days exist), settling.
    """
    start = as_of - timedelta(days=days - 1)
    calendar = pd.DataFrame({"day": pd.date_range(start, as_of, freq="D").date})
    found = rows.rename(columns={"period": "day"}).copy()
    if found.empty:
        found = pd.DataFrame(columns=["day", "orders", "units_sold", "revenue"])
    found["day"] = pd.to_datetime(found["day"]).dt.date
    frame = calendar.merge(found[["day", "orders", "units_sold", "revenue"]], on="day", how="left")
    for column in ("orders", "units_sold", "revenue"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0)
    frame["orders"] = frame["orders"].astype("int64")
    frame["units_sold"] = frame["units_sold"].astype("int64")
    frame["revenue"] = frame["revenue"].astype("float64")
    frame["weekday"] = [WEEKDAYS[d.weekday()] for d in frame["day"]]
    frame["rolling_7"] = frame["revenue"].rolling(7, min_periods=7).mean()
    frame["settling"] = [d > as_of - timedelta(days=settle_days) for d in frame["day"]]
    return frame


def monthly_revenue(rows: pd.DataFrame, *, as_of: date, days: int) -> pd.DataFrame:
    """``revenue_trend`` by month, with ``partial`` True for months the window cuts."""
    frame = rows.rename(columns={"period": "month"}).copy()
    if frame.empty:
        return pd.DataFrame(columns=["month", "orders", "revenue", "partial"])
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    start = as_of - timedelta(days=days - 1)
    month_end = [(pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date() for m in frame["month"]]
    frame["partial"] = [m < start or end > as_of for m, end in zip(frame["month"], month_end)]
    return frame[["month", "orders", "revenue", "partial"]].reset_index(drop=True)


def weekday_profile(daily: pd.DataFrame) -> pd.DataFrame:
    """Mean revenue per weekday over the settled days, against the average day.

    Returns
    -------
    pandas.DataFrame
        weekday (Monday first), days, mean_revenue, vs_average_pct (percent above (+) or
        below (-) the mean of all settled days); empty with fewer than
        ``MIN_WEEKDAY_DAYS`` settled days.
    """
    columns = ["weekday", "days", "mean_revenue", "vs_average_pct"]
    settled = daily[~daily["settling"]]
    if len(settled) < MIN_WEEKDAY_DAYS or settled["revenue"].mean() == 0:
        return pd.DataFrame(columns=columns)
    average = settled["revenue"].mean()
    grouped = settled.groupby("weekday")["revenue"].agg(["count", "mean"])
    grouped = grouped.reindex([w for w in WEEKDAYS if w in grouped.index])
    return pd.DataFrame(
        {
            "weekday": grouped.index,
            "days": grouped["count"].astype("int64").to_numpy(),
            "mean_revenue": grouped["mean"].to_numpy(),
            "vs_average_pct": (100.0 * (grouped["mean"] / average - 1)).to_numpy(),
        }
    )


def period_growth(
    daily: pd.DataFrame, *, as_of: date, settle_days: int, days: int = GROWTH_WINDOW_DAYS
) -> Optional[Growth]:
    """The last ``days`` settled days against the ``days`` before; None if the window is short."""
    end = as_of - timedelta(days=settle_days)
    start = end - timedelta(days=days - 1)
    previous_start = start - timedelta(days=days)
    if daily.empty or min(daily["day"]) > previous_start:
        return None
    recent = daily[(daily["day"] >= start) & (daily["day"] <= end)]
    previous = daily[(daily["day"] >= previous_start) & (daily["day"] < start)]
    return Growth(
        days=days,
        start=start,
        end=end,
        revenue=float(recent["revenue"].sum()),
        previous_revenue=float(previous["revenue"].sum()),
        orders=int(recent["orders"].sum()),
        previous_orders=int(previous["orders"].sum()),
    )


def conclusions(
    daily: pd.DataFrame,
    profile: pd.DataFrame,
    growth: Optional[Growth],
    *,
    settle_days: int,
) -> list[str]:
    """Sentences about the window, every number computed from the frames."""
    if daily.empty or daily["revenue"].sum() == 0:
        return ["No completed revenue in this window."]
    total, orders = float(daily["revenue"].sum()), int(daily["orders"].sum())
    first, last = daily["day"].min(), daily["day"].max()
    sentences = [
        f"Completed revenue from {first} to {last}: {d.money(total)} from {d.count(orders)} "
        f"orders, {d.money(total / orders if orders else None)} per order."
    ]
    if growth is not None:
        if growth.change_pct is None:
            trend = "with nothing in the days before to compare with"
        else:
            word = "up" if growth.change_pct >= 0 else "down"
            trend = (
                f"{word} {d.percent(abs(growth.change_pct))} on the {growth.days} days before "
                f"({d.money(growth.previous_revenue)})"
            )
        sentences.append(
            f"The {growth.days} days to {growth.end} earned {d.money(growth.revenue)}, "
            f"{trend}; the newest {settle_days} days are left out because many of their "
            "lines are still pending."
        )
    if not profile.empty:
        ranked = profile.sort_values("vs_average_pct")
        low, high = ranked.iloc[0], ranked.iloc[-1]
        sentences.append(
            f"Busiest weekday: {high['weekday']}, {d.percent(high['vs_average_pct'])} above "
            f"the average day; quietest: {low['weekday']}, "
            f"{d.percent(abs(low['vs_average_pct']))} below."
        )
    settled = daily[~daily["settling"]]
    if not settled.empty:
        best = settled.loc[settled["revenue"].idxmax()]
        sentences.append(
            f"Best settled day: {d.day(best['day'])} with {d.money(best['revenue'])} from "
            f"{d.count(best['orders'])} orders."
        )
    return sentences


def revenue_figure(daily: pd.DataFrame) -> go.Figure:
    """Daily revenue bars, the 7-day average, and the settling days shaded."""
    title = "Completed revenue per day"
    if daily.empty:
        return d.empty_figure(title, "No days in this window")
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=daily["day"],
            y=daily["revenue"],
            name="revenue",
            marker_color="#aecbfa",
            customdata=daily["orders"],
            hovertemplate="%{x}<br>%{y:$,.2f} from %{customdata:,} orders<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=daily["day"],
            y=daily["rolling_7"],
            name="7-day average",
            mode="lines",
            line={"color": d.PALETTE[0], "width": 2.5},
            hovertemplate="%{x}<br>7-day average %{y:$,.2f}<extra></extra>",
        )
    )
    settling = daily[daily["settling"]]
    if not settling.empty:
        fig.add_vrect(
            x0=pd.Timestamp(settling["day"].min()) - pd.Timedelta(hours=12),
            x1=pd.Timestamp(settling["day"].max()) + pd.Timedelta(hours=12),
            fillcolor="#fce8b2",
            opacity=0.5,
            line_width=0,
            annotation_text="still settling",
            annotation_position="top left",
        )
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return d.layout(fig, title)


def weekday_figure(profile: pd.DataFrame) -> go.Figure:
    """Each weekday's mean revenue against the average day, in percent."""
    title = "Weekday pattern: mean revenue against the average day"
    if profile.empty:
        return d.empty_figure(title, "Fewer than two weeks of settled days")
    colors = [d.PALETTE[2] if v >= 0 else d.PALETTE[4] for v in profile["vs_average_pct"]]
    fig = go.Figure(
        go.Bar(
            x=profile["weekday"],
            y=profile["vs_average_pct"],
            marker_color=colors,
            customdata=profile["mean_revenue"],
            hovertemplate="%{x}: %{y:+.1f}% (mean %{customdata:$,.2f})<extra></extra>",
        )
    )
    fig.update_yaxes(ticksuffix="%", zeroline=True)
    return d.layout(fig, title, height=360)


def monthly_figure(monthly: pd.DataFrame) -> go.Figure:
    """Revenue per month; months the window cuts are drawn lighter."""
    title = "Completed revenue per month"
    if monthly.empty:
        return d.empty_figure(title, "No months in this window")
    colors = ["#c6dafc" if p else d.PALETTE[0] for p in monthly["partial"]]
    names = [
        f"{pd.Timestamp(m):%b %Y}" + (" (partial)" if p else "")
        for m, p in zip(monthly["month"], monthly["partial"])
    ]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=monthly["revenue"],
            marker_color=colors,
            customdata=monthly["orders"],
            hovertemplate="%{x}<br>%{y:$,.2f} from %{customdata:,} orders<extra></extra>",
        )
    )
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return d.layout(fig, title, height=360)
