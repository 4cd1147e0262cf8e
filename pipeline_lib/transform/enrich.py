"""The curated transaction fact: order lines with their product attributes."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform.transactions import CLEAN_TRANSACTION_COLUMNS

logger = logging.getLogger(__name__)

#: Product attributes added to each transaction line.
PRODUCT_ATTRIBUTES = ("name", "category", "category_id", "brand")


def enrich_transactions(transactions: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Add the product's name, category, category_id and brand to each transaction line.

    A left join on ``product_id``: every transaction line is kept, in input order; lines of
    products missing from the catalog get null attributes.

    Parameters
    ----------
    transactions
        Cleaned transactions.
    products
        Standardized products (see ``standardize_products``), unique by ``product_id``.

    Returns
    -------
    pandas.DataFrame
        The transaction columns followed by ``name``, ``category``, ``category_id``,
        ``brand``, then the columns the transactions feed added (e.g. ``coupon_code``).

    Raises
    ------
    ValueError
        If ``products`` has a ``product_id`` more than once.
    """
    fr.require_columns(transactions, ["product_id"], "enrich_transactions transactions")
    fr.require_columns(
        products, ["product_id", *PRODUCT_ATTRIBUTES], "enrich_transactions products"
    )
    positions = fr.lookup(transactions["product_id"], products["product_id"])
    result = transactions.reset_index(drop=True).copy()
    for attribute in PRODUCT_ATTRIBUTES:
        result[attribute] = fr.take_or_null(products[attribute], positions)
    unmatched = int(np.count_nonzero(positions < 0))
    if unmatched:
        logger.warning("enrich_transactions: %d lines of products not in the catalog", unmatched)
    return fr.move_to_end(result, fr.feed_columns(transactions, CLEAN_TRANSACTION_COLUMNS))
