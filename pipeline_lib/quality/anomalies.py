"""Anomaly detection on every published daily metric, per segment, with explanations.

Method
------
For each metric (:mod:`._metrics`: sales, rates, prices, the funnel, the clickstream,
reviews, and per segment: category, status, device, event type) and each checked day
``d`` (the as-of day and the ``check_days - 1`` days before it), the baseline is the
metric on the same weekday of the previous ``lookback_weeks`` weeks (``d - 7``,
``d - 14``, ...). The expected value is their median; the scale is the largest of
``1.4826 * MAD`` of those points (a robust standard deviation), the pooled spread of all
seven weekdays around their own medians (the larger of its MAD and 90th-percentile
estimates, for heavy tails), ``relative_floor`` of the median, and the noise a count or a
rate has by chance alone (Poisson for counts, binomial for rates of a small basis); the
band is ``median +- k * scale`` (``category_k`` for segments). Amounts and
counts are compared on ``log1p(value)`` (a multiplicative band, and a drop to zero is
always outside it); rates and indexes on the value itself. Both directions are checked.

A metric is judged only with at least ``min_history`` baseline points, when its expected
value reaches the ``min_value`` of its family and the expected value of its basis (an
amount's lines, a rate's denominator, in the same segment) the ``min_value`` of the
basis's family; the others are listed as unjudged (too small, or too little history), so
that small segments never raise noise and the report says what was not judged.

Mixes (:mod:`._mix`): the shares of each status, device, event type and category on a
checked day against their usual shares. Run-level rates (:mod:`._runs`): the duplicate,
replaced and reject (per reason) rates of the run's batches against earlier runs.

History and maturity
--------------------
Each run's metrics are kept as they were seen (``_meta/quality/metrics/``, see
:mod:`._metrics`). The checked days take the run's own values; the baseline comes from the
previous runs' snapshots, falling back to this run's own earlier days where no previous
run saw them. Runs recorded as failed are left out.

Metrics that *mature* (completed revenue and orders, average order value, return, refund
and cancel rates, lines per status, completed revenue per category) are compared at the
same age: the value of day ``d`` seen ``a`` days after it against values of earlier days
seen ``a`` days after them, taken from previous runs' snapshots. Maturing rates, whose
level does not follow the weekday, use the last ``7 * lookback_weeks`` days seen at the
same age when same-weekday points are still too few. Days at least ``maturity_days`` old
are compared with settled values.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._explain import days_after, metric_explanation, weekday_plural
from pipeline_lib.quality._metrics import (
    CATEGORY_PREFIXES,
    SPECS,
    MetricSpec,
    Window,
    as_numpy,
    basis_of,
    binomial_sd_pct,
    daily_metrics,
    daily_only,
    family_of,
    latest_values,
    parse_name,
    poisson_log_sd,
    read_metric_history,
    spec_of,
    to_wide,
    write_snapshot,
)
from pipeline_lib.quality._model import WARNING, Anomaly, Unjudged
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.storage import Lake

logger = logging.getLogger(__name__)

#: 1.4826 * MAD estimates the standard deviation of normally distributed values.
MAD_TO_SIGMA = 1.4826
#: The 90th percentile of |normal residuals| is 1.645 standard deviations.
Q90_TO_SIGMA = 1.645

DEFAULT_MIN_VALUE: dict[str, float] = {
    "revenue": 100.0,
    "orders": 10.0,
    "bookings": 100.0,
    "order_lines": 10.0,
    "units": 10.0,
    "customers": 10.0,
    "sessions": 50.0,
    "page_views": 50.0,
    "product_views": 20.0,
    "add_to_carts": 20.0,
    "checkout_starts": 10.0,
    "purchases": 10.0,
    "events": 100.0,
    "reviews": 10.0,
    "category_revenue": 500.0,
    "category_bookings": 500.0,
    "category_lines": 10.0,
    "status_lines": 20.0,
    "device_sessions": 50.0,
    "event_type_events": 50.0,
}

__all__ = [
    "AnomalySettings",
    "Assessment",
    "anomaly_settings",
    "assess",
    "assess_run",
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
        The same for every segment's metrics (category, status, device, event type): a
        segment's day is a few dozen lines or sessions, far noisier than the totals.
    relative_floor
        Smallest scale as a share of the expected value (prices use 1%).
    min_rate_scale
        Smallest scale of a rate, in percentage points (a rate also carries at least the
        binomial noise of its expected basis).
    maturity_days
        Age from which a maturing metric's value is considered final.
    min_value
        Per metric family: the expected value below which it is not judged. Families:
        the whole-shop volumes (revenue, orders, bookings, order_lines, units, customers,
        sessions, page_views, product_views, add_to_carts, checkout_starts, purchases,
        events, reviews) and the segments' (category_revenue, category_bookings,
        category_lines, status_lines, device_sessions, event_type_events); rates and
        indexes use their volume basis.
    max_segments
        Segments watched per dimension (the biggest by volume).
    mix_k, mix_min_shift, mix_min_count
        A mix moved when its shift (total variation distance, in points) exceeds the
        usual shift of the baseline days by ``mix_k`` robust standard deviations and
        ``mix_min_shift`` points; days with fewer than ``mix_min_count`` rows (lines,
        sessions, events) are not judged.
    run_lookback, run_min_history, run_min_rows, run_min_change
        Run-level rates: compared with the last ``run_lookback`` runs that read at least
        ``run_min_rows`` rows of the dataset (at least ``run_min_history`` of them); a
        change under ``run_min_change`` points is never an anomaly.

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
    min_rate_scale: float = 0.1
    maturity_days: int = 14
    min_value: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_VALUE))
    max_segments: int = 30
    mix_k: float = 6.0
    mix_min_shift: float = 3.0
    mix_min_count: int = 100
    run_lookback: int = 20
    run_min_history: int = 3
    run_min_rows: int = 100
    run_min_change: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"anomalies.enabled must be true or false, got {self.enabled!r}")
        for name, low, high in (
            ("check_days", 1, 31),
            ("lookback_weeks", 2, 104),
            ("min_history", 2, 104),
            ("maturity_days", 0, 365),
            ("max_segments", 1, 1000),
            ("mix_min_count", 1, 10**9),
            ("run_lookback", 1, 1000),
            ("run_min_history", 1, 1000),
            ("run_min_rows", 1, 10**9),
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
            ("mix_k", 0.5, 50.0),
            ("mix_min_shift", 0.0, 100.0),
            ("run_min_change", 0.0, 100.0),
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

    def window(self, as_of: date) -> Window:
        """The days the metrics of a run as of ``as_of`` are computed for."""
        return Window.for_detection(
            as_of, lookback_weeks=self.lookback_weeks, check_days=self.check_days
        )


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


@dataclass
class Assessment:
    """What the detector found: anomalies, and what it could not judge (and why)."""

    anomalies: list[Anomaly] = field(default_factory=list)
    unjudged: list[Unjudged] = field(default_factory=list)


# --------------------------------------------------------------------------- arrays


def _on_days(
    wide: pd.DataFrame, days: pd.DatetimeIndex, columns: pd.Index, additive: np.ndarray
) -> np.ndarray:
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


def _pooled_scale(window: np.ndarray, weeks: int) -> np.ndarray:
    """Robust scale of every weekday's deviations from its own median over ``weeks`` weeks.

    ``window`` holds ``7 * weeks`` consecutive days (transformed) x metrics. Pooling the
    seven weekdays gives a far steadier noise estimate than the few same-weekday points.
    """
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        by_weekday = window.reshape(weeks, 7, window.shape[1])
        residuals = by_weekday - np.nanmedian(by_weekday, axis=0, keepdims=True)
        flat = np.abs(residuals.reshape(weeks * 7, window.shape[1]))
        # The median absolute residual, and the 90th percentile for heavier tails than a
        # normal law's (a sampled clickstream's counts): the larger of the two estimates.
        spread = np.fmax(
            MAD_TO_SIGMA * np.nanmedian(flat, axis=0),
            np.nanquantile(flat, 0.9, axis=0) / Q90_TO_SIGMA,
        )
        # The weekday medians are fitted on the same points: correct for the lost freedom.
        return np.asarray(spread * np.sqrt(weeks / max(weeks - 1, 1)))


@contextlib.contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's "All-NaN slice" warnings (metrics without a baseline are skipped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        yield


@dataclass
class _Columns:
    """The metrics of one detection, with their specs as arrays."""

    names: pd.Index
    specs: list[MetricSpec]

    def __post_init__(self) -> None:
        specs = self.specs
        self.additive = np.array([s.additive for s in specs], dtype=bool)
        self.log_scale = np.array([s.log_scale for s in specs], dtype=bool)
        self.matures = np.array([s.matures for s in specs], dtype=bool)
        self.is_rate = np.array([s.kind == "rate" for s in specs], dtype=bool)
        self.is_count = np.array([s.kind == "count" for s in specs], dtype=bool)
        self.segment = np.array([parse_name(m)[1] is not None for m in self.names], dtype=bool)
        self.watched = np.array([s.watched for s in specs], dtype=bool)
        basis = [basis_of(m) for m in self.names]
        self.basis_index = np.array(
            [self.names.get_loc(b) if b is not None and b in self.names else -1 for b in basis]
        )
        self.has_basis = np.array([b is not None for b in basis], dtype=bool)
        #: A metric is judged when its own expected value reaches the floor of its family
        #: (amounts and counts) and its basis's expected value the floor of the basis's.
        self.own_family = [family_of(m) for m in self.names]
        self.basis_family = [family_of(b) if b is not None else None for b in basis]
        self.is_share = np.array([s.kind in ("rate", "index") for s in specs], dtype=bool)
        self.relative_floor = np.array(
            [np.nan if s.relative_floor is None else s.relative_floor for s in specs]
        )


@dataclass
class _Day:
    """One checked day's inputs: the baseline rows and their days, per metric."""

    day: pd.Timestamp
    age: int
    base: np.ndarray  # (7 * weeks) x metrics, raw units; NaN where no point
    base_days: list[pd.DatetimeIndex]  # per metric: the day of each base row
    same_age: np.ndarray  # per metric: the baseline points are same-age values
    any_weekday: np.ndarray  # per metric: the baseline is any weekday (maturing rates)
    pooled: np.ndarray
    observed: np.ndarray
    #: Young days: every day of the last ``7 * weeks`` seen at the same age (else None).
    recent_same_age: Optional[np.ndarray] = None
    recent_days: Optional[pd.DatetimeIndex] = None
    #: Metrics whose value on this day an earlier run already judged (unchanged since).
    judged_before: Optional[np.ndarray] = None


