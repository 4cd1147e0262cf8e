"""Anomaly detection: seasonal baseline, robust band, floors, history and settings."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._metrics import read_metric_history, write_snapshot
from pipeline_lib.quality.anomalies import (
    AnomalySettings,
    anomaly_settings,
    assess,
    detect,
    detect_for_run,
)
from pipeline_lib.storage import LocalLake

AS_OF = date(2026, 10, 31)  # a Saturday


def series(
    days: int = 84, *, seed: int = 1, metrics: dict[str, float] | None = None
) -> pd.DataFrame:
    """Daily metrics with weekends at twice the weekday level and 5% noise."""
    rng = np.random.default_rng(seed)
    base = metrics or {
        "bookings": 5000.0,
        "order_lines": 200.0,
        "sessions": 1500.0,
        "conversion_rate": 4.0,
        "bookings:Books": 1500.0,
        "lines[category=Books]": 60.0,
    }
    day_index = pd.date_range(end=pd.Timestamp(AS_OF), periods=days, freq="D")
    weekend = np.where(day_index.day_of_week >= 5, 2.0, 1.0)
    rows = []
    for metric, level in base.items():
        season = 1.0 if metric == "conversion_rate" else weekend
        values = level * season * (1 + 0.05 * rng.standard_normal(days))
        rows.append(pd.DataFrame({"day": day_index, "metric": metric, "value": values}))
    return pd.concat(rows, ignore_index=True)


def with_value(frame: pd.DataFrame, metric: str, day: date, factor: float) -> pd.DataFrame:
    out = frame.copy()
    hit = (out["metric"] == metric) & (out["day"] == pd.Timestamp(day))
    out.loc[hit, "value"] = out.loc[hit, "value"] * factor
    return out


@pytest.mark.parametrize("seed", range(10))
def test_regular_weekly_seasonality_raises_nothing(seed: int) -> None:
    assert detect(series(seed=seed), AS_OF) == []


@pytest.mark.parametrize(
    ("metric", "factor", "direction"),
    [
        ("bookings", 3.0, "above"),
        ("bookings", 0.3, "below"),
        ("sessions", 0.1, "below"),
        ("conversion_rate", 0.0, "below"),
        ("order_lines", 2.0, "above"),
    ],
)
def test_spikes_and_drops_are_found_with_direction(
    metric: str, factor: float, direction: str
) -> None:
    found = detect(with_value(series(), metric, AS_OF, factor), AS_OF)
    assert [(a.metric, a.day, a.direction) for a in found] == [
        (metric, AS_OF.isoformat(), direction)
    ]
    anomaly = found[0]
    assert anomaly.low <= anomaly.expected <= anomaly.high
    assert (anomaly.observed < anomaly.low) == (direction == "below")


def test_explanation_names_day_value_range_and_baseline() -> None:
    found = detect(with_value(series(), "bookings", AS_OF, 0.2), AS_OF)
    text = found[0].explanation
    assert text.startswith("bookings (amount of all lines) on Sat 2026-10-31 was ")
    assert ", below the expected 9," in text
    assert "from the median of the last 8 Saturdays" in text


def test_weekend_level_is_not_an_anomaly_but_a_weekday_level_on_saturday_is() -> None:
    frame = series()
    friday = AS_OF - timedelta(days=1)
    friday_value = frame[
        (frame.metric == "bookings") & (frame.day == pd.Timestamp(friday))
    ].value.iloc[0]
    hit = (frame.metric == "bookings") & (frame.day == pd.Timestamp(AS_OF))
    frame.loc[hit, "value"] = friday_value  # half the usual Saturday
    assert [(a.metric, a.direction) for a in detect(frame, AS_OF)] == [("bookings", "below")]


def test_checks_the_last_check_days_only() -> None:
    three_days_ago = AS_OF - timedelta(days=2)
    old = AS_OF - timedelta(days=10)
    assert [
        a.day for a in detect(with_value(series(), "bookings", three_days_ago, 5.0), AS_OF)
    ] == [three_days_ago.isoformat()]
    assert detect(with_value(series(), "bookings", old, 5.0), AS_OF) == []
    assert (
        detect(with_value(series(), "bookings", three_days_ago, 5.0), AS_OF, {"check_days": 1})
        == []
    )


def test_minimum_history_is_respected() -> None:
    short = series(days=22)  # 3 earlier Saturdays
    spiked = with_value(short, "bookings", AS_OF, 10.0)
    assert detect(spiked, AS_OF, {"min_history": 4}) == []
    assert [a.metric for a in detect(spiked, AS_OF, {"min_history": 3})] == ["bookings"]


def test_floors_ignore_tiny_metrics() -> None:
    tiny = series(
        metrics={
            "bookings": 20.0,
            "order_lines": 30.0,
            "bookings:Toys & Games": 50.0,
            "lines[category=Toys & Games]": 40.0,
        }
    )
    for metric in ("bookings", "bookings:Toys & Games"):
        assert detect(with_value(tiny, metric, AS_OF, 10.0), AS_OF) == []
    custom = {"min_value": {"bookings": 10}}
    assert [a.metric for a in detect(with_value(tiny, "bookings", AS_OF, 10.0), AS_OF, custom)] == [
        "bookings"
    ]


def test_a_rate_is_not_checked_when_its_volume_basis_is_tiny() -> None:
    frame = series(metrics={"sessions": 20.0, "conversion_rate": 4.0})
    assert detect(with_value(frame, "conversion_rate", AS_OF, 0.0), AS_OF) == []


def test_per_category_shift_is_found_and_named() -> None:
    found = detect(with_value(series(), "bookings:Books", AS_OF, 0.02), AS_OF)
    assert [(a.metric, a.direction) for a in found] == [("bookings:Books", "below")]
    assert found[0].explanation.startswith(
        "bookings:Books (amount of a category's lines) on Sat 2026-10-31"
    )


def test_a_missing_day_counts_as_zero_for_volumes() -> None:
    frame = series()
    frame = frame[frame.day < pd.Timestamp(AS_OF)]  # the as-of day never arrived
    found = detect(frame, AS_OF)
    assert {a.metric for a in found} == {
        "bookings",
        "order_lines",
        "sessions",
        "bookings:Books",
        "lines[category=Books]",
    }
    assert all(a.direction == "below" and a.observed == 0.0 for a in found)


def test_an_outlier_in_the_baseline_does_not_move_the_band() -> None:
    frame = with_value(series(), "bookings", AS_OF - timedelta(days=7), 50.0)
    assert detect(frame, AS_OF) == []


def vintages(values: pd.DataFrame, runs: int, maturing: str = "revenue") -> pd.DataFrame:
    """Snapshots of daily runs: a maturing metric is 20% of its final value when a day is new."""
    rows = []
    for back in range(1, runs + 1):
        as_of = pd.Timestamp(AS_OF) - pd.Timedelta(days=back)
        seen = values[values.day <= as_of].copy()
        young = (seen.metric == maturing) & (seen.day == as_of)
        seen.loc[young, "value"] *= 0.2
        rows.append(seen.assign(as_of=as_of, run_id=f"r{back:03d}", computed_at=as_of))
    return pd.concat(rows, ignore_index=True)


def test_maturing_metrics_compare_days_seen_at_the_same_age() -> None:
    values = series(metrics={"revenue": 5000.0, "order_lines": 200.0, "orders": 150.0})
    current = values.copy()
    today = (current.metric == "revenue") & (current.day == pd.Timestamp(AS_OF))
    current.loc[today, "value"] *= 0.2  # today is young: normal
    history = vintages(values, runs=60)
    assert detect(history, AS_OF, current=current) == []
    current.loc[today, "value"] *= 0.1  # a real drop on top of the young-day level
    assert [(a.metric, a.direction) for a in detect(history, AS_OF, current=current)] == [
        ("revenue", "below")
    ]


def test_maturing_metrics_wait_for_same_age_history() -> None:
    current = series(metrics={"revenue": 5000.0, "orders": 150.0})
    current = with_value(current, "revenue", AS_OF, 0.01)
    no_history = current.iloc[:0].assign(as_of=pd.Series(dtype="datetime64[ns]"))
    assert detect(no_history, AS_OF, current=current) == []
    assert [a.metric for a in detect(current, AS_OF)] == ["revenue"]  # final values


def test_baseline_prefers_what_previous_runs_saw() -> None:
    values = series(metrics={"bookings": 5000.0, "order_lines": 200.0})
    history = values.assign(
        as_of=pd.Timestamp(AS_OF) - pd.Timedelta(days=1),
        run_id="r1",
        computed_at=pd.Timestamp(AS_OF),
    )
    rewritten = values.copy()
    rewritten.loc[rewritten.metric == "bookings", "value"] *= 10  # the past rewritten x10
    found = detect(history, AS_OF, current=rewritten)
    assert [(a.metric, a.direction) for a in found] == [("bookings", "above")] * 3


@pytest.mark.parametrize(
    "section",
    [
        {"k": 0},
        {"k": "four"},
        {"check_days": 0},
        {"lookback_weeks": 1.5},
        {"min_history": 9},
        {"enabled": "yes"},
        {"min_value": {"revenu": 1}},
        {"min_value": {"revenue": -1}},
        {"relative_floor": 2},
        {"unknown": 1},
        {"min_value": [1]},
    ],
)
def test_invalid_settings_are_config_errors(section: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        anomaly_settings({"env": "local", "anomalies": section})


def test_settings_from_params_dict_section_or_defaults() -> None:
    assert anomaly_settings({"env": "local"}) == AnomalySettings()
    assert anomaly_settings({"anomalies": {"k": 3}}).k == 3.0
    assert anomaly_settings({"k": 3, "check_days": 2}).check_days == 2
    assert (
        anomaly_settings({"anomalies": {"min_value": {"revenue": 5}}}).min_value["orders"] == 10.0
    )
    with pytest.raises(ConfigError):
        anomaly_settings({"anomalies": "on"})


class FakeRunner:
    """Answers the metric queries of the sales and the funnel from fixed frames."""

    def __init__(self, days: pd.DatetimeIndex, lines: np.ndarray) -> None:
        self.days, self.lines = days, lines
        self.tables = {"curated.transactions": None, "curated.daily_funnel": None}

    def query(self, sql: str) -> pd.DataFrame:
        lines = self.lines
        if "daily_funnel" in sql:
            steps = {
                "page_views": 30,
                "product_views": 15,
                "add_to_carts": 3,
                "checkout_starts": 1.5,
                "purchases": 1,
            }
            return pd.DataFrame(
                {
                    "day": self.days,
                    "sessions": lines * 10,
                    "converting_sessions": lines,
                    **{step: lines * factor for step, factor in steps.items()},
                }
            )
        if "t.status," in sql:
            return pd.DataFrame(
                {
                    "day": self.days,
                    "category": "Books",
                    "status": "completed",
                    "revenue": lines * 40.0,
                    "bookings": lines * 50.0,
                    "lines": lines,
                }
            )
        return pd.DataFrame(
            {
                "day": self.days,
                "revenue": lines * 40.0,
                "orders": lines * 0.8,
                "bookings": lines * 50.0,
                "order_lines": lines,
                "units": lines * 1.5,
                "customers": lines * 0.9,
                "returned_lines": lines * 0.1,
                "refunded_lines": lines * 0.05,
                "cancelled_lines": lines * 0.02,
            }
        )


def test_detect_for_run_keeps_history_and_reports(tmp_path) -> None:
    lake = LocalLake(tmp_path / "lake")
    days = pd.date_range(end=pd.Timestamp(AS_OF), periods=70, freq="D")
    lines = np.where(days.day_of_week >= 5, 400.0, 200.0)
    assert (
        detect_for_run(FakeRunner(days, lines), lake=lake, run_id="r1", as_of=AS_OF, settings={})
        == []
    )
    kept = read_metric_history(lake)
    assert set(kept.run_id) == {"r1"} and kept.as_of.nunique() == 1
    assert {
        "revenue",
        "bookings[category=Books]",
        "conversion_rate",
        "return_rate",
        "purchases_per_line",
        "lines[status=completed]",
    } <= set(kept.metric)
    broken = lines.copy()
    broken[-1] = 20.0
    found = detect_for_run(
        FakeRunner(days, broken),
        lake=lake,
        run_id="r2",
        as_of=AS_OF,
        settings={"anomalies": {"check_days": 1}},
    )
    assert {"bookings", "order_lines", "sessions"} <= {a.metric for a in found}
    assert all(a.direction == "below" for a in found)
    assert (
        detect_for_run(
            FakeRunner(days, broken),
            lake=lake,
            run_id="r3",
            as_of=AS_OF,
            settings={"anomalies": {"enabled": False}},
        )
        == []
    )


def test_history_reader_skips_failed_runs_and_the_current_one(tmp_path) -> None:
    lake = LocalLake(tmp_path / "lake")
    frame = pd.DataFrame({"day": [pd.Timestamp(AS_OF)], "metric": ["bookings"], "value": [1.0]})
    for run_id in ("a", "b", "c"):
        write_snapshot(lake, frame, run_id=run_id, as_of=AS_OF)
    lake.write_bytes(
        __import__("pipeline_lib.storage", fromlist=["Zone"]).Zone.META,
        "runs/b/run.json",
        b'{"status": "failed"}',
    )
    assert sorted(read_metric_history(lake, exclude_runs=("c",)).run_id) == ["a"]


# --------------------------------------------------------------------------- every metric

#: A level for each watched family: the whole shop, and one segment of each dimension.
LEVELS = {
    "revenue": 8000.0,
    "orders": 180.0,
    "units": 400.0,
    "customers": 180.0,
    "page_views": 9000.0,
    "product_views": 5000.0,
    "add_to_carts": 900.0,
    "checkout_starts": 400.0,
    "purchases": 220.0,
    "events": 20000.0,
    "reviews": 60.0,
    "bookings[category=Garden]": 3000.0,
    "lines[category=Garden]": 80.0,
    "revenue[category=Garden]": 2500.0,
    "lines[status=pending]": 120.0,
    "sessions[device=mobile]": 4000.0,
    "events[event_type=search]": 2500.0,
}
#: Rates and indexes with their volume basis (level, basis, basis level).
RATIOS = {
    "avg_line_value": (45.0, "order_lines", 200.0),
    "avg_order_value": (45.0, "orders", 180.0),
    # A rate of a small basis moves by chance: 8% of 3,000 lines is a sharp figure.
    "return_rate": (8.0, "order_lines", 3000.0),
    "refund_rate": (4.0, "order_lines", 3000.0),
    "cancel_rate": (5.0, "order_lines", 3000.0),
    "conversion_rate": (2.5, "sessions", 20000.0),
    "product_to_cart_rate": (20.0, "product_views", 5000.0),
    "cart_to_checkout_rate": (45.0, "add_to_carts", 900.0),
    "overall_conversion_rate": (2.4, "page_views", 9000.0),
    "price_index": (100.0, "order_lines", 200.0),
    "catalog_price_ratio": (100.0, "order_lines", 200.0),
    "purchases_per_line": (100.0, "order_lines", 200.0),
    "signed_in_share": (55.0, "events", 20000.0),
    "avg_rating": (4.2, "reviews", 60.0),
    "view_to_product_rate": (55.0, "page_views", 9000.0),
    "checkout_to_purchase_rate": (55.0, "checkout_starts", 400.0),
    "conversion_rate[device=mobile]": (2.5, "sessions[device=mobile]", 20000.0),
}


#: The volume an amount is judged on.
BASES = {
    "revenue": {"orders": 180.0},
    "bookings[category=Garden]": {"lines[category=Garden]": 80.0},
    "revenue[category=Garden]": {"lines[category=Garden]": 80.0},
}


def steady(metrics: dict[str, float], noise: float = 0.02, seed: int = 3) -> pd.DataFrame:
    """Daily values without weekly season, ``noise`` relative noise."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(end=pd.Timestamp(AS_OF), periods=84, freq="D")
    return pd.concat(
        [
            pd.DataFrame(
                {"day": days, "metric": m, "value": v * (1 + noise * rng.standard_normal(84))}
            )
            for m, v in metrics.items()
        ],
        ignore_index=True,
    )


