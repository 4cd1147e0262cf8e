"""Anomaly detection on daily key metrics: same-weekday median, robust band, explanations.

Method
------
For each metric and each checked day ``d`` (the as-of day and the ``check_days - 1`` days
before it), the baseline is the metric on the same weekday of the previous
``lookback_weeks`` weeks (``d - 7``, ``d - 14``, ...). The expected value is their median;
the scale is ``1.4826 * MAD`` (a robust standard deviation) with a floor of
``relative_floor`` of the median, so a perfectly regular history does not alert on noise;
the band is ``median +- k * scale``. Amounts and counts are compared on ``log1p(value)``
(a multiplicative band: revenue noise grows with its level, and a drop to zero is always
outside the band); rates (percent) on the value itself, with a scale of at least
``min_rate_scale`` percentage points. A metric is checked only with at least
``min_history`` baseline points and when its expected value (for a rate: the expected
value of its volume basis) reaches ``min_value``, so tiny numbers do not alarm.

History and full refresh
------------------------
A full-refresh run recomputes every past day, so each run's metrics are kept as they were
seen (``_meta/quality/metrics/run-<run_id>.parquet``, see :mod:`._metrics`). The checked
days take the run's own values; the baseline comes from the previous runs' snapshots
(what earlier, accepted runs saw), falling back to this run's own earlier days where no
previous run saw them (the first runs, or a lake without history). Runs recorded as
failed are left out of the baseline.

Metrics that *mature* (completed revenue, orders, average order value, return rate and
completed revenue per category: recent lines are still ``pending`` and returns arrive
later) are compared at the same age: the value of day ``d`` seen ``a`` days after it is
compared with the values of ``d - 7w`` seen ``a`` days after them, taken from previous
runs' snapshots. Until daily runs have kept ``min_history`` such points, young days of
maturing metrics are not checked (days at least ``maturity_days`` old are compared with
mature values). Volume metrics that do not mature (bookings, order lines, sessions,
conversion rate, bookings per category) are checked from the first run on.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._metrics import (
    CATEGORY_PREFIXES,
    SPECS,
    MetricSpec,
    as_numpy,
    daily_metrics,
    latest_values,
    read_metric_history,
    spec_of,
    to_wide,
    write_snapshot,
)
from pipeline_lib.quality._model import WARNING, Anomaly
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.storage import Lake

logger = logging.getLogger(__name__)

#: 1.4826 * MAD estimates the standard deviation of normally distributed values.
MAD_TO_SIGMA = 1.4826

DEFAULT_MIN_VALUE: dict[str, float] = {
    "revenue": 100.0,
    "orders": 10.0,
    "bookings": 100.0,
    "order_lines": 10.0,
    "sessions": 50.0,
    "category_revenue": 500.0,
    "category_bookings": 500.0,
}

__all__ = [
    "AnomalySettings",
    "anomaly_settings",
    "daily_metrics",
    "detect",
    "detect_for_run",
    "read_metric_history",
]


@dataclass(frozen=True)
class AnomalySettings:
    """The ``anomalies:`` section of ``params/<env>.yaml``, validated.

    Parameters
    ----------
    enabled
        False turns detection off (no metrics computed, none kept).
    check_days
        Days checked per run: the as-of day and the ``check_days - 1`` days before it.
    lookback_weeks
        Same-weekday points in the baseline.
    min_history
        Baseline points needed before a metric is checked.
    k
        Half-width of the band in robust standard deviations.
    category_k
        The same for the per-category metrics: a category's day is a few dozen lines with
        heavy-tailed prices, far noisier than the totals.
    relative_floor
        Smallest scale as a share of the expected value.
    min_rate_scale
        Smallest scale of a rate, in percentage points.
    maturity_days
        Age from which a maturing metric's value is considered final.
    min_value
        Per metric family: the expected value below which it is not checked. Families:
        revenue, orders, bookings, order_lines, sessions, category_revenue,
        category_bookings (rates use their volume basis: orders, order_lines, sessions).

    Raises
    ------
    ConfigError
        If a value has the wrong type or is out of range.
    """

    enabled: bool = True
    check_days: int = 3
    lookback_weeks: int = 8
    min_history: int = 4
    k: float = 5.0
    category_k: float = 6.0
    relative_floor: float = 0.05
    min_rate_scale: float = 0.5
    maturity_days: int = 14
    min_value: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_VALUE))

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"anomalies.enabled must be true or false, got {self.enabled!r}")
        for name, low, high in (
            ("check_days", 1, 31),
            ("lookback_weeks", 2, 104),
            ("min_history", 2, 104),
            ("maturity_days", 0, 365),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(
                    f"anomalies.{name} must be an integer in [{low}, {high}], got {value!r}"
                )
        if self.min_history > self.lookback_weeks:
            raise ConfigError(
                f"anomalies.min_history ({self.min_history}) cannot exceed "
                f"anomalies.lookback_weeks ({self.lookback_weeks})"
            )
        for name, lowest, highest in (
            ("k", 0.5, 20.0),
            ("category_k", 0.5, 20.0),
            ("relative_floor", 0.0, 1.0),
            ("min_rate_scale", 0.0, 100.0),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (lowest <= value <= highest)
            ):
                raise ConfigError(
                    f"anomalies.{name} must be a number in [{lowest}, {highest}], got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        if not isinstance(self.min_value, Mapping):
            raise ConfigError("anomalies.min_value must map metric families to numbers")
        unknown = sorted(set(self.min_value) - set(DEFAULT_MIN_VALUE))
        if unknown:
            raise ConfigError(
                f"anomalies.min_value: unknown metric families {unknown}; "
                f"use {sorted(DEFAULT_MIN_VALUE)}"
            )
        merged = dict(DEFAULT_MIN_VALUE)
        for family, value in self.min_value.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(
                    f"anomalies.min_value.{family} must be a number >= 0, got {value!r}"
                )
            merged[family] = float(value)
        object.__setattr__(self, "min_value", merged)


def anomaly_settings(
    settings: Union[AnomalySettings, Mapping[str, Any], None],
) -> AnomalySettings:
    """Validated settings from an :class:`AnomalySettings`, a params dict or its section.

    ``settings`` may be the whole params dict (its ``anomalies`` key is read), the
    ``anomalies`` section itself, or None (the defaults).

    Raises
    ------
    ConfigError
        On unknown keys or invalid values.
    """
    if isinstance(settings, AnomalySettings):
        return settings
    if settings is None:
        return AnomalySettings()
    if not isinstance(settings, Mapping):
        raise ConfigError(f"anomaly settings must be a mapping, got {type(settings).__name__}")
    known = {f.name for f in fields(AnomalySettings)}
    section: Any
    if "anomalies" in settings:
        section = settings["anomalies"]  # the whole params dict
    elif set(settings) & known:
        section = settings  # the section itself
    else:
        section = {}  # a params dict without an anomalies section: the defaults
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        raise ConfigError("the anomalies section of the params file must be a mapping")
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"anomalies: unknown settings {unknown}; known: {sorted(known)}")
    return AnomalySettings(**dict(section))


def _format(value: float, spec: MetricSpec) -> str:
    if spec.kind == "rate":
        return f"{value:,.2f}%"
    if spec.kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _explain(
    metric: str,
    day: pd.Timestamp,
    observed: float,
    expected: float,
    low: float,
    high: float,
    points: int,
    spec: MetricSpec,
) -> str:
    direction = "below" if observed < low else "above"
    weekday = day.strftime("%A")
    plural = weekday + "s" if points != 1 else weekday
    return (
        f"{metric} on {day.strftime('%a %Y-%m-%d')} was {_format(observed, spec)}, "
        f"{direction} the expected {_format(expected, spec)} "
        f"(range {_format(low, spec)}-{_format(high, spec)} "
        f"from the median of the last {points} {plural})"
    )


def _on_days(wide: pd.DataFrame, days: pd.DatetimeIndex, columns: pd.Index,
             additive: np.ndarray) -> np.ndarray:  # fmt: skip
    """Values on ``days``; an amount or count absent on a day that has data elsewhere is 0."""
    values = as_numpy(wide, days, columns)
    covered = ~np.isnan(values).all(axis=1, keepdims=True)
    fill = covered & additive[np.newaxis, :] & np.isnan(values)
    values[fill] = 0.0
    return values


def _transform(values: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
    out = values.copy()
    logged = np.log1p(np.clip(values, 0.0, None))
    out[..., log_scale] = logged[..., log_scale]
    return out


def _untransform(values: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[..., log_scale] = np.expm1(values[..., log_scale])
    return out


def _history_by_age(history: pd.DataFrame, age: int) -> pd.DataFrame:
    """Values of days seen exactly ``age`` days after them (latest run per day and metric)."""
    seen_at = (history["as_of"] - history["day"]).dt.days
    return to_wide(latest_values(history[seen_at == age]))


def detect(
    history: pd.DataFrame,
    as_of: date,
    config: Union[AnomalySettings, Mapping[str, Any], None] = None,
    *,
    current: Optional[pd.DataFrame] = None,
) -> list[Anomaly]:
    """Metrics of the checked days outside their same-weekday band.

    Parameters
    ----------
    history
        Rows ``day, metric, value``. With columns ``as_of`` (and ``computed_at`` or
        ``run_id``), they are snapshots of earlier runs: maturing metrics are compared at
        the same age, and the latest snapshot wins per (day, metric). Without ``as_of``,
        all values are taken as final and comparable.
    as_of
        The run's logical date: the last checked day.
    config
        :class:`AnomalySettings`, the params dict or its ``anomalies`` section.
    current
        The run's own metrics (``day, metric, value``): the checked days' observed values,
        and the baseline where ``history`` lacks a day. Default: the values of ``history``.

    Returns
    -------
    list of Anomaly
        Sorted by day (newest first) and metric.
    """
    cfg = anomaly_settings(config)
    vintage = "as_of" in history.columns
    history = history.assign(day=pd.to_datetime(history["day"]))
    if vintage:
        history = history.assign(as_of=pd.to_datetime(history["as_of"]))
    prior = to_wide(latest_values(history))
    own = (
        to_wide(current.assign(day=pd.to_datetime(current["day"])))
        if current is not None
        else prior
    )
    baseline_any = prior.combine_first(own) if current is not None else prior
    columns = own.columns.union(baseline_any.columns)
    if len(columns) == 0:
        return []
    specs = [spec_of(m) for m in columns]
    additive = np.array([s.kind != "rate" for s in specs])
    log_scale = np.array([s.log_scale for s in specs])
    matures = np.array([s.matures for s in specs])
    is_rate = ~additive
    floor_family = [s.basis or s.family for s in specs]
    min_value = np.array([cfg.min_value.get(f, 0.0) for f in floor_family])
    basis_index = np.array([columns.get_loc(s.basis) if s.basis in columns else -1 for s in specs])
    end = pd.Timestamp(as_of)
    anomalies: list[Anomaly] = []
    for age in range(cfg.check_days):
        day = end - pd.Timedelta(days=age)
        base_days = pd.DatetimeIndex(
            [day - pd.Timedelta(weeks=w) for w in range(1, cfg.lookback_weeks + 1)]
        )
        base = _on_days(baseline_any, base_days, columns, additive)
        if vintage and age < cfg.maturity_days:
            same_age = _on_days(_history_by_age(history, age), base_days, columns, additive)
            base[:, matures] = same_age[:, matures]
        window_days = pd.DatetimeIndex(
            [day - pd.Timedelta(days=i) for i in range(7 * cfg.lookback_weeks, 0, -1)]
        )
        window = _on_days(baseline_any, window_days, columns, additive)
        if vintage and age < cfg.maturity_days:
            window[:, matures] = np.nan  # only same-age points are comparable
        pooled = _pooled_scale(_transform(window, log_scale), cfg.lookback_weeks)
        observed = _on_days(own, pd.DatetimeIndex([day]), columns, additive)[0]
        observed[additive & np.isnan(observed)] = 0.0
        anomalies.extend(
            _check_day(
                day,
                columns,
                specs,
                base,
                observed,
                cfg,
                log_scale,
                is_rate,
                min_value,
                basis_index,
                pooled,
            )
        )
    anomalies.sort(key=lambda a: (-pd.Timestamp(a.day).value, a.metric))
    return anomalies


def _pooled_scale(window: np.ndarray, weeks: int) -> np.ndarray:
    """Robust scale of every weekday's deviations from its own median over ``weeks`` weeks.

    ``window`` holds ``7 * weeks`` consecutive days (transformed) x metrics. Pooling the
    seven weekdays gives a far steadier noise estimate than the few same-weekday points.
    """
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        by_weekday = window.reshape(weeks, 7, window.shape[1])
        residuals = by_weekday - np.nanmedian(by_weekday, axis=0, keepdims=True)
        flat = residuals.reshape(weeks * 7, window.shape[1])
        spread = np.nanmedian(np.abs(flat), axis=0)
        # The weekday medians are fitted on the same points: correct for the lost freedom.
        return np.asarray(MAD_TO_SIGMA * spread * np.sqrt(weeks / max(weeks - 1, 1)))


def _check_day(
    day: pd.Timestamp,
    columns: pd.Index,
    specs: Sequence[MetricSpec],
    base: np.ndarray,
    observed: np.ndarray,
    cfg: AnomalySettings,
    log_scale: np.ndarray,
    is_rate: np.ndarray,
    min_value: np.ndarray,
    basis_index: np.ndarray,
    pooled: np.ndarray,
) -> list[Anomaly]:
    """The anomalies of one day; ``base`` is (lookback_weeks x metrics), raw units."""
    points = (~np.isnan(base)).sum(axis=0)
    enough = points >= cfg.min_history
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        t_base = _transform(base, log_scale)
        median = np.nanmedian(t_base, axis=0)
        mad = np.nanmedian(np.abs(t_base - median), axis=0)
        floor = np.where(
            log_scale,
            np.log1p(cfg.relative_floor),
            np.maximum(
                cfg.relative_floor * np.abs(median), np.where(is_rate, cfg.min_rate_scale, 0.0)
            ),
        )
        scale = np.maximum(np.maximum(MAD_TO_SIGMA * mad, np.nan_to_num(pooled)), floor)
        k = np.array([cfg.category_k if s.family.startswith("category_") else cfg.k for s in specs])
        low_t, high_t = median - k * scale, median + k * scale
        expected = _untransform(median, log_scale)
        low = _untransform(low_t, log_scale)
        high = _untransform(high_t, log_scale)
        t_observed = _transform(observed, log_scale)
    volume = np.where(basis_index >= 0, expected[np.maximum(basis_index, 0)], expected)
    volume = np.where(is_rate & (basis_index < 0), np.inf, volume)  # a rate without basis
    large_enough = np.nan_to_num(volume, nan=-np.inf) >= min_value
    valid = enough & large_enough & ~np.isnan(t_observed) & ~np.isnan(median)
    outside = valid & ((t_observed < low_t) | (t_observed > high_t))
    found = []
    for i in (int(j) for j in np.flatnonzero(outside)):
        metric = str(columns[i])
        lo = max(float(low[i]), 0.0) if specs[i].log_scale else float(low[i])
        found.append(
            Anomaly(
                metric=metric,
                day=day.date().isoformat(),
                observed=float(observed[i]),
                expected=float(expected[i]),
                low=lo,
                high=float(high[i]),
                direction="below" if t_observed[i] < low_t[i] else "above",
                explanation=_explain(
                    metric,
                    day,
                    float(observed[i]),
                    float(expected[i]),
                    lo,
                    float(high[i]),
                    int(points[i]),
                    specs[i],
                ),
                severity=WARNING,
            )
        )
    return found


@contextlib.contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's "All-NaN slice" warnings (metrics without a baseline are skipped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        yield


def detect_for_run(
    runner: SqlRunner,
    *,
    lake: Lake,
    run_id: str,
    as_of: date,
    settings: Optional[Mapping[str, Any]] = None,
) -> list[Anomaly]:
    """Compute the run's daily metrics, keep them in the lake, return the anomalies.

    Parameters
    ----------
    runner
        SQL over the run's tables (views ``curated.transactions``, ``curated.daily_funnel``).
    lake
        Where the metric history lives (``_meta/quality/metrics/``).
    run_id, as_of
        The run and its logical date (the last checked day).
    settings
        The whole params dict; its ``anomalies`` section is read (defaults when absent).

    Returns
    -------
    list of Anomaly
        Warnings: anomalies are reported, they never block the publish.

    Raises
    ------
    ConfigError
        If the ``anomalies`` section is invalid.
    PipelineError
        If a metric query fails.
    """
    cfg = anomaly_settings(settings)
    if not cfg.enabled:
        logger.info("anomaly detection is disabled (anomalies.enabled: false)")
        return []
    metrics = daily_metrics(runner)
    since = as_of - timedelta(weeks=cfg.lookback_weeks + 1, days=cfg.check_days)
    history = read_metric_history(lake, exclude_runs=(run_id,), since=since)
    write_snapshot(lake, metrics, run_id=run_id, as_of=as_of)
    found = detect(history, as_of, cfg, current=metrics)
    logger.info(
        "anomaly detection for run %s as of %s: %d metrics, %d earlier snapshot rows, %d anomalies",
        run_id, as_of, metrics["metric"].nunique(), len(history), len(found),
    )  # fmt: skip
    return found


# Keep names importable for callers that want the families.
METRIC_FAMILIES = tuple(SPECS)
CATEGORY_METRIC_PREFIXES = tuple(CATEGORY_PREFIXES)
