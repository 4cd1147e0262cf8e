"""Anomaly detection: seasonal baseline, robust band, floors, history and settings."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._metrics import read_metric_history, write_snapshot
from pipeline_lib.quality.anomalies import AnomalySettings, anomaly_settings, detect, detect_for_run
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
    assert text.startswith("bookings on Sat 2026-10-31 was ")
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
    tiny = series(metrics={"bookings": 20.0, "order_lines": 3.0, "bookings:Toys & Games": 50.0})
    for metric in ("bookings", "order_lines", "bookings:Toys & Games"):
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
    assert found[0].explanation.startswith("bookings:Books on Sat 2026-10-31")


def test_a_missing_day_counts_as_zero_for_volumes() -> None:
    frame = series()
    frame = frame[frame.day < pd.Timestamp(AS_OF)]  # the as-of day never arrived
    found = detect(frame, AS_OF)
    assert {a.metric for a in found} == {"bookings", "order_lines", "sessions", "bookings:Books"}
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
    values = series(metrics={"revenue": 5000.0, "order_lines": 200.0})
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
    current = series(metrics={"revenue": 5000.0})
    current = with_value(current, "revenue", AS_OF, 0.01)
    no_history = current.iloc[:0].assign(as_of=pd.Series(dtype="datetime64[ns]"))
    assert detect(no_history, AS_OF, current=current) == []
    assert [a.metric for a in detect(current, AS_OF)] == ["revenue"]  # final values


def test_baseline_prefers_what_previous_runs_saw() -> None:
    values = series(metrics={"bookings": 5000.0})
    history = values.assign(
        as_of=pd.Timestamp(AS_OF) - pd.Timedelta(days=1),
        run_id="r1",
        computed_at=pd.Timestamp(AS_OF),
    )
    rewritten = values.copy()
    rewritten["value"] *= 10  # the whole past was rewritten x10 by this run
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
    """Answers the three metric queries from fixed frames."""

    def __init__(self, days: pd.DatetimeIndex, lines: np.ndarray) -> None:
        self.days, self.lines = days, lines

    def query(self, sql: str) -> pd.DataFrame:
        if "daily_funnel" in sql:
            return pd.DataFrame(
                {"day": self.days, "sessions": self.lines * 10, "converting_sessions": self.lines}
            )
        if "t.category" in sql:
            return pd.DataFrame(
                {
                    "day": self.days,
                    "category": "Books",
                    "revenue": self.lines * 40.0,
                    "bookings": self.lines * 50.0,
                }
            )
        return pd.DataFrame(
            {
                "day": self.days,
                "revenue": self.lines * 40.0,
                "orders": self.lines * 0.8,
                "bookings": self.lines * 50.0,
                "order_lines": self.lines,
                "returned_lines": self.lines * 0.1,
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
    assert {"revenue", "bookings:Books", "conversion_rate", "return_rate"} <= set(kept.metric)
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
