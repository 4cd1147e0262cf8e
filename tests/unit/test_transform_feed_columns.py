"""Columns a feed adds beyond its contract travel through the transforms: after the known
columns, with the type they came with, nullable, in the rejects too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline_lib.schemas import CLICKSTREAM, PRODUCTS, REVIEWS, TRANSACTIONS
from pipeline_lib.transform import (
    REJECT_REASON,
    SOURCE_ORDER,
    clean_clickstream,
    clean_reviews,
    clean_transactions,
    contract_frame,
    enrich_transactions,
    inventory_metrics,
    sessionize,
    standardize_products,
)
from pipeline_lib.transform._frames import feed_columns, move_to_end, output_columns
from pipeline_lib.transform.clickstream import CLEAN_EVENT_COLUMNS
from pipeline_lib.transform.products import CLEAN_PRODUCT_COLUMNS
from pipeline_lib.transform.transactions import CLEAN_TRANSACTION_COLUMNS

DAY = dt.date(2025, 1, 15)
STRING = pd.ArrowDtype(pa.string())
INT64 = pd.ArrowDtype(pa.int64())


def typed(
    rows: list[dict[str, Any]], contract: Any, **extras: tuple[list[Any], pa.DataType]
) -> pd.DataFrame:
    """The rows per ``contract`` plus extra columns, Arrow-typed as ingestion hands them on."""
    frame = contract_frame(pd.DataFrame(rows), contract)
    for name, (values, arrow_type) in extras.items():
        frame[name] = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, arrow_type)))
    return frame


def transaction(transaction_id: str, order: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "transaction_id": transaction_id,
        "customer_id": "cust_1",
        "product_id": "prod_1",
        "quantity": 2,
        "price": 10.0,
        "total_amount": 20.0,
        "transaction_date": DAY,
        "status": "completed",
        SOURCE_ORDER: order,
    }
    return {**row, **overrides}


def transactions_with_coupons() -> pd.DataFrame:
    rows = [
        transaction("txn_1", 1),
        transaction("txn_2", 2),
        transaction("txn_3", 3, quantity=0),  # rejected: non_positive_quantity
    ]
    return typed(rows, TRANSACTIONS, coupon_code=(["SAVE10", None, "BAD"], pa.string()))


def values(frame: pd.DataFrame, key: str, column: str) -> dict[Any, Any]:
    return {k: (None if pd.isna(v) else v) for k, v in zip(frame[key], frame[column])}


def test_feed_columns_are_the_unknown_ones_that_are_not_internal() -> None:
    frame = pd.DataFrame(columns=["a", "coupon_code", "_source_order", "b", "_reject_reason"])
    assert feed_columns(frame, ["a", "b"]) == ["coupon_code"]
    assert output_columns(frame, ["b", "a"]) == ["b", "a", "coupon_code"]
    assert list(move_to_end(frame, ["a", "missing"]).columns) == [
        "coupon_code",
        "_source_order",
        "b",
        "_reject_reason",
        "a",
    ]


def test_clean_transactions_keeps_an_extra_column_after_the_known_ones() -> None:
    result = clean_transactions(transactions_with_coupons(), processing_date=DAY)

    assert list(result.data.columns) == [*CLEAN_TRANSACTION_COLUMNS, "coupon_code"]
    assert result.data["coupon_code"].dtype == STRING
    assert values(result.data, "transaction_id", "coupon_code") == {
        "txn_1": "SAVE10",
        "txn_2": None,
    }
    assert values(result.rejects, "transaction_id", "coupon_code") == {"txn_3": "BAD"}
    assert result.rejects[REJECT_REASON].tolist() == ["non_positive_quantity"]


def test_standardize_products_keeps_an_extra_column_after_the_known_ones() -> None:
    base = {"name": "Mouse", "category": "Electronics", "brand": "B", "price": 5.0, "stock": 3}
    rows = [
        {"product_id": "prod_2", **base, SOURCE_ORDER: 1},
        {"product_id": "prod_1", **base, SOURCE_ORDER: 2},
        {"product_id": "prod_3", **base, "price": 0.0, SOURCE_ORDER: 3},  # rejected
    ]
    raw = typed(rows, PRODUCTS, supplier=([None, "Acme", "Bolt"], pa.string()))

    result = standardize_products(raw)

    assert list(result.data.columns) == [*CLEAN_PRODUCT_COLUMNS, "supplier"]
    assert values(result.data, "product_id", "supplier") == {"prod_1": "Acme", "prod_2": None}
    assert values(result.rejects, "product_id", "supplier") == {"prod_3": "Bolt"}


def test_clean_reviews_keeps_extra_columns_with_their_type() -> None:
    def review(review_id: str, rating: int, order: int) -> dict[str, Any]:
        return {
            "review_id": review_id,
            "product_id": "prod_1",
            "customer_id": "cust_1",
            "rating": rating,
            "review_text": "ok",
            "review_date": DAY,
            SOURCE_ORDER: order,
        }

    raw = typed(
        [review("rev_1", 5, 1), review("rev_2", 4, 2), review("rev_3", 9, 3)],
        REVIEWS,
        # A JSON feed may hand on other types than text: they are kept as they came.
        helpful_votes=([3, None, 1], pa.int64()),
        language=(["en", "de", None], pa.string()),
    )

    result = clean_reviews(raw)

    assert list(result.data.columns) == [*REVIEWS.column_names, "helpful_votes", "language"]
    assert result.data["helpful_votes"].dtype == INT64
    assert values(result.data, "review_id", "helpful_votes") == {"rev_1": 3, "rev_2": None}
    assert values(result.rejects, "review_id", "language") == {"rev_3": None}


def clickstream_with_referrer() -> pd.DataFrame:
    t0 = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.timezone.utc)
    rows = [
        {
            "session_id": f"sess_{i}",
            "customer_id": "cust_1" if i == 1 else None,
            "event_type": "page_view",
            "page": "/product/prod_1" if i == 1 else "/",
            "timestamp": t0 + dt.timedelta(minutes=i),
            "device": "mobile",
            SOURCE_ORDER: i,
        }
        for i in (1, 2)
    ]
    return typed(rows, CLICKSTREAM, referrer=(["google", None], pa.string()))


def test_clean_clickstream_and_sessionize_keep_an_extra_column_last() -> None:
    result = clean_clickstream(clickstream_with_referrer())

    assert list(result.data.columns) == [*CLEAN_EVENT_COLUMNS, "referrer"]
    assert values(result.data, "session_id", "referrer") == {"sess_1": "google", "sess_2": None}
    events = sessionize(result.data)
    assert list(events.columns) == [*CLEAN_EVENT_COLUMNS, "derived_session_id", "referrer"]


def test_curated_transactions_and_products_keep_the_extra_columns_last() -> None:
    lines = clean_transactions(transactions_with_coupons(), processing_date=DAY).data
    catalog = pd.DataFrame(
        {
            "product_id": ["prod_1"],
            "name": ["Mouse"],
            "category": ["Electronics"],
            "category_id": ["electronics"],
            "department": ["Technology"],
            "brand": ["B"],
            "price": [10.0],
            "stock": [4],
            "supplier": ["Acme"],
        }
    )

    enriched = enrich_transactions(lines, catalog)
    assert list(enriched.columns) == [
        *CLEAN_TRANSACTION_COLUMNS,
        "name",
        "category",
        "category_id",
        "brand",
        "coupon_code",
    ]
    assert values(enriched, "transaction_id", "coupon_code") == {"txn_1": "SAVE10", "txn_2": None}

    stocked = inventory_metrics(catalog, lines, as_of=DAY)
    assert list(stocked.columns)[: len(CLEAN_PRODUCT_COLUMNS)] == list(CLEAN_PRODUCT_COLUMNS)
    assert list(stocked.columns)[-2:] == ["stock_status", "supplier"]
    assert stocked["supplier"].tolist() == ["Acme"]
