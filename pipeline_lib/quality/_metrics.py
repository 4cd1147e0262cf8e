"""Daily key metrics computed with SQL, and their history kept in the lake.

The metrics are plain ANSI SQL (DuckDB and Athena both accept it) sent through a
:class:`~pipeline_lib.quality.SqlRunner`. A full-refresh run's tables hold every day, so
one run yields the metrics of the whole history as that run saw it. Each run's metrics are
kept as one snapshot ``_meta/quality/metrics/run-<run_id>.parquet`` (columns ``run_id``,
``as_of``, ``computed_at``, ``day``, ``metric``, ``value``), written atomically; a rerun of
the same run replaces its snapshot. :func:`read_metric_history` reads them back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.exceptions import PipelineError, StorageError
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

HISTORY_PREFIX = "quality/metrics"
METRIC_COLUMNS = ("day", "metric", "value")
HISTORY_COLUMNS = ("run_id", "as_of", "computed_at", "day", "metric", "value")


@dataclass(frozen=True)
class MetricSpec:
    """How one metric family is compared and shown.

    Attributes
    ----------
    family
        ``revenue``, ``orders``, ... or ``category_revenue`` / ``category_bookings`` for the
        per-category metrics ``revenue:<category>`` / ``bookings:<category>``.
    kind
        ``amount`` (USD), ``count`` or ``rate`` (percent): the number format, and whether a
        missing day means 0 (amounts and counts) or "undefined" (rates).
    log_scale
        Compare on ``log1p(value)``: a multiplicative band, for positive, skewed metrics.
    matures
        The value of a recent day keeps changing as lines settle (pending -> completed,
        returns arrive): only compare it with other days seen at the same age.
    basis
        For rates, the volume metric whose floor decides if the rate is meaningful.
    """

    family: str
    kind: str
    log_scale: bool
    matures: bool
    basis: Optional[str] = None


SPECS: dict[str, MetricSpec] = {
    "revenue": MetricSpec("revenue", "amount", True, True),
    "orders": MetricSpec("orders", "count", True, True),
    "avg_order_value": MetricSpec("avg_order_value", "amount", True, True, basis="orders"),
    "return_rate": MetricSpec("return_rate", "rate", False, True, basis="order_lines"),
    "bookings": MetricSpec("bookings", "amount", True, False),
    "order_lines": MetricSpec("order_lines", "count", True, False),
    "sessions": MetricSpec("sessions", "count", True, False),
    "conversion_rate": MetricSpec("conversion_rate", "rate", False, False, basis="sessions"),
    "category_revenue": MetricSpec("category_revenue", "amount", True, True),
    "category_bookings": MetricSpec("category_bookings", "amount", True, False),
}

#: Prefix of per-category metric names -> their family.
CATEGORY_PREFIXES = {"revenue:": "category_revenue", "bookings:": "category_bookings"}

TRANSACTIONS_SQL = """
select
    t.transaction_date as day,
    sum(case when t.status = 'completed' then t.total_amount else 0 end) as revenue,
    count(distinct case when t.status = 'completed' then t.transaction_id end) as orders,
    sum(t.total_amount) as bookings,
    count(*) as order_lines,
    sum(case when t.status in ('returned', 'refunded') then 1 else 0 end) as returned_lines
from curated.transactions as t
where t.transaction_date is not null
group by t.transaction_date
"""

CATEGORIES_SQL = """
select
    t.transaction_date as day,
    t.category,
    sum(case when t.status = 'completed' then t.total_amount else 0 end) as revenue,
    sum(t.total_amount) as bookings
from curated.transactions as t
where t.transaction_date is not null and t.category is not null
group by t.transaction_date, t.category
"""

FUNNEL_SQL = """
select
    f.date as day,
    sum(f.sessions) as sessions,
    sum(f.converting_sessions) as converting_sessions
