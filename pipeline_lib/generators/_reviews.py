"""Reviews by customers who bought the product, rated by the product's latent quality."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipeline_lib.generators._products import Catalog
from pipeline_lib.generators._rng import random_stream
from pipeline_lib.generators._transactions import PENDING, REFUNDED, RETURNED, Lines

REVIEW_SHARE = 0.10
#: Unhappy buyers (returned or refunded) write reviews more often, and rate lower.
UNHAPPY_REVIEW_FACTOR = 1.6
UNHAPPY_RATING_PENALTY = 1.4
RATING_NOISE = 0.8
MAX_REVIEW_DELAY_DAYS = 30
EMPTY_TEXT_SHARE = 0.15

#: Review texts per star rating; ``{noun}`` is the product's noun. Some contain commas,
#: quotes and non-ASCII letters, as real reviews do.
TEMPLATES: dict[int, tuple[str, ...]] = {
    1: (
        "Broke after two days. Do not buy.",
        'The {noun} arrived damaged, and support said "not our problem".',
        "Terrible quality, returned it.",
        "Nothing like the photos. Très déçu.",
    ),
    2: (
        "Disappointing {noun}, cheap materials.",
        "Works, barely. Expected more for the price.",
        "Not great: the size was off, the colour too.",
    ),
    3: (
        "It's okay. Does the job, nothing special.",
        "Average {noun}; delivery was slow.",
        'Decent, but "premium" is a stretch.',
    ),
    4: (
        "Good {noun}, would buy again.",
        "Solid quality, fast delivery.",
        "Very nice, though the instructions could be clearer.",
        "Gute Qualität, schnelle Lieferung.",
    ),
    5: (
        "Excellent {noun}! Exactly as described.",
        'Love it, my new favourite — "five stars" from me.',
        "Perfect, great value, highly recommended.",
        "Superb {noun}, über alle Erwartungen.",
    ),
}


@dataclass(frozen=True)
class Reviews:
    """Reviews in file order (by date); review ``i`` has id number ``i + 1``."""

    product: np.ndarray
    customer: np.ndarray
    rating: np.ndarray
    day: np.ndarray
    text: list[Optional[str]]
    line: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.product)


def build_reviews(lines: Lines, catalog: Catalog, days: int, seed: int) -> Reviews:
    """Draw reviews for about ``REVIEW_SHARE`` of the transaction lines.

    Parameters
    ----------
    lines
        The purchases; pending ones have not arrived yet and get no review.
    catalog
        Latent product quality drives the ratings.
    days
        Window length; no review is dated after the window's last day.
    seed
        Seed of the reviews' random stream.

    Returns
    -------
    Reviews
        Reviews sorted by date, each by a buyer of the product, 0-30 days after the purchase.
    """
    rng = random_stream(seed, "reviews")
    unhappy = (lines.status == RETURNED) | (lines.status == REFUNDED)
    propensity = np.where(unhappy, UNHAPPY_REVIEW_FACTOR, 1.0) * (lines.status != PENDING)
    propensity = propensity * REVIEW_SHARE * lines.size / max(1.0, float(propensity.sum()))
    reviewed = np.flatnonzero(rng.random(lines.size) < propensity)

    max_delay = np.minimum(MAX_REVIEW_DELAY_DAYS, days - 1 - lines.day[reviewed])
    # Most reviews come within days; squaring a uniform skews early and never overshoots.
    delay = np.floor(rng.random(len(reviewed)) ** 2 * (max_delay + 1)).astype(np.int64)
    day = lines.day[reviewed] + delay
    product = lines.product[reviewed]
    mean_rating = catalog.quality[product] - UNHAPPY_RATING_PENALTY * unhappy[reviewed]
    rating = np.clip(
        np.rint(mean_rating + rng.normal(0.0, RATING_NOISE, size=len(reviewed))), 1, 5
    ).astype(np.int64)

    order = np.lexsort((reviewed, day))
    reviewed, day, product, rating = reviewed[order], day[order], product[order], rating[order]
    template_pick = rng.integers(0, 1 << 30, size=len(reviewed))
    empty = rng.random(len(reviewed)) < EMPTY_TEXT_SHARE
    texts: list[Optional[str]] = []
    for stars, pick, blank, item in zip(
        rating.tolist(), template_pick.tolist(), empty.tolist(), product.tolist()
    ):
        if blank:
            texts.append(None)
            continue
        options = TEMPLATES[stars]
        texts.append(options[pick % len(options)].format(noun=catalog.noun[item].lower()))
    return Reviews(
        product=product,
        customer=lines.customer[reviewed],
        rating=rating,
        day=day,
        text=texts,
        line=reviewed,
    )
