"""The daily key metrics' SQL, run on DuckDB over a real small lake, against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline_lib.quality import live_runner
from pipeline_lib.quality._metrics import daily_metrics
from pipeline_lib.storage import LocalLake
from tests.lake_builder import build_lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    return build_lake(tmp_path_factory.mktemp("metrics"), transactions=2000)


@pytest.fixture(scope="module")
def metrics(lake: LocalLake) -> pd.DataFrame:
    runner = live_runner(lake)
    try:
        return daily_metrics(runner)
    finally:
        runner.close()


def table(lake: LocalLake, name: str) -> pd.DataFrame:
    runner = live_runner(lake)
    try:
        return runner.query(f"select * from curated.{name}")
    finally:
        runner.close()


def metric(metrics: pd.DataFrame, name: str) -> pd.Series:
    rows = metrics[metrics["metric"] == name]
    return pd.Series(rows["value"].to_numpy(), index=pd.to_datetime(rows["day"]).dt.date)


def test_revenue_orders_and_bookings_match_pandas(lake: LocalLake, metrics: pd.DataFrame) -> None:
    lines = table(lake, "transactions")
    lines["day"] = pd.to_datetime(lines["transaction_date"]).dt.date
    days = sorted(lines["day"].unique())  # a day with lines but none completed has 0 revenue
    completed = lines[lines["status"] == "completed"].groupby("day")
    pd.testing.assert_series_equal(
        metric(metrics, "revenue"),
        completed["total_amount"].sum().reindex(days, fill_value=0).astype(float),
        check_names=False,
        check_index_type=False,
        atol=0.01,
    )
    orders = completed.size().reindex(days, fill_value=0).astype(float)
    assert (metric(metrics, "orders").to_numpy() == orders.to_numpy()).all()
    bookings = lines.groupby("day")["total_amount"].sum().astype(float)
    pd.testing.assert_series_equal(
        metric(metrics, "bookings"), bookings, check_names=False, check_index_type=False, atol=0.01
    )


def test_return_rate_and_category_revenue_match_pandas(
    lake: LocalLake, metrics: pd.DataFrame
) -> None:
    lines = table(lake, "transactions")
    lines["day"] = pd.to_datetime(lines["transaction_date"]).dt.date
    by_day = lines.groupby("day")
    returned = lines["status"].isin(["returned", "refunded"]).groupby(lines["day"]).sum()
    expected_rate = (100.0 * returned / by_day.size()).astype(float)
    pd.testing.assert_series_equal(
        metric(metrics, "return_rate"),
        expected_rate,
        check_names=False,
        check_index_type=False,
        atol=1e-9,
    )
    electronics = lines[(lines["status"] == "completed") & (lines["category"] == "Electronics")]
    expected = electronics.groupby("day")["total_amount"].sum().astype(float)
    observed = metric(metrics, "revenue[category=Electronics]")
    pd.testing.assert_series_equal(
        observed[observed.index.isin(expected.index)],
        expected,
        check_names=False,
        check_index_type=False,
        atol=0.01,
    )


def test_sessions_and_conversion_come_from_the_daily_funnel(
    lake: LocalLake, metrics: pd.DataFrame
) -> None:
    funnel = table(lake, "daily_funnel")
    funnel.index = pd.to_datetime(funnel["date"]).dt.date
    assert (metric(metrics, "sessions") == funnel["sessions"].astype(float)).all()
    expected = (100.0 * funnel["converting_sessions"] / funnel["sessions"]).astype(float)
    pd.testing.assert_series_equal(
        metric(metrics, "conversion_rate"),
        expected,
        check_names=False,
        check_index_type=False,
        atol=1e-9,
    )


def test_volumes_and_prices_of_the_lines_match_pandas(
    lake: LocalLake, metrics: pd.DataFrame
) -> None:
    lines = table(lake, "transactions")
    lines["day"] = pd.to_datetime(lines["transaction_date"]).dt.date
    by_day = lines.groupby("day")
    assert (metric(metrics, "units") == by_day["quantity"].sum().astype(float)).all()
    assert (metric(metrics, "customers") == by_day["customer_id"].nunique().astype(float)).all()
    value = (by_day["total_amount"].sum() / by_day.size()).astype(float)
    pd.testing.assert_series_equal(
        metric(metrics, "avg_line_value"), value, check_names=False, check_index_type=False
    )
    # Lines pay their products' usual price: the indexes sit at 100% (a day of a handful
    # of lines may land a little off).
    for name in ("price_index", "catalog_price_ratio"):
        index = metric(metrics, name)
        assert index.median() == pytest.approx(100.0, abs=1.0)
        assert index.between(90, 110).mean() > 0.9
    pending = lines[lines["status"] == "pending"].groupby("day").size().astype(float)
    observed = metric(metrics, "lines[status=pending]")
    assert (observed.reindex(pending.index) == pending).all()


def test_clickstream_segments_and_reviews_match_pandas(
    lake: LocalLake, metrics: pd.DataFrame
) -> None:
    events = table(lake, "clickstream")
    events["day"] = pd.to_datetime(events["event_date"]).dt.date
    events["weight"] = 1.0 / events["sample_rate"].fillna(1.0)
    views = events[events["event_type"] == "page_view"].groupby("day")["weight"].sum()
    observed = metric(metrics, "events[event_type=page_view]")
    pd.testing.assert_series_equal(observed, views, check_names=False, check_index_type=False)
    hours = events.assign(hour=pd.to_datetime(events["timestamp"]).dt.hour)
    noon = hours[hours["hour"] == 12].groupby("day").size().astype(float)  # as logged
    pd.testing.assert_series_equal(
        metric(metrics, "events[hour=12]").reindex(noon.index),
        noon,
        check_names=False,
        check_index_type=False,
    )
    sessions = table(lake, "sessions")
    sessions["day"] = pd.to_datetime(sessions["session_date"]).dt.date
    mobile = sessions[sessions["device"] == "mobile"].groupby("day")["sample_weight"].sum()
    pd.testing.assert_series_equal(
        metric(metrics, "sessions[device=mobile]"),
        mobile,
        check_names=False,
        check_index_type=False,
    )
    reviews = table(lake, "reviews")
    reviews["day"] = pd.to_datetime(reviews["review_date"]).dt.date
    counts = reviews.groupby("day").size().astype(float)
    assert (metric(metrics, "reviews") == counts).all()


def test_a_window_reads_only_its_days(lake: LocalLake) -> None:
    from datetime import date

    from pipeline_lib.quality._metrics import Window

    runner = live_runner(lake)
    try:
        window = Window.for_detection(date(2026, 11, 28), lookback_weeks=2, check_days=3)
        few = daily_metrics(runner, window)
    finally:
        runner.close()
    days = pd.to_datetime(few["day"]).dt.date
    assert days.min() >= date(2026, 11, 12) and days.max() <= date(2026, 11, 28)
    assert window.first == date(2026, 11, 12) and window.baseline_last == date(2026, 11, 25)
