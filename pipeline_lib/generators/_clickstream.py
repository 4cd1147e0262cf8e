"""Website sessions and their events, consistent with the orders, sampled like a real log.

The traffic behind the orders is drawn to the shape of a real shop's funnel (``STEP_REACH``:
about 2.4% of sessions buy). Writing every session would take about 40 sessions per order,
so the clickstream is a *sample*: every session that reached checkout (with or without a
purchase) is written, and sessions that ended earlier (bounced, browsed, or left a cart)
are written at ``SAMPLING_RATE``. ``ClickstreamSampling`` says which rate applies to which
session, for the manifest; weighting a session by ``1 / rate`` of its deepest step restores
the full traffic.

Each order is one converting session on the order's day, with one purchase event per order
line. Within a session the events follow the funnel: page views (the landing page, then
the listing page each further product was opened from), product views, add-to-carts,
checkout start, purchases. So every step has at most as many sessions *and* events as the
one before it, in the written file as well as in the traffic it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline_lib.generators._calendar import SECONDS_PER_DAY, sample_seconds_of_day
from pipeline_lib.generators._customers import CustomerPool
from pipeline_lib.generators._products import Catalog, ProductSampler
from pipeline_lib.generators._rng import random_stream
from pipeline_lib.generators._transactions import Lines, Orders
from pipeline_lib.schemas import CATEGORIES, DEVICES, EVENT_TYPES

PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT_START, PURCHASE = range(len(EVENT_TYPES))
assert EVENT_TYPES[PURCHASE] == "purchase"
#: Page kinds; the page text is built when writing (see _render).
PAGE_HOME, PAGE_CATEGORY, PAGE_PRODUCT, PAGE_CHECKOUT = range(4)

#: Share of all sessions that reach each funnel step (page_view ... purchase), as online
#: shops report them: half the visitors open a product, one in ten adds to cart, about
#: half of those start checkout, and about half of the checkouts are paid (2.4% convert).
STEP_REACH = (1.0, 0.52, 0.10, 0.046, 0.024)
assert all(a > b for a, b in zip(STEP_REACH, STEP_REACH[1:]))
#: Sessions whose deepest step is before checkout_start are written at this rate; sessions
#: that started checkout (all purchases among them) are always written. 0.05 keeps the
#: file near ten events per order line (see the README's "Sample data").
SAMPLING_RATE = 0.05
#: The first deepest step that is written in full.
FIRST_UNSAMPLED_STEP = CHECKOUT_START

#: Products in an abandoned cart: one, sometimes a related second one.
SECOND_ITEM_SHARE = {ADD_TO_CART: 0.2, CHECKOUT_START: 0.3}
#: Mean number of products viewed besides those carried to cart, by deepest step (a session
#: that ends on product pages views at least one).
EXTRA_VIEWS_MEAN = {PAGE_VIEW: 0.0, PRODUCT_VIEW: 0.9, ADD_TO_CART: 0.8, CHECKOUT_START: 0.5}
CONVERTING_EXTRA_VIEWS_MEAN = 0.4
MAX_EXTRA_VIEWS = 5
#: Sessions that never open a product see 1 + Poisson(mean) pages (most of them bounce).
EXTRA_PAGES_MEAN = 0.4
MAX_EXTRA_PAGES = 4
ANONYMOUS_SHARE = 0.35
#: Converting sessions skew to desktop; visitors who leave skew to mobile.
CONVERTING_DEVICE_MIX = (0.45, 0.45, 0.10)
BROWSING_DEVICE_MIX = (0.62, 0.28, 0.10)
PREFERRED_DEVICE_SHARE = 0.7
LANDING_ON_CATEGORY_SHARE = 0.55
SAME_CATEGORY_BROWSE_SHARE = 0.7
MEAN_EVENT_GAP_S = 35.0
MAX_EVENT_GAP_S = 900


@dataclass(frozen=True)
class Events:
    """Clickstream events in file order (by time).

    ``customer`` is the customer number (0 = anonymous); ``page_ref`` is the category index
    for category pages and the product index for product pages; ``second`` counts from
    midnight of the window's first day; ``sample_rate`` is the rate at which the event's
    session was written (see ``ClickstreamSampling``), recorded on every event as a
    sampling logger would.
    """

    session: np.ndarray
    customer: np.ndarray
    event_type: np.ndarray
    page_kind: np.ndarray
    page_ref: np.ndarray
    second: np.ndarray
    device: np.ndarray
    sample_rate: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.session)


@dataclass(frozen=True)
class ClickstreamSampling:
    """How the written sessions relate to the traffic they stand for.

    ``written`` and ``represented`` count sessions by their deepest funnel step (index into
    ``EVENT_TYPES``); ``rates`` is the probability with which a session of each deepest
    step was written, so ``represented[s] ~ written[s] / rates[s]``.
    """

    rates: tuple[float, ...]
    written: tuple[int, ...]
    represented: tuple[int, ...]

    def manifest_entry(self) -> dict[str, Any]:
        """The manifest's ``clickstream`` section."""

        def by_step(values: tuple[Any, ...]) -> dict[str, Any]:
            return dict(zip(EVENT_TYPES, values))

        written, represented = sum(self.written), sum(self.represented)
        return {
            "sampling": {
                "non_converting_sessions_before_checkout": self.rates[PAGE_VIEW],
                "rate_by_deepest_step": by_step(self.rates),
                "weighting": (
                    "A session whose deepest funnel step is S was written with probability "
                    "rate_by_deepest_step[S]; count it and each of its events 1 / rate times "
                    "to estimate the full traffic. Sessions that reached checkout_start are "
                    "all written."
                ),
            },
            "sessions": {
                "written": written,
                "represented": represented,
                "written_by_deepest_step": by_step(self.written),
                "represented_by_deepest_step": by_step(self.represented),
            },
            "session_conversion": {
                "written": round(self.written[PURCHASE] / written, 4),
                "represented": round(self.represented[PURCHASE] / represented, 4),
            },
        }


