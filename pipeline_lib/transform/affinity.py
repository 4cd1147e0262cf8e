"""Product affinity: which products are bought together (market-basket analysis).

Every pair seen in at least ``min_pair_count`` baskets is kept with its support,
confidence and lift; which pairs are worth showing is the reader's choice: the named query
``product_recommendations`` asks for a minimum support (``analytics.recommendations`` in
``params/<env>.yaml``), which scales with the number of baskets. Rows are ordered by
``excess_baskets``, the baskets a pair holds beyond chance: lift alone puts pairs of rare
products seen in three baskets first (a rare product's lift is large by construction),
while excess baskets can never exceed the pair's own basket count.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.transform import _frames as fr

logger = logging.getLogger(__name__)

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
    basket_ids = fr.group_ids(lines, ["customer_id", "transaction_date"])
    product_codes, product_ids = fr.factorize(lines["product_id"])
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
    logger.debug(
        "product_affinity: %d baskets, %d pair occurrences, %d pairs kept",
        n_baskets,
        int(different.sum()),
        len(pairs),
    )

    support = pair_counts / n_baskets if n_baskets else np.zeros(0)
    confidence = pair_counts / baskets_with[product_a]
    lift = confidence / (baskets_with[product_b] / n_baskets) if n_baskets else np.zeros(0)
    excess = excess_baskets(pair_counts, baskets_with[product_a], baskets_with[product_b],
                            n_baskets)  # fmt: skip
    # Product codes follow product id order, so sorting codes sorts ids. Both directions of
    # a pair have the same excess: the more confident one comes first.
    order = np.lexsort((product_b, product_a, -confidence, -excess))
    ids = fr.to_arrow(product_ids)
    return pd.DataFrame(
        {
            "product_a": fr.from_arrow(ids.take(pa.array(product_a[order]))),
            "product_b": fr.from_arrow(ids.take(pa.array(product_b[order]))),
            "pair_count": fr.arrow_column(pair_counts[order].astype(np.int64), pa.int64()),
            "support": fr.arrow_column(support[order].astype(np.float64), pa.float64()),
            "confidence": fr.arrow_column(confidence[order].astype(np.float64), pa.float64()),
            "lift": fr.arrow_column(lift[order].astype(np.float64), pa.float64()),
            "excess_baskets": fr.arrow_column(excess[order].astype(np.float64), pa.float64()),
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