@pytest.mark.parametrize("metric", sorted(LEVELS))
@pytest.mark.parametrize(("factor", "direction"), [(4.0, "above"), (0.2, "below")])
def test_every_volume_and_segment_is_watched_in_both_directions(
    metric: str, factor: float, direction: str
) -> None:
    frame = steady({metric: LEVELS[metric], **BASES.get(metric, {})})
    assert detect(frame, AS_OF) == []
    found = detect(with_value(frame, metric, AS_OF, factor), AS_OF)
    assert [(a.metric, a.direction) for a in found] == [(metric, direction)]


@pytest.mark.parametrize("metric", sorted(RATIOS))
@pytest.mark.parametrize(("factor", "direction"), [(1.6, "above"), (0.4, "below")])
def test_every_rate_and_index_is_watched_in_both_directions(
    metric: str, factor: float, direction: str
) -> None:
    level, basis, volume = RATIOS[metric]
    frame = steady({metric: level, basis: volume})
    assert detect(frame, AS_OF) == []
    found = detect(with_value(frame, metric, AS_OF, factor), AS_OF)
    assert [(a.metric, a.direction) for a in found] == [(metric, direction)]


def test_prices_are_watched_to_a_few_percent() -> None:
    frame = steady({"price_index": 100.0, "order_lines": 200.0}, noise=0.0)
    assert detect(with_value(frame, "price_index", AS_OF, 0.97), AS_OF) == []
    found = detect(with_value(frame, "price_index", AS_OF, 0.92), AS_OF)  # USD -> EUR
    assert [a.metric for a in found] == ["price_index"]