@dataclass(frozen=True)
class _Sessions:
    """Per-session plan; ``viewed`` lists each session's product views (extra views, then
    the products carried to cart), ``items`` its cart; both are flat, indexed by the
    sessions' ``*_start``."""

    depth: np.ndarray
    day: np.ndarray
    customer: np.ndarray
    device: np.ndarray
    landing_kind: np.ndarray
    landing_ref: np.ndarray
    n_pages: np.ndarray
    n_views: np.ndarray
    n_items: np.ndarray
    view_start: np.ndarray
    item_start: np.ndarray
    viewed: np.ndarray
    items: np.ndarray

    @property
    def size(self) -> int:
        return len(self.depth)


def sampling_rates() -> tuple[float, ...]:
    """The rate at which sessions of each deepest step (``EVENT_TYPES`` order) are written."""
    return tuple(
        1.0 if step >= FIRST_UNSAMPLED_STEP else SAMPLING_RATE for step in range(PURCHASE + 1)
    )


def session_counts(n_orders: int, n_lines: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sessions per deepest step: represented (full traffic) and written (sampled).

    Abandoned checkouts are at least ``n_lines - n_orders``, so that checkout_start events
    (one per session) are never fewer than purchase events (one per order line).
    """
    per_order = [
        (STEP_REACH[step] - STEP_REACH[step + 1]) / STEP_REACH[PURCHASE] for step in range(PURCHASE)
    ]
    represented = [round(n_orders * share) for share in per_order] + [n_orders]
    represented[CHECKOUT_START] = max(represented[CHECKOUT_START], n_lines - n_orders)
    written = [round(rate * count) for rate, count in zip(sampling_rates(), represented)]
    return tuple(represented), tuple(written)


def _devices(
    rng: np.random.Generator, customers: CustomerPool, customer: np.ndarray, mix: tuple[float, ...]
) -> np.ndarray:
    """Signed-in visitors mostly use their preferred device; the rest follow ``mix``."""
    device = rng.choice(len(DEVICES), size=len(customer), p=mix).astype(np.int8)
    known = (customer > 0) & (rng.random(len(customer)) < PREFERRED_DEVICE_SHARE)
    device[known] = customers.preferred_device[customer[known] - 1]
    return device


def _starts(counts: np.ndarray) -> np.ndarray:
    """Offsets of consecutive blocks of the given sizes."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _sessions(
    rng: np.random.Generator,
    orders: Orders,
    lines: Lines,
    catalog: Catalog,
    sampler: ProductSampler,
    customers: CustomerPool,
    day_weights: np.ndarray,
    written: tuple[int, ...],
) -> _Sessions:
    """The written sessions: converting ones first (in order order), then the others."""
    n_buy = orders.size
    n_other = sum(written[:PURCHASE])
    depth = np.concatenate(
        (
            np.full(n_buy, PURCHASE, dtype=np.int8),
            np.repeat(np.arange(PURCHASE, dtype=np.int8), written[:PURCHASE]),
        )
    )
    other_depth = depth[n_buy:]
    other_day = rng.choice(len(day_weights), size=n_other, p=day_weights)
    other_customer = rng.choice(customers.size, size=n_other, p=customers.activity) + 1
    other_customer[rng.random(n_other) < ANONYMOUS_SHARE] = 0
    order_customer = orders.customer + 1

    # Abandoned carts hold a focus product and maybe a related one.
    other_focus = sampler.overall(rng, n_other)
    second_share = np.zeros(PURCHASE)
    for step, share in SECOND_ITEM_SHARE.items():
        second_share[step] = share
    other_items_count = np.where(
        other_depth >= ADD_TO_CART, 1 + (rng.random(n_other) < second_share[other_depth]), 0
    )
    second = other_items_count == 2
    other_item_start = _starts(other_items_count)
    other_items = np.empty(int(other_items_count.sum()), dtype=np.int64)
    other_items[other_item_start[other_items_count > 0]] = other_focus[other_items_count > 0]
    other_items[other_item_start[second] + 1] = sampler.in_categories(
        rng, catalog.category[other_focus[second]]
    )
    items = np.concatenate((lines.product, other_items))
    n_items = np.concatenate((orders.line_count, other_items_count))
    item_start = np.concatenate((orders.line_start, lines.size + other_item_start))

    extra_mean = np.full(n_buy + n_other, CONVERTING_EXTRA_VIEWS_MEAN)
    for step, mean in EXTRA_VIEWS_MEAN.items():
        extra_mean[n_buy + np.flatnonzero(other_depth == step)] = mean
    n_extra = np.minimum(rng.poisson(extra_mean), MAX_EXTRA_VIEWS)
    n_extra[depth == PRODUCT_VIEW] += 1  # those who leave from product pages saw one
    n_views = n_extra + n_items
    # One page view per product view: the landing page, then the listing page each
    # further product was opened from. Visitors who never open a product see a few pages.
    n_pages = np.maximum(n_views, 1)
    browsing_only = depth == PAGE_VIEW
    n_pages[browsing_only] += np.minimum(
        rng.poisson(EXTRA_PAGES_MEAN, size=int(browsing_only.sum())), MAX_EXTRA_PAGES
    )

    focus_product = np.concatenate((lines.product[orders.line_start], other_focus))
    focus_category = catalog.category[focus_product]
    extra_session = np.repeat(np.arange(len(n_extra)), n_extra)
    extra_products = sampler.overall(rng, len(extra_session))
    related = rng.random(len(extra_session)) < SAME_CATEGORY_BROWSE_SHARE
    extra_products[related] = sampler.in_categories(rng, focus_category[extra_session[related]])
    # Each session views its extra products, then the products it carries to cart.
    view_start = _starts(n_views)
    view_session = np.repeat(np.arange(len(n_views)), n_views)
    view_offset = np.arange(len(view_session)) - view_start[view_session]
    is_extra = view_offset < n_extra[view_session]
    viewed = np.empty(len(view_session), dtype=np.int64)
    viewed[is_extra] = extra_products
    carried = ~is_extra
    viewed[carried] = items[
        item_start[view_session[carried]] + view_offset[carried] - n_extra[view_session[carried]]
    ]

    customer = np.concatenate((order_customer, other_customer))
    device = np.concatenate(
        (
            _devices(rng, customers, order_customer, CONVERTING_DEVICE_MIX),
            _devices(rng, customers, other_customer, BROWSING_DEVICE_MIX),
        )
    )
    on_category = rng.random(n_buy + n_other) < LANDING_ON_CATEGORY_SHARE
    return _Sessions(
        depth=depth,
        day=np.concatenate((orders.day, other_day)),
        customer=customer,
        device=device,
        landing_kind=np.where(on_category, PAGE_CATEGORY, PAGE_HOME).astype(np.int8),
        landing_ref=np.where(on_category, focus_category, 0),
        n_pages=n_pages,
        n_views=n_views,
        n_items=n_items,
        view_start=view_start,
        item_start=item_start,
        viewed=viewed,
        items=items,
    )


