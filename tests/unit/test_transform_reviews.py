"""clean_reviews, and rating_stats: the pandas reference of curated.product_ratings (its SQL
is sql/aggregates/product_ratings.sql), Bayesian smoothing computed by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.schemas import REVIEWS
from pipeline_lib.transform import (
    REJECT_REASON,
    SOURCE_ORDER,
    clean_reviews,
    contract_frame,
)
from tests.reference_aggregates import rating_stats


def review(
    review_id: str, product_id: str, rating: int, order: int, text: Optional[str] = "ok"
) -> dict[str, Any]:
    return {
        "review_id": review_id,
        "product_id": product_id,
        "customer_id": "cust_1",
        "rating": rating,
        "review_text": text,
        "review_date": dt.date(2025, 1, 16),
        SOURCE_ORDER: order,
    }


def reviews(*rows: dict[str, Any]) -> pd.DataFrame:
    return contract_frame(pd.DataFrame(list(rows)), REVIEWS)


def test_reject_reasons_and_latest_version() -> None:
    raw = reviews(
        review("rev_1", "prod_1", 0, 1),
        review("rev_2", "prod_1", 6, 2),
        review("rev_3", "prod_9", 4, 3),
        review("rev_4", "prod_1", 2, 4),
        review("rev_4", "prod_1", 3, 6),
        review("rev_4", "prod_1", 7, 7),  # a broken later version does not win
        review("rev_5", "prod_1", 1, 5),
    )
    result = clean_reviews(raw, known_product_ids={"prod_1"})
    assert list(zip(result.rejects["review_id"], result.rejects[REJECT_REASON])) == [
        ("rev_1", "rating_out_of_range"),
        ("rev_2", "rating_out_of_range"),
        ("rev_3", "unknown_product_id"),
        ("rev_4", "rating_out_of_range"),
    ]
    assert result.reject_counts() == {"rating_out_of_range": 3, "unknown_product_id": 1}
    assert result.data["review_id"].tolist() == ["rev_4", "rev_5"]
    assert result.data["rating"].tolist() == [3, 1]
    assert result.duplicates_removed == 1
    assert result.rows_in == 7
    assert list(result.data.columns) == REVIEWS.column_names


def test_review_text_kept_verbatim() -> None:
    texts = ["  <b>Great</b>  ", "=SUM(A1)", "", None]
    raw = reviews(*[review(f"rev_{i}", "prod_1", 5, i, text) for i, text in enumerate(texts)])
    kept = clean_reviews(raw).data["review_text"].tolist()
    assert kept[:3] == texts[:3]
    assert pd.isna(kept[3])


def test_bayesian_rating_by_hand() -> None:
    data = reviews(
        review("rev_1", "prod_2", 1, 1),
        review("rev_2", "prod_1", 5, 2),
        review("rev_3", "prod_2", 2, 3),
        review("rev_4", "prod_1", 5, 4),
        review("rev_5", "prod_2", 3, 5),
    )
    stats = rating_stats(data, prior_weight=10.0)
    # global mean = 16 / 5 = 3.2
    # prod_1: (10 * 3.2 + 10) / (10 + 2) = 3.5
    # prod_2: (10 * 3.2 + 6) / (10 + 3) = 2.923076... -> 2.9231
    assert stats.to_dict("list") == {
        "product_id": ["prod_1", "prod_2"],
        "review_count": [2, 3],
        "avg_rating": [5.0, 2.0],
        "bayesian_rating": [3.5, 2.9231],
    }
    plain = rating_stats(data, prior_weight=0.0)
    assert plain["bayesian_rating"].tolist() == plain["avg_rating"].tolist()


def test_rating_stats_edge_cases() -> None:
    assert len(rating_stats(reviews(review("rev_1", "prod_1", 5, 1)).iloc[:0])) == 0
    with pytest.raises(ValueError, match="prior_weight"):
        rating_stats(pd.DataFrame(), prior_weight=-1.0)


@pytest.mark.slow
def test_large_reviews_stay_vectorized() -> None:
    n_rows = 200_000
    rng = np.random.default_rng(5)
    raw = pd.DataFrame(
        {
            "review_id": [f"rev_{i}" for i in rng.integers(0, 150_000, n_rows)],
            "product_id": [f"prod_{i}" for i in rng.integers(0, 1_000, n_rows)],
            "customer_id": "cust_1",
            "rating": rng.integers(0, 7, n_rows),
            "review_text": "fine",
            "review_date": dt.date(2025, 1, 1),
            SOURCE_ORDER: np.arange(n_rows),
        }
    )
    result = clean_reviews(raw)
    stats = rating_stats(result.data)
    assert int(stats["review_count"].sum()) == len(result.data)