def _known(columns: pd.Index) -> pd.Index:
    keep = []
    for metric in columns:
        try:
            spec_of(str(metric))
        except Exception:  # an unknown name in old snapshots: not watched any more
            continue
        keep.append(metric)
    return pd.Index(keep)


def assess(
    history: pd.DataFrame,
    as_of: date,
    config: Union[AnomalySettings, Mapping[str, Any], None] = None,
    *,
    current: Optional[pd.DataFrame] = None,
) -> Assessment:
    """Daily metrics and mixes of the checked days outside their expected range.

    Parameters
    ----------
    history
        Rows ``day, metric, value``. With columns ``as_of`` (and ``computed_at`` or
        ``run_id``), they are snapshots of earlier runs: maturing metrics are compared at
        the same age, and the latest snapshot wins per (day, metric). Without ``as_of``,
        all values are taken as final and comparable. Run-level rows (``run:``) are
        ignored here.
    as_of
        The run's logical date: the last checked day.
    config
        :class:`AnomalySettings`, the params dict or its ``anomalies`` section.
    current
        The run's own metrics (``day, metric, value``): the checked days' observed values,
        and the baseline where ``history`` lacks a day. Default: the values of ``history``.

    Returns
    -------
    Assessment
        Anomalies sorted by day (newest first) and metric; the metrics not judged.
    """
    from pipeline_lib.quality._mix import mix_findings

    cfg = anomaly_settings(config)
    history = daily_only(history)
    vintage = "as_of" in history.columns
    history = history.assign(day=pd.to_datetime(history["day"]))
    if vintage:
        history = history.assign(as_of=pd.to_datetime(history["as_of"]))
    prior = to_wide(latest_values(history))
    if current is not None:
        mine = daily_only(current)
        own = to_wide(mine.assign(day=pd.to_datetime(mine["day"])))
    else:
        own = prior
    baseline_any = prior.combine_first(own) if current is not None else prior
    names = _known(own.columns.union(baseline_any.columns))
    if len(names) == 0:
        return Assessment()
    cols = _Columns(names, [spec_of(str(m)) for m in names])
    end = pd.Timestamp(as_of)
    found: list[Anomaly] = []
    judged = np.zeros(len(names), dtype=bool)
    small_volume = np.full(len(names), np.nan)
    small_needed = np.zeros(len(names))
    points_seen = np.zeros(len(names))
    for age in range(cfg.check_days):
        day = end - pd.Timedelta(days=age)
        inputs = _day_inputs(day, age, cols, baseline_any, own, history, vintage, cfg, prior)
        anomalies, ok, small, points = _check_day(inputs, cols, cfg)
        found.extend(anomalies)
        judged |= ok
        if inputs.judged_before is not None:
            judged |= inputs.judged_before
        bigger = np.isnan(small_volume) | (small[0] > small_volume)
        small_volume = np.where(bigger & ~np.isnan(small[0]), small[0], small_volume)
        small_needed = np.where(bigger & ~np.isnan(small[0]), small[1], small_needed)
        points_seen = np.maximum(points_seen, points)
        found.extend(mix_findings(inputs, cols, cfg))
    unjudged = []
    for i in np.flatnonzero(~judged & cols.watched):
        metric = str(names[i])
        if not np.isnan(small_volume[i]):
            volume, needed = round(float(small_volume[i]), 2), float(small_needed[i])
            unjudged.append(Unjudged(metric, "too_small", volume, needed))
        else:
            unjudged.append(Unjudged(metric, "history", float(points_seen[i]), cfg.min_history))
    found.sort(key=lambda a: (-pd.Timestamp(a.day).value, a.kind != "metric", a.metric))
    return Assessment(found, sorted(unjudged, key=lambda u: (u.reason, u.metric)))


