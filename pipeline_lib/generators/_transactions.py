"""Orders and their lines: who bought what, when, how many, at what price, and the status."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline_lib.generators._customers import CustomerPool
from pipeline_lib.generators._products import QUALITY_MEAN, Catalog, ProductSampler
from pipeline_lib.generators._rng import random_stream
from pipeline_lib.schemas import TRANSACTION_STATUSES

COMPLETED, RETURNED, REFUNDED, PENDING = (
    TRANSACTION_STATUSES.index(s) for s in ("completed", "returned", "refunded", "pending")
)
#: Probability of an order having 1, 2, 3 or 4 lines.
BASKET_SIZE_MIX = (0.56, 0.25, 0.12, 0.07)
#: How an order's second and later lines are chosen: the anchor's fixed complement, the
#: anchor's category, or anything (by popularity). Makes product affinity measurable.
COMPLEMENT_SHARE = 0.35
SAME_CATEGORY_SHARE = 0.45
QUANTITY_MIX = (0.68, 0.21, 0.07, 0.025, 0.015)  # 1..5 units
DISCOUNT_SHARE = 0.08
DISCOUNTS = np.array([0.10, 0.15, 0.20, 0.25])
PENDING_SHARE = 0.06
RETURNED_SHARE = 0.06
REFUNDED_SHARE = 0.03
#: Recent lines are mostly still pending: probability ``PENDING_RECENT * exp(-age / days)``.
PENDING_RECENT = 0.85
PENDING_DECAY_DAYS = 5.0
#: A return takes about a week to arrive, so the freshest lines are rarely returned yet.
RETURN_DELAY_DAYS = 7.0


@dataclass(frozen=True)
class Orders:
    """Orders (baskets) sorted by day; order ``k`` owns lines ``start[k] : start[k] + count[k]``."""

    day: np.ndarray
    customer: np.ndarray
    line_start: np.ndarray
    line_count: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.day)


@dataclass(frozen=True)
class Lines:
    """Transaction lines in file order; line ``i`` is transaction number ``i + 1``."""

    order: np.ndarray
    customer: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    price_cents: np.ndarray
    day: np.ndarray
    status: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.order)

    @property
    def total_cents(self) -> np.ndarray:
        """quantity * price, exact in cents."""
        return np.asarray(self.quantity * self.price_cents, dtype=np.int64)


def _basket_sizes(rng: np.random.Generator, n_lines: int) -> np.ndarray:
    """Order sizes (1-4 lines) summing to exactly ``n_lines``."""
    sizes = rng.choice(len(BASKET_SIZE_MIX), size=n_lines, p=BASKET_SIZE_MIX) + 1
    cumulative = np.cumsum(sizes)
    last = int(np.searchsorted(cumulative, n_lines))  # sizes >= 1, so n_lines draws suffice
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(cumulative[last]) - n_lines
    return sizes


def _basket_products(
    rng: np.random.Generator,
    catalog: Catalog,
    sampler: ProductSampler,
    line_order: np.ndarray,
    position: np.ndarray,
    n_orders: int,
) -> np.ndarray:
    """Products per line: a popular anchor first, then related products."""
    anchor = sampler.overall(rng, n_orders)[line_order]
    product = anchor.copy()
    extra = np.flatnonzero(position > 0)
    mode = rng.random(len(extra))
    complement = extra[mode < COMPLEMENT_SHARE]
    product[complement] = catalog.complement[anchor[complement]]
    same = extra[(mode >= COMPLEMENT_SHARE) & (mode < COMPLEMENT_SHARE + SAME_CATEGORY_SHARE)]
    product[same] = sampler.in_categories(rng, catalog.category[anchor[same]])
    anything = extra[mode >= COMPLEMENT_SHARE + SAME_CATEGORY_SHARE]
    product[anything] = sampler.overall(rng, len(anything))
    # An order lists each product once: redraw repeats (a few rounds settle all but tiny
    # catalogs, where a repeat is harmless).
    for _ in range(6):
        repeated = np.zeros(len(product), dtype=bool)
        for lag in range(1, len(BASKET_SIZE_MIX)):
            later = np.flatnonzero(position >= lag)
            repeated[later] |= product[later] == product[later - lag]
        if not repeated.any():
            break
        product[repeated] = sampler.overall(rng, int(repeated.sum()))
    return product


def _statuses(
    rng: np.random.Generator, catalog: Catalog, product: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Status per line: pending when recent, returns more likely for poor products."""
    recent = PENDING_RECENT * np.exp(-age / PENDING_DECAY_DAYS)
    # Top up with a small base rate so that about PENDING_SHARE of all lines are pending.
    base = (PENDING_SHARE * len(age) - recent.sum()) / max(1.0, float((1.0 - recent).sum()))
    pending_probability = recent + (1.0 - recent) * float(np.clip(base, 0.0, PENDING_SHARE))
    poor_quality = np.exp(-0.9 * (catalog.quality[product] - QUALITY_MEAN))
    poor_quality = poor_quality / poor_quality.mean()
    settled = np.minimum(1.0, age / RETURN_DELAY_DAYS)
    scale = poor_quality * settled / (1.0 - PENDING_SHARE)
    returned = np.minimum(0.4, RETURNED_SHARE * scale)
    refunded = np.minimum(0.2, REFUNDED_SHARE * scale)
    status = np.full(len(age), COMPLETED, dtype=np.int8)
    draw = rng.random(len(age))
    status[draw < returned + refunded] = REFUNDED
    status[draw < returned] = RETURNED
    status[rng.random(len(age)) < pending_probability] = PENDING
    return status


