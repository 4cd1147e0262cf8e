"""enrich_transactions, and product_performance: the pandas reference of
curated.product_performance (its SQL is sql/aggregates/product_performance.sql)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.schemas import PRODUCTS
from pipeline_lib.transform import (
    SOURCE_ORDER,
    contract_frame,
    enrich_transactions,
    standardize_products,
)
from tests.reference_aggregates import (
    PRODUCT_PERFORMANCE_COLUMNS,
    product_performance,
    rating_stats,
)

DAY = dt.date(2025, 1, 15)


def catalog() -> pd.DataFrame:
    rows = [
        {
            "product_id": product_id,
            "name": name,
            "category": "books",
            "brand": "Acme",
            "price": 10.0,
            "stock": 5,
            SOURCE_ORDER: i,
        }
        for i, (product_id, name) in enumerate([("prod_1", "Novel"), ("prod_2", "Atlas")])
    ]
    return standardize_products(contract_frame(pd.DataFrame(rows), PRODUCTS)).data


def txn(
    txn_id: str, customer: str, product: str, qty: int, amount: float, status: str
) -> dict[str, Any]:
    return {
        "transaction_id": txn_id,
        "customer_id": customer,
        "product_id": product,
        "quantity": qty,
        "price": amount / qty,
        "total_amount": amount,
        "transaction_date": DAY,
        "status": status,
    }


def transactions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            txn("txn_1", "cust_1", "prod_1", 1, 10.0, "completed"),
            txn("txn_2", "cust_2", "prod_1", 2, 20.0, "completed"),
            txn("txn_3", "cust_2", "prod_1", 1, 10.0, "returned"),
            txn("txn_4", "cust_1", "prod_3", 1, 5.0, "completed"),
            txn("txn_5", "cust_1", "prod_2", 1, 10.0, "pending"),
        ]
    )


def events() -> pd.DataFrame:
    kinds = ["product_view"] * 4 + ["add_to_cart", "purchase", "page_view"]
    rows = [{"event_type": kind, "product_id": "prod_1"} for kind in kinds]
    rows.append({"event_type": "product_view", "product_id": None})
    return pd.DataFrame(rows)


def test_product_performance_by_hand() -> None:
    ratings = rating_stats(pd.DataFrame({"product_id": ["prod_1", "prod_1"], "rating": [4, 2]}))
    result = product_performance(transactions(), events(), ratings, catalog())
    assert tuple(result.columns) == PRODUCT_PERFORMANCE_COLUMNS
    rows = {row["product_id"]: row for row in result.to_dict("records")}
    assert result["product_id"].tolist() == ["prod_1", "prod_3", "prod_2"]  # revenue desc
    best = rows["prod_1"]
    assert (best["name"], best["category"]) == ("Novel", "Books")
    assert (best["revenue"], best["units_sold"], best["orders"]) == (30.0, 3, 2)
    assert (best["unique_customers"], best["returns"]) == (2, 1)
    assert best["return_rate"] == 33.33  # 1 returned of 3 sold lines
    assert (best["product_views"], best["add_to_carts"], best["purchases"]) == (4, 1, 1)
    assert best["view_to_purchase_rate"] == 25.0
    assert (best["review_count"], best["avg_rating"]) == (2, 3.0)
    assert best["bayesian_rating"] == 3.0  # only product: global mean = its mean
    unknown = rows["prod_3"]
    assert pd.isna(unknown["name"]) and unknown["revenue"] == 5.0
    idle = rows["prod_2"]
    assert (idle["revenue"], idle["orders"], idle["review_count"]) == (0.0, 0, 0)
    assert pd.isna(idle["return_rate"]) and pd.isna(idle["view_to_purchase_rate"])
    assert pd.isna(idle["avg_rating"])


def test_enrich_transactions_left_join_keeps_order() -> None:
    enriched = enrich_transactions(transactions(), catalog())
    assert list(enriched.columns) == [
        *transactions().columns,
        "name",
        "category",
        "category_id",
        "brand",
    ]
    assert enriched["transaction_id"].tolist() == ["txn_1", "txn_2", "txn_3", "txn_4", "txn_5"]
    assert enriched["name"].tolist()[:3] == ["Novel"] * 3
    assert enriched["category_id"].tolist()[4] == "books"
    assert pd.isna(enriched["name"].tolist()[3])


def test_enrich_refuses_duplicate_products() -> None:
    products = pd.concat([catalog(), catalog()], ignore_index=True)
    with pytest.raises(ValueError, match="not unique"):
        enrich_transactions(transactions(), products)


@pytest.mark.slow
def test_large_performance_stays_vectorized() -> None:
    n_rows = 200_000
    rng = np.random.default_rng(4)
    product_ids = np.array([f"prod_{i}" for i in range(1, 3)] + ["prod_3"])
    lines = pd.DataFrame(
        {
            "transaction_id": [f"txn_{i}" for i in range(n_rows)],
            "customer_id": [f"cust_{i}" for i in rng.integers(0, 10_000, n_rows)],
            "product_id": product_ids[rng.integers(0, 3, n_rows)],
            "quantity": 1,
            "total_amount": 1.0,
            "status": rng.choice(["completed", "returned"], n_rows),
        }
    )
    clicks = pd.DataFrame(
        {
            "event_type": rng.choice(["product_view", "purchase"], n_rows),
            "product_id": product_ids[rng.integers(0, 3, n_rows)],
        }
    )
    ratings = rating_stats(pd.DataFrame({"product_id": ["prod_1"], "rating": [5]}))
    result = product_performance(lines, clicks, ratings, catalog())
    assert int(result["orders"].sum() + result["returns"].sum()) == n_rows
    enriched = enrich_transactions(lines, catalog())
    assert len(enriched) == n_rows


def test_event_counts_match_a_row_by_row_count() -> None:
    rng = np.random.default_rng(3)
    n_events = 5_000
    kinds = ["page_view", "product_view", "add_to_cart", "checkout_start", "purchase", None]
    products = ["prod_1", "prod_2", "prod_9", None]  # prod_9 is in no table: not counted
    events = pd.DataFrame(
        {
            "event_type": pd.array(rng.choice(np.array(kinds, dtype=object), n_events)),
            "product_id": pd.array(rng.choice(np.array(products, dtype=object), n_events)),
        }
    ).astype("string[pyarrow]")
    ratings = rating_stats(pd.DataFrame({"product_id": ["prod_1"], "rating": [4]}))
    result = product_performance(transactions(), events, ratings, catalog())
    for column, kind in [
        ("product_views", "product_view"),
        ("add_to_carts", "add_to_cart"),
        ("purchases", "purchase"),
    ]:
        expected = events[events["event_type"] == kind]["product_id"].value_counts()
        got = dict(zip(result["product_id"], result[column]))
        assert got == {p: int(expected.get(p, 0)) for p in ("prod_1", "prod_2", "prod_3")}