def detect(
    history: pd.DataFrame,
    as_of: date,
    config: Union[AnomalySettings, Mapping[str, Any], None] = None,
    *,
    current: Optional[pd.DataFrame] = None,
) -> list[Anomaly]:
    """The anomalies of :func:`assess` (metrics and mixes), newest day first."""
    return assess(history, as_of, config, current=current).anomalies


def _day_inputs(
    day: pd.Timestamp,
    age: int,
    cols: _Columns,
    baseline_any: pd.DataFrame,
    own: pd.DataFrame,
    history: pd.DataFrame,
    vintage: bool,
    cfg: AnomalySettings,
    prior: Optional[pd.DataFrame] = None,
) -> _Day:
    weeks = cfg.lookback_weeks
    names, additive = cols.names, cols.additive
    same_weekday = pd.DatetimeIndex([day - pd.Timedelta(weeks=w) for w in range(1, weeks + 1)])
    recent = pd.DatetimeIndex([day - pd.Timedelta(days=i) for i in range(1, 7 * weeks + 1)])
    base = np.full((7 * weeks, len(names)), np.nan)
    base[:weeks] = _on_days(baseline_any, same_weekday, names, additive)
    base_days = [same_weekday] * len(names)
    same_age = np.zeros(len(names), dtype=bool)
    any_weekday = np.zeros(len(names), dtype=bool)
    young = vintage and age < cfg.maturity_days
    spread: Optional[np.ndarray] = None
    if young:
        by_age = _history_by_age(history, age)
        same = _on_days(by_age, same_weekday, names, additive)
        base[:weeks, cols.matures] = same[:, cols.matures]
        same_age = cols.matures.copy()
        spread = _on_days(by_age, recent, names, additive)
        few = (~np.isnan(same)).sum(axis=0) < cfg.min_history
        fallback = cols.matures & cols.is_rate & few
        if fallback.any():
            base[:, fallback] = spread[:, fallback]
            any_weekday = fallback
            base_days = [recent if f else d for f, d in zip(fallback, base_days)]
    window_days = pd.DatetimeIndex([day - pd.Timedelta(days=i) for i in range(7 * weeks, 0, -1)])
    window = _on_days(baseline_any, window_days, names, additive)
    if young:
        window[:, cols.matures] = np.nan  # only same-age points are comparable
    pooled = _pooled_scale(_transform(window, cols.log_scale), weeks)
    observed = _on_days(own, pd.DatetimeIndex([day]), names, additive)[0]
    observed[additive & np.isnan(observed)] = 0.0
    judged_before = np.zeros(len(names), dtype=bool)
    if vintage and age > 0 and prior is not None and not prior.empty:
        # An earlier run judged this day already: only a value this run changed is judged
        # again (a late file, a re-sent line), so one odd day is reported once.
        before = _on_days(prior, pd.DatetimeIndex([day]), names, additive)[0]
        same = np.isclose(observed, before, rtol=1e-9, atol=1e-9)
        judged_before = same & ~np.isnan(before)
    return _Day(
        day,
        age,
        base,
        base_days,
        same_age,
        any_weekday,
        pooled,
        observed,
        spread,
        recent if spread is not None else None,
        judged_before,
    )


