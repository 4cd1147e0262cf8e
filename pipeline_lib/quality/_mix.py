"""Mix shifts: the shares of each status, device, event type and category against history.

For a dimension (statuses of order lines, devices of sessions, event types of events,
categories of order lines) and a checked day, the day's shares are compared with the mean
shares of its baseline days (the same weekday of earlier weeks; for statuses on young
days, earlier days seen at the same age). The shift is the total variation distance in
points: half the sum of the absolute share changes, 0 when nothing moved, 100 when the
day has nothing in common with its history. A value never seen before counts fully.

What shift is usual comes from the baseline itself: each baseline day's shift from the
others (leave one out). The day is a mix anomaly when its shift exceeds the usual shift's
median by ``mix_k`` robust standard deviations, 1.5 times the biggest usual shift, four
times the shift sampling alone would give at the day's volume, and ``mix_min_shift``
points. Days (and baseline days) with
fewer than ``mix_min_count`` rows are not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from pipeline_lib.quality._explain import days_after, mix_explanation, weekday_plural
from pipeline_lib.quality._metrics import MIX_BASES, SPECS, parse_name
from pipeline_lib.quality._model import MIX, WARNING, Anomaly

if TYPE_CHECKING:
    from pipeline_lib.quality.anomalies import AnomalySettings, _Columns, _Day

MAD_TO_SIGMA = 1.4826
#: A shift must exceed the biggest usual shift of the baseline days by this factor.
MAX_USUAL_FACTOR = 1.5
#: Values named in a mix anomaly's explanation (the ones that moved most).
MOVERS = 4
#: The expected |share error| of a sample of n is sqrt(2 / pi) * sqrt(p (1 - p) / n).
_HALF_NORMAL_MEAN = float(np.sqrt(2.0 / np.pi))


def total_variation(shares: np.ndarray, usual: np.ndarray) -> float:
    """Half the sum of absolute share differences, in points (shares sum to 1)."""
    return float(50.0 * np.abs(shares - usual).sum())


def sampling_shift(usual: np.ndarray, n: float) -> float:
    """The shift, in points, sampling ``n`` rows from ``usual`` shares gives on average."""
    if n <= 0:
        return float("inf")
    return float(50.0 * _HALF_NORMAL_MEAN * np.sqrt(usual * (1.0 - usual) / n).sum())


def _rows(
    values: np.ndarray, days: Sequence[pd.Timestamp]
) -> tuple[np.ndarray, list[Optional[pd.Timestamp]]]:
    """Baseline rows (NaN as 0) and their days, one per row (None past the days given)."""
    labels: list[Optional[pd.Timestamp]] = list(days)
    rows = np.nan_to_num(values, nan=0.0)
    return rows, (labels + [None] * len(rows))[: len(rows)]


def mix_findings(inputs: _Day, cols: _Columns, cfg: AnomalySettings) -> list[Anomaly]:
    """The mix anomalies of one checked day, one per dimension that moved."""
    found = []
    by_dimension: dict[str, list[int]] = {}
    for i, name in enumerate(cols.names):
        base, dimension, _ = parse_name(str(name))
        if dimension is not None and MIX_BASES.get(dimension) == base:
            by_dimension.setdefault(dimension, []).append(i)
    for dimension, index in sorted(by_dimension.items()):
        anomaly = _dimension_shift(inputs, cols, cfg, dimension, np.array(index))
        if anomaly is not None:
            found.append(anomaly)
    return found


def _dimension_shift(
    inputs: _Day, cols: _Columns, cfg: AnomalySettings, dimension: str, index: np.ndarray
) -> Optional[Anomaly]:
    if inputs.judged_before is not None and inputs.judged_before[index].all():
        return None  # an earlier run judged this day's mix, unchanged since
    observed = np.nan_to_num(inputs.observed[index], nan=0.0)
    total = float(observed.sum())
    if total < cfg.mix_min_count or len(index) < 2:
        return None
    first = int(index[0])
    rows, base_days = _rows(inputs.base[:, index], inputs.base_days[first])
    any_weekday = bool(inputs.any_weekday[first])
    valid = rows.sum(axis=1) >= cfg.mix_min_count
    needed = max(cfg.min_history, 2)
    if valid.sum() < needed and inputs.recent_same_age is not None and inputs.same_age[first]:
        # A maturing mix (statuses) on a young day, before four weeks of daily runs: the
        # shares of every recent day seen at the same age (shares hardly follow weekdays).
        assert inputs.recent_days is not None
        rows, base_days = _rows(inputs.recent_same_age[:, index], inputs.recent_days)
        valid = rows.sum(axis=1) >= cfg.mix_min_count
        any_weekday = True
    if valid.sum() < needed:
        return None
    sums = rows.sum(axis=1)
    shares = rows[valid] / sums[valid][:, np.newaxis]
    usual = shares.mean(axis=0)
    now = observed / total
    shift = total_variation(now, usual)
    others = (shares.sum(axis=0)[np.newaxis, :] - shares) / (len(shares) - 1)
    usual_shifts = 50.0 * np.abs(shares - others).sum(axis=1)
    median = float(np.median(usual_shifts))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(usual_shifts - median)))
    threshold = max(
        median + cfg.mix_k * spread,
        # The biggest usual shift, with room: a few baseline days say little about the tail.
        MAX_USUAL_FACTOR * float(usual_shifts.max()),
        4.0 * sampling_shift(usual, total),
        cfg.mix_min_shift,
    )
    if shift <= threshold:
        return None
    values = [parse_name(str(cols.names[i]))[2] or "" for i in index]
    order = np.argsort(-np.abs(now - usual))[:MOVERS]
    movers = [(values[j], 100.0 * float(now[j]), 100.0 * float(usual[j])) for j in order]
    days = [d for d, ok in zip(base_days, valid) if ok and d is not None]
    points = len(days)
    if any_weekday:
        baseline = f"the last {points} days seen {days_after(inputs.age)}"
    else:
        baseline = f"the last {points} {weekday_plural(inputs.day, points)}"
        if inputs.same_age[first]:
            baseline += f" seen {days_after(inputs.age)}"
    look_at = SPECS[f"{dimension}_{MIX_BASES[dimension]}"].look_at
    return Anomaly(
        metric=f"mix[{dimension}]",
        day=inputs.day.date().isoformat(),
        observed=round(shift, 3),
        expected=round(median, 3),
        low=0.0,
        high=round(threshold, 3),
        direction="above",
        explanation=mix_explanation(
            dimension, inputs.day, shift, threshold, baseline, movers, look_at
        ),
        severity=WARNING,
        kind=MIX,
        baseline=baseline,
        next_steps=look_at,
        change_pct=None,
        history=tuple(
            sorted((d.date().isoformat(), round(float(v), 3)) for d, v in zip(days, usual_shifts))
        ),
    )
