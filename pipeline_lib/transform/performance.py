"""Product performance: sales, returns, funnel and ratings side by side per product."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.transform import _frames as fr

logger = logging.getLogger(__name__)

RETURN_STATUSES = ("returned", "refunded")

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

    event_product = fr.lookup(events["product_id"].fillna(""), spine)
    event_type = events["event_type"]

    def event_count(kind: str) -> np.ndarray:
        mask = (event_product >= 0) & fr.bool_mask(event_type == kind)
        return np.bincount(event_product[mask], minlength=n_products)

    views, carts, purchases = (
        event_count(kind) for kind in ("product_view", "add_to_cart", "purchase")
    )

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


def _distinct_per_product(products: np.ndarray, values: np.ndarray, n_products: int) -> np.ndarray:
    """Number of distinct ``values`` per product code."""
    if len(products) == 0:
        return np.zeros(n_products, dtype=np.int64)
    pairs = np.unique(np.stack([products, values], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=n_products)
