"""The pandas reference of the whole-history tables the pipeline computes in SQL.

``sql/aggregates/<table>.sql``, run by :func:`pipeline_lib.query.write_aggregates` over a
run's curated tables, writes ``curated.product_ratings``, ``customer_metrics``,
``product_performance`` and ``product_affinity``: that SQL is the one definition the
package carries. These functions compute the same tables in pandas, the way they were
computed before the SQL (docs/adr/0002-incremental-runs.md); the tests use them as the
reference: ``tests/unit/test_query_aggregates.py`` compares the SQL with them, and
``tests/unit/test_transform_{reviews,customers,performance,affinity}.py`` check them
against sums done by hand.

Product affinity: every pair seen in at least ``min_pair_count`` baskets is kept with its
support, confidence and lift; which pairs are worth showing is the reader's choice: the
named query ``product_recommendations`` asks for a minimum support
(``analytics.recommendations`` in ``params/<env>.yaml``), which scales with the number of
baskets. Rows are ordered by ``excess_baskets``, the baskets a pair holds beyond chance:
lift alone puts pairs of rare products seen in three baskets first (a rare product's lift
is large by construction), while excess baskets can never exceed the pair's own basket
count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas import RETURN_STATUSES, RFM_SEGMENTS, VALUE_SEGMENTS
from pipeline_lib.transform import _frames as fr

# --- product ratings (curated.product_ratings) ---------------------------------------------

RATING_STATS_COLUMNS = ("product_id", "review_count", "avg_rating", "bayesian_rating")


def rating_stats(reviews: pd.DataFrame, *, prior_weight: float = 10.0) -> pd.DataFrame:
    """Review count, mean rating and Bayesian-smoothed rating per product.

    ``bayesian_rating = (prior_weight * global_mean + sum_ratings) / (prior_weight +
    review_count)``, where ``global_mean`` is the mean rating over all reviews: a product
    with few reviews is pulled towards the global mean, so three 5-star reviews do not
    outrank three hundred 4.8-star ones.

    Parameters
    ----------
    reviews
        Cleaned reviews (needs ``product_id`` and ``rating``).
    prior_weight
        How many "virtual" global-mean reviews each product starts with (>= 0; 0 gives the
        plain mean).

    Returns
    -------
    pandas.DataFrame
        ``product_id``, ``review_count``, ``avg_rating`` and ``bayesian_rating`` (both
        rounded to 4 decimals), one row per reviewed product, sorted by ``product_id``.

    Raises
    ------
    ValueError
        If ``prior_weight`` is negative.
    """
    if not prior_weight >= 0:
        raise ValueError(f"prior_weight must be >= 0, got {prior_weight}")
    fr.require_columns(reviews, ["product_id", "rating"], "rating_stats")
    product_codes, products = factorize(reviews["product_id"])
    ratings = fr.float_values(reviews["rating"])
    counted = product_codes >= 0
    product_codes, ratings = product_codes[counted], ratings[counted]
    counts = np.bincount(product_codes, minlength=len(products))
    sums = np.bincount(product_codes, weights=ratings, minlength=len(products))
    global_mean = float(ratings.mean()) if len(ratings) else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        average = sums / counts
        bayesian = (prior_weight * global_mean + sums) / (prior_weight + counts)
    return pd.DataFrame(
        {
            "product_id": products,
            "review_count": arrow_column(counts.astype(np.int64)),
            "avg_rating": arrow_column(np.round(average, 4), pa.float64()),
            "bayesian_rating": arrow_column(np.round(bayesian, 4), pa.float64()),
        }
    )


# --- customer metrics (curated.customer_metrics) ------------------------------------------

#: Lifetime value thresholds of the mission's customer_ltv query.
HIGH_VALUE_MIN = 1000.0
MEDIUM_VALUE_MIN = 500.0

CUSTOMER_METRIC_COLUMNS = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "total_orders",
    "total_units",
    "lifetime_value",
    "avg_order_value",
    "returns",
    "recency_days",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "value_segment",
)

_EPOCH = dt.date(1970, 1, 1)


def customer_metrics(transactions: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Purchase history, RFM scores and segments per customer, as of a day.

    Only lines dated on or before ``as_of`` count. Customers are those with at least one
    completed line (as in the mission's customer_ltv query); over their completed lines:
    ``first_purchase``, ``last_purchase``, ``total_orders`` (distinct transaction_id),
    ``total_units``, ``lifetime_value`` (sum of total_amount, rounded to cents),
    ``avg_order_value`` (lifetime_value / total_orders, rounded to cents) and
    ``recency_days`` (as_of - last_purchase). ``returns`` counts their returned or refunded
    lines.

    Scores (1 = worst, 5 = best) rank customers on recency (lower is better),
    frequency (``total_orders``) and monetary value (``lifetime_value``):
    ``score = 1 + floor(5 * worse / n)``, where ``worse`` is the number of customers with a
    strictly worse value and ``n`` the number of customers. These are quintiles in which
    tied customers always share a score, whatever the row order.

    ``rfm_segment`` is the first rule that matches:

    ==================== ==========================================
    Champions            r >= 4 and f >= 4 and m >= 4
    Loyal                r >= 3 and f >= 4
    Potential Loyalist   r >= 3 and f >= 2
    New                  r >= 4 (and f == 1)
    At Risk              r <= 2 and f >= 3
    Hibernating          r >= 2
    Lost                 everything else (r == 1, f <= 2)
    ==================== ==========================================

    ``value_segment``: ``High Value`` (lifetime_value >= 1000), ``Medium Value`` (>= 500),
    else ``Low Value``.

    Parameters
    ----------
    transactions
        Cleaned transactions (needs transaction_id, customer_id, quantity, total_amount,
        transaction_date, status).
    as_of
        The day the metrics are computed for.

    Returns
    -------
    pandas.DataFrame
        Columns of ``CUSTOMER_METRIC_COLUMNS``, one row per customer, sorted by
        ``customer_id``.
    """
    fr.require_columns(
        transactions,
        [
            "transaction_id",
            "customer_id",
            "quantity",
            "total_amount",
            "transaction_date",
            "status",
        ],
        "customer_metrics",
    )
    as_of_day = (as_of - _EPOCH).days
    days = fr.int_values(fr.as_dtype(transactions["transaction_date"], fr.DATE))
    counted = days <= as_of_day
    completed = counted & fr.bool_mask(transactions["status"] == "completed")
    returned = counted & fr.bool_mask(transactions["status"].isin(RETURN_STATUSES))
    customer_codes, customer_ids = factorize(transactions["customer_id"])
    order_codes, _ = fr.codes(transactions["transaction_id"])

    lines = pd.DataFrame(
        {
            "customer": customer_codes[completed],
            "day": days[completed],
            "order": order_codes[completed],
            "units": fr.int_values(transactions["quantity"])[completed],
            "amount": np.nan_to_num(fr.float_values(transactions["total_amount"])[completed]),
        }
    )
    per_customer = lines.groupby("customer", sort=True).agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        total_orders=("order", "nunique"),
        total_units=("units", "sum"),
        amount=("amount", "sum"),
    )
    buyers = per_customer.index.to_numpy(dtype=np.int64)
    total_orders = per_customer["total_orders"].to_numpy(dtype=np.int64)
    lifetime_value = np.round(per_customer["amount"].to_numpy(dtype=np.float64), 2)
    last_day = per_customer["last_day"].to_numpy(dtype=np.int64)
    recency = as_of_day - last_day
    returns = np.bincount(customer_codes[returned], minlength=len(customer_ids))[buyers]

    r_score = quintile_scores(-recency)
    f_score = quintile_scores(total_orders)
    m_score = quintile_scores(lifetime_value)
    value_segment = np.select(
        [lifetime_value >= HIGH_VALUE_MIN, lifetime_value >= MEDIUM_VALUE_MIN],
        list(VALUE_SEGMENTS[:-1]),
        default=VALUE_SEGMENTS[-1],
    )

    def dates(values: np.ndarray) -> pd.Series:
        return arrow_column(values.astype(np.int32), pa.int32()).astype(fr.DATE)

    def ints(values: np.ndarray) -> pd.Series:
        return arrow_column(np.asarray(values, dtype=np.int64), pa.int64())

    def texts(values: np.ndarray) -> pd.Series:
        return arrow_column(np.asarray(values, dtype=object), pa.string())

    return pd.DataFrame(
        {
            "customer_id": customer_ids.iloc[buyers].reset_index(drop=True),
            "first_purchase": dates(per_customer["first_day"].to_numpy()),
            "last_purchase": dates(last_day),
            "total_orders": ints(total_orders),
            "total_units": ints(per_customer["total_units"].to_numpy()),
            "lifetime_value": arrow_column(lifetime_value, pa.float64()),
            "avg_order_value": arrow_column(
                np.round(per_customer["amount"].to_numpy() / total_orders, 2), pa.float64()
            ),
            "returns": ints(returns),
            "recency_days": ints(recency),
            "r_score": ints(r_score),
            "f_score": ints(f_score),
            "m_score": ints(m_score),
            "rfm_segment": texts(rfm_segments(r_score, f_score, m_score)),
            "value_segment": texts(value_segment),
        }
    )


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """Score 1..5 per value, higher values scoring higher; ties share a score.

    ``score = 1 + floor(5 * worse / n)`` with ``worse`` the number of strictly smaller values.

    Examples
    --------
    >>> quintile_scores(np.array([10, 20, 30, 40, 50])).tolist()
    [1, 2, 3, 4, 5]
    >>> quintile_scores(np.array([1, 1, 1, 2])).tolist()
    [1, 1, 1, 4]
    """
    values = np.asarray(values)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    worse = np.searchsorted(np.sort(values), values, side="left")
    return (1 + (5 * worse) // len(values)).astype(np.int64)


def rfm_segments(r_score: np.ndarray, f_score: np.ndarray, m_score: np.ndarray) -> np.ndarray:
    """The RFM segment of each customer (see :func:`customer_metrics` for the rules)."""
    return np.select(
        [
            (r_score >= 4) & (f_score >= 4) & (m_score >= 4),
            (r_score >= 3) & (f_score >= 4),
            (r_score >= 3) & (f_score >= 2),
            r_score >= 4,
            (r_score <= 2) & (f_score >= 3),
            r_score >= 2,
        ],
        list(RFM_SEGMENTS[:-1]),
        default=RFM_SEGMENTS[-1],
    )


# --- product performance (curated.product_performance) ------------------------------------

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
        return arrow_column(np.asarray(values).astype(np.int64), pa.int64())

    result = pd.DataFrame(
        {
            "product_id": spine,
            "name": fr.take_or_null(fr.as_dtype(products["name"], fr.STRING), catalog_rows),
            "category": fr.take_or_null(fr.as_dtype(products["category"], fr.STRING), catalog_rows),
            "revenue": arrow_column(np.round(revenue, 2), pa.float64()),
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


# --- product affinity (curated.product_affinity) ------------------------------------------

AFFINITY_COLUMNS = (
    "product_a",
    "product_b",
    "pair_count",
    "support",
    "confidence",
    "lift",
    "excess_baskets",
)


def product_affinity(transactions: pd.DataFrame, *, min_pair_count: int = 3) -> pd.DataFrame:
    """Association rules ``product_a -> product_b`` from baskets of completed lines.

    A basket is the set of distinct products of a customer's completed lines on one day
    ((customer_id, transaction_date)); a product bought twice in a basket counts once. For
    each ordered pair of different products bought in the same basket:

    - ``pair_count``: baskets containing both;
    - ``support``: pair_count / number of baskets;
    - ``confidence``: pair_count / baskets containing product_a;
    - ``lift``: confidence / (baskets containing product_b / number of baskets); above 1,
      b is bought with a more often than with a random basket;
    - ``excess_baskets``: pair_count minus the baskets expected if a and b were bought
      independently (baskets with a * baskets with b / number of baskets), i.e.
      ``pair_count * (1 - 1 / lift)``: how many baskets the association adds. It ranks the
      pairs: strong *and* frequent pairs first, and never more than pair_count, so a pair
      seen in three baskets cannot top the list however large its lift.

    Pairs are generated per basket with numpy (no Python loop, no merge): the work is the
    sum of squared basket sizes, small for real baskets.

    Parameters
    ----------
    transactions
        Cleaned transactions (needs customer_id, product_id, transaction_date, status).
    min_pair_count
        Keep pairs bought together in at least this many baskets (>= 1).

    Returns
    -------
    pandas.DataFrame
        Columns of ``AFFINITY_COLUMNS``, sorted by excess_baskets (descending),
        confidence (descending), product_a, product_b.

    Raises
    ------
    ValueError
        If ``min_pair_count < 1``.
    """
    if min_pair_count < 1:
        raise ValueError(f"min_pair_count must be >= 1, got {min_pair_count}")
    fr.require_columns(
        transactions,
        ["customer_id", "product_id", "transaction_date", "status"],
        "product_affinity",
    )
    completed = fr.bool_mask(transactions["status"] == "completed")
    lines = transactions.loc[completed, ["customer_id", "transaction_date", "product_id"]]
    basket_ids = group_ids(lines, ["customer_id", "transaction_date"])
    product_codes, product_ids = factorize(lines["product_id"])
    n_products = len(product_ids)

    # Distinct (basket, product) items, ordered by basket.
    items = np.unique(basket_ids * (n_products + 1) + product_codes)
    item_basket = items // (n_products + 1)
    item_product = items % (n_products + 1)
    basket_starts = np.flatnonzero(np.append(True, item_basket[1:] != item_basket[:-1]))
    n_baskets = len(basket_starts)
    basket_sizes = np.diff(np.append(basket_starts, len(items)))
    baskets_with = np.bincount(item_product, minlength=n_products)

    # Each item meets every item of its basket: repeat it basket-size times, and pair the
    # copies with the basket's items in order; then drop the item paired with itself.
    size_of_item = np.repeat(basket_sizes, basket_sizes)
    start_of_item = np.repeat(basket_starts, basket_sizes)
    first = np.repeat(np.arange(len(items)), size_of_item)
    copy_number = np.arange(len(first)) - np.repeat(
        np.cumsum(size_of_item) - size_of_item, size_of_item
    )
    second = np.repeat(start_of_item, size_of_item) + copy_number
    different = first != second
    pair_keys = item_product[first[different]] * n_products + item_product[second[different]]
    pairs, pair_counts = np.unique(pair_keys, return_counts=True)
    frequent = pair_counts >= min_pair_count
    pairs, pair_counts = pairs[frequent], pair_counts[frequent]
    product_a, product_b = pairs // max(n_products, 1), pairs % max(n_products, 1)

    support = pair_counts / n_baskets if n_baskets else np.zeros(0)
    confidence = pair_counts / baskets_with[product_a]
    lift = confidence / (baskets_with[product_b] / n_baskets) if n_baskets else np.zeros(0)
    excess = excess_baskets(
        pair_counts, baskets_with[product_a], baskets_with[product_b], n_baskets
    )
    # Product codes follow product id order, so sorting codes sorts ids. Both directions of
    # a pair have the same excess: the more confident one comes first.
    order = np.lexsort((product_b, product_a, -confidence, -excess))
    ids = fr.to_arrow(product_ids)
    return pd.DataFrame(
        {
            "product_a": fr.from_arrow(ids.take(pa.array(product_a[order]))),
            "product_b": fr.from_arrow(ids.take(pa.array(product_b[order]))),
            "pair_count": arrow_column(pair_counts[order].astype(np.int64), pa.int64()),
            "support": arrow_column(support[order].astype(np.float64), pa.float64()),
            "confidence": arrow_column(confidence[order].astype(np.float64), pa.float64()),
            "lift": arrow_column(lift[order].astype(np.float64), pa.float64()),
            "excess_baskets": arrow_column(excess[order].astype(np.float64), pa.float64()),
        }
    )


def excess_baskets(
    pair_count: np.ndarray,
    baskets_with_a: np.ndarray,
    baskets_with_b: np.ndarray,
    n_baskets: int,
) -> np.ndarray:
    """Baskets holding both products beyond what independent buying would give, per pair.

    ``n_ab - n_a * n_b / n`` with n_ab baskets holding both, n_a and n_b holding each and n
    baskets in all: the same as ``n_ab * (1 - 1 / lift)``. Negative when the pair is bought
    together less often than by chance.

    Examples
    --------
    A pair of rare products seen in 3 baskets (lift 300) against one of common products
    seen in 300 baskets (lift 3):

    >>> excess_baskets(np.array([3, 300]), np.array([10, 1000]), np.array([10, 1000]), 10_000)
    array([  2.99, 200.  ])
    """
    n_ab = np.asarray(pair_count, dtype=np.float64)
    if n_ab.size == 0 or n_baskets <= 0:
        return np.zeros(n_ab.size)
    expected = (
        np.asarray(baskets_with_a, dtype=np.float64)
        * np.asarray(baskets_with_b, dtype=np.float64)
        / n_baskets
    )
    return np.asarray(n_ab - expected)


# --- frame helpers only the reference uses ------------------------------------------------


def group_ids(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One int64 id per row, equal exactly when the rows agree on every column of
    ``columns`` (nulls count as equal to each other)."""
    ids = np.zeros(len(frame), dtype=np.int64)
    n_ids = 1
    for column in columns:
        column_codes, n_values = fr.codes(frame[column])
        n_values += 1  # room for the null code
        if n_ids * n_values >= 2**62:
            # Renumber densely so the combined id cannot overflow int64.
            _, dense = np.unique(ids, return_inverse=True)
            ids = dense.astype(np.int64)
            n_ids = int(ids.max()) + 1 if len(ids) else 1
        ids = ids * n_values + (column_codes + 1)
        n_ids *= n_values
    return ids


def factorize(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Sorted integer codes of a string column and the distinct values they stand for.

    ``values.iloc[codes[i]]`` is row ``i``'s value; nulls get code -1.
    """
    value_codes, uniques = pd.factorize(series, sort=True)
    values = fr.as_dtype(pd.Series(uniques).reset_index(drop=True), fr.STRING)
    return np.asarray(value_codes, dtype=np.int64), values


def arrow_column(values: np.ndarray, arrow_type: Optional[pa.DataType] = None) -> pd.Series:
    """An Arrow-backed Series from a numpy array (NaN stays NaN for floats unless masked)."""
    return fr.from_arrow(pa.array(values, type=arrow_type))
