"""Reviews: valid ratings of known products, the latest version of each review.

Ratings per product (counts, mean, Bayesian-smoothed) are SQL over the whole history:
``sql/aggregates/product_ratings.sql`` (docs/adr/0002-incremental-runs.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Optional

import pandas as pd

from pipeline_lib.schemas import REVIEWS
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult

logger = logging.getLogger(__name__)

RATING_OUT_OF_RANGE = "rating_out_of_range"
UNKNOWN_PRODUCT_ID = "unknown_product_id"
MIN_RATING = 1
MAX_RATING = 5


def clean_reviews(
    df: pd.DataFrame, *, known_product_ids: Optional[Iterable[str]] = None
) -> TransformResult:
    """Reject impossible ratings and unknown products; keep the latest version of a review.

    Rows are rejected with the first reason that applies: ``rating_out_of_range`` (not
    1..5), ``unknown_product_id`` (only when ``known_product_ids`` is given). Among the
    valid rows the latest ``_source_order`` per ``review_id`` is kept. ``review_text`` is
    kept verbatim (whitespace and markup included; null stays null, empty stays empty).

    Parameters
    ----------
    df
        Typed reviews per the contract, plus ``_source_order``.
    known_product_ids
        The product ids of the catalog. ``None`` skips the reference check.

    Returns
    -------
    TransformResult
        ``data`` has the contract columns, sorted by (review_date, review_id).
    """
    frame = fr.contract_frame(df, REVIEWS)
    rows_in = len(frame)
    in_range = fr.bool_mask(frame["rating"] >= MIN_RATING) & fr.bool_mask(
        frame["rating"] <= MAX_RATING
    )
    checks: list[fr.RejectCheck] = [(RATING_OUT_OF_RANGE, ~in_range)]
    if known_product_ids is not None:
        known = frame["product_id"].isin(sorted(set(known_product_ids)))
        checks.append((UNKNOWN_PRODUCT_ID, ~fr.bool_mask(known)))
    valid, rejects = fr.split_rejects(frame, checks)
    latest, duplicates_removed = fr.keep_latest(valid, ["review_id"])
    data = fr.sorted_frame(latest, [("review_date", True), ("review_id", True)])
    result = TransformResult(
        data=data[fr.output_columns(data, REVIEWS.column_names)],  # feed's extras last
        rejects=rejects,
        duplicates_removed=duplicates_removed,
        rows_in=rows_in,
    )
    logger.info(
        "reviews: %d in, %d clean, %d rejected %s, %d older versions dropped",
        rows_in,
        len(result.data),
        len(rejects),
        result.reject_counts(),
        duplicates_removed,
    )
    return result