def test_an_amount_is_judged_on_its_lines_not_on_its_size() -> None:
    # Two pricey lines a day: 1,500 of sales, but far too few lines to say a day is odd.
    frame = steady({"bookings[category=Pianos]": 1500.0, "lines[category=Pianos]": 2.0})
    result = assess(with_value(frame, "bookings[category=Pianos]", AS_OF, 0.0), AS_OF)
    assert result.anomalies == []
    small = {u.metric: u for u in result.unjudged}
    assert small["bookings[category=Pianos]"].needed == 10.0  # the floor of the lines
    assert 1.9 < small["bookings[category=Pianos]"].observed < 2.1


def test_a_small_segment_is_not_judged_and_is_listed() -> None:
    frame = steady({"lines[category=Tiny]": 5.0, "bookings[category=Tiny]": 120.0})
    result = assess(with_value(frame, "lines[category=Tiny]", AS_OF, 10.0), AS_OF)
    assert result.anomalies == []
    small = {u.metric: u for u in result.unjudged}
    assert small["lines[category=Tiny]"].reason == "too_small"
    assert small["lines[category=Tiny]"].needed == 10.0
    assert small["bookings[category=Tiny]"].reason == "too_small"


def test_a_rate_of_a_small_segment_uses_its_own_volume() -> None:
    frame = steady({"conversion_rate[device=tv]": 3.0, "sessions[device=tv]": 30.0})
    result = assess(with_value(frame, "conversion_rate[device=tv]", AS_OF, 0.0), AS_OF)
    assert result.anomalies == []
    assert {u.metric for u in result.unjudged} == {
        "conversion_rate[device=tv]",
        "sessions[device=tv]",
    }