def _since_last_mark(n: int, marks: np.ndarray) -> np.ndarray:
    """For each index below ``n``, how far it is past the latest of ``marks`` (0 included)."""
    dtype = np.int32 if n < np.iinfo(np.int32).max else np.int64
    latest = np.zeros(n, dtype=dtype)
    latest[marks] = marks
    np.maximum.accumulate(latest, out=latest)
    return np.subtract(np.arange(n, dtype=dtype), latest, out=latest)


def build_clickstream(
    orders: Orders,
    lines: Lines,
    catalog: Catalog,
    customers: CustomerPool,
    day_weights: np.ndarray,
    seed: int,
) -> tuple[Events, ClickstreamSampling]:
    """Draw the written sessions and expand them into events sorted by time.

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
    tuple of Events and ClickstreamSampling
        Events in time order (session numbers follow the sessions' start times), and how
        the written sessions were sampled from the traffic.
    """
    rng = random_stream(seed, "clickstream")
    represented, written = session_counts(orders.size, lines.size)
    plan = _sessions(
        rng, orders, lines, catalog, ProductSampler(catalog), customers, day_weights, written
    )
    # Lay the sessions out by their drawn start, so that the events come out nearly in time
    # order: the final sort and the gathers through it then stay cheap.
    drawn_start = plan.day.astype(np.int64) * SECONDS_PER_DAY + sample_seconds_of_day(
        rng, plan.size
    )
    layout = np.argsort(drawn_start, kind="stable")
    drawn_start = drawn_start[layout]
    depth = plan.depth[layout].astype(np.int32)
    n_views, n_items = plan.n_views[layout], plan.n_items[layout]
    view_start, item_start = plan.view_start[layout], plan.item_start[layout]
    # Steps of a session, each non-empty up to its deepest step: pages, product views,
    # add-to-carts, checkout start, purchases (one per cart item).
    step_counts = np.stack(
        (
            plan.n_pages[layout],
            n_views,
            n_items,
            (depth >= CHECKOUT_START).astype(np.int64),
            np.where(depth == PURCHASE, n_items, 0),
        )
    )
    per_session = step_counts.sum(axis=0)
    n_events = int(per_session.sum())
    first_event = _starts(per_session)
    # A session's steps start where the previous ones end; event types count the step
    # starts passed, reset to 0 at each session's first event.
    step_end = first_event + np.cumsum(step_counts[:PURCHASE], axis=0)
    increments = np.zeros(n_events, dtype=np.int8)
    for step in range(1, PURCHASE + 1):
        increments[step_end[step - 1][depth >= step]] = 1
    increments[first_event[1:]] = -depth[:-1]
    event_type = np.cumsum(increments, dtype=np.int8)
    step_starts = np.sort(
        np.concatenate([first_event, *(step_end[k][depth > k] for k in range(PURCHASE))])
    )
    offset = _since_last_mark(n_events, step_starts)  # position within the step
    session = np.repeat(np.arange(plan.size, dtype=np.int32), per_session)

    page_kind = np.full(n_events, PAGE_PRODUCT, dtype=np.int8)
    page_ref = np.zeros(n_events, dtype=np.int32)
    # Page views: landing page, listing pages of the further products, other category pages.
    pages = np.flatnonzero(event_type == PAGE_VIEW)
    page_session, page_offset = session[pages], offset[pages]
    landing = page_offset == 0
    listing = ~landing & (page_offset < n_views[page_session])
    other = ~landing & ~listing
    page_kind[pages] = PAGE_CATEGORY
    page_kind[first_event] = plan.landing_kind[layout]
    page_ref[first_event] = plan.landing_ref[layout]
    page_ref[pages[listing]] = catalog.category[
        plan.viewed[view_start[page_session[listing]] + page_offset[listing]]
    ]
    page_ref[pages[other]] = rng.integers(0, len(CATEGORIES), size=int(other.sum()))
    views = np.flatnonzero(event_type == PRODUCT_VIEW)
    page_ref[views] = plan.viewed[view_start[session[views]] + offset[views]]
    items = np.flatnonzero(event_type >= ADD_TO_CART)
    items = items[event_type[items] != CHECKOUT_START]
    page_ref[items] = plan.items[item_start[session[items]] + offset[items]]
    page_kind[event_type == CHECKOUT_START] = PAGE_CHECKOUT

    gap = rng.exponential(MEAN_EVENT_GAP_S, size=n_events)
    gap += 3
    np.minimum(gap, MAX_EVENT_GAP_S, out=gap)
    gap = gap.astype(np.int32)
    # The purchase events of one order are recorded in the same second or two.
    gap[(offset > 0) & (event_type == PURCHASE)] = 1
    gap[first_event] = 0
    duration = np.add.reduceat(gap, first_event)
    # The cumulative sum restarts at each session: its first event undoes the last one's.
    gap[first_event[1:]] = -duration[:-1]
    elapsed = np.cumsum(gap, dtype=np.int32)
    # A session ends on the day it starts.
    day_start = drawn_start // SECONDS_PER_DAY * SECONDS_PER_DAY
    session_start = np.minimum(drawn_start, day_start + SECONDS_PER_DAY - 1 - duration)
    second = np.repeat(session_start, per_session)
    second += elapsed

    # Number sessions by start time, as the website would. Within a session every event
    # is at least a second after the previous one, so (second, session) orders the file.
    session_number = np.empty(plan.size, dtype=np.int64)
    session_number[np.argsort(session_start, kind="stable")] = np.arange(1, plan.size + 1)
    file_order = np.argsort(second * (plan.size + 1) + np.repeat(session_number, per_session))
    session = session[file_order]
    events = Events(
        session=session_number[session],
        customer=plan.customer[layout][session],
        event_type=event_type[file_order],
        page_kind=page_kind[file_order],
        page_ref=page_ref[file_order],
        second=second[file_order],
        device=plan.device[layout][session],
        sample_rate=np.asarray(sampling_rates())[depth][session],
    )
    sampling = ClickstreamSampling(rates=sampling_rates(), written=written, represented=represented)
    return events, sampling
