"""Website sessions and their events, consistent with the orders.

Every order is a converting session walking the whole funnel on the order's day; other
sessions stop at some step (bounce, browse, cart, checkout) and may be anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline_lib.generators._calendar import SECONDS_PER_DAY, sample_seconds_of_day
from pipeline_lib.generators._customers import CustomerPool
from pipeline_lib.generators._products import Catalog, ProductSampler
from pipeline_lib.generators._rng import random_stream
from pipeline_lib.generators._transactions import Lines, Orders
from pipeline_lib.schemas import DEVICES, EVENT_TYPES

PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT_START, PURCHASE = range(len(EVENT_TYPES))
assert EVENT_TYPES[PURCHASE] == "purchase"
#: Page kinds; the page text is built when writing (see _render).
PAGE_HOME, PAGE_CATEGORY, PAGE_PRODUCT, PAGE_CHECKOUT = range(4)

#: Sessions that buy nothing, per order. With these the file holds ~5 events per line.
NON_CONVERTING_PER_ORDER = 0.8
#: Where non-converting sessions stop: after the landing page, after browsing products,
#: after adding to cart, after starting checkout.
DROP_OFF_MIX = (0.45, 0.33, 0.13, 0.09)
BOUNCE, BROWSE, CART, CHECKOUT = range(len(DROP_OFF_MIX))
ANONYMOUS_SHARE = 0.35
#: Converting sessions skew to desktop; visitors who leave skew to mobile.
CONVERTING_DEVICE_MIX = (0.45, 0.45, 0.10)
BROWSING_DEVICE_MIX = (0.62, 0.28, 0.10)
PREFERRED_DEVICE_SHARE = 0.7
LANDING_ON_CATEGORY_SHARE = 0.55
EXTRA_VIEWS_MEAN = 0.4
SAME_CATEGORY_BROWSE_SHARE = 0.7
MEAN_EVENT_GAP_S = 35.0
MAX_EVENT_GAP_S = 900


@dataclass(frozen=True)
class Events:
    """Clickstream events in file order (by time).

    ``customer`` is the customer number (0 = anonymous); ``page_ref`` is the category index
    for category pages and the product index for product pages; ``second`` counts from
    midnight of the window's first day.
    """

    session: np.ndarray
    customer: np.ndarray
    event_type: np.ndarray
    page_kind: np.ndarray
    page_ref: np.ndarray
    second: np.ndarray
    device: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.session)


@dataclass(frozen=True)
class _Sessions:
    day: np.ndarray
    customer: np.ndarray
    device: np.ndarray
    landing_kind: np.ndarray
    focus_category: np.ndarray
    n_browse: np.ndarray
    n_items: np.ndarray
    has_checkout: np.ndarray
    purchased: np.ndarray
    item_start: np.ndarray
    browse_start: np.ndarray


def _devices(
    rng: np.random.Generator, customers: CustomerPool, customer: np.ndarray, mix: tuple[float, ...]
) -> np.ndarray:
    """Signed-in visitors mostly use their preferred device; the rest follow ``mix``."""
    device = rng.choice(len(DEVICES), size=len(customer), p=mix).astype(np.int8)
    known = (customer > 0) & (rng.random(len(customer)) < PREFERRED_DEVICE_SHARE)
    device[known] = customers.preferred_device[customer[known] - 1]
    return device


def _sessions(
    rng: np.random.Generator,
    orders: Orders,
    lines: Lines,
    catalog: Catalog,
    sampler: ProductSampler,
    customers: CustomerPool,
    day_weights: np.ndarray,
) -> tuple[_Sessions, np.ndarray, np.ndarray]:
    """Per-session plan, the products carried to cart, and the products only browsed."""
    n_converting = orders.size
    n_other = round(NON_CONVERTING_PER_ORDER * n_converting)
    stage = rng.choice(len(DROP_OFF_MIX), size=n_other, p=DROP_OFF_MIX)

    other_day = rng.choice(len(day_weights), size=n_other, p=day_weights)
    other_customer = rng.choice(customers.size, size=n_other, p=customers.activity) + 1
    other_customer[rng.random(n_other) < ANONYMOUS_SHARE] = 0
    order_customer = orders.customer + 1

    # Non-converting carts hold 1-2 products: a focus product and maybe a related one.
    other_focus = sampler.overall(rng, n_other)
    other_items_count = np.where(stage >= CART, 1 + (rng.random(n_other) < 0.25), 0)
    second = other_items_count == 2
    other_items_first = other_focus[other_items_count > 0]
    paired = sampler.in_categories(rng, catalog.category[other_focus[second]])
    other_items = np.empty(int(other_items_count.sum()), dtype=np.int64)
    other_item_start = np.concatenate(([0], np.cumsum(other_items_count)[:-1]))
    other_items[other_item_start[other_items_count > 0]] = other_items_first
    other_items[other_item_start[second] + 1] = paired

    focus_product = np.concatenate((lines.product[orders.line_start], other_focus))
    n_browse = rng.poisson(EXTRA_VIEWS_MEAN, size=n_converting + n_other)
    # Visitors who leave after browsing viewed at least one product.
    browsing = n_converting + np.flatnonzero(stage == BROWSE)
    n_browse[browsing] += 1
    n_browse[n_converting + np.flatnonzero(stage == BOUNCE)] = 0
    n_browse = np.minimum(n_browse, 5)
    n_items = np.concatenate((orders.line_count, other_items_count))

    focus_category = catalog.category[focus_product]
    browse_session = np.repeat(np.arange(len(n_browse)), n_browse)
    related = rng.random(len(browse_session)) < SAME_CATEGORY_BROWSE_SHARE
    browsed = sampler.overall(rng, len(browse_session))
    browsed[related] = sampler.in_categories(rng, focus_category[browse_session[related]])
    customer = np.concatenate((order_customer, other_customer))
    device = np.concatenate(
        (
            _devices(rng, customers, order_customer, CONVERTING_DEVICE_MIX),
            _devices(rng, customers, other_customer, BROWSING_DEVICE_MIX),
        )
    )
    total = n_converting + n_other
    plan = _Sessions(
        day=np.concatenate((orders.day, other_day)),
        customer=customer,
        device=device,
        landing_kind=np.where(
            rng.random(total) < LANDING_ON_CATEGORY_SHARE, PAGE_CATEGORY, PAGE_HOME
        ),
        focus_category=focus_category,
        n_browse=n_browse,
        n_items=n_items,
        has_checkout=np.concatenate(
            (np.ones(n_converting, dtype=np.int64), (stage == CHECKOUT).astype(np.int64))
        ),
        purchased=np.concatenate(
            (np.ones(n_converting, dtype=np.int64), np.zeros(n_other, dtype=np.int64))
        ),
        item_start=np.concatenate((orders.line_start, lines.size + other_item_start)),
        browse_start=np.concatenate(([0], np.cumsum(n_browse)[:-1])),
    )
    return plan, np.concatenate((lines.product, other_items)), browsed


def build_clickstream(
    orders: Orders,
    lines: Lines,
    catalog: Catalog,
    customers: CustomerPool,
    day_weights: np.ndarray,
    seed: int,
) -> Events:
    """Draw the sessions and expand them into events sorted by time.

    Parameters
    ----------
    orders, lines
        The orders; each becomes a converting session with one purchase event per line.
    catalog, customers
        What visitors look at and who they are.
    day_weights
        Relative traffic per day of the window.
    seed
        Seed of the clickstream's random stream.

    Returns
    -------
    Events
        Events in time order; session numbers follow the sessions' start times.
    """
    rng = random_stream(seed, "clickstream")
    sampler = ProductSampler(catalog)
    plan, item_products, browse_products = _sessions(
        rng, orders, lines, catalog, sampler, customers, day_weights
    )
    per_session = 1 + plan.n_browse + 2 * plan.n_items + plan.has_checkout
    per_session = per_session + plan.purchased * plan.n_items
    session = np.repeat(np.arange(len(per_session)), per_session)
    first_event = np.concatenate(([0], np.cumsum(per_session)[:-1]))
    position = np.arange(len(session)) - first_event[session]

    browse = plan.n_browse[session]
    items = plan.n_items[session]
    checkout = plan.has_checkout[session]
    # Each funnel step starts where the previous one ends, so the step is the number of
    # boundaries the position has passed.
    event_type = (
        (position >= 1).astype(np.int8)
        + (position >= 1 + browse + items)
        + (position >= 1 + browse + 2 * items)
        + (position >= 1 + browse + 2 * items + checkout)
    ).astype(np.int8)
    item_offset = np.where(
        event_type == PRODUCT_VIEW,
        position - 1 - browse,
        np.where(
            event_type == ADD_TO_CART,
            position - 1 - browse - items,
            position - 1 - browse - 2 * items - checkout,
        ),
    )
    is_browse = (event_type == PRODUCT_VIEW) & (position <= browse)
    is_item = np.isin(event_type, (PRODUCT_VIEW, ADD_TO_CART, PURCHASE)) & ~is_browse
    page_ref = plan.focus_category[session].astype(np.int64)
    page_ref[is_item] = item_products[plan.item_start[session[is_item]] + item_offset[is_item]]
    page_ref[is_browse] = browse_products[
        plan.browse_start[session[is_browse]] + position[is_browse] - 1
    ]
    page_kind = np.full(len(session), PAGE_PRODUCT, dtype=np.int8)
    page_kind[event_type == PAGE_VIEW] = plan.landing_kind[session[event_type == PAGE_VIEW]]
    page_kind[event_type == CHECKOUT_START] = PAGE_CHECKOUT

    gap = np.minimum(
        MAX_EVENT_GAP_S, 3 + rng.exponential(MEAN_EVENT_GAP_S, size=len(session))
    ).astype(np.int64)
    gap[position == 0] = 0
    # The purchase events of one order are recorded in the same second or two.
    gap[(event_type == PURCHASE) & (position > 1 + browse + 2 * items + checkout)] = 1
    elapsed = np.cumsum(gap)
    elapsed -= elapsed[first_event][session]
    duration = elapsed[first_event + per_session - 1]
    start = np.minimum(sample_seconds_of_day(rng, len(per_session)), SECONDS_PER_DAY - 1 - duration)
    session_start = plan.day.astype(np.int64) * SECONDS_PER_DAY + start
    second = session_start[session] + elapsed

    # Number sessions by start time, as the website would.
    session_number = np.empty(len(per_session), dtype=np.int64)
    session_number[np.argsort(session_start, kind="stable")] = np.arange(1, len(per_session) + 1)
    event_number = session_number[session]
    file_order = np.lexsort((position, event_number, second))
    return Events(
        session=event_number[file_order],
        customer=plan.customer[session][file_order],
        event_type=event_type[file_order],
        page_kind=page_kind[file_order],
        page_ref=page_ref[file_order],
        second=second[file_order],
        device=plan.device[session][file_order],
    )
