"""Product performance: sales, returns, funnel and ratings side by side per product."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas import RETURN_STATUSES
from pipeline_lib.transform import _frames as fr

logger = logging.getLogger(__name__)

#: Clickstream events counted per product, in the order of their columns.
FUNNEL_EVENTS = ("product_view", "add_to_cart", "purchase")

PRODUCT_PERFORMANCE_COLUMNS = (
    "product_id",
    "name",
    "category",
    "revenue",
    "units_sold",
    "orders",
    "unique_customers",
    "returns",
    "return_rate",
    "product_views",
    "add_to_carts",
    "purchases",
    "view_to_purchase_rate",
    "review_count",
    "avg_rating",
    "bayesian_rating",
)


def product_performance(
    transactions: pd.DataFrame,
    events: pd.DataFrame,
    rating_stats: pd.DataFrame,
    products: pd.DataFrame,
) -> pd.DataFrame:
    """Sales, returns, clickstream funnel and ratings per product.

    Products are those of the catalog plus any product id found in ``transactions`` (their
    ``name`` and ``category`` are null). Over completed lines: ``revenue`` (sum of
    total_amount, rounded to cents), ``units_sold``, ``orders`` (distinct transaction_id)
    and ``unique_customers``. ``returns`` counts returned or refunded lines and
    ``return_rate`` is ``returns / (orders + returns)``: the share of the product's sold
    lines that came back. From the events on the product's page: ``product_views``,
    ``add_to_carts`` and ``purchases``, and ``view_to_purchase_rate`` (purchases /
    product_views). Rates are percentages rounded to 2 decimals, null when the denominator
    is 0. ``review_count`` (0 without reviews), ``avg_rating`` and ``bayesian_rating``
    (null without reviews) come from ``rating_stats``.

    Parameters
    ----------
    transactions
        Cleaned transactions.
    events
        Cleaned clickstream events (needs ``event_type`` and ``product_id``).
    rating_stats
        Output of ``rating_stats``.
    products
        Standardized products (needs ``product_id``, ``name``, ``category``).

    Returns
    -------
    pandas.DataFrame
        Columns of ``PRODUCT_PERFORMANCE_COLUMNS``, sorted by revenue (descending), then
        ``product_id``.
    """
    fr.require_columns(
        transactions,
        ["transaction_id", "customer_id", "product_id", "quantity", "total_amount", "status"],
        "product_performance transactions",
    )
    fr.require_columns(events, ["event_type", "product_id"], "product_performance events")
    fr.require_columns(
        rating_stats,
        ["product_id", "review_count", "avg_rating", "bayesian_rating"],
        "product_performance rating_stats",
    )
    fr.require_columns(products, ["product_id", "name", "category"], "product_performance")

    catalog_ids = fr.to_arrow(fr.as_dtype(products["product_id"], fr.STRING))
    sold_ids = fr.to_arrow(fr.as_dtype(transactions["product_id"], fr.STRING))
    spine_ids = pc.unique(pa.concat_arrays([catalog_ids, sold_ids]).drop_null())
    spine = fr.from_arrow(spine_ids.take(pc.sort_indices(spine_ids)))
    n_products = len(spine)

    line_product = fr.lookup(transactions["product_id"], spine)
    known_line = line_product >= 0
    completed = known_line & fr.bool_mask(transactions["status"] == "completed")
    returned = known_line & fr.bool_mask(transactions["status"].isin(RETURN_STATUSES))
    amounts = np.nan_to_num(fr.float_values(transactions["total_amount"]))
    quantities = fr.int_values(transactions["quantity"])
    revenue = np.bincount(line_product[completed], weights=amounts[completed], minlength=n_products)
    units = np.bincount(
        line_product[completed], weights=quantities[completed], minlength=n_products
    )
    orders = _distinct_per_product(
        line_product[completed], fr.codes(transactions["transaction_id"])[0][completed], n_products
    )
    customers = _distinct_per_product(
        line_product[completed], fr.codes(transactions["customer_id"])[0][completed], n_products
    )
    returns = np.bincount(line_product[returned], minlength=n_products)

    views, carts, purchases = _event_counts(events, spine, FUNNEL_EVENTS)

    rating_rows = fr.lookup(spine, rating_stats["product_id"])
    catalog_rows = fr.lookup(spine, products["product_id"])
    review_count = fr.int_values(fr.take_or_null(rating_stats["review_count"], rating_rows))

    def ints(values: np.ndarray) -> pd.Series:
        return fr.arrow_column(np.asarray(values).astype(np.int64), pa.int64())

    result = pd.DataFrame(
        {
            "product_id": spine,
            "name": fr.take_or_null(fr.as_dtype(products["name"], fr.STRING), catalog_rows),
            "category": fr.take_or_null(fr.as_dtype(products["category"], fr.STRING), catalog_rows),
            "revenue": fr.arrow_column(np.round(revenue, 2), pa.float64()),
            "units_sold": ints(units),
            "orders": ints(orders),
            "unique_customers": ints(customers),
            "returns": ints(returns),
            "return_rate": fr.percent(returns, orders + returns),
            "product_views": ints(views),
            "add_to_carts": ints(carts),
            "purchases": ints(purchases),
            "view_to_purchase_rate": fr.percent(purchases, views),
            "review_count": ints(review_count),
            "avg_rating": fr.take_or_null(
                fr.as_dtype(rating_stats["avg_rating"], fr.FLOAT64), rating_rows
            ),
            "bayesian_rating": fr.take_or_null(
                fr.as_dtype(rating_stats["bayesian_rating"], fr.FLOAT64), rating_rows
            ),
        }
    )
    return fr.sorted_frame(result, [("revenue", False), ("product_id", True)])


def _event_counts(events: pd.DataFrame, spine: pd.Series, kinds: Sequence[str]) -> np.ndarray:
    """Events per (kind, product): one row per kind of ``kinds``, one column per ``spine``
    position; events of other kinds or of products outside the spine are not counted (a
    null product_id counts as the product id ``""``).

    Millions of events name a few thousand products: only the events of a counted kind
    are kept, and each distinct product id is looked up once rather than once per event.
    """
    event_type = fr.to_arrow(events["event_type"]).cast(pa.string())
    kind = pc.index_in(event_type, value_set=pa.array(list(kinds), pa.string()))
    counted = pc.is_valid(kind)
    kind_index = np.asarray(pc.filter(kind, counted).to_numpy(zero_copy_only=False), np.int64)
    products = pc.filter(fr.to_arrow(events["product_id"]).cast(pa.string()), counted)
    encoded = pc.dictionary_encode(pc.fill_null(products, ""))
    distinct_position = fr.lookup(fr.from_arrow(encoded.dictionary), spine)
    position = distinct_position[np.asarray(encoded.indices.to_numpy(), dtype=np.int64)]
    known = position >= 0
    n_products = len(spine)
    counts = np.bincount(
        kind_index[known] * n_products + position[known], minlength=len(kinds) * n_products
    )
    return counts.reshape(len(kinds), n_products)


def _distinct_per_product(products: np.ndarray, values: np.ndarray, n_products: int) -> np.ndarray:
    """Number of distinct ``values`` per product code."""
    if len(products) == 0:
        return np.zeros(n_products, dtype=np.int64)
    # One int64 per (product, value) pair, sorted: many times faster than np.unique(axis=0)
    # on rows (and than np.unique's hashing). Codes are < rows, so the key cannot overflow.
    shifted = values - values.min()  # null codes (-1) stay a value of their own
    span = int(shifted.max()) + 1
    pairs = np.sort(products.astype(np.int64) * span + shifted)
    first_of_pair = np.append(True, pairs[1:] != pairs[:-1])
    return np.bincount(pairs[first_of_pair] // span, minlength=n_products)
