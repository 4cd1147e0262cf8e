"""product_affinity: support, confidence and lift computed by hand for four baskets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.transform import product_affinity
from pipeline_lib.transform.affinity import AFFINITY_COLUMNS

D1, D2 = dt.date(2025, 1, 1), dt.date(2025, 1, 2)


def four_baskets() -> pd.DataFrame:
    lines = [
        ("cust_1", D1, "prod_a", "completed"),  # basket 1: a, b
        ("cust_1", D1, "prod_b", "completed"),
        ("cust_1", D2, "prod_a", "completed"),  # basket 2: a, b, c
        ("cust_1", D2, "prod_b", "completed"),
        ("cust_1", D2, "prod_c", "completed"),
        ("cust_2", D1, "prod_a", "completed"),  # basket 3: a, c
        ("cust_2", D1, "prod_c", "completed"),
        ("cust_3", D1, "prod_b", "completed"),  # basket 4: b (twice counts once)
        ("cust_3", D1, "prod_b", "completed"),
        ("cust_3", D1, "prod_c", "returned"),  # not a completed line
    ]
    return pd.DataFrame(lines, columns=["customer_id", "transaction_date", "product_id", "status"])


def test_support_confidence_lift_by_hand() -> None:
    rules = product_affinity(four_baskets(), min_pair_count=1)
    assert tuple(rules.columns) == AFFINITY_COLUMNS
    # 4 baskets; baskets with a = 3, b = 3, c = 2; pairs: ab = 2, ac = 2, bc = 1.
    expected = [
        ("prod_a", "prod_c", 2, 2 / 4, 2 / 3, (2 / 3) / (2 / 4)),
        ("prod_c", "prod_a", 2, 2 / 4, 2 / 2, (2 / 2) / (3 / 4)),
        ("prod_a", "prod_b", 2, 2 / 4, 2 / 3, (2 / 3) / (3 / 4)),
        ("prod_b", "prod_a", 2, 2 / 4, 2 / 3, (2 / 3) / (3 / 4)),
        ("prod_b", "prod_c", 1, 1 / 4, 1 / 3, (1 / 3) / (2 / 4)),
        ("prod_c", "prod_b", 1, 1 / 4, 1 / 2, (1 / 2) / (3 / 4)),
    ]
    actual = list(rules.itertuples(index=False, name=None))
    assert [row[:3] for row in actual] == [row[:3] for row in expected]
    for got, want in zip(actual, expected):
        assert got[3:] == pytest.approx(want[3:])


def test_min_pair_count_filters() -> None:
    rules = product_affinity(four_baskets(), min_pair_count=2)
    assert rules["pair_count"].tolist() == [2, 2, 2, 2]
    assert product_affinity(four_baskets()).empty  # default 3


def test_no_completed_lines_gives_empty_rules() -> None:
    lines = four_baskets()
    lines["status"] = "pending"
    rules = product_affinity(lines, min_pair_count=1)
    assert rules.empty
    assert tuple(rules.columns) == AFFINITY_COLUMNS
    with pytest.raises(ValueError, match="min_pair_count"):
        product_affinity(lines, min_pair_count=0)


@pytest.mark.slow
def test_large_baskets_stay_vectorized() -> None:
    n_lines = 200_000
    rng = np.random.default_rng(2)
    lines = pd.DataFrame(
        {
            "customer_id": [f"cust_{i}" for i in rng.integers(0, 20_000, n_lines)],
            "transaction_date": pd.Series(
                pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 30, n_lines), "D")
            ).dt.date,
            "product_id": [f"prod_{i}" for i in rng.integers(0, 300, n_lines)],
            "status": "completed",
        }
    )
    rules = product_affinity(lines, min_pair_count=2)
    assert (rules["pair_count"] >= 2).all()
    assert rules.equals(product_affinity(lines, min_pair_count=2))