def test_counts_carry_at_least_their_poisson_noise() -> None:
    # A perfectly regular history of 25 lines a day: 40 is a chance day, not an anomaly.
    frame = steady({"order_lines": 25.0}, noise=0.0)
    assert detect(with_value(frame, "order_lines", AS_OF, 1.6), AS_OF) == []
    assert [a.metric for a in detect(with_value(frame, "order_lines", AS_OF, 3.0), AS_OF)] == [
        "order_lines"
    ]


def test_rates_of_a_small_basis_carry_their_binomial_noise() -> None:
    frame = steady({"checkout_to_purchase_rate": 50.0, "checkout_starts": 20.0}, noise=0.0)
    assert detect(with_value(frame, "checkout_to_purchase_rate", AS_OF, 1.5), AS_OF) == []


def test_a_finding_explains_itself() -> None:
    anomaly = detect(with_value(series(), "bookings", AS_OF, 0.2), AS_OF)[0]
    assert anomaly.baseline == "the last 8 Saturdays, 2026-09-05 to 2026-10-24"
    assert anomaly.next_steps.startswith("the day's transactions file")
    assert anomaly.change_pct is not None and -85 < anomaly.change_pct < -75
    assert len(anomaly.history) == 8 and anomaly.history[0][0] == "2026-09-05"
    text = anomaly.explanation
    ratio = anomaly.observed / anomaly.expected
    assert f"2026-09-05 to 2026-10-24; {ratio:.3g}x the expected value)" in text
    assert "x the expected value). Look at the day's transactions file" in text


