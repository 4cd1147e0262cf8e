"""From generated arrays to tables of raw codes plus the SQL that renders each column.

The arrays hold numbers (ids, cents, day offsets, codes); DuckDB turns them into the
feeds' text (zero-padded ids, two-decimal amounts, date formats) or into contract types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from pipeline_lib.generators._calendar import SECONDS_PER_DAY
from pipeline_lib.generators._clickstream import (
    PAGE_CATEGORY,
    PAGE_HOME,
    PAGE_PRODUCT,
    Events,
)
from pipeline_lib.generators._dirty import DirtyPlan
from pipeline_lib.generators._ids import IdFormat, session_sql
from pipeline_lib.generators._products import Catalog
from pipeline_lib.generators._reviews import Reviews
from pipeline_lib.generators._transactions import Lines
from pipeline_lib.schemas import (
    CATEGORIES,
    CLICKSTREAM,
    DATE_FORMATS,
    DEVICES,
    EVENT_TYPES,
    PRODUCTS,
    REVIEWS,
    TRANSACTION_STATUSES,
    TRANSACTIONS,
    DatasetContract,
)

ISO_DATE = DATE_FORMATS[0]


@dataclass(frozen=True)
class IdFormats:
    """The zero-padded key formats of one generated data set."""

    transaction: IdFormat
    customer: IdFormat
    product: IdFormat
    review: IdFormat


@dataclass(frozen=True)
class RenderSpec:
    """A table of raw values and, per contract column, SQL rendering it as text or typed."""

    contract: DatasetContract
    raw: pa.Table
    text_sql: dict[str, str]
    typed_sql: dict[str, str]


def category_slug(category: str) -> str:
    """URL slug of a category: ``"Home & Kitchen"`` -> ``"home-kitchen"``."""
    return "-".join(category.lower().replace("&", " ").split())


def _sql_list(values: Sequence[str]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"[{quoted}]"


def _lookup(values: Sequence[str], code_column: str) -> str:
    """SQL picking ``values[code]`` (DuckDB lists are 1-based)."""
    return f"{_sql_list(values)}[{code_column} + 1]"


def _money(cents_column: str) -> str:
    return f"({cents_column} / 100.0)"


def _money_text(cents_column: str) -> str:
    return f"printf('%.2f', {cents_column} / 100.0)"


def _dates(first_day: date, day_offsets: np.ndarray) -> pa.Array:
    epoch_day = (np.datetime64(first_day, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    return pa.array((day_offsets + epoch_day).astype(np.int32), type=pa.date32())


def transactions_spec(lines: Lines, plan: DirtyPlan, first_day: date, ids: IdFormats) -> RenderSpec:
    """Transaction lines with the planned imperfections, status updates appended last."""
    product_number = lines.product + 1
    product_number[plan.unknown_product] = plan.unknown_product_number
    total = lines.total_cents
    total[plan.negative_total] *= -1
    missing_total = np.zeros(lines.size, dtype=bool)
    missing_total[plan.missing_total] = True
    date_format = np.zeros(lines.size, dtype=np.int8)
    date_format[plan.mixed_date] = plan.date_format
    status = lines.status.copy()

    # Status-update rows repeat their line with the later status, after all original rows.
    rows = np.concatenate((np.arange(lines.size), plan.duplicate))
    status = np.concatenate((status, plan.duplicate_status.astype(np.int8)))
    raw = pa.table(
        {
            "txn": rows + 1,
            "cust": lines.customer[rows] + 1,
            "prod": product_number[rows],
            "quantity": lines.quantity[rows],
            "price_cents": lines.price_cents[rows],
            "total_cents": pa.array(total[rows], mask=missing_total[rows]),
            "day": _dates(first_day, lines.day[rows]),
            "date_format": date_format[rows],
            "status": status,
        }
    )
    date_cases = " ".join(
        f"WHEN {code} THEN strftime(day, '{fmt}')" for code, fmt in enumerate(DATE_FORMATS)
    )
    common = {
        "transaction_id": ids.transaction.sql("txn"),
        "customer_id": ids.customer.sql("cust"),
        "product_id": ids.product.sql("prod"),
        "quantity": "quantity",
    }
    return RenderSpec(
        contract=TRANSACTIONS,
        raw=raw,
        text_sql={
            **common,
            "price": _money_text("price_cents"),
            "total_amount": _money_text("total_cents"),
            "transaction_date": f"CASE date_format {date_cases} END",
            "status": _lookup(TRANSACTION_STATUSES, "status"),
        },
        typed_sql={
            **common,
            "price": _money("price_cents"),
            "total_amount": _money("total_cents"),
            "transaction_date": "day",
            "status": _lookup(TRANSACTION_STATUSES, "status"),
        },
    )


def products_spec(catalog: Catalog, plan: DirtyPlan, ids: IdFormats) -> RenderSpec:
    """The catalog, with the planned messy category spellings."""
    category = [CATEGORIES[c] for c in catalog.category.tolist()]
    for row, text in zip(plan.messy_category.tolist(), plan.messy_category_text):
        category[row] = text
    raw = pa.table(
        {
            "prod": np.arange(1, catalog.size + 1),
            "name": pa.array(catalog.name, type=pa.string()),
            "category": pa.array(category, type=pa.string()),
            "brand": pa.array(catalog.brand, type=pa.string()),
            "price_cents": catalog.price_cents,
            "stock": catalog.stock,
        }
    )
    sql = {
        "product_id": ids.product.sql("prod"),
        "name": "name",
        "category": "category",
        "brand": "brand",
        "price": _money("price_cents"),
        "stock": "stock",
    }
    return RenderSpec(contract=PRODUCTS, raw=raw, text_sql=sql, typed_sql=sql)


def _time_of_day_texts() -> pa.Array:
    """``"HH:MM:SSZ"`` for each second of a day."""
    return pa.array(
        [f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)],
        type=pa.string(),
    )


def clickstream_spec(events: Events, first_day: date, ids: IdFormats) -> RenderSpec:
    """Events with pages such as ``/``, ``/category/books``, ``/product/prod_00042``.

    The text output looks the page and the timestamp up in small dictionaries (days of the
    window, seconds of a day, the site's pages) instead of formatting each row: the
    clickstream is the largest file, and this makes writing it faster.
    """
    epoch_day = int((np.datetime64(first_day, "D") - np.datetime64("1970-01-01", "D")).astype(int))
    second = np.asarray(events.second, dtype=np.int64)
    day = second // SECONDS_PER_DAY
    n_days = int(day.max()) + 1 if len(day) else 1
    day_texts = np.datetime_as_string(
        np.datetime64(first_day, "D") + np.arange(n_days, dtype="timedelta64[D]"), unit="D"
    ).astype(object)
    slugs = [category_slug(c) for c in CATEGORIES]
    page_ref = np.asarray(events.page_ref, dtype=np.int64)
    is_product = events.page_kind == PAGE_PRODUCT
    n_products = int(page_ref[is_product].max()) + 1 if is_product.any() else 0
    # Page vocabulary: home, the category pages, the product pages, checkout.
    pages = [
        "/",
        *(f"/category/{slug}" for slug in slugs),
        *("/product/" + product for product in ids.product.format_all(range(1, n_products + 1))),
        "/checkout",
    ]
    page_index = np.select(
        [events.page_kind == PAGE_HOME, events.page_kind == PAGE_CATEGORY, is_product],
        [0, 1 + page_ref, 1 + len(slugs) + page_ref],
        len(pages) - 1,
    ).astype(np.int32)
    raw = pa.table(
        {
            "session": events.session,
            "customer": pa.array(events.customer, mask=events.customer == 0),
            "event_type": events.event_type,
            "page_kind": events.page_kind,
            "page_ref": events.page_ref,
            "epoch_us": (second + epoch_day * SECONDS_PER_DAY) * 1_000_000,
            "device": events.device,
            "sample_rate": events.sample_rate,
            "page_text": pa.DictionaryArray.from_arrays(
                pa.array(page_index), pa.array(pages, type=pa.string())
            ),
            "day_text": pa.DictionaryArray.from_arrays(
                pa.array(day.astype(np.int32)), pa.array(day_texts, type=pa.string())
            ),
            "time_text": pa.DictionaryArray.from_arrays(
                pa.array((second % SECONDS_PER_DAY).astype(np.int32)), _time_of_day_texts()
            ),
        }
    )
    page = (
        f"CASE page_kind WHEN {PAGE_HOME} THEN '/' "
        f"WHEN {PAGE_CATEGORY} THEN '/category/' || {_lookup(slugs, 'page_ref')} "
        f"WHEN {PAGE_PRODUCT} THEN '/product/' || {ids.product.sql('page_ref + 1')} "
        "ELSE '/checkout' END"
    )
    common = {
        "session_id": session_sql("session"),
        "customer_id": ids.customer.sql("customer"),
        "event_type": _lookup(EVENT_TYPES, "event_type"),
    }
    return RenderSpec(
        contract=CLICKSTREAM,
        raw=raw,
        text_sql={
            **common,
            "page": "page_text",
            "timestamp": "day_text || 'T' || time_text",
            "device": _lookup(DEVICES, "device"),
            "sample_rate": "sample_rate",
        },
        typed_sql={
            **common,
            "page": page,
            "timestamp": "make_timestamp(epoch_us)",
            "device": _lookup(DEVICES, "device"),
            "sample_rate": "sample_rate",
        },
    )


def reviews_spec(reviews: Reviews, first_day: date, ids: IdFormats) -> RenderSpec:
    """Reviews; an empty text is written as an empty cell."""
    raw = pa.table(
        {
            "rev": np.arange(1, reviews.size + 1),
            "prod": reviews.product + 1,
            "cust": reviews.customer + 1,
            "rating": reviews.rating,
            "review_text": pa.array(reviews.text, type=pa.string()),
            "day": _dates(first_day, reviews.day),
        }
    )
    common = {
        "review_id": ids.review.sql("rev"),
        "product_id": ids.product.sql("prod"),
        "customer_id": ids.customer.sql("cust"),
        "rating": "rating",
        "review_text": "review_text",
    }
    return RenderSpec(
        contract=REVIEWS,
        raw=raw,
        text_sql={**common, "review_date": f"strftime(day, '{ISO_DATE}')"},
        typed_sql={**common, "review_date": "day"},
    )