def build_transactions(
    n_lines: int,
    days: int,
    day_weights: np.ndarray,
    catalog: Catalog,
    customers: CustomerPool,
    seed: int,
) -> tuple[Orders, Lines]:
    """Draw ``n_lines`` order lines grouped into orders over a ``days``-day window.

    Parameters
    ----------
    n_lines
        Number of transaction lines.
    days
        Window length; day ``days - 1`` is the end date and always has sales.
    day_weights
        Relative volume per day (seasonality, growth), summing to 1.
    catalog, customers
        Who can buy what.
    seed
        Seed of the transactions' random stream.

    Returns
    -------
    tuple of Orders and Lines
        Orders sorted by day, and their lines in the same order.
    """
    rng = random_stream(seed, "transactions")
    sizes = _basket_sizes(rng, n_lines)
    n_orders = len(sizes)
    order_day = np.sort(rng.choice(days, size=n_orders, p=day_weights))
    order_day[-1] = days - 1  # the end date always has data
    order_customer = rng.choice(customers.size, size=n_orders, p=customers.activity)
    line_start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    line_order = np.repeat(np.arange(n_orders), sizes)
    position = np.arange(n_lines) - line_start[line_order]

    product = _basket_products(
        rng, catalog, ProductSampler(catalog), line_order, position, n_orders
    )
    quantity = rng.choice(len(QUANTITY_MIX), size=n_lines, p=QUANTITY_MIX) + 1
    price_cents = catalog.price_cents[product].copy()
    discounted = np.flatnonzero(rng.random(n_lines) < DISCOUNT_SHARE)
    discount = DISCOUNTS[rng.integers(0, len(DISCOUNTS), size=len(discounted))]
    price_cents[discounted] = np.maximum(
        1, np.round(price_cents[discounted] * (1.0 - discount)).astype(np.int64)
    )
    day = order_day[line_order]
    status = _statuses(rng, catalog, product, (days - 1 - day).astype(np.float64))
    orders = Orders(day=order_day, customer=order_customer, line_start=line_start, line_count=sizes)
    lines = Lines(
        order=line_order,
        customer=order_customer[line_order],
        product=product,
        quantity=quantity.astype(np.int64),
        price_cents=price_cents.astype(np.int64),
        day=day,
        status=status,
    )
    return orders, lines
