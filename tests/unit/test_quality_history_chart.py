"""Each key metric by day, its expected band and its anomalies, on synthetic histories."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline_lib.quality import Anomaly
from pipeline_lib.quality._history_chart import history_figure
from pipeline_lib.quality._style import STATUS_COLORS
from tests.unit.quality_reports import ANOMALIES, HOSTILE, days, traces


def history(band: bool) -> pd.DataFrame:
    rows = []
    for metric, base in (("revenue", 1000.0), ("orders", 50.0)):
        for i, day in enumerate(pd.date_range("2026-11-20", periods=8)):
            row = {"day": day.date().isoformat(), "metric": metric, "value": base + i}
            if band:
                row.update(low=base - 10 + i, high=base + 10 + i)
            rows.append(row)
    return pd.DataFrame(rows)


def test_history_draws_band_value_and_anomalies_per_metric() -> None:
    fig = history_figure(history(band=True), ANOMALIES)

    # history metrics in their order of appearance, then anomaly-only metrics
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["revenue", "orders", "refund_rate"]
    assert fig.layout.yaxis3 is not None

    high, low = traces(fig, "band_high", "revenue")[0], traces(fig, "band_low", "revenue")[0]
    assert low.fill == "tonexty" and high.fill is None
    # band traces are added high then low, so the fill goes between them
    assert fig.data.index(high) + 1 == fig.data.index(low)
    assert list(low.y) == [990.0 + i for i in range(8)]
    assert list(high.y) == [1010.0 + i for i in range(8)]
    assert days(low.x) == [d.date().isoformat() for d in pd.date_range("2026-11-20", periods=8)]

    value = traces(fig, "value", "orders")[0]
    assert list(value.y) == [50.0 + i for i in range(8)]
    assert value.yaxis == "y2"

    marks = traces(fig, "anomaly", "revenue")[0]
    assert days(marks.x) == ["2026-11-24", "2026-11-27"]  # sorted by day
    assert list(marks.y) == [2000.0, 10.0]
    assert list(marks.marker.color) == [STATUS_COLORS["fail"], STATUS_COLORS["warn"]]
    assert marks.marker.symbol == "x"
    # with a band in the history no separate expected-range trace is drawn for the metric
    assert traces(fig, "expected", "revenue") == []
    assert traces(fig, "anomaly", "orders") == []


def test_history_anomaly_only_metric_gets_its_own_row_with_expected_range() -> None:
    fig = history_figure(history(band=True), ANOMALIES)
    refunds = traces(fig, "anomaly", "refund_rate")[0]
    assert refunds.yaxis == "y3"
    assert days(refunds.x) == ["2026-11-27"] and list(refunds.y) == [0.4]
    expected = traces(fig, "expected", "refund_rate")[0]
    assert list(expected.y) == [0.05]
    assert list(expected.error_y.array) == pytest.approx([0.05])
    assert list(expected.error_y.arrayminus) == pytest.approx([0.05])


def test_history_without_band_columns_draws_each_anomalys_range() -> None:
    fig = history_figure(history(band=False), ANOMALIES)
    assert traces(fig, "band_low") == [] and traces(fig, "band_high") == []
    expected = traces(fig, "expected", "revenue")[0]
    assert days(expected.x) == ["2026-11-24", "2026-11-27"]
    assert list(expected.y) == [1004.0, 1007.0]
    assert list(expected.error_y.array) == [10.0, 10.0]  # high - expected
    assert list(expected.error_y.arrayminus) == [10.0, 10.0]  # expected - low


def test_history_legend_lists_each_role_once() -> None:
    fig = history_figure(history(band=True), ANOMALIES)
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert sorted(shown) == sorted(set(shown))
    assert {"value", "expected range", "anomaly"} <= set(shown)


def test_history_hover_text_is_escaped() -> None:
    fig = history_figure(history(band=False), ANOMALIES)
    hover = " ".join(traces(fig, "anomaly", "revenue")[0].hovertext)
    assert HOSTILE not in hover
    assert "&lt;script&gt;" in hover


def test_history_empty_and_invalid() -> None:
    empty = history_figure(pd.DataFrame(columns=["day", "metric", "value"]))
    assert len(empty.data) == 0
    assert "No metric history" in empty.layout.annotations[0].text
    with pytest.raises(ValueError, match="missing"):
        history_figure(pd.DataFrame({"day": [], "value": []}))


def test_history_keeps_the_latest_snapshot_value_per_day() -> None:
    raw = pd.DataFrame(
        {
            "run_id": ["r1", "r1", "r2", "r2"],
            "computed_at": pd.to_datetime(
                ["2026-11-27T06:00", "2026-11-27T06:00", "2026-11-28T06:00", "2026-11-28T06:00"],
                utc=True,
            ),
            "day": ["2026-11-26", "2026-11-27", "2026-11-26", "2026-11-27"],
            "metric": "revenue",
            "value": [10.0, 5.0, 11.0, 12.0],
        }
    )
    value = traces(history_figure(raw.iloc[::-1]), "value", "revenue")[0]
    assert days(value.x) == ["2026-11-26", "2026-11-27"]
    assert list(value.y) == [11.0, 12.0]  # r2 recomputed both days


def test_history_draws_whole_shop_metrics_first_and_every_flagged_one() -> None:
    rows = [
        {"day": "2026-11-27", "metric": m, "value": 1.0}
        for m in ["revenue:Books", "revenue", "orders", "revenue:Toys", "sessions"]
    ]
    flagged = [Anomaly("revenue:Toys", "2026-11-27", 1.0, 5.0, 4.0, 6.0, "below", "toys")]
    fig = history_figure(pd.DataFrame(rows), flagged, max_metrics=3)
    assert [a.text for a in fig.layout.annotations] == ["revenue", "orders", "revenue:Toys"]
    assert "3 of 5 metrics" in fig.layout.title.text
    chosen = history_figure(pd.DataFrame(rows), metrics=["sessions", "revenue:Books"])
    assert [a.text for a in chosen.layout.annotations] == ["sessions", "revenue:Books"]


def test_history_window_keeps_the_last_days() -> None:
    frame = pd.DataFrame(
        {"day": pd.date_range("2026-01-01", periods=300), "metric": "orders", "value": 1.0}
    )
    value = traces(history_figure(frame, window_days=30), "value", "orders")[0]
    assert len(value.x) == 30
    assert days(value.x)[-1] == "2026-10-27"
    assert len(traces(history_figure(frame, window_days=None), "value")[0].x) == 300


def test_history_puts_segments_after_whole_shop_metrics() -> None:
    rows = [
        {"day": "2026-11-20", "metric": m, "value": 1.0}
        for m in ["sessions[device=tv]", "revenue", "bookings[category=Books]", "orders"]
    ]
    fig = history_figure(pd.DataFrame(rows))
    assert [a.text for a in fig.layout.annotations] == [
        "revenue",
        "orders",
        "sessions[device=tv]",
        "bookings[category=Books]",
    ]