from curated.daily_funnel as f
where f.date is not null
group by f.date
"""


def spec_of(metric: str) -> MetricSpec:
    """The :class:`MetricSpec` of a metric name (``revenue``, ``revenue:Books`` ...).

    Raises
    ------
    PipelineError
        If the name is not a known metric.
    """
    if metric in SPECS and not metric.startswith("category_"):
        return SPECS[metric]
    for prefix, family in CATEGORY_PREFIXES.items():
        if metric.startswith(prefix) and len(metric) > len(prefix):
            return SPECS[family]
    raise PipelineError(f"unknown metric {metric!r}")


def _days(values: pd.Series) -> pd.Series:
    """Dates from DuckDB (datetime64) or Athena (ISO strings) as normalized datetime64."""
    return pd.to_datetime(values).dt.normalize()


def _numeric(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out


def _long(wide: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return wide.melt(id_vars="day", value_vars=list(columns), var_name="metric")


def daily_metrics(runner: SqlRunner) -> pd.DataFrame:
    """The key metrics of every day in the run's tables, one row per (day, metric).

    Metrics: ``revenue`` (completed lines, USD), ``orders`` (completed order lines),
    ``avg_order_value`` (revenue / orders), ``return_rate`` (returned + refunded lines /
    all lines, percent), ``bookings`` (all lines, USD), ``order_lines`` (all lines),
    ``sessions`` and ``conversion_rate`` (converting sessions / sessions, percent, from
    ``curated.daily_funnel``), and per category ``revenue:<category>`` (completed) and
    ``bookings:<category>`` (all lines).

    Parameters
    ----------
    runner
        Where the SQL runs (views ``curated.transactions`` and ``curated.daily_funnel``).

    Returns
    -------
    pandas.DataFrame
        Columns ``day`` (datetime64, midnight), ``metric`` (str), ``value`` (float; NaN for
        a rate whose denominator is 0), sorted by day and metric.
    """
    sales = _numeric(
        runner.query(TRANSACTIONS_SQL),
        ("revenue", "orders", "bookings", "order_lines", "returned_lines"),
    )
    sales["day"] = _days(sales["day"])
    sales["avg_order_value"] = sales["revenue"] / sales["orders"].where(sales["orders"] > 0)
    lines = sales["order_lines"].where(sales["order_lines"] > 0)
    sales["return_rate"] = 100.0 * sales["returned_lines"] / lines
    parts = [
        _long(
            sales,
            ("revenue", "orders", "avg_order_value", "return_rate", "bookings", "order_lines"),
        )
    ]
    categories = _numeric(runner.query(CATEGORIES_SQL), ("revenue", "bookings"))
    if not categories.empty:
        categories["day"] = _days(categories["day"])
        for column in ("revenue", "bookings"):
            parts.append(
                pd.DataFrame(
                    {
                        "day": categories["day"],
                        "metric": column + ":" + categories["category"].astype(str),
                        "value": categories[column],
                    }
                )
            )
    funnel = _numeric(runner.query(FUNNEL_SQL), ("sessions", "converting_sessions"))
    funnel["day"] = _days(funnel["day"])
    sessions = funnel["sessions"].where(funnel["sessions"] > 0)
    funnel["conversion_rate"] = 100.0 * funnel["converting_sessions"] / sessions
    parts.append(_long(funnel, ("sessions", "conversion_rate")))
    metrics = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    metrics["value"] = metrics["value"].astype("float64")
    metrics = metrics.sort_values(["day", "metric"], kind="stable").reset_index(drop=True)
    logger.debug("computed %d metric values over %d days", len(metrics), metrics["day"].nunique())
    return metrics[list(METRIC_COLUMNS)]


def snapshot_key(run_id: str) -> str:
    """The lake key (zone ``_meta``) of one run's metric snapshot."""
    return f"{HISTORY_PREFIX}/run-{run_id}.parquet"


