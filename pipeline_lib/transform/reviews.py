"""Reviews: valid ratings of known products, and smoothed rating statistics per product."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.schemas import REVIEWS
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult

logger = logging.getLogger(__name__)

RATING_OUT_OF_RANGE = "rating_out_of_range"
UNKNOWN_PRODUCT_ID = "unknown_product_id"
MIN_RATING = 1
MAX_RATING = 5

RATING_STATS_COLUMNS = ("product_id", "review_count", "avg_rating", "bayesian_rating")


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
    product_codes, products = fr.factorize(reviews["product_id"])
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
            "review_count": fr.arrow_column(counts.astype(np.int64)),
            "avg_rating": fr.arrow_column(np.round(average, 4), pa.float64()),
            "bayesian_rating": fr.arrow_column(np.round(bayesian, 4), pa.float64()),
        }
    )
