"""Customer metrics: lifetime value, RFM scores and segments."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.schemas import RETURN_STATUSES, RFM_SEGMENTS, VALUE_SEGMENTS
from pipeline_lib.transform import _frames as fr

logger = logging.getLogger(__name__)

#: Lifetime value thresholds of the mission's customer_ltv query.
HIGH_VALUE_MIN = 1000.0
MEDIUM_VALUE_MIN = 500.0

CUSTOMER_METRIC_COLUMNS = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "total_orders",
    "total_units",
    "lifetime_value",
    "avg_order_value",
    "returns",
    "recency_days",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "value_segment",
)

_EPOCH = dt.date(1970, 1, 1)


def customer_metrics(transactions: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Purchase history, RFM scores and segments per customer, as of a day.

    Only lines dated on or before ``as_of`` count. Customers are those with at least one
    completed line (as in the mission's customer_ltv query); over their completed lines:
    ``first_purchase``, ``last_purchase``, ``total_orders`` (distinct transaction_id),
    ``total_units``, ``lifetime_value`` (sum of total_amount, rounded to cents),
    ``avg_order_value`` (lifetime_value / total_orders, rounded to cents) and
    ``recency_days`` (as_of - last_purchase). ``returns`` counts their returned or refunded
    lines.

    Scores (1 = worst, 5 = best) rank customers on recency (lower is better),
    frequency (``total_orders``) and monetary value (``lifetime_value``):
    ``score = 1 + floor(5 * worse / n)``, where ``worse`` is the number of customers with a
    strictly worse value and ``n`` the number of customers. These are quintiles in which
    tied customers always share a score, whatever the row order.

    ``rfm_segment`` is the first rule that matches:

    ==================== ==========================================
    Champions            r >= 4 and f >= 4 and m >= 4
    Loyal                r >= 3 and f >= 4
    Potential Loyalist   r >= 3 and f >= 2
    New                  r >= 4 (and f == 1)
    At Risk              r <= 2 and f >= 3
    Hibernating          r >= 2
    Lost                 everything else (r == 1, f <= 2)
    ==================== ==========================================

    ``value_segment``: ``High Value`` (lifetime_value >= 1000), ``Medium Value`` (>= 500),
    else ``Low Value``.

    Parameters
    ----------
    transactions
        Cleaned transactions (needs transaction_id, customer_id, quantity, total_amount,
        transaction_date, status).
    as_of
        The day the metrics are computed for.

    Returns
    -------
    pandas.DataFrame
        Columns of ``CUSTOMER_METRIC_COLUMNS``, one row per customer, sorted by
        ``customer_id``.
    """
    fr.require_columns(
        transactions,
        [
            "transaction_id",
            "customer_id",
            "quantity",
            "total_amount",
            "transaction_date",
            "status",
        ],
        "customer_metrics",
    )
    as_of_day = (as_of - _EPOCH).days
    days = fr.int_values(fr.as_dtype(transactions["transaction_date"], fr.DATE))
    counted = days <= as_of_day
    completed = counted & fr.bool_mask(transactions["status"] == "completed")
    returned = counted & fr.bool_mask(transactions["status"].isin(RETURN_STATUSES))
    customer_codes, customer_ids = fr.factorize(transactions["customer_id"])
    order_codes, _ = fr.codes(transactions["transaction_id"])

    lines = pd.DataFrame(
        {
            "customer": customer_codes[completed],
            "day": days[completed],
            "order": order_codes[completed],
            "units": fr.int_values(transactions["quantity"])[completed],
            "amount": np.nan_to_num(fr.float_values(transactions["total_amount"])[completed]),
        }
    )
    per_customer = lines.groupby("customer", sort=True).agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        total_orders=("order", "nunique"),
        total_units=("units", "sum"),
        amount=("amount", "sum"),
    )
    buyers = per_customer.index.to_numpy(dtype=np.int64)
    total_orders = per_customer["total_orders"].to_numpy(dtype=np.int64)
    lifetime_value = np.round(per_customer["amount"].to_numpy(dtype=np.float64), 2)
    last_day = per_customer["last_day"].to_numpy(dtype=np.int64)
    recency = as_of_day - last_day
    returns = np.bincount(customer_codes[returned], minlength=len(customer_ids))[buyers]

    r_score = quintile_scores(-recency)
    f_score = quintile_scores(total_orders)
    m_score = quintile_scores(lifetime_value)
    value_segment = np.select(
        [lifetime_value >= HIGH_VALUE_MIN, lifetime_value >= MEDIUM_VALUE_MIN],
        list(VALUE_SEGMENTS[:-1]),
        default=VALUE_SEGMENTS[-1],
    )

    def dates(values: np.ndarray) -> pd.Series:
        return fr.arrow_column(values.astype(np.int32), pa.int32()).astype(fr.DATE)

    def ints(values: np.ndarray) -> pd.Series:
        return fr.arrow_column(np.asarray(values, dtype=np.int64), pa.int64())

    def texts(values: np.ndarray) -> pd.Series:
        return fr.arrow_column(np.asarray(values, dtype=object), pa.string())

    return pd.DataFrame(
        {
            "customer_id": customer_ids.iloc[buyers].reset_index(drop=True),
            "first_purchase": dates(per_customer["first_day"].to_numpy()),
            "last_purchase": dates(last_day),
            "total_orders": ints(total_orders),
            "total_units": ints(per_customer["total_units"].to_numpy()),
            "lifetime_value": fr.arrow_column(lifetime_value, pa.float64()),
            "avg_order_value": fr.arrow_column(
                np.round(per_customer["amount"].to_numpy() / total_orders, 2), pa.float64()
            ),
            "returns": ints(returns),
            "recency_days": ints(recency),
            "r_score": ints(r_score),
            "f_score": ints(f_score),
            "m_score": ints(m_score),
            "rfm_segment": texts(rfm_segments(r_score, f_score, m_score)),
            "value_segment": texts(value_segment),
        }
    )


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """Score 1..5 per value, higher values scoring higher; ties share a score.

    ``score = 1 + floor(5 * worse / n)`` with ``worse`` the number of strictly smaller values.

    Examples
    --------
    >>> quintile_scores(np.array([10, 20, 30, 40, 50])).tolist()
    [1, 2, 3, 4, 5]
    >>> quintile_scores(np.array([1, 1, 1, 2])).tolist()
    [1, 1, 1, 4]
    """
    values = np.asarray(values)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    worse = np.searchsorted(np.sort(values), values, side="left")
    return (1 + (5 * worse) // len(values)).astype(np.int64)


def rfm_segments(r_score: np.ndarray, f_score: np.ndarray, m_score: np.ndarray) -> np.ndarray:
    """The RFM segment of each customer (see :func:`customer_metrics` for the rules)."""
    return np.select(
        [
            (r_score >= 4) & (f_score >= 4) & (m_score >= 4),
            (r_score >= 3) & (f_score >= 4),
            (r_score >= 3) & (f_score >= 2),
            r_score >= 4,
            (r_score <= 2) & (f_score >= 3),
            r_score >= 2,
        ],
        list(RFM_SEGMENTS[:-1]),
        default=RFM_SEGMENTS[-1],
    )
