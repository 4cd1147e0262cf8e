"""Daily metrics of everything the product publishes, computed with SQL, and their history.

The metrics are the queries of ``sql/metrics/`` (Athena SQL with the named queries'
headers, internal: not served by the API nor saved as Athena named queries), loaded by
:func:`metric_sql`, which binds the window and writes them for the runner's ``dialect``
(DuckDB: transpiled, with the exact median), and sent through a
:class:`~pipeline_lib.quality.SqlRunner`. Only a window of days is read: the days the
anomaly detection compares (the checked days and their baseline weeks), with the tables'
month partitions pruned, so a daily run's cost does not grow with the history.

Metric names
------------
A whole-shop metric is a bare name (``bookings``, ``conversion_rate``). A segment's metric
names its dimension and value in brackets: ``bookings[category=Garden]``,
``sessions[device=mobile]``, ``events[event_type=search]``, ``lines[status=pending]``.
Snapshots written before segments existed named categories ``revenue:<category>`` and
``bookings:<category>``; :func:`read_metric_history` renames them.

History
-------
Each run's metrics are kept as one snapshot ``_meta/quality/metrics/run-<run_id>.parquet``
(columns ``run_id``, ``as_of``, ``computed_at``, ``day``, ``metric``, ``value``), written
atomically; a rerun of the same run replaces its snapshot. Run-level figures (duplicate,
replaced and reject rates of the run's batches, see :mod:`._runs`) are kept in the same
snapshot under names starting with ``run:`` and ``day`` = the run's as-of date.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional, Union

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
#: Metric names of run-level figures start with this (see :mod:`._runs`).
RUN_PREFIX = "run:"
#: The category of a sale of a product missing from the catalog.
NO_CATEGORY = "(no category)"


@dataclass(frozen=True)
class MetricSpec:
    """How one metric family is compared, shown and explained.

    Attributes
    ----------
    family
        ``revenue``, ``sessions`` ...; a segment family is ``<dimension>_<base>``
        (``category_bookings``, ``device_sessions``).
    kind
        ``amount`` (money), ``count``, ``rate`` (percent of a basis) or ``index`` (a
        ratio or average around a stable level): the number format, and whether a
        missing day means 0 (amounts and counts) or "undefined" (rates, indexes).
    log_scale
        Compare on ``log1p(value)``: a multiplicative band, for positive, skewed metrics.
    matures
        The value of a recent day keeps changing as lines settle (pending -> completed,
        returns arrive): it is only compared with other days seen at the same age.
    basis
        For rates and indexes, the base name of the volume metric (of the same segment)
        whose expected value must reach the floor for the metric to be judged.
    relative_floor
        Smallest scale as a share of the expected value (None: the settings' default).
    label
        What the metric is, in words.
    look_at
        Where to look first when it moves.
    """

    family: str
    kind: str
    log_scale: bool
    matures: bool
    basis: Optional[str] = None
    relative_floor: Optional[float] = None
    label: str = ""
    look_at: str = ""
    #: False for a metric kept only for its mix (events per hour of the day).
    watched: bool = True

    @property
    def additive(self) -> bool:
        """A missing day means 0 (amounts and counts), not "undefined" (rates, indexes)."""
        return self.kind in ("amount", "count")


_FEED_TX = "the day's transactions file (did it arrive whole? once?)"
_FEED_CLICK = "the clickstream of that day (tracking tags, the tracker's release notes)"
_PRICES = (
    "unit prices and totals of that day's lines against earlier days of the same products "
    "(a currency or unit change, amounts in cents?)"
)

SPECS: dict[str, MetricSpec] = {
    # transactions
    "revenue": MetricSpec(
        "revenue",
        "amount",
        True,
        True,
        basis="orders",
        label="completed sales amount",
        look_at=_FEED_TX + "; the status mix of its lines",
    ),
    "orders": MetricSpec(
        "orders",
        "count",
        True,
        True,
        label="completed order lines",
        look_at=_FEED_TX + "; the status mix of its lines",
    ),
    "avg_order_value": MetricSpec(
        "avg_order_value",
        "amount",
        True,
        True,
        basis="orders",
        label="revenue per completed line",
        look_at=_PRICES,
    ),
    "return_rate": MetricSpec(
        "return_rate",
        "rate",
        False,
        True,
        basis="order_lines",
        label="returned or refunded lines, % of lines",
        look_at="the status words the feed sends (a renamed status?)",
    ),
    "refund_rate": MetricSpec(
        "refund_rate",
        "rate",
        False,
        True,
        basis="order_lines",
        label="refunded lines, % of lines",
        look_at="the status words the feed sends (a renamed status?)",
    ),
    "cancel_rate": MetricSpec(
        "cancel_rate",
        "rate",
        False,
        True,
        basis="order_lines",
        label="cancelled lines, % of lines",
        look_at="the status words the feed sends; payment incidents",
    ),
    "bookings": MetricSpec(
        "bookings",
        "amount",
        True,
        False,
        basis="order_lines",
        label="amount of all lines",
        look_at=_FEED_TX + "; " + _PRICES,
    ),
    "order_lines": MetricSpec(
        "order_lines", "count", True, False, label="order lines", look_at=_FEED_TX
    ),
    "units": MetricSpec(
        "units",
        "count",
        True,
        False,
        label="units sold (sum of quantity)",
        look_at="the quantity column of that day's lines (pack sizes?)",
    ),
    "customers": MetricSpec(
        "customers",
        "count",
        True,
        False,
        label="distinct buying customers",
        look_at="customer ids of that day's lines (empty, or one id for all?)",
    ),
    "avg_line_value": MetricSpec(
        "avg_line_value",
        "amount",
        True,
        False,
        basis="order_lines",
        label="amount per order line",
        look_at=_PRICES,
    ),
    "price_index": MetricSpec(
        "price_index",
        "index",
        False,
        False,
        basis="order_lines",
        relative_floor=0.01,
        label="median unit price vs the same products' median price over the baseline weeks, %",
        look_at=_PRICES,
    ),
    "catalog_price_ratio": MetricSpec(
        "catalog_price_ratio",
        "index",
        False,
        False,
        basis="order_lines",
        relative_floor=0.01,
        label="median unit price paid vs the catalog price, %",
        look_at="the product catalog's prices (a stuck or late "
        "price feed?) and the prices of that day's lines",
    ),
    # the funnel (curated.daily_funnel)
    "sessions": MetricSpec("sessions", "count", True, False, label="sessions", look_at=_FEED_CLICK),
    "conversion_rate": MetricSpec(
        "conversion_rate",
        "rate",
        False,
        False,
        basis="sessions",
        label="converting sessions, % of sessions",
        look_at=_FEED_CLICK + "; purchase tracking",
    ),
    "page_views": MetricSpec(
        "page_views", "count", True, False, label="page_view events", look_at=_FEED_CLICK
    ),
    "product_views": MetricSpec(
        "product_views", "count", True, False, label="product_view events", look_at=_FEED_CLICK
    ),
    "add_to_carts": MetricSpec(
        "add_to_carts", "count", True, False, label="add_to_cart events", look_at=_FEED_CLICK
    ),
    "checkout_starts": MetricSpec(
        "checkout_starts", "count", True, False, label="checkout_start events", look_at=_FEED_CLICK
    ),
    "purchases": MetricSpec(
        "purchases", "count", True, False, label="purchase events", look_at=_FEED_CLICK
    ),
    "view_to_product_rate": MetricSpec(
        "view_to_product_rate",
        "rate",
        False,
        False,
        basis="page_views",
        label="product views per page view, %",
        look_at=_FEED_CLICK,
    ),
    "product_to_cart_rate": MetricSpec(
        "product_to_cart_rate",
        "rate",
        False,
        False,
        basis="product_views",
        label="add-to-carts per product view, %",
        look_at=_FEED_CLICK,
    ),
    "cart_to_checkout_rate": MetricSpec(
        "cart_to_checkout_rate",
        "rate",
        False,
        False,
        basis="add_to_carts",
        label="checkout starts per add-to-cart, %",
        look_at=_FEED_CLICK,
    ),
    "checkout_to_purchase_rate": MetricSpec(
        "checkout_to_purchase_rate",
        "rate",
        False,
        False,
        basis="checkout_starts",
        label="purchases per checkout start, %",
        look_at=_FEED_CLICK + "; payment incidents",
    ),
    "overall_conversion_rate": MetricSpec(
        "overall_conversion_rate",
        "rate",
        False,
        False,
        basis="page_views",
        label="purchases per page view, %",
        look_at=_FEED_CLICK,
    ),
    "purchases_per_line": MetricSpec(
        "purchases_per_line",
        "index",
        False,
        False,
        basis="order_lines",
        label="clickstream purchase events per order line, %",
        look_at="whether both feeds are whole for that day: "
        "purchase tracking vs the transactions file",
    ),
    # the clickstream (curated.clickstream)
    "events": MetricSpec(
        "events",
        "count",
        True,
        False,
        label="clickstream events",
        look_at=_FEED_CLICK + " (a double-firing tag? bots?)",
    ),
    "signed_in_share": MetricSpec(
        "signed_in_share",
        "rate",
        False,
        False,
        basis="events",
        label="events of signed-in visitors, %",
        look_at="customer ids in the clickstream (consent banner, login tracking)",
    ),
    # reviews
    "reviews": MetricSpec(
        "reviews", "count", True, False, label="reviews", look_at="the day's reviews file"
    ),
    "avg_rating": MetricSpec(
        "avg_rating",
        "index",
        False,
        False,
        basis="reviews",
        label="mean rating",
        look_at="the rating scale of the reviews file",
    ),
    # segments
    "category_revenue": MetricSpec(
        "category_revenue",
        "amount",
        True,
        True,
        basis="lines",
        label="completed sales amount of a category",
        look_at="the catalog's categories (renamed?) and that category's lines",
    ),
    "category_bookings": MetricSpec(
        "category_bookings",
        "amount",
        True,
        False,
        basis="lines",
        label="amount of a category's lines",
        look_at="the catalog's categories (renamed?) and that category's lines and prices",
    ),
    "category_lines": MetricSpec(
        "category_lines",
        "count",
        True,
        False,
        label="order lines of a category",
        look_at="the catalog's categories (renamed?) and that category's lines",
    ),
    "status_lines": MetricSpec(
        "status_lines",
        "count",
        True,
        True,
        label="order lines with a status",
        look_at="the status words the feed sends",
    ),
    "device_sessions": MetricSpec(
        "device_sessions",
        "count",
        True,
        False,
        label="sessions on a device",
        look_at="tracking of that device (an app release?) and the user-agent parsing",
    ),
    "device_conversion_rate": MetricSpec(
        "device_conversion_rate",
        "rate",
        False,
        False,
        basis="sessions",
        label="converting sessions on a device, %",
        look_at="checkout on that device",
    ),
    "event_type_events": MetricSpec(
        "event_type_events",
        "count",
        True,
        False,
        label="events of a type",
        look_at="the tag that sends this event (removed from a page? renamed?)",
    ),
    "device_logged": MetricSpec(
        "device_logged",
        "count",
        True,
        False,
        label="sessions on a device as logged (unweighted)",
        look_at="tracking of that device (an app release?) and the user-agent parsing",
        watched=False,
    ),
    "event_type_logged": MetricSpec(
        "event_type_logged",
        "count",
        True,
        False,
        label="events of a type as logged (unweighted)",
        look_at="the tag that sends this event (removed from a page? renamed?)",
        watched=False,
    ),
    "hour_events": MetricSpec(
        "hour_events",
        "count",
        True,
        False,
        label="events in an hour of the day (UTC)",
        look_at="the time zone of the clickstream's timestamps (a changed export or tracker "
        "setting?) and late or early exports",
        watched=False,
    ),
}

#: Legacy per-category names of snapshots (``revenue:Books``) -> their base metric.
LEGACY_CATEGORY_PREFIXES = {"revenue:": "revenue", "bookings:": "bookings"}
#: Kept for callers that imported it: the legacy prefix -> family.
CATEGORY_PREFIXES = {"revenue:": "category_revenue", "bookings:": "category_bookings"}

#: The base metric of each segment family, per dimension.
SEGMENT_BASES = {
    "category": ("revenue", "bookings", "lines"),
    "status": ("lines",),
    "device": ("sessions", "conversion_rate", "logged"),
    "event_type": ("events", "logged"),
    "hour": ("events",),
}
#: Dimensions whose shares form a mix (``lines`` per status ...) and the base counted.
MIX_BASES = {
    "status": "lines",
    "device": "logged",
    "event_type": "logged",
    "category": "lines",
    "hour": "events",
}


def segment_name(base: str, dimension: str, value: Any) -> str:
    """``bookings[category=Garden]``."""
    return f"{base}[{dimension}={value}]"


def parse_name(metric: str) -> tuple[str, Optional[str], Optional[str]]:
    """``bookings[category=Garden]`` -> (``bookings``, ``category``, ``Garden``).

    A whole-shop metric has no dimension: (``bookings``, None, None).
    """
    if metric.endswith("]") and "[" in metric:
        base, _, inside = metric.partition("[")
        dimension, sep, value = inside[:-1].partition("=")
        if sep:
            return base, dimension, value
    return metric, None, None


def family_of(metric: str) -> str:
    """The :data:`SPECS` family of a metric name; PipelineError for an unknown one."""
    base, dimension, _ = parse_name(metric)
    if dimension is None:
        for prefix, legacy in LEGACY_CATEGORY_PREFIXES.items():
            if metric.startswith(prefix) and len(metric) > len(prefix):
                return f"category_{legacy}"
        if metric in SPECS and not _is_segment_family(metric):
            return metric
        raise PipelineError(f"unknown metric {metric!r}")
    family = f"{dimension}_{base}"
    if family in SPECS and dimension in SEGMENT_BASES and base in SEGMENT_BASES[dimension]:
        return family
    raise PipelineError(f"unknown metric {metric!r}")


def _is_segment_family(name: str) -> bool:
    return any(
        name.startswith(f"{d}_") and name[len(d) + 1 :] in b for d, b in SEGMENT_BASES.items()
    )


def spec_of(metric: str) -> MetricSpec:
    """The :class:`MetricSpec` of a metric name (``revenue``, ``bookings[category=Books]``).

    Raises
    ------
    PipelineError
        If the name is not a known metric.
    """
    return SPECS[family_of(metric)]


def basis_of(metric: str) -> Optional[str]:
    """The volume metric (same segment) that decides whether ``metric`` can be judged."""
    spec = spec_of(metric)
    if spec.basis is None:
        return None
    _, dimension, value = parse_name(legacy_rename(metric))
    return spec.basis if dimension is None else segment_name(spec.basis, dimension, value)


def legacy_rename(metric: str) -> str:
    """``revenue:Books`` (snapshots before segments) -> ``revenue[category=Books]``."""
    for prefix, base in LEGACY_CATEGORY_PREFIXES.items():
        if metric.startswith(prefix) and len(metric) > len(prefix):
            return segment_name(base, "category", metric[len(prefix) :])
    return metric


# --------------------------------------------------------------------------- the window


@dataclass(frozen=True)
class Window:
    """The days the metrics are computed for: ``first`` .. ``last``, inclusive.

    ``baseline_last`` is the last day of the reference period the price index compares
    against (the days before the checked ones).
    """

    first: date
    last: date
    baseline_last: date

    @classmethod
    def for_detection(cls, as_of: date, *, lookback_weeks: int, check_days: int) -> Window:
        """The checked days and ``lookback_weeks`` full weeks before the earliest of them."""
        first = as_of - timedelta(days=check_days - 1 + 7 * lookback_weeks)
        return cls(first, as_of, as_of - timedelta(days=check_days))

    @classmethod
    def everything(cls) -> Window:
        """Every day (tests, and the whole-history chart)."""
        return cls(date(1900, 1, 1), date(2999, 12, 31), date(2999, 12, 31))

    def params(self) -> dict[str, Union[date, str]]:
        """The window as the values of the metric queries' parameters (``sql/metrics/``).

        ``first_month`` is the month partition of ``first``, so that Athena reads only the
        months the window touches.
        """
        return {
            "first_day": self.first,
            "last_day": self.last,
            "first_month": self.first.strftime("%Y-%m"),
            "baseline_last": self.baseline_last,
        }


#: The folder of the metric queries, under ``sql/`` (internal: not named queries).
METRIC_SQL = "metrics"


def metric_sql(name: str, window: Window, dialect: str = "duckdb") -> str:
    """The text of metric query ``sql/metrics/<name>.sql`` over ``window``, for a runner.

    The file is loaded like a named query (its header checked against its SQL) and its
    parameters are bound from typed values (:func:`pipeline_lib.query.bind_literals`):
    a :class:`SqlRunner` takes text only. The file is Athena SQL; for ``dialect``
    ``duckdb`` it is transpiled, with the exact ``median`` for Athena's
    ``approx_percentile(x, 0.5)``.

    Raises
    ------
    QueryError
        If the query does not exist or its header disagrees with its SQL.
    """
    from sqlglot import exp

    from pipeline_lib.query._dialect import bind_literals, to_duckdb
    from pipeline_lib.query._loader import load_query, sql_dir

    query = load_query(name, sql_dir() / METRIC_SQL)
    values: dict[str, object] = {**window.params(), "no_category": NO_CATEGORY}
    declared = {p.name for p in query.params}
    expression = bind_literals(
        query.expression(), query.bind({k: v for k, v in values.items() if k in declared})
    )
    if dialect == "athena":
        return expression.sql(dialect="athena", comments=False)

    def exact_median(node: exp.Expression) -> exp.Expression:
        quantile = node.args.get("quantile") if isinstance(node, exp.ApproxQuantile) else None
        if isinstance(quantile, exp.Literal) and float(quantile.name) == 0.5:
            return exp.Median(this=node.this)
        return node

    return to_duckdb(expression.transform(exact_median))


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


def _ratio(part: pd.Series, whole: pd.Series, scale: float = 100.0) -> pd.Series:
    return scale * part / whole.where(whole > 0)


def _segment_rows(
    frame: pd.DataFrame,
    dimension: str,
    columns: Sequence[str],
    max_segments: int,
    volume_column: str,
) -> list[pd.DataFrame]:
    """(day, metric, value) rows of the biggest ``max_segments`` values of ``dimension``."""
    if frame.empty:
        return []
    volume = frame.groupby(dimension)[volume_column].sum().sort_values(ascending=False)
    kept = set(volume.index[:max_segments])
    frame = frame[frame[dimension].isin(kept)]
    return [
        pd.DataFrame(
            {
                "day": frame["day"],
                "metric": [segment_name(base, dimension, v) for v in frame[dimension]],
                "value": frame[column],
            }
        )
        for base, column in zip(SEGMENT_BASES[dimension], columns)
    ]


def daily_metrics(
    runner: SqlRunner,
    window: Optional[Window] = None,
    *,
    tables: Optional[Collection[str]] = None,
    max_segments: int = 30,
) -> pd.DataFrame:
    """Every published daily figure over ``window``, one row per (day, metric).

    Whole shop: ``revenue``, ``orders``, ``avg_order_value``, ``return_rate``,
    ``refund_rate``, ``cancel_rate`` (completed or settled lines), ``bookings``,
    ``order_lines``, ``units``, ``customers``, ``avg_line_value`` (all lines),
    ``price_index`` and ``catalog_price_ratio`` (median unit price against the same
    products' baseline price and against the catalog, percent), each funnel step and
    step rate of ``curated.daily_funnel``, ``sessions``, ``conversion_rate``,
    ``purchases_per_line`` (purchase events per order line, percent), ``events`` and
    ``signed_in_share`` of the clickstream, ``reviews`` and ``avg_rating``.

    Per segment (the ``max_segments`` biggest values of each dimension):
    ``revenue|bookings|lines[category=...]``, ``lines[status=...]``,
    ``sessions|conversion_rate[device=...]``, ``events[event_type=...]``, and
    ``events[hour=HH]`` (UTC, events as logged, unweighted; kept for the hour-of-day mix
    only, not judged alone).

    Parameters
    ----------
    runner
        Where the SQL runs (views ``curated.transactions``, ``curated.products``,
        ``curated.daily_funnel``, ``curated.sessions``, ``curated.clickstream``,
        ``curated.reviews``).
    window
        The days to compute (default: every day).
    tables
        The tables the runner can see (default: its ``tables`` attribute if any, else
        all); metrics of missing tables are left out.
    max_segments
        Segments per dimension.

    Returns
    -------
    pandas.DataFrame
        Columns ``day`` (datetime64, midnight), ``metric`` (str), ``value`` (float; NaN
        for a rate whose denominator is 0), sorted by day and metric.
    """
    w = window or Window.everything()
    dialect = str(getattr(runner, "dialect", "duckdb"))
    if tables is None:
        known = getattr(runner, "tables", None)
        tables = set(known) if isinstance(known, dict) and known else None

    def has(name: str) -> bool:
        return tables is None or name in tables

    def run(query: str) -> pd.DataFrame:
        return runner.query(metric_sql(query, w, dialect))

    parts: list[pd.DataFrame] = []
    lines_by_day = pd.Series(dtype="float64")
    if has("curated.transactions"):
        sales = _numeric(
            run("transactions"),
            (
                "revenue",
                "orders",
                "bookings",
                "order_lines",
                "units",
                "customers",
                "returned_lines",
                "refunded_lines",
                "cancelled_lines",
            ),
        )
        sales["day"] = _days(sales["day"])
        sales["avg_order_value"] = _ratio(sales["revenue"], sales["orders"], 1.0)
        sales["avg_line_value"] = _ratio(sales["bookings"], sales["order_lines"], 1.0)
        sales["return_rate"] = _ratio(sales["returned_lines"], sales["order_lines"])
        sales["refund_rate"] = _ratio(sales["refunded_lines"], sales["order_lines"])
        sales["cancel_rate"] = _ratio(sales["cancelled_lines"], sales["order_lines"])
        lines_by_day = sales.set_index("day")["order_lines"]
        parts.append(
            _long(
                sales,
                (
                    "revenue",
                    "orders",
                    "avg_order_value",
                    "return_rate",
                    "refund_rate",
                    "cancel_rate",
                    "bookings",
                    "order_lines",
                    "units",
                    "customers",
                    "avg_line_value",
                ),
            )
        )
        segments = _numeric(run("segments"), ("revenue", "bookings", "lines"))
        if not segments.empty:
            segments["day"] = _days(segments["day"])
            segments["category"] = segments["category"].astype(str)
            segments["status"] = segments["status"].astype(str)
            by_category = segments.groupby(["day", "category"], as_index=False)[
                ["revenue", "bookings", "lines"]
            ].sum()
            parts += _segment_rows(
                by_category, "category", ("revenue", "bookings", "lines"), max_segments, "lines"
            )
            by_status = segments.groupby(["day", "status"], as_index=False)[["lines"]].sum()
            parts += _segment_rows(by_status, "status", ("lines",), max_segments, "lines")
        if has("curated.products"):
            prices = _numeric(run("prices"), ("price_index", "catalog_price_ratio"))
            prices["day"] = _days(prices["day"])
            parts.append(_long(prices, ("price_index", "catalog_price_ratio")))
    if has("curated.daily_funnel"):
        steps = ("page_views", "product_views", "add_to_carts", "checkout_starts", "purchases")
        funnel = _numeric(run("funnel"), ("sessions", "converting_sessions", *steps))
        funnel["day"] = _days(funnel["day"])
        funnel["conversion_rate"] = _ratio(funnel["converting_sessions"], funnel["sessions"])
        rates = (
            "view_to_product_rate",
            "product_to_cart_rate",
            "cart_to_checkout_rate",
            "checkout_to_purchase_rate",
        )
        for rate, (before, after) in zip(rates, zip(steps, steps[1:])):
            funnel[rate] = _ratio(funnel[after], funnel[before])
        funnel["overall_conversion_rate"] = _ratio(funnel["purchases"], funnel["page_views"])
        columns = ["sessions", "conversion_rate", *steps, *rates, "overall_conversion_rate"]
        if not lines_by_day.empty:
            funnel["purchases_per_line"] = _ratio(
                funnel["purchases"], funnel["day"].map(lines_by_day).astype("float64")
            )
            columns.append("purchases_per_line")
        parts.append(_long(funnel, columns))
    if has("curated.sessions"):
        devices = _numeric(run("devices"), ("sessions", "converting_sessions", "logged"))
        if not devices.empty:
            devices["day"] = _days(devices["day"])
            devices["device"] = devices["device"].astype(str)
            devices["conversion_rate"] = _ratio(devices["converting_sessions"], devices["sessions"])
            parts += _segment_rows(
                devices,
                "device",
                ("sessions", "conversion_rate", "logged"),
                max_segments,
                "sessions",
            )
    if has("curated.clickstream"):
        events = _numeric(run("events"), ("events", "signed_in_events", "logged"))
        if not events.empty:
            events["day"] = _days(events["day"])
            events["event_type"] = events["event_type"].astype(str)
            totals = events.groupby("day", as_index=False)[["events", "signed_in_events"]].sum()
            totals["signed_in_share"] = _ratio(totals["signed_in_events"], totals["events"])
            parts.append(_long(totals, ("events", "signed_in_share")))
            parts += _segment_rows(
                events, "event_type", ("events", "logged"), max_segments, "events"
            )
        hours = _numeric(run("hours"), ("hour", "events"))
        if not hours.empty:
            hours["day"] = _days(hours["day"])
            hours["hour"] = [f"{int(h):02d}" for h in hours["hour"]]
            parts += _segment_rows(hours, "hour", ("events",), 24, "events")
    if has("curated.reviews"):
        reviews = _numeric(run("reviews"), ("reviews", "avg_rating"))
        if not reviews.empty:
            reviews["day"] = _days(reviews["day"])
            parts.append(_long(reviews, ("reviews", "avg_rating")))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(
            {
                "day": pd.Series(dtype="datetime64[ns]"),
                "metric": pd.Series(dtype="object"),
                "value": pd.Series(dtype="float64"),
            }
        )
    metrics = pd.concat(parts, ignore_index=True)
    metrics["value"] = metrics["value"].astype("float64")
    metrics["metric"] = metrics["metric"].astype(str)
    metrics = metrics.sort_values(["day", "metric"], kind="stable").reset_index(drop=True)
    logger.debug("computed %d metric values over %d days", len(metrics), metrics["day"].nunique())
    return metrics[list(METRIC_COLUMNS)]


# --------------------------------------------------------------------------- history


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
    latest_runs: Optional[int] = None,
) -> pd.DataFrame:
    """Every kept snapshot, as rows ``run_id, as_of, computed_at, day, metric, value``.

    Legacy per-category names (``revenue:Books``) are renamed to
    ``revenue[category=Books]``.

    Parameters
    ----------
    exclude_runs
        Runs to leave out (the current run, whose own values are not its baseline).
    since
        Only days on or after this one.
    skip_failed
        Leave out runs whose ``_meta/runs/<run_id>/run.json`` says ``failed``.
    latest_runs
        Read only the snapshots of this many runs, the latest by run id (the pipeline's
        run ids sort by time): a daily run's cost does not grow with the history.

    Returns
    -------
    pandas.DataFrame
        ``day`` and ``as_of`` as datetime64; empty (with the columns) if nothing is kept.
    """
    keys = [k for k in lake.list_keys(Zone.META, HISTORY_PREFIX) if k.endswith(".parquet")]
    runs = {k.rsplit("/", 1)[-1][len("run-") : -len(".parquet")]: k for k in keys}
    wanted = [r for r in sorted(runs) if r not in set(exclude_runs)]
    if latest_runs is not None:
        wanted = wanted[-latest_runs:]
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
    history["metric"] = history["metric"].astype(str).map(legacy_rename)
    return history[list(HISTORY_COLUMNS)]


def daily_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` that are daily metrics (not run-level ``run:`` figures)."""
    if frame.empty:
        return frame
    return frame[~frame["metric"].astype(str).str.startswith(RUN_PREFIX)]


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


def poisson_log_sd(expected: np.ndarray) -> np.ndarray:
    """Standard deviation of ``log1p(N)`` for a Poisson count of mean ``expected``."""
    lam = np.clip(np.nan_to_num(expected, nan=0.0), 0.0, None)
    return np.sqrt(lam) / (lam + 1.0)


def binomial_sd_pct(rate_pct: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Standard deviation, in percentage points, of a share ``rate_pct`` of ``trials``."""
    p = np.clip(np.nan_to_num(rate_pct, nan=0.0) / 100.0, 0.0, 1.0)
    n = np.clip(np.nan_to_num(trials, nan=0.0), 1.0, None)
    return 100.0 * np.sqrt(p * (1.0 - p) / n)


def fmt(value: float, kind: str) -> str:
    """A metric value for people: ``12.34%``, ``1,234``, ``1,234.56``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind in ("rate", "index"):
        return f"{value:,.2f}%" if kind == "rate" else f"{value:,.4g}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"
