"""customer_metrics, the pandas reference of curated.customer_metrics (its SQL is
sql/aggregates/customer_metrics.sql): history, RFM scores and segments, value segments on
built customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.reference_aggregates import (
    CUSTOMER_METRIC_COLUMNS,
    customer_metrics,
    quintile_scores,
    rfm_segments,
)

AS_OF = dt.date(2025, 3, 31)


def lines_of(customer: str, amounts: list[float], recency_days: int) -> list[dict[str, Any]]:
    """Completed lines, one day apart, the last one ``recency_days`` before AS_OF."""
    last = AS_OF - dt.timedelta(days=recency_days)
    return [
        {
            "transaction_id": f"txn_{customer}_{i}",
            "customer_id": customer,
            "quantity": 1,
            "total_amount": amount,
            "transaction_date": last - dt.timedelta(days=len(amounts) - 1 - i),
            "status": "completed",
        }
        for i, amount in enumerate(amounts)
    ]


def line(customer: str, txn: str, status: str, day: dt.date) -> dict[str, Any]:
    return {
        "transaction_id": txn,
        "customer_id": customer,
        "quantity": 1,
        "total_amount": 50.0,
        "transaction_date": day,
        "status": status,
    }


def customers() -> pd.DataFrame:
    rows = [
        *lines_of("cust_1", [300.0] * 5, 0),
        *lines_of("cust_2", [150.0] * 4, 10),
        *lines_of("cust_3", [333.33] * 3, 20),
        *lines_of("cust_4", [250.0] * 2, 40),
        *lines_of("cust_5", [499.99], 100),
        line("cust_1", "txn_r1", "returned", AS_OF),
        line("cust_1", "txn_r2", "refunded", AS_OF),
        line("cust_1", "txn_p", "pending", AS_OF),
        line("cust_5", "txn_future", "completed", AS_OF + dt.timedelta(days=1)),
        line("cust_6", "txn_r3", "returned", AS_OF),  # no completed line: not a customer
    ]
    return pd.DataFrame(rows)


def test_customer_history_and_segments() -> None:
    metrics = customer_metrics(customers(), as_of=AS_OF)
    assert tuple(metrics.columns) == CUSTOMER_METRIC_COLUMNS
    assert metrics["customer_id"].tolist() == ["cust_1", "cust_2", "cust_3", "cust_4", "cust_5"]
    assert metrics["total_orders"].tolist() == [5, 4, 3, 2, 1]
    assert metrics["total_units"].tolist() == [5, 4, 3, 2, 1]
    assert metrics["lifetime_value"].tolist() == [1500.0, 600.0, 999.99, 500.0, 499.99]
    assert metrics["avg_order_value"].tolist() == [300.0, 150.0, 333.33, 250.0, 499.99]
    assert metrics["returns"].tolist() == [2, 0, 0, 0, 0]
    assert metrics["recency_days"].tolist() == [0, 10, 20, 40, 100]
    assert metrics["first_purchase"].tolist()[0] == AS_OF - dt.timedelta(days=4)
    assert metrics["last_purchase"].tolist()[4] == AS_OF - dt.timedelta(days=100)
    assert metrics["r_score"].tolist() == [5, 4, 3, 2, 1]
    assert metrics["f_score"].tolist() == [5, 4, 3, 2, 1]
    assert metrics["m_score"].tolist() == [5, 3, 4, 2, 1]
    assert metrics["rfm_segment"].tolist() == [
        "Champions",
        "Loyal",
        "Potential Loyalist",
        "Hibernating",
        "Lost",
    ]
    assert metrics["value_segment"].tolist() == [
        "High Value",
        "Medium Value",
        "Medium Value",
        "Medium Value",
        "Low Value",
    ]


def test_segment_rules_cover_new_and_at_risk() -> None:
    r = np.array([5, 4, 1, 2, 3, 1])
    f = np.array([1, 1, 5, 3, 1, 2])
    m = np.array([1, 5, 5, 5, 5, 1])
    assert rfm_segments(r, f, m).tolist() == [
        "New",
        "New",
        "At Risk",
        "At Risk",
        "Hibernating",
        "Lost",
    ]


def test_quintile_scores_share_scores_on_ties() -> None:
    assert quintile_scores(np.array([7, 7, 7, 7, 9])).tolist() == [1, 1, 1, 1, 5]
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(np.array([], dtype=np.int64)).tolist() == []


def test_result_does_not_depend_on_row_order() -> None:
    rows = customers()
    shuffled = rows.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        customer_metrics(rows, as_of=AS_OF), customer_metrics(shuffled, as_of=AS_OF)
    )


@pytest.mark.slow
def test_many_customers_stay_vectorized() -> None:
    n_lines = 200_000
    rng = np.random.default_rng(9)
    lines = pd.DataFrame(
        {
            "transaction_id": [f"txn_{i}" for i in range(n_lines)],
            "customer_id": [f"cust_{i}" for i in rng.integers(0, 30_000, n_lines)],
            "quantity": rng.integers(1, 4, n_lines),
            "total_amount": np.round(rng.random(n_lines) * 200, 2),
            "transaction_date": AS_OF,
            "status": rng.choice(["completed", "returned"], n_lines),
        }
    )
    metrics = customer_metrics(lines, as_of=AS_OF)
    assert metrics["customer_id"].is_unique
    assert set(metrics["r_score"].unique()) <= {1, 2, 3, 4, 5}