def _baseline_text(inputs: _Day, i: int, points: int) -> str:
    if inputs.any_weekday[i]:
        return f"the last {points} days seen {days_after(inputs.age)}"
    days = [d for d, v in zip(inputs.base_days[i], inputs.base[:, i]) if not np.isnan(v)]
    span = f", {min(days).date()} to {max(days).date()}" if days else ""
    text = f"the last {points} {weekday_plural(inputs.day, points)}{span}"
    if inputs.same_age[i]:
        text += f" seen {days_after(inputs.age)}"
    return text


def _check_day(
    inputs: _Day, cols: _Columns, cfg: AnomalySettings
) -> tuple[list[Anomaly], np.ndarray, np.ndarray, np.ndarray]:
    """One day's anomalies; which metrics were judged; for those too small, their volume
    and the floor they missed (a 2 x metrics array); the baseline points found."""
    base, observed = inputs.base, inputs.observed
    log_scale, is_rate = cols.log_scale, cols.is_rate
    points = (~np.isnan(base)).sum(axis=0)
    enough = points >= cfg.min_history
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        t_base = _transform(base, log_scale)
        median = np.nanmedian(t_base, axis=0)
        mad = np.nanmedian(np.abs(t_base - median), axis=0)
        expected = _untransform(median, log_scale)
        relative = np.where(np.isnan(cols.relative_floor), cfg.relative_floor, cols.relative_floor)
        floor = np.where(
            log_scale,
            np.log1p(relative),
            np.maximum(relative * np.abs(median), np.where(is_rate, cfg.min_rate_scale, 0.0)),
        )
        safe_basis = np.maximum(cols.basis_index, 0)
        volume = np.where(cols.basis_index >= 0, expected[safe_basis], expected)
        volume = np.where(cols.has_basis & (cols.basis_index < 0), np.nan, volume)
        own_min = np.array([cfg.min_value.get(f, 0.0) for f in cols.own_family])
        basis_min = np.array([cfg.min_value.get(f, 0.0) if f else 0.0 for f in cols.basis_family])
        own_ok = cols.is_share | (np.nan_to_num(expected, nan=-np.inf) >= own_min)
        basis_ok = ~cols.has_basis | (np.nan_to_num(volume, nan=-np.inf) >= basis_min)
        noise = np.zeros(len(median))
        noise = np.where(cols.is_count & log_scale, poisson_log_sd(expected), noise)
        noise = np.where(is_rate, binomial_sd_pct(median, volume), noise)
        scale = np.nanmax(
            np.vstack([MAD_TO_SIGMA * mad, np.nan_to_num(inputs.pooled), floor, noise]), axis=0
        )
        k = np.where(cols.segment, cfg.category_k, cfg.k)
        low_t, high_t = median - k * scale, median + k * scale
        low = _untransform(low_t, log_scale)
        high = _untransform(high_t, log_scale)
        t_observed = _transform(observed, log_scale)
    large_enough = own_ok & basis_ok
    usable = cols.watched & enough & ~np.isnan(t_observed) & ~np.isnan(median)
    if inputs.judged_before is not None:
        usable &= ~inputs.judged_before
    valid = usable & large_enough
    # What was too small: the basis when it fell short, else the metric itself.
    short = np.where(basis_ok, np.nan_to_num(expected, nan=0.0), np.nan_to_num(volume, nan=0.0))
    needed = np.where(basis_ok, own_min, basis_min)
    small = np.where(usable & ~large_enough, short, np.nan)
    outside = valid & ((t_observed < low_t) | (t_observed > high_t))
    found = []
    for i in (int(j) for j in np.flatnonzero(outside)):
        metric = str(cols.names[i])
        spec = cols.specs[i]
        lo = max(float(low[i]), 0.0) if spec.log_scale else float(low[i])
        baseline = _baseline_text(inputs, i, int(points[i]))
        text, look_at, pct = metric_explanation(
            metric,
            spec,
            inputs.day,
            float(observed[i]),
            float(expected[i]),
            lo,
            float(high[i]),
            baseline,
        )
        history = tuple(
            (d.date().isoformat(), float(v))
            for d, v in zip(inputs.base_days[i], base[:, i])
            if not np.isnan(v)
        )
        found.append(
            Anomaly(
                metric=metric,
                day=inputs.day.date().isoformat(),
                observed=float(observed[i]),
                expected=float(expected[i]),
                low=lo,
                high=float(high[i]),
                direction="below" if t_observed[i] < low_t[i] else "above",
                explanation=text,
                severity=WARNING,
                baseline=baseline,
                next_steps=look_at,
                change_pct=None if pct is None else round(pct, 2),
                history=tuple(sorted(history)),
            )
        )
    return found, valid, np.vstack([small, needed]), points.astype(float)


