"""Product affinity: which products are bought together (market-basket analysis)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.transform import _frames as fr

logger = logging.getLogger(__name__)

AFFINITY_COLUMNS = ("product_a", "product_b", "pair_count", "support", "confidence", "lift")


def product_affinity(transactions: pd.DataFrame, *, min_pair_count: int = 3) -> pd.DataFrame:
    """Association rules ``product_a -> product_b`` from baskets of completed lines.

    A basket is the set of distinct products of a customer's completed lines on one day
    ((customer_id, transaction_date)); a product bought twice in a basket counts once. For
    each ordered pair of different products bought in the same basket:

    - ``pair_count``: baskets containing both;
    - ``support``: pair_count / number of baskets;
    - ``confidence``: pair_count / baskets containing product_a;
    - ``lift``: confidence / (baskets containing product_b / number of baskets); above 1,
      b is bought with a more often than with a random basket.

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
        Columns of ``AFFINITY_COLUMNS``, sorted by lift (descending), pair_count
        (descending), product_a, product_b.

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
    # Product codes follow product id order, so sorting codes sorts ids.
    order = np.lexsort((product_b, product_a, -pair_counts, -lift))
    ids = fr.to_arrow(product_ids)
    return pd.DataFrame(
        {
            "product_a": fr.from_arrow(ids.take(pa.array(product_a[order]))),
            "product_b": fr.from_arrow(ids.take(pa.array(product_b[order]))),
            "pair_count": fr.arrow_column(pair_counts[order].astype(np.int64), pa.int64()),
            "support": fr.arrow_column(support[order].astype(np.float64), pa.float64()),
            "confidence": fr.arrow_column(confidence[order].astype(np.float64), pa.float64()),
            "lift": fr.arrow_column(lift[order].astype(np.float64), pa.float64()),
        }
    )
