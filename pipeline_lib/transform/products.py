"""Products: the standardized catalog, its category dimension and inventory health."""

from __future__ import annotations

import datetime as dt
import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas import CATEGORIES, PRODUCTS
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult

logger = logging.getLogger(__name__)

UNKNOWN_CATEGORY = "unknown_category"
NON_POSITIVE_PRICE = "non_positive_price"
NEGATIVE_STOCK = "negative_stock"

#: The department each category rolls up to, for the category dimension.
DEPARTMENTS: dict[str, str] = {
    "Electronics": "Technology",
    "Home & Kitchen": "Home",
    "Clothing": "Fashion",
    "Sports & Outdoors": "Leisure",
    "Beauty": "Health & Beauty",
    "Books": "Media",
    "Toys & Games": "Leisure",
    "Grocery": "Food",
}

#: Columns of the standardized products, in order.
CLEAN_PRODUCT_COLUMNS = (
    "product_id",
    "name",
    "category",
    "category_id",
    "department",
    "brand",
    "price",
    "stock",
)

#: Days of cover below which stock is "low", and above which it is "overstock".
LOW_COVER_DAYS = 14
OVERSTOCK_COVER_DAYS = 180
STOCK_STATUSES = ("out_of_stock", "low", "ok", "overstock")


def category_slug(category: str) -> str:
    """URL-safe id of a category: ``"Home & Kitchen"`` -> ``"home-kitchen"``.

    The same slugs appear in the website's category pages (``/category/home-kitchen``).
    """
    return "-".join(re.findall(r"[a-z0-9]+", category.lower()))


def category_dimension() -> pd.DataFrame:
    """The category dimension: one row per canonical category.

    Returns
    -------
    pandas.DataFrame
        Columns ``category`` (canonical spelling), ``category_id`` (slug, e.g.
        ``home-kitchen``) and ``department`` (e.g. Electronics -> Technology), in the order
        of ``CATEGORIES``.
    """
    return pd.DataFrame(
        {
            "category": pd.Series(list(CATEGORIES), dtype=fr.STRING),
            "category_id": pd.Series([category_slug(c) for c in CATEGORIES], dtype=fr.STRING),
            "department": pd.Series([DEPARTMENTS[c] for c in CATEGORIES], dtype=fr.STRING),
        }
    )


def standardize_products(df: pd.DataFrame) -> TransformResult:
    """Standardize the product catalog and join in the category dimension.

    ``category`` is trimmed, internal whitespace collapsed, and matched case-insensitively to
    the canonical spelling in ``CATEGORIES``; ``name`` and ``brand`` are trimmed with internal
    whitespace collapsed. Rows are rejected with the first reason that applies:
    ``unknown_category``, ``non_positive_price`` (``price <= 0`` or NaN),
    ``negative_stock``. Among the valid rows, the latest ``_source_order`` per
    ``product_id`` is kept (the catalog is a snapshot: a later record replaces an earlier
    one; a broken later record does not erase a valid one). ``category_id`` and
    ``department`` come from :func:`category_dimension`.

    Parameters
    ----------
    df
        Typed products per the contract, plus ``_source_order``.

    Returns
    -------
    TransformResult
        ``data`` has the columns of ``CLEAN_PRODUCT_COLUMNS``, sorted by ``product_id``.
    """
    frame = fr.contract_frame(df, PRODUCTS)
    rows_in = len(frame)
    category_key = pc.utf8_lower(fr.to_arrow(fr.collapsed_text(frame["category"])))
    category_index = pc.index_in(category_key, value_set=pa.array([c.lower() for c in CATEGORIES]))
    canonical = pa.array(list(CATEGORIES), type=pa.string()).take(category_index)

    checks: list[fr.RejectCheck] = [
        (UNKNOWN_CATEGORY, np.asarray(category_index.is_null().to_numpy(zero_copy_only=False))),
        (NON_POSITIVE_PRICE, ~fr.bool_mask(frame["price"] > 0)),
        (NEGATIVE_STOCK, fr.bool_mask(frame["stock"] < 0)),
    ]
    frame["_category_canonical"] = fr.from_arrow(canonical)
    valid, rejects = fr.split_rejects(frame, checks)
    rejects = rejects.drop(columns=["_category_canonical"])
    valid["category"] = valid.pop("_category_canonical")
    valid["name"] = fr.collapsed_text(valid["name"])
    valid["brand"] = fr.collapsed_text(valid["brand"])

    latest, duplicates_removed = fr.keep_latest(valid, ["product_id"])
    data = latest.merge(category_dimension(), on="category", how="left", validate="many_to_one")
    data = fr.sorted_frame(data[list(CLEAN_PRODUCT_COLUMNS)], [("product_id", True)])
    result = TransformResult(
        data=data, rejects=rejects, duplicates_removed=duplicates_removed, rows_in=rows_in
    )
    logger.info(
        "products: %d in, %d clean, %d rejected %s, %d older versions dropped",
        rows_in,
        len(data),
        len(rejects),
        result.reject_counts(),
        duplicates_removed,
    )
    return result