def test_a_small_change_is_said_in_percent() -> None:
    anomaly = detect(with_value(series(), "bookings", AS_OF, 0.5), AS_OF)[0]
    assert f"; {anomaly.change_pct:+.0f}%)" in anomaly.explanation


def test_a_hundredfold_change_is_said_as_a_factor() -> None:
    anomaly = detect(with_value(series(), "bookings", AS_OF, 100.0), AS_OF)[0]
    ratio = anomaly.observed / anomaly.expected
    assert f"; {ratio:.3g}x the expected value)" in anomaly.explanation


def test_legacy_category_names_are_read_as_segments(tmp_path) -> None:
    lake = LocalLake(tmp_path / "lake")
    frame = pd.DataFrame(
        {"day": [pd.Timestamp(AS_OF)], "metric": ["revenue:Books"], "value": [1.0]}
    )
    write_snapshot(lake, frame, run_id="old", as_of=AS_OF)
    assert read_metric_history(lake).metric.tolist() == ["revenue[category=Books]"]


def vintage_rates(days: int, runs: int, young: float, settled: float) -> pd.DataFrame:
    """Snapshots of ``runs`` daily runs of a maturing rate: ``young`` on its first day."""
    values = steady({"return_rate": settled, "order_lines": 300.0}, noise=0.0)
    rows = []
    for back in range(1, runs + 1):
        as_of = pd.Timestamp(AS_OF) - pd.Timedelta(days=back)
        seen = values[(values.day <= as_of) & (values.day > as_of - pd.Timedelta(days=days))]
        seen = seen.copy()
        seen.loc[(seen.metric == "return_rate") & (seen.day == as_of), "value"] = young
        rows.append(seen.assign(as_of=as_of, run_id=f"r{back:03d}", computed_at=as_of))
    return pd.concat(rows, ignore_index=True)