def write_snapshot(
    lake: Lake,
    metrics: pd.DataFrame,
    *,
    run_id: str,
    as_of: date,
    computed_at: Optional[datetime] = None,
) -> str:
    """Keep what this run saw: its metrics as one Parquet object, written atomically.

    Returns
    -------
    str
        Where the snapshot was written.
    """
    stamp = computed_at or datetime.now(timezone.utc)
    n = len(metrics)
    table = pa.table(
        {
            "run_id": pa.array([run_id] * n, type=pa.string()),
            "as_of": pa.array([as_of] * n, type=pa.date32()),
            "computed_at": pa.array([stamp] * n, type=pa.timestamp("us", tz="UTC")),
            "day": pa.array(pd.to_datetime(metrics["day"]).dt.date, type=pa.date32()),
            "metric": pa.array(metrics["metric"].astype(str), type=pa.string()),
            "value": pa.array(metrics["value"].to_numpy(dtype="float64"), type=pa.float64()),
        }
    )
    return lake.write_parquet(Zone.META, snapshot_key(run_id), table)


def _failed_runs(lake: Lake, run_ids: Sequence[str]) -> set[str]:
    """Runs whose run record says they failed (their metrics never went live)."""
    import json

    failed = set()
    for run_id in run_ids:
        key = f"runs/{run_id}/run.json"
        if not lake.exists(Zone.META, key):
            continue
        try:
            record = json.loads(lake.read_bytes(Zone.META, key))
        except (StorageError, ValueError):
            continue
        if record.get("status") == "failed":
            failed.add(run_id)
    return failed


def read_metric_history(
    lake: Lake,
    *,
    exclude_runs: Sequence[str] = (),
    since: Optional[date] = None,
    skip_failed: bool = True,
) -> pd.DataFrame:
    """Every kept snapshot, as rows ``run_id, as_of, computed_at, day, metric, value``.

    Parameters
    ----------
    exclude_runs
        Runs to leave out (the current run, whose own values are not its baseline).
    since
        Only days on or after this one.
    skip_failed
        Leave out runs whose ``_meta/runs/<run_id>/run.json`` says ``failed``.

    Returns
    -------
    pandas.DataFrame
        ``day`` and ``as_of`` as datetime64; empty (with the columns) if nothing is kept.
    """
    keys = [k for k in lake.list_keys(Zone.META, HISTORY_PREFIX) if k.endswith(".parquet")]
    runs = {k.rsplit("/", 1)[-1][len("run-") : -len(".parquet")]: k for k in keys}
    wanted = [r for r in sorted(runs) if r not in set(exclude_runs)]
    if skip_failed:
        failed = _failed_runs(lake, wanted)
        wanted = [r for r in wanted if r not in failed]
    frames = []
    for run_id in wanted:
        frame = lake.read_parquet(Zone.META, runs[run_id]).to_pandas()
        if since is not None:
            frame = frame[pd.to_datetime(frame["day"]) >= pd.Timestamp(since)]
        frames.append(frame)
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
        empty["value"] = empty["value"].astype("float64")
        return empty
    history = pd.concat(frames, ignore_index=True)
    history["day"] = _days(history["day"])
    history["as_of"] = _days(history["as_of"])
    history["value"] = history["value"].astype("float64")
    return history[list(HISTORY_COLUMNS)]


def latest_values(history: pd.DataFrame) -> pd.DataFrame:
    """The latest value per (day, metric): from the most recently computed snapshot."""
    if history.empty:
        return history[list(METRIC_COLUMNS)].copy()
    order = [c for c in ("computed_at", "run_id") if c in history.columns]
    ranked = history.sort_values(order, kind="stable") if order else history
    latest = ranked.drop_duplicates(["day", "metric"], keep="last")
    return latest[list(METRIC_COLUMNS)].reset_index(drop=True)


def to_wide(values: pd.DataFrame) -> pd.DataFrame:
    """(day, metric, value) rows -> a day x metric frame (the last row wins on repeats)."""
    if values.empty:
        return pd.DataFrame(dtype="float64")
    frame = values.drop_duplicates(["day", "metric"], keep="last")
    wide = frame.pivot(index="day", columns="metric", values="value")
    wide.index = pd.DatetimeIndex(wide.index)
    return wide.astype("float64")


def as_numpy(frame: pd.DataFrame, index: pd.DatetimeIndex, columns: pd.Index) -> np.ndarray:
    """``frame`` aligned on ``index`` x ``columns`` as a float array (NaN where absent)."""
    return np.array(frame.reindex(index=index, columns=columns).to_numpy(dtype="float64"))
