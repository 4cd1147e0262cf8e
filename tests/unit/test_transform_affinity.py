"""product_affinity, the pandas reference of curated.product_affinity (its SQL is
sql/aggregates/product_affinity.sql): support, confidence, lift and excess baskets computed
by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.reference_aggregates import AFFINITY_COLUMNS, excess_baskets, product_affinity

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


def test_support_confidence_lift_and_excess_baskets_by_hand() -> None:
    rules = product_affinity(four_baskets(), min_pair_count=1)
    assert tuple(rules.columns) == AFFINITY_COLUMNS
    # 4 baskets; baskets with a = 3, b = 3, c = 2; pairs: ab = 2, ac = 2, bc = 1.
    # excess = pair count - with_a * with_b / 4: ac 2 - 6/4, ab 2 - 9/4, bc 1 - 6/4.
    expected = [
        ("prod_c", "prod_a", 2, 2 / 4, 2 / 2, (2 / 2) / (3 / 4), 0.5),
        ("prod_a", "prod_c", 2, 2 / 4, 2 / 3, (2 / 3) / (2 / 4), 0.5),
        ("prod_a", "prod_b", 2, 2 / 4, 2 / 3, (2 / 3) / (3 / 4), -0.25),
        ("prod_b", "prod_a", 2, 2 / 4, 2 / 3, (2 / 3) / (3 / 4), -0.25),
        ("prod_c", "prod_b", 1, 1 / 4, 1 / 2, (1 / 2) / (3 / 4), -0.5),
        ("prod_b", "prod_c", 1, 1 / 4, 1 / 3, (1 / 3) / (2 / 4), -0.5),
    ]
    actual = list(rules.itertuples(index=False, name=None))
    # Most excess baskets first; a tie (both directions of a pair) by confidence, then ids.
    assert [row[:3] for row in actual] == [row[:3] for row in expected]
    for got, want in zip(actual, expected):
        assert got[3:] == pytest.approx(want[3:])
    lifts = rules["lift"].to_numpy(dtype=float)
    counts = rules["pair_count"].to_numpy(dtype=float)
    assert rules["excess_baskets"].to_numpy(dtype=float) == pytest.approx(counts * (1 - 1 / lifts))


def test_pairs_seen_in_a_few_baskets_cannot_top_the_list() -> None:
    """Lift ranks a rare pair seen in 3 baskets first; excess baskets ranks it last."""
    n = 10_000
    counts, with_a, with_b = np.array([3, 300]), np.array([10, 1000]), np.array([10, 1000])
    lift = counts * n / (with_a * with_b)
    assert lift.tolist() == [300.0, 3.0]
    excess = excess_baskets(counts, with_a, with_b, n)
    assert excess.tolist() == pytest.approx([2.99, 200.0])
    assert (excess <= counts).all()
    assert excess_baskets(np.array([], dtype=np.int64), np.array([]), np.array([]), n).size == 0


def test_ranking_on_baskets_with_a_rare_strong_pair_and_a_common_one() -> None:
    """Baskets built so that lift and excess baskets disagree: the common pair leads."""
    lines = []
    for i in range(3):  # a rare pair: x and y only ever bought together, in 3 baskets
        lines += [
            (f"rare_{i}", D1, "prod_x", "completed"),
            (f"rare_{i}", D1, "prod_y", "completed"),
        ]
    for i in range(60):  # a common pair, bought together 40 times out of 60 and 60
        lines += [(f"common_{i}", D1, "prod_p", "completed")]
        lines += [(f"common_{i}", D1 if i < 40 else D2, "prod_q", "completed")]
    for i in range(200):  # other baskets, one product each
        lines += [(f"single_{i}", D1, "prod_z", "completed")]
    frame = pd.DataFrame(lines, columns=["customer_id", "transaction_date", "product_id", "status"])
    rules = product_affinity(frame, min_pair_count=3)
    by_lift = rules.sort_values("lift", ascending=False)
    assert set(by_lift.iloc[0][["product_a", "product_b"]]) == {"prod_x", "prod_y"}
    assert set(rules.iloc[0][["product_a", "product_b"]]) == {"prod_p", "prod_q"}
    assert rules["excess_baskets"].is_monotonic_decreasing


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
    assert (rules["excess_baskets"] <= rules["pair_count"]).all()
    assert rules.equals(product_affinity(lines, min_pair_count=2))
