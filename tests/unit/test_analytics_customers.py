"""Customers: the retention matrix, averages over complete months, conclusions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.analytics import customers

AS_OF = date(2026, 11, 28)


def cohort_rows() -> pd.DataFrame:
    rows = [
        # cohort, month number, size, customers
        (date(2026, 8, 1), 0, 10, 10),
        (date(2026, 8, 1), 1, 10, 2),  # month 2 missing: nobody came back
        (date(2026, 8, 1), 3, 10, 1),  # November: still running
        (date(2026, 9, 1), 0, 4, 4),
        (date(2026, 9, 1), 1, 4, 2),
        (date(2026, 11, 1), 0, 5, 5),
    ]
    frame = pd.DataFrame(rows, columns=["cohort_month", "month_number", "cohort_size", "customers"])
    frame["retention_rate"] = (100 * frame["customers"] / frame["cohort_size"]).round(2)
    return frame


def test_retention_matrix_fills_months_that_passed_and_leaves_future_ones_empty() -> None:
    matrix = customers.retention_matrix(cohort_rows(), as_of=AS_OF)
    assert matrix["cohort"].tolist() == ["2026-08", "2026-09", "2026-11"]
    assert matrix["cohort_size"].tolist() == [10, 4, 5]
    assert list(matrix.columns[2:]) == [0, 1, 2, 3]
    august, september, november = (row[[0, 1, 2, 3]].tolist() for _, row in matrix.iterrows())
    assert august == [100.0, 20.0, 0.0, 10.0]
    assert september[:3] == [100.0, 50.0, 0.0] and np.isnan(september[3])
    assert november[0] == 100.0 and all(np.isnan(v) for v in november[1:])


def test_mean_retention_counts_only_months_that_ended() -> None:
    matrix = customers.retention_matrix(cohort_rows(), as_of=AS_OF)
    assert customers.mean_retention(matrix, 1, as_of=AS_OF) == (pytest.approx(35.0), 2)
    # month 3 of August is November, still running: no cohort has it complete
    assert customers.mean_retention(matrix, 3, as_of=AS_OF) == (None, 0)
    # month 2: August's (October, nobody) counts; September's is November, still running
    assert customers.mean_retention(matrix, 2, as_of=AS_OF) == (0.0, 1)


def test_conclusions() -> None:
    rfm = pd.DataFrame(
        {
            "rfm_segment": ["Champions", "At Risk", "Lost"],
            "customers": [20, 30, 50],
            "customer_share": [20.0, 30.0, 50.0],
            "lifetime_value": [6000.0, 3000.0, 1000.0],
            "value_share": [60.0, 30.0, 10.0],
            "avg_ltv": [300.0, 100.0, 20.0],
            "avg_orders": [12.0, 5.0, 1.5],
            "avg_recency_days": [10.0, 190.4, 300.0],
        }
    )
    ltv = pd.DataFrame(
        {
            "customer_segment": ["High Value", "Low Value"],
            "customer_count": [5, 95],
            "avg_ltv": [1500.0, 50.0],
            "avg_orders": [20.0, 2.0],
            "avg_order_value": [75.0, 25.0],
        }
    )
    matrix = customers.retention_matrix(cohort_rows(), as_of=AS_OF)
    sentences = customers.conclusions(rfm, ltv, matrix, as_of=AS_OF)
    assert sentences == [
        "Champions: 20.0% of customers hold 60.0% of lifetime value, $300.00 each on average "
        "over 12.0 orders.",
        "At Risk: 30 customers who used to buy often ($3,000.00 of lifetime value) last bought "
        "190 days ago on average.",
        "High Value customers: 5 (5.0% of 100 buyers), $1,500.00 lifetime value each.",
        "On average 35.0% of a cohort buys again in the month after its first purchase "
        "(2 cohorts with that month complete).",
    ]
    empty = customers.retention_matrix(cohort_rows().iloc[0:0], as_of=AS_OF)
    assert customers.conclusions(rfm.iloc[0:0], ltv.iloc[0:0], empty, as_of=AS_OF) == []


def test_retention_figure_shows_months_after_the_first() -> None:
    matrix = customers.retention_matrix(cohort_rows(), as_of=AS_OF)
    heatmap = customers.retention_figure(matrix).data[0]
    assert list(heatmap.x) == ["+1", "+2", "+3"]
    assert list(heatmap.y) == ["2026-08 (10)", "2026-09 (4)", "2026-11 (5)"]