def inventory_metrics(
    products: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    as_of: dt.date,
    window_days: int = 30,
) -> pd.DataFrame:
    """Stock value, recent sales velocity and stock health per product.

    Sales are the completed transaction lines dated in the ``window_days`` days ending on
    ``as_of`` (``as_of - window_days < transaction_date <= as_of``).

    Columns added to ``products``:

    - ``stock_value``: ``stock * price``, rounded to cents.
    - ``units_sold_window``: units sold in the window (0 without sales).
    - ``avg_daily_units``: ``units_sold_window / window_days``.
    - ``days_of_cover``: ``stock / avg_daily_units``; null without sales.
    - ``stock_status``, the first that applies: ``out_of_stock`` (stock == 0),
      ``overstock`` (no sales in the window), ``low`` (days_of_cover < 14), ``overstock``
      (days_of_cover > 180), else ``ok``.

    Parameters
    ----------
    products
        Standardized products (needs ``product_id``, ``price``, ``stock``).
    transactions
        Cleaned transactions (needs ``product_id``, ``quantity``, ``transaction_date``,
        ``status``).
    as_of
        Last day of the sales window.
    window_days
        Length of the sales window in days (>= 1).

    Returns
    -------
    pandas.DataFrame
        ``products`` columns and row order, plus the columns above.

    Raises
    ------
    ValueError
        If ``window_days < 1``.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1, got {window_days}")
    fr.require_columns(products, ["product_id", "price", "stock"], "inventory_metrics products")
    fr.require_columns(
        transactions,
        ["product_id", "quantity", "transaction_date", "status"],
        "inventory_metrics transactions",
    )
    window_start = as_of - dt.timedelta(days=window_days)
    dates = fr.as_dtype(transactions["transaction_date"], fr.DATE)
    in_window = (
        fr.bool_mask(transactions["status"] == "completed")
        & fr.bool_mask(dates > window_start)
        & fr.bool_mask(dates <= as_of)
    )
    sold = transactions.loc[in_window, ["product_id", "quantity"]]
    units_by_product = sold.groupby("product_id", sort=True)["quantity"].sum()

    result = products.reset_index(drop=True).copy()
    units = result["product_id"].map(units_by_product).astype(fr.INT64).fillna(0).astype(fr.INT64)
    stock = fr.float_values(result["stock"])
    price = fr.float_values(result["price"])
    avg_daily = fr.float_values(units) / window_days
    has_sales = avg_daily > 0
    cover = np.full(len(result), np.nan)
    np.divide(stock, avg_daily, out=cover, where=has_sales)

    status = np.select(
        [stock == 0, ~has_sales, cover < LOW_COVER_DAYS, cover > OVERSTOCK_COVER_DAYS],
        ["out_of_stock", "overstock", "low", "overstock"],
        default="ok",
    )
    result["stock_value"] = fr.from_arrow(pa.array(np.round(stock * price, 2)))
    result["units_sold_window"] = units
    result["avg_daily_units"] = fr.from_arrow(pa.array(avg_daily))
    result["days_of_cover"] = fr.from_arrow(pa.array(cover, mask=~has_sales))
    result["stock_status"] = fr.from_arrow(pa.array(status.tolist(), type=pa.string()))
    return result
