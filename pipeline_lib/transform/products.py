"""Products: the standardized catalog, its category dimension and inventory health."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.schemas import DEFAULT_DOMAINS, PRODUCTS, FeedDomains
from pipeline_lib.schemas._domains import DEFAULT_CATEGORIES
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult
from pipeline_lib.transform._values import identifier_checks, standardize_values

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


def category_dimension(categories: Sequence[str] = DEFAULT_CATEGORIES) -> pd.DataFrame:
    """The category dimension: one row per category.

    Parameters
    ----------
    categories
        The categories, in their canonical spelling (default: the sample shop's).

    Returns
    -------
    pandas.DataFrame
        Columns ``category``, ``category_id`` (slug, e.g. ``home-kitchen``) and
        ``department`` (``DEPARTMENTS``, e.g. Electronics -> Technology; a category with
        no department of its own is its own department), in the order given.
    """
    names = list(dict.fromkeys(categories))
    return pd.DataFrame(
        {
            "category": pd.Series(names, dtype=fr.STRING),
            "category_id": pd.Series([category_slug(c) for c in names], dtype=fr.STRING),
            "department": pd.Series([DEPARTMENTS.get(c, c) for c in names], dtype=fr.STRING),
        }
    )


def standardize_products(
    df: pd.DataFrame,
    *,
    domains: FeedDomains = DEFAULT_DOMAINS,
    spellings: Optional[Mapping[str, str]] = None,
) -> TransformResult:
    """Standardize the product catalog and join in the category dimension.

    ``category`` is trimmed, internal whitespace collapsed, and matched case-insensitively to
    the canonical spelling of a known category (the deployment's ``feeds.products.values.
    category``); a category never seen before is kept and noted (an open vocabulary,
    unless the deployment closes it), in the spelling most rows use: those of ``df``, or
    ``spellings`` when given. ``name`` and ``brand`` are trimmed with internal
    whitespace collapsed. Rows are rejected with the first reason that applies:
    ``invalid_identifier``, ``unknown_category`` (only when the category rule says reject),
    ``non_positive_price`` (``price <= 0`` or NaN),
    ``negative_stock``. Among the valid rows, the latest ``_source_order`` per
    ``product_id`` is kept (the catalog is a snapshot: a later record replaces an earlier
    one; a broken later record does not erase a valid one). ``category_id`` and
    ``department`` come from :func:`category_dimension`.

    Parameters
    ----------
    df
        Typed products per the contract, plus ``_source_order``.
    spellings
        The spelling of each category (lowercased -> spelled), counted over every catalog
        file the run's table includes, not only ``df`` (a daily run's batch): see
        :func:`~pipeline_lib.transform._values.usual_spellings` and
        docs/adr/0002-incremental-runs.md.

    Returns
    -------
    TransformResult
        ``data`` has the columns of ``CLEAN_PRODUCT_COLUMNS``, sorted by ``product_id``.
    """
    frame = fr.contract_frame(df, PRODUCTS)
    rows_in = len(frame)
    rule = domains.value_rule("products", "category")
    category = standardize_values(
        frame["category"], rule, dataset="products", column="category", spellings=spellings
    )
    id_checks, id_notes = identifier_checks(
        frame,
        ("product_id",),
        {"product_id": domains.pattern_rule("products", "product_id")},
        dataset="products",
    )
    checks: list[fr.RejectCheck] = [
        *id_checks,
        (UNKNOWN_CATEGORY, category.reject),
        (NON_POSITIVE_PRICE, ~fr.bool_mask(frame["price"] > 0)),
        (NEGATIVE_STOCK, fr.bool_mask(frame["stock"] < 0)),
    ]
    frame["_category_canonical"] = category.values
    valid, rejects = fr.split_rejects(frame, checks)
    rejects = rejects.drop(columns=["_category_canonical"])
    valid["category"] = valid.pop("_category_canonical")
    valid["name"] = fr.collapsed_text(valid["name"])
    valid["brand"] = fr.collapsed_text(valid["brand"])

    latest, duplicates_removed = fr.keep_latest(valid, ["product_id"])
    seen = sorted(str(c) for c in latest["category"].dropna().unique())
    dimension = category_dimension([*rule.known, *seen])
    data = latest.merge(dimension, on="category", how="left", validate="many_to_one")
    data = data[fr.output_columns(data, CLEAN_PRODUCT_COLUMNS)]  # a feed's extras last
    data = fr.sorted_frame(data, [("product_id", True)])
    result = TransformResult(
        data=data,
        rejects=rejects,
        duplicates_removed=duplicates_removed,
        rows_in=rows_in,
        notes=[*category.notes, *id_notes],
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


def respell_categories(
    products: pd.DataFrame,
    spellings: Mapping[str, str],
    *,
    domains: FeedDomains = DEFAULT_DOMAINS,
) -> tuple[pd.DataFrame, int]:
    """The standardized catalog with every category in the spelling ``spellings`` gives it,
    and the number of rows whose category changed.

    A daily run standardizes only its batch; when its rows make another spelling of a
    category the most used one, the catalog's older rows of that category take it too
    (with the ``department`` that follows from it), so the catalog reads as one run over
    every file would have written it (docs/adr/0002-incremental-runs.md). Known
    categories keep their canonical spelling; with ``case: lower`` nothing changes.

    Parameters
    ----------
    products
        Standardized products (needs ``category``, ``category_id`` and ``department``).
    spellings
        Lowercased category -> its spelling (:func:`~pipeline_lib.transform._values.
        usual_spellings` of the counts over every catalog file).

    Returns
    -------
    tuple[pandas.DataFrame, int]
        ``products`` (the same frame when nothing changed), and the rows respelled.

    Examples
    --------
    >>> frame = pd.DataFrame({"product_id": ["a", "b"], "category": ["LIGHTING", "Books"],
    ...                       "category_id": ["lighting", "books"],
    ...                       "department": ["LIGHTING", "Media"]})
    >>> respelled, changed = respell_categories(frame, {"lighting": "Lighting"})
    >>> respelled["department"].tolist(), changed
    (['Lighting', 'Media'], 1)
    """
    rule = domains.value_rule("products", "category")
    fr.require_columns(products, ["category", "category_id", "department"], "respell_categories")
    if rule.case != "as_fed" or products.empty:
        return products, 0
    canonical = {v.lower(): v for v in (*rule.known, *(rule.allowed or ()))}
    spelled = {**spellings, **canonical}
    old = products["category"].astype("object").tolist()
    # A value kept as the rule's `other` stays so, whatever the feed wrote.
    new = [
        v if v is None or pd.isna(v) or v == rule.other else spelled.get(str(v).lower(), v)
        for v in old
    ]
    changed = np.array([a is not b and a != b for a, b in zip(old, new)], dtype=bool)
    if not changed.any():
        return products, 0
    # The dimension's rows of the new spellings: the columns derived from the category.
    respelled_to = sorted({new[i] for i in np.flatnonzero(changed)})
    derived = category_dimension([*rule.known, *respelled_to]).set_index("category")
    derived = derived.astype("object")
    respelled = products.copy()
    columns = {"category": new}
    for column in ("category_id", "department"):
        values = products[column].astype("object").tolist()
        for i in np.flatnonzero(changed):
            values[i] = derived.at[new[i], column]
        columns[column] = values
    for column, values in columns.items():
        respelled[column] = pd.Series(values, index=products.index, dtype=products[column].dtype)
    return respelled, int(changed.sum())


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
        ``products`` columns and row order, plus the columns above (before the columns a
        feed added, which stay last).

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
    # Columns the products feed added stay last, after the metrics (as in the contract).
    return fr.move_to_end(result, fr.feed_columns(products, CLEAN_PRODUCT_COLUMNS))
