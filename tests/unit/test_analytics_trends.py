"""Revenue trends: the calendar, the settling days, the weekday pattern and growth."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from pipeline_lib.analytics import trends

AS_OF = date(2026, 11, 28)  # a Saturday


def revenue_rows(days: int, amount: float = 100.0) -> pd.DataFrame:
    """revenue_trend rows of ``days`` days ending on AS_OF: one order a day of ``amount``,
    Saturdays twice that."""
    rows = []
    for offset in range(days):
        day = AS_OF - timedelta(days=offset)
        value = amount * (2 if day.weekday() == 5 else 1)
        rows.append({"period": day, "orders": 1, "units_sold": 2, "revenue": value})
    return pd.DataFrame(rows[::-1])


def test_daily_revenue_fills_days_without_sales_and_flags_settling_days() -> None:
    rows = revenue_rows(10)
    rows = rows[rows["period"] != AS_OF - timedelta(days=3)]  # a day without a sale
    daily = trends.daily_revenue(rows, as_of=AS_OF, days=10, settle_days=2)
    assert daily["day"].tolist() == [AS_OF - timedelta(days=k) for k in range(9, -1, -1)]
    gap = daily[daily["day"] == AS_OF - timedelta(days=3)].iloc[0]
    assert (gap["revenue"], gap["orders"]) == (0.0, 0)
    assert daily["settling"].tolist() == [False] * 8 + [True] * 2
    assert daily["rolling_7"].isna().sum() == 6
    last7 = daily["revenue"].tail(7).mean()
    assert daily["rolling_7"].iloc[-1] == pytest.approx(last7)
    assert daily.iloc[-1]["weekday"] == "Saturday"


def test_weekday_profile_over_settled_days() -> None:
    daily = trends.daily_revenue(revenue_rows(28), as_of=AS_OF, days=28, settle_days=0)
    profile = trends.weekday_profile(daily)
    assert profile["weekday"].tolist() == list(trends.WEEKDAYS)
    average = (6 * 100 + 200) / 7  # four full weeks
    saturday = profile[profile["weekday"] == "Saturday"].iloc[0]
    assert saturday["mean_revenue"] == 200
    assert saturday["vs_average_pct"] == pytest.approx(100 * (200 / average - 1))
    assert profile["days"].tolist() == [4] * 7
    short = trends.daily_revenue(revenue_rows(12), as_of=AS_OF, days=12, settle_days=0)
    assert trends.weekday_profile(short).empty  # under two weeks


def test_period_growth_compares_settled_windows() -> None:
    rows = revenue_rows(80)
    # the last 28 settled days earn half again as much as the 28 before
    end = AS_OF - timedelta(days=7)
    recent = (rows["period"] > end - timedelta(days=28)) & (rows["period"] <= end)
    rows.loc[recent, "revenue"] *= 1.5
    daily = trends.daily_revenue(rows, as_of=AS_OF, days=80, settle_days=7)
    growth = trends.period_growth(daily, as_of=AS_OF, settle_days=7)
    assert growth is not None
    assert (growth.start, growth.end) == (end - timedelta(days=27), end)
    assert growth.change_pct == pytest.approx(50.0)
    assert growth.orders == growth.previous_orders == 28
    short = trends.daily_revenue(rows, as_of=AS_OF, days=40, settle_days=7)
    assert trends.period_growth(short, as_of=AS_OF, settle_days=7) is None


def test_conclusions_are_computed_from_the_frames() -> None:
    daily = trends.daily_revenue(revenue_rows(80), as_of=AS_OF, days=80, settle_days=7)
    profile = trends.weekday_profile(daily)
    growth = trends.period_growth(daily, as_of=AS_OF, settle_days=7)
    sentences = trends.conclusions(daily, profile, growth, settle_days=7)
    total = daily["revenue"].sum()
    assert sentences[0] == (
        f"Completed revenue from {AS_OF - timedelta(days=79)} to {AS_OF}: "
        f"${total:,.2f} from 80 orders, ${total / 80:,.2f} per order."
    )
    assert "up 0.0% on the 28 days before" in sentences[1]
    assert sentences[2].startswith("Busiest weekday: Saturday, ")
    assert sentences[3].startswith("Best settled day: ") and "(Sat) with $200.00" in sentences[3]
    empty = trends.daily_revenue(revenue_rows(5).iloc[0:0], as_of=AS_OF, days=5)
    assert trends.conclusions(empty, pd.DataFrame(), None, settle_days=7) == [
        "No completed revenue in this window."
    ]


def test_monthly_revenue_marks_the_months_the_window_cuts() -> None:
    rows = pd.DataFrame(
        {
            "period": [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)],
            "orders": [3, 10, 8],
            "units_sold": [3, 10, 8],
            "revenue": [30.0, 100.0, 80.0],
        }
    )
    monthly = trends.monthly_revenue(rows, as_of=AS_OF, days=80)  # from 2026-09-10
    assert monthly["partial"].tolist() == [True, False, True]


def test_figures_draw_the_data_or_say_why_not() -> None:
    daily = trends.daily_revenue(revenue_rows(30), as_of=AS_OF, days=30, settle_days=7)
    fig = trends.revenue_figure(daily)
    assert [t.name for t in fig.data] == ["revenue", "7-day average"]
    assert len(fig.data[0].x) == 30
    assert len(fig.layout.shapes) == 1  # the settling days
    assert trends.weekday_figure(pd.DataFrame()).layout.meta == {"empty": True}
