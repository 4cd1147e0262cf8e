"""When people shop: the day window, weekly and yearly seasonality, and hours of the day."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

SECONDS_PER_DAY = 86_400
#: Monday..Sunday. Weekends are busier, Monday and Tuesday quietest.
WEEKDAY_FACTORS = np.array([0.92, 0.90, 0.94, 0.98, 1.06, 1.22, 1.18])
#: Relative growth over one year of the window: the shop is growing.
ANNUAL_GROWTH = 0.25
BLACK_FRIDAY_FACTOR = 1.9
DECEMBER_FACTOR = 1.3
#: Sessions start mostly in the evening, rarely at night (UTC hours 0..23).
HOURLY_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 8, 8, 7, 7, 7, 8, 9, 10, 11, 10, 7, 4], dtype=float
)


def window_start(end_date: date, days: int) -> date:
    """The first day of a ``days``-day window ending at ``end_date`` (inclusive)."""
    return end_date - timedelta(days=days - 1)


def _black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def daily_weights(end_date: date, days: int) -> np.ndarray:
    """Relative order volume of each day of the window, normalized to sum to 1."""
    start = window_start(end_date, days)
    offsets = np.arange(days)
    epoch_days = (np.datetime64(start, "D") + offsets).astype(np.int64)
    weekday = (epoch_days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    weights = WEEKDAY_FACTORS[weekday] * (1.0 + ANNUAL_GROWTH * offsets / 365.0)
    for offset in range(days):
        day = start + timedelta(days=offset)
        black_friday = _black_friday(day.year)
        if black_friday <= day <= black_friday + timedelta(days=3):  # through Cyber Monday
            weights[offset] *= BLACK_FRIDAY_FACTOR
        elif day.month == 12 and day.day <= 22:
            weights[offset] *= DECEMBER_FACTOR
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def sample_seconds_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight, following ``HOURLY_WEIGHTS``."""
    hours = rng.choice(24, size=size, p=HOURLY_WEIGHTS / HOURLY_WEIGHTS.sum())
    return np.asarray(hours * 3600 + rng.integers(0, 3600, size=size), dtype=np.int64)
