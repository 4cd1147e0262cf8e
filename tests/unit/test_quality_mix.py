"""Mix shifts: the shares of statuses, devices, event types and categories against history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.quality import MIX
from pipeline_lib.quality._mix import sampling_shift, total_variation
from pipeline_lib.quality.anomalies import assess, detect
from tests.unit.quality_frames import AS_OF

DEVICES = {"mobile": 0.55, "desktop": 0.35, "tablet": 0.10}


def mix(
    dimension: str,
    shares: dict[str, float],
    total: float = 4000.0,
    *,
    base: str = "logged",
    seed: int = 5,
    days: int = 84,
) -> pd.DataFrame:
    """Daily multinomial counts of ``total`` rows split by ``shares``, weekends doubled."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(end=pd.Timestamp(AS_OF), periods=days, freq="D")
    rows = []
    for day in index:
        n = int(total * (2 if day.day_of_week >= 5 else 1))
        counts = rng.multinomial(n, list(shares.values()))
        for value, count in zip(shares, counts):
            rows.append({"day": day, "metric": f"{base}[{dimension}={value}]", "value": count})
    return pd.DataFrame(rows)


def replace_day(
    frame: pd.DataFrame, shares: dict[str, float], base: str, dimension: str, total: float
) -> pd.DataFrame:
    """The as-of day with these shares instead."""
    out = frame[frame["day"] != pd.Timestamp(AS_OF)]
    new = pd.DataFrame(
        {
            "day": pd.Timestamp(AS_OF),
            "metric": [f"{base}[{dimension}={v}]" for v in shares],
            "value": [total * p for p in shares.values()],
        }
    )
    return pd.concat([out, new], ignore_index=True)


def mixes(found: list) -> list[tuple[str, str]]:
    return [(a.metric, a.day) for a in found if a.kind == MIX]


@pytest.mark.parametrize("seed", range(8))
def test_a_steady_mix_is_quiet(seed: int) -> None:
    assert mixes(detect(mix("device", DEVICES, seed=seed), AS_OF)) == []


def test_a_device_reported_as_another_is_a_mix_shift() -> None:
    broken = replace_day(
        mix("device", DEVICES),
        {"mobile": 0.0, "desktop": 0.9, "tablet": 0.1},
        "logged",
        "device",
        8000,
    )
    found = [a for a in detect(broken, AS_OF) if a.kind == MIX]
    assert [(a.metric, a.day) for a in found] == [("mix[device]", AS_OF.isoformat())]
    shift = found[0]
    assert 54 < shift.observed < 56 and shift.observed > shift.high == 3.0
    text = shift.explanation
    assert text.startswith(f"the device mix on Sat 2026-10-31 moved {shift.observed:.1f} points")
    assert "mobile 0.0% (usually 5" in text and "desktop 90.0% (usually 3" in text
    assert "from the last 8 Saturdays" in text and "Look at tracking of that device" in text
    assert len(shift.history) == 8


def test_a_value_never_seen_before_counts_fully() -> None:
    shares = {"page_view": 0.6, "product_view": 0.3, "purchase": 0.1}
    frame = mix("event_type", shares, 10000)
    renamed = {"page_view": 0.6, "product_view": 0.0, "view_item": 0.3, "purchase": 0.1}
    broken = replace_day(frame, renamed, "logged", "event_type", 20000)
    found = [a for a in detect(broken, AS_OF) if a.kind == MIX]
    assert [a.metric for a in found] == ["mix[event_type]"]
    assert 29.9 < found[0].observed < 30.1
    assert "view_item 30.0% (usually 0.0%)" in found[0].explanation


def test_a_small_shift_within_the_usual_day_to_day_movement_is_quiet() -> None:
    frame = mix("device", DEVICES)
    nudged = replace_day(
        frame, {"mobile": 0.56, "desktop": 0.34, "tablet": 0.10}, "logged", "device", 8000
    )
    assert mixes(detect(nudged, AS_OF)) == []


def test_days_with_too_few_rows_are_not_judged() -> None:
    frame = mix("device", DEVICES, total=30)
    broken = replace_day(
        frame, {"mobile": 0.0, "desktop": 1.0, "tablet": 0.0}, "logged", "device", 60
    )
    assert mixes(detect(broken, AS_OF)) == []
    assert mixes(detect(broken, AS_OF, {"mix_min_count": 20})) == [("mix[device]", "2026-10-31")]


def test_status_mix_on_a_young_day_compares_days_seen_at_the_same_age() -> None:
    settled = {"completed": 0.9, "returned": 0.1, "pending": 0.0}
    young = {"completed": 0.2, "returned": 0.0, "pending": 0.8}
    values = mix("status", settled, 300, base="lines")
    rows = []
    for back in range(1, 8):  # a week of daily runs: each saw its own day young
        as_of = pd.Timestamp(AS_OF) - pd.Timedelta(days=back)
        seen = values[values.day < as_of]
        today = replace_day(values[values.day <= as_of], young, "lines", "status", 300)
        today = today[today.day <= pd.Timestamp(AS_OF)]
        today.loc[today.day == pd.Timestamp(AS_OF), "day"] = as_of
        seen = pd.concat([seen, today[today.day == as_of]], ignore_index=True)
        rows.append(seen.assign(as_of=as_of, run_id=f"r{back}", computed_at=as_of))
    history = pd.concat(rows, ignore_index=True)
    current = replace_day(values, young, "lines", "status", 300)
    quiet = assess(history, AS_OF, {"check_days": 1}, current=current)
    assert mixes(quiet.anomalies) == []
    everything_completed = {"completed": 1.0, "returned": 0.0, "pending": 0.0}
    current = replace_day(values, everything_completed, "lines", "status", 300)
    found = [a for a in detect(history, AS_OF, {"check_days": 1}, current=current) if a.kind == MIX]
    assert [a.metric for a in found] == ["mix[status]"]
    assert "the last 7 days seen the same day" in found[0].explanation


def test_total_variation_and_sampling_shift() -> None:
    assert total_variation(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert total_variation(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 100.0
    assert sampling_shift(np.array([0.5, 0.5]), 10_000) < sampling_shift(np.array([0.5, 0.5]), 100)
    assert sampling_shift(np.array([0.5, 0.5]), 0) == float("inf")


HOURS = {
    f"{h:02d}": w
    for h, w in enumerate(
        [2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 8, 8, 7, 7, 7, 8, 9, 10, 11, 10, 7, 4]
    )
}
HOUR_SHARES = {h: w / sum(HOURS.values()) for h, w in HOURS.items()}


def test_a_time_zone_change_shows_in_the_hour_of_day_mix() -> None:
    frame = mix("hour", HOUR_SHARES, 6000, base="events")
    assert mixes(detect(frame, AS_OF)) == []
    shifted = {f"{(int(h) - 6) % 24:02d}": p for h, p in HOUR_SHARES.items()}
    found = detect(replace_day(frame, shifted, "events", "hour", 12000), AS_OF)
    assert mixes(found) == [("mix[hour]", AS_OF.isoformat())]
    assert "the time zone of the clickstream's timestamps" in found[0].explanation


def test_hours_are_only_judged_as_a_mix() -> None:
    frame = mix("hour", HOUR_SHARES, 6000, base="events")
    frame.loc[
        (frame.day == pd.Timestamp(AS_OF)) & (frame.metric == "events[hour=12]"), "value"
    ] *= 3
    result = assess(frame, AS_OF)
    assert [a.metric for a in result.anomalies if a.kind != MIX] == []
    assert not [u for u in result.unjudged if "[hour=" in u.metric]