def test_maturing_rates_use_recent_days_seen_at_the_same_age() -> None:
    history = vintage_rates(days=70, runs=7, young=1.0, settled=6.0)
    current = steady({"return_rate": 6.0, "order_lines": 300.0}, noise=0.0)
    today = (current.metric == "return_rate") & (current.day == pd.Timestamp(AS_OF))
    current.loc[today, "value"] = 1.0  # as young as every earlier day was
    assert detect(history, AS_OF, {"check_days": 1}, current=current) == []
    current.loc[today, "value"] = 25.0  # a status mapping broke: every line "returned"
    found = detect(history, AS_OF, {"check_days": 1}, current=current)
    assert [(a.metric, a.direction) for a in found] == [("return_rate", "above")]
    assert found[0].baseline == "the last 7 days seen the same day"


def test_a_day_an_earlier_run_judged_is_judged_again_only_when_it_changed() -> None:
    yesterday = AS_OF - timedelta(days=1)
    values = with_value(
        series(metrics={"bookings": 5000.0, "order_lines": 200.0}), "bookings", yesterday, 5.0
    )
    seen = values[values.day <= pd.Timestamp(yesterday)]
    history = seen.assign(
        as_of=pd.Timestamp(yesterday), run_id="r1", computed_at=pd.Timestamp(yesterday)
    )
    assert [a.day for a in detect(seen, yesterday)] == [yesterday.isoformat()]  # reported then
    assert detect(history, AS_OF, current=values) == []  # not again today: unchanged
    late = with_value(values, "bookings", yesterday, 2.0)  # a late file doubled it again
    assert [(a.metric, a.day) for a in detect(history, AS_OF, current=late)] == [
        ("bookings", yesterday.isoformat())
    ]