# --------------------------------------------------------------------------- runs


def assess_run(
    runner: SqlRunner,
    *,
    lake: Lake,
    run_id: str,
    as_of: date,
    settings: Optional[Mapping[str, Any]] = None,
    accounting: Optional[Sequence[Any]] = None,
    tables: Optional[Sequence[str]] = None,
) -> Assessment:
    """Compute the run's metrics over the detection window, keep them, assess them.

    Parameters
    ----------
    runner
        SQL over the run's tables (views ``curated.transactions``, ``curated.daily_funnel``
        ...; metrics of missing tables are left out).
    lake
        Where the metric history lives (``_meta/quality/metrics/``).
    run_id, as_of
        The run and its logical date (the last checked day).
    settings
        The whole params dict; its ``anomalies`` section is read (defaults when absent).
    accounting
        The run's own row accounting (:class:`~pipeline_lib.jobs.StageAccounting`): its
        duplicate, replaced and reject rates are kept and compared with earlier runs'.
        None for an audit of the live tables (their runs' rates are already kept).
    tables
        The tables the runner can see (default: its ``tables`` attribute).

    Raises
    ------
    ConfigError
        If the ``anomalies`` section is invalid.
    PipelineError
        If a metric query fails.
    """
    from pipeline_lib.quality._runs import assess_run_rates, run_metrics

    cfg = anomaly_settings(settings)
    if not cfg.enabled:
        logger.info("anomaly detection is disabled (anomalies.enabled: false)")
        return Assessment()
    window = cfg.window(as_of)
    metrics = daily_metrics(runner, window, tables=tables, max_segments=cfg.max_segments)
    recent_runs = 7 * cfg.lookback_weeks + cfg.check_days + cfg.maturity_days + cfg.run_lookback
    history = read_metric_history(
        lake, exclude_runs=(run_id,), since=window.first, latest_runs=recent_runs
    )
    rates = run_metrics(accounting or [], as_of) if accounting else None
    kept = metrics if rates is None else pd.concat([metrics, rates], ignore_index=True)
    write_snapshot(lake, kept, run_id=run_id, as_of=as_of)
    result = assess(history, as_of, cfg, current=metrics)
    if rates is not None:
        runs = assess_run_rates(history, rates, as_of, cfg)
        result.anomalies.extend(runs.anomalies)
        result.unjudged.extend(runs.unjudged)
    logger.info(
        "anomaly detection for run %s as of %s: %d metrics, %d earlier snapshot rows, "
        "%d anomalies, %d not judged",
        run_id,
        as_of,
        metrics["metric"].nunique(),
        len(history),
        len(result.anomalies),
        len(result.unjudged),
    )
    return result


def detect_for_run(
    runner: SqlRunner,
    *,
    lake: Lake,
    run_id: str,
    as_of: date,
    settings: Optional[Mapping[str, Any]] = None,
    accounting: Optional[Sequence[Any]] = None,
) -> list[Anomaly]:
    """The anomalies of :func:`assess_run` (warnings: they never block the publish)."""
    return assess_run(
        runner, lake=lake, run_id=run_id, as_of=as_of, settings=settings, accounting=accounting
    ).anomalies


# Keep names importable for callers that want the families.
METRIC_FAMILIES = tuple(SPECS)
CATEGORY_METRIC_PREFIXES = tuple(CATEGORY_PREFIXES)
