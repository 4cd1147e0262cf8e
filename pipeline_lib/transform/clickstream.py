"""Clickstream: clean events, sessionize them, and summarize sessions and the daily funnel."""

from __future__ import annotations

import logging
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas import CLICKSTREAM, DEFAULT_DOMAINS, EVENT_TYPES, FeedDomains
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult
from pipeline_lib.transform._values import identifier_checks, standardize_values

logger = logging.getLogger(__name__)

UNKNOWN_EVENT_TYPE = "unknown_event_type"
UNKNOWN_DEVICE = "unknown_device"
INVALID_SAMPLE_RATE = "invalid_sample_rate"

#: Columns of the cleaned events, in order.
CLEAN_EVENT_COLUMNS = (*CLICKSTREAM.column_names, "event_date", "product_id")
#: Funnel step of each event type: page_view=1 ... purchase=5 (the order of EVENT_TYPES).
FUNNEL_STEPS: dict[str, int] = {event: step for step, event in enumerate(EVENT_TYPES, start=1)}
#: Product pages are /product/<product_id>, optionally followed by a path, query or fragment.
PRODUCT_PAGE = r"^/product/(?P<product_id>[^/?#]+)"

SESSION_COLUMNS = (
    "derived_session_id",
    "customer_id",
    "session_id",
    "device",
    "session_start",
    "session_end",
    "duration_seconds",
    "event_count",
    "product_views",
    "add_to_carts",
    "funnel_depth",
    "converted",
    "session_date",
    "sample_weight",
)

_MICROS_PER_SECOND = 1_000_000


def clean_clickstream(
    df: pd.DataFrame, *, domains: FeedDomains = DEFAULT_DOMAINS
) -> TransformResult:
    """Normalize events, check codes, drop repeated events, add date and product.

    ``event_type`` and ``device`` are trimmed and lowercased; an empty or blank
    ``customer_id`` becomes null (anonymous visitor). Event types and devices are open
    vocabularies by default: the five funnel steps are recognised, other events (search,
    login...) are kept outside the funnel, and values never seen before are noted. Rows are
    rejected with the first reason that applies: ``invalid_identifier`` (an empty session
    id or one with control characters), ``unknown_event_type`` and ``unknown_device``
    (only when the deployment closes those vocabularies with ``reject``),
    ``invalid_sample_rate`` (a ``sample_rate`` outside (0, 1]). Among the valid
    rows, exact repeats of
    (session_id, timestamp, event_type, page) are dropped, keeping the latest
    ``_source_order``. ``event_date`` is the UTC date of ``timestamp``; ``product_id`` is
    ``<id>`` for pages ``/product/<id>``, else null.

    Parameters
    ----------
    df
        Typed clickstream events per the contract, plus ``_source_order``.

    Returns
    -------
    TransformResult
        ``data`` has the columns of ``CLEAN_EVENT_COLUMNS``, in arrival order
        (``_source_order``).
    """
    frame = fr.contract_frame(df, CLICKSTREAM)
    rows_in = len(frame)
    days = frame["timestamp"]
    event_type = standardize_values(
        frame["event_type"],
        domains.value_rule("clickstream", "event_type"),
        dataset="clickstream",
        column="event_type",
        days=days,
    )
    device = standardize_values(
        frame["device"],
        domains.value_rule("clickstream", "device"),
        dataset="clickstream",
        column="device",
        days=days,
    )
    id_checks, id_notes = identifier_checks(
        frame,
        ("session_id",),
        {"session_id": domains.pattern_rule("clickstream", "session_id")},
        dataset="clickstream",
    )
    checks: list[fr.RejectCheck] = [
        *id_checks,
        (UNKNOWN_EVENT_TYPE, event_type.reject),
        (UNKNOWN_DEVICE, device.reject),
        (INVALID_SAMPLE_RATE, _invalid_sample_rates(frame["sample_rate"])),
    ]
    frame["_event_type"] = event_type.values
    frame["_device"] = device.values
    valid, rejects = fr.split_rejects(frame, checks)
    rejects = rejects.drop(columns=["_event_type", "_device"])
    valid["event_type"] = valid.pop("_event_type")
    valid["device"] = valid.pop("_device")
    valid["customer_id"] = _null_if_blank(valid["customer_id"])

    latest, duplicates_removed = fr.keep_latest(
        valid, ["session_id", "timestamp", "event_type", "page"]
    )
    timestamps = fr.to_arrow(latest["timestamp"])
    latest["event_date"] = fr.from_arrow(pc.cast(timestamps, pa.date32()))
    # A few thousand distinct pages repeat millions of times: match each distinct page once.
    pages = pc.dictionary_encode(fr.to_arrow(latest["page"]))
    product = pc.struct_field(pc.extract_regex(pages.dictionary, PRODUCT_PAGE), [0])
    latest["product_id"] = fr.from_arrow(product.take(pages.indices))
    # Arrival order: deterministic, and free when the input already arrives in that order.
    data = fr.sorted_frame(latest, [(fr.SOURCE_ORDER, True)])
    data = data[fr.output_columns(data, CLEAN_EVENT_COLUMNS)]  # a feed's extra columns last
    result = TransformResult(
        data=data,
        rejects=rejects,
        duplicates_removed=duplicates_removed,
        rows_in=rows_in,
        notes=[*event_type.notes, *device.notes, *id_notes],
    )
    logger.info(
        "clickstream: %d in, %d clean, %d rejected %s, %d repeats dropped",
        rows_in,
        len(data),
        len(rejects),
        result.reject_counts(),
        duplicates_removed,
    )
    return result


def _invalid_sample_rates(rates: pd.Series) -> np.ndarray:
    """Rates outside (0, 1]: a log cannot keep no session, nor more than all of them."""
    values = fr.to_arrow(rates)
    outside = pc.or_(pc.less_equal(values, 0.0), pc.greater(values, 1.0))
    return np.asarray(pc.fill_null(outside, False), dtype=bool)


def sample_weights(rates: pd.Series) -> np.ndarray:
    """How many events of the traffic each event stands for: ``1 / sample_rate`` (1 when empty)."""
    values = fr.to_arrow(rates).cast(pa.float64())
    return 1.0 / np.asarray(pc.fill_null(values, 1.0), dtype=np.float64)


def sessionize(events: pd.DataFrame, *, gap_minutes: int = 30) -> pd.DataFrame:
    """Assign each event a derived session: an actor's run of activity without long gaps.

    The actor is the signed-in ``customer_id`` or, for anonymous events, the source
    ``session_id``. An actor's events are ordered by time (ties: funnel order); a new
    session starts at the actor's first event and after more than ``gap_minutes`` of
    inactivity (a gap of exactly ``gap_minutes`` stays in the session). Anonymous actors
    are their source session, so a change of source session is always a new session; a
    signed-in customer's session may span several source sessions (e.g. after a new
    browser tab), each event keeping its source ``session_id``.

    ``derived_session_id`` is ``<customer_id>-<n>`` or ``anon-<session_id>-<n>``, with ``n``
    counting the actor's sessions from 1 in time order, so it depends only on the events.

    Parameters
    ----------
    events
        Cleaned events (needs ``session_id``, ``customer_id``, ``event_type``,
        ``timestamp``; other columns are carried along).
    gap_minutes
        Inactivity, in minutes, after which the next event starts a new session (>= 1).

    Returns
    -------
    pandas.DataFrame
        The events, in input order (clean_clickstream's order is deterministic), plus
        ``derived_session_id`` (before the columns a feed added, which stay last).

    Raises
    ------
    ValueError
        If ``gap_minutes < 1``.
    """
    return sessionize_with_codes(events, gap_minutes=gap_minutes)[0]


def sessionize_with_codes(
    events: pd.DataFrame, *, gap_minutes: int = 30
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`sessionize`, plus each event's session as an integer code.

    Pass the codes to :func:`build_sessions` (``session_codes=``) so it need not hash the
    millions of ``derived_session_id`` strings this function has just built.

    Returns
    -------
    tuple of (pandas.DataFrame, numpy.ndarray)
        The output of :func:`sessionize`, and per row (int64) a code in
        ``0 .. n_sessions - 1``, equal exactly where ``derived_session_id`` is equal.

    Raises
    ------
    ValueError
        If ``gap_minutes < 1``.
    """
    if gap_minutes < 1:
        raise ValueError(f"gap_minutes must be >= 1, got {gap_minutes}")
    fr.require_columns(
        events, ["session_id", "customer_id", "event_type", "timestamp"], "sessionize"
    )
    n_events = len(events)
    customer_codes, n_customers = fr.codes(events["customer_id"])
    anonymous = customer_codes < 0
    # Source sessions only identify anonymous actors: hash just those rows' session ids.
    actor = customer_codes.copy()
    anonymous_rows = np.flatnonzero(anonymous)
    actor[anonymous_rows] = n_customers + fr.codes(events["session_id"].iloc[anonymous_rows])[0]
    micros = fr.int_values(fr.as_dtype(events["timestamp"], fr.TIMESTAMP))
    # Time, then funnel step for same-instant events, packed in one sort key (steps < 8).
    time_then_step = micros * 8 + _funnel_steps(events["event_type"])
    order = np.lexsort((time_then_step, actor))

    actor_sorted = actor[order]
    micros_sorted = micros[order]
    actor_starts = np.ones(n_events, dtype=bool)
    actor_starts[1:] = actor_sorted[1:] != actor_sorted[:-1]
    gap_exceeded = np.zeros(n_events, dtype=bool)
    gap_exceeded[1:] = np.diff(micros_sorted) > gap_minutes * 60 * _MICROS_PER_SECOND
    session_starts = actor_starts | gap_exceeded

    # n = sessions so far for this actor: running count minus the count before the actor.
    running: np.ndarray = np.cumsum(session_starts, dtype=np.int64)
    first_row_of_actor = np.maximum.accumulate(np.where(actor_starts, np.arange(n_events), 0))
    session_number = running - running[first_row_of_actor] + 1

    start_rows = order[session_starts]
    session_of_row = np.empty(n_events, dtype=np.int64)
    session_of_row[order] = running - 1
    # Rows stay in input order: reordering millions of rows costs more than all of the above.
    result = events.reset_index(drop=True).copy()
    ids = _session_ids(result, start_rows, session_number[session_starts])
    result["derived_session_id"] = fr.from_arrow(ids.take(pa.array(session_of_row)))
    # Columns the clickstream feed added stay last, after derived_session_id.
    result = fr.move_to_end(result, fr.feed_columns(events, CLEAN_EVENT_COLUMNS))
    logger.debug("sessionize: %d events -> %d sessions", n_events, len(start_rows))
    return result, session_of_row


def _session_ids(events: pd.DataFrame, start_rows: np.ndarray, numbers: np.ndarray) -> pa.Array:
    """``<customer_id>-<n>`` / ``anon-<session_id>-<n>`` for the first event of each session."""
    customer = fr.to_arrow(events["customer_id"]).take(pa.array(start_rows))
    session = fr.to_arrow(events["session_id"]).take(pa.array(start_rows))
    anonymous_actor = pc.binary_join_element_wise("anon", session, "-")
    actor = pc.coalesce(customer.cast(pa.string()), anonymous_actor.cast(pa.string()))
    return pc.binary_join_element_wise(actor, pa.array(numbers).cast(pa.string()), "-")


def build_sessions(
    events_with_sessions: pd.DataFrame, *, session_codes: Optional[np.ndarray] = None
) -> pd.DataFrame:
    """Summarize each derived session in one row.

    Parameters
    ----------
    events_with_sessions
        Output of :func:`sessionize`.
    session_codes
        Optional integer code per row, equal exactly where ``derived_session_id`` is equal
        (the codes of :func:`sessionize_with_codes`): saves hashing the id strings. The
        result is the same with or without them.

    Returns
    -------
    pandas.DataFrame
        Columns of ``SESSION_COLUMNS``: ``customer_id`` (null for anonymous sessions),
        ``session_id`` and ``device`` of the session's first event, ``session_start`` /
        ``session_end`` (first / last event), ``duration_seconds`` (whole seconds between
        them), ``event_count``, ``product_views``, ``add_to_carts``, ``funnel_depth`` (the
        deepest step reached: page_view=1, product_view=2, add_to_cart=3,
        checkout_start=4, purchase=5; 0 if none), ``converted`` (any purchase),
        ``session_date`` (UTC date of the start) and ``sample_weight``: how many sessions
        of the traffic it stands for in a sampled log, the largest ``sample_rate`` among its
        events turned into ``1 / rate`` (1 for a complete log; a sampler that keeps deeper
        sessions more often gives the deepest step's rate). Sorted by (session_start,
        derived_session_id).
    """
    events = events_with_sessions
    fr.require_columns(
        events,
        ["derived_session_id", "customer_id", "session_id", "device", "event_type", "timestamp"],
        "build_sessions",
    )
    if session_codes is None:
        session_codes, _ = fr.codes(events["derived_session_id"])
    elif len(session_codes) != len(events):
        raise ValueError(f"session_codes has {len(session_codes)} values for {len(events)} events")
    micros = fr.int_values(fr.as_dtype(events["timestamp"], fr.TIMESTAMP))
    steps = _funnel_steps(events["event_type"])
    # Time, then funnel step, packed in one key as in sessionize (steps < 8): one key fewer
    # for the sort.
    order = np.lexsort((micros * 8 + steps, session_codes))
    codes_sorted = session_codes[order]
    micros_sorted = micros[order]
    steps_sorted = steps[order]
    is_first = np.ones(len(order), dtype=bool)
    is_first[1:] = codes_sorted[1:] != codes_sorted[:-1]
    starts = np.flatnonzero(is_first)
    ends = np.append(starts[1:], len(order))[: len(starts)] - 1

    def count_of(step: int) -> np.ndarray:
        if len(starts) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat((steps_sorted == step).astype(np.int64), starts)

    start_micros = micros_sorted[starts]
    end_micros = micros_sorted[ends]
    depth = np.maximum.reduceat(steps_sorted, starts) if len(starts) else np.zeros(0, np.int64)
    counts = {step: count_of(FUNNEL_STEPS[step]) for step in ("product_view", "add_to_cart")}
    converted = count_of(FUNNEL_STEPS["purchase"]) > 0
    if "sample_rate" in events.columns and len(starts):
        weight = np.minimum.reduceat(sample_weights(events["sample_rate"])[order], starts)
    else:
        weight = np.ones(len(starts), dtype=np.float64)

    # Output order (session_start, derived_session_id), found before the columns are
    # gathered so each is gathered once, in place. Arrow sorts (timestamp, string) directly;
    # ranking a million ids (as fr.sorted_frame does for strings) costs several times more.
    # Ids are unique, so the order is total.
    first_ids = fr.to_arrow(events["derived_session_id"]).take(pa.array(order[starts]))
    order_keys = pa.table({"start": pa.array(start_micros), "id": first_ids})
    by_start = np.asarray(
        pc.sort_indices(order_keys, sort_keys=[("start", "ascending"), ("id", "ascending")]),
        dtype=np.int64,
    )
    first_rows = pa.array(order[starts][by_start])
    start_micros, end_micros = start_micros[by_start], end_micros[by_start]

    def first_value(column: str) -> pd.Series:
        return fr.from_arrow(fr.to_arrow(events[column]).take(first_rows))

    start_times = fr.from_arrow(pa.array(start_micros).cast(fr.TIMESTAMP.pyarrow_dtype))
    return pd.DataFrame(
        {
            "derived_session_id": fr.from_arrow(first_ids.take(pa.array(by_start))),
            "customer_id": first_value("customer_id"),
            "session_id": first_value("session_id"),
            "device": first_value("device"),
            "session_start": start_times,
            "session_end": fr.from_arrow(pa.array(end_micros).cast(fr.TIMESTAMP.pyarrow_dtype)),
            "duration_seconds": fr.from_arrow(
                pa.array((end_micros - start_micros) // _MICROS_PER_SECOND)
            ),
            "event_count": fr.from_arrow(pa.array((ends - starts + 1)[by_start], type=pa.int64())),
            "product_views": fr.from_arrow(pa.array(counts["product_view"][by_start])),
            "add_to_carts": fr.from_arrow(pa.array(counts["add_to_cart"][by_start])),
            "funnel_depth": fr.from_arrow(pa.array(depth[by_start].astype(np.int64))),
            "converted": fr.from_arrow(pa.array(converted[by_start], type=pa.bool_())),
            "session_date": fr.from_arrow(pc.cast(fr.to_arrow(start_times), pa.date32())),
            "sample_weight": fr.from_arrow(pa.array(weight[by_start], type=pa.float64())),
        }
    )


def daily_funnel(
    events_with_sessions: pd.DataFrame, *, sessions: Optional[pd.DataFrame] = None
) -> pd.DataFrame:
    """Funnel counts and step conversion rates per day.

    Event counts are per UTC date of the event (as the mission's funnel SQL counts them);
    ``sessions`` and ``converting_sessions`` (sessions with a purchase) are per UTC date of
    the session start, so a session crossing midnight counts once. In a sampled log
    (``sample_rate`` below 1) each event counts ``1 / sample_rate`` times and each session
    ``sample_weight`` times, rounded per day: the counts estimate the full traffic.

    Parameters
    ----------
    events_with_sessions
        Output of :func:`sessionize`.
    sessions
        ``build_sessions(events_with_sessions)`` when the caller already has it (saves
        building it again); built here when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per ``date`` (ascending): ``page_views``, ``product_views``,
        ``add_to_carts``, ``checkout_starts``, ``purchases``, ``sessions``,
        ``converting_sessions`` and rates in percent rounded to 2 decimals, null when the
        denominator is 0: ``view_to_product_rate`` (product_views / page_views),
        ``product_to_cart_rate`` (add_to_carts / product_views), ``cart_to_checkout_rate``
        (checkout_starts / add_to_carts), ``checkout_to_purchase_rate`` (purchases /
        checkout_starts), ``overall_conversion_rate`` (purchases / page_views),
        ``session_conversion_rate`` (converting_sessions / sessions).
    """
    events = events_with_sessions
    if sessions is None:
        sessions = build_sessions(events)
    else:
        fr.require_columns(sessions, ["session_date", "converted"], "daily_funnel sessions")
    event_days = _utc_days(fr.int_values(fr.as_dtype(events["timestamp"], fr.TIMESTAMP)))
    session_days = fr.int_values(sessions["session_date"])
    days = np.union1d(np.unique(event_days), np.unique(session_days)).astype(np.int64)
    event_day_index = np.searchsorted(days, event_days)
    steps = _funnel_steps(events["event_type"])
    n_steps = len(EVENT_TYPES) + 1
    # A sampled log's events and sessions count 1 / sample_rate times: the funnel of the
    # traffic, not of the sample. Weights are 1 for a complete log.
    event_weights = (
        sample_weights(events["sample_rate"]) if "sample_rate" in events.columns else None
    )
    counts = _weighted_counts(
        event_day_index * n_steps + steps, event_weights, len(days) * n_steps
    ).reshape(len(days), n_steps)
    session_day_index = np.searchsorted(days, session_days)
    converted = fr.bool_mask(sessions["converted"])
    session_weights = (
        np.asarray(fr.to_arrow(sessions["sample_weight"]), dtype=np.float64)
        if "sample_weight" in sessions.columns
        else None
    )
    n_sessions = _weighted_counts(session_day_index, session_weights, len(days))
    n_converting = _weighted_counts(
        session_day_index[converted],
        None if session_weights is None else session_weights[converted],
        len(days),
    )

    page_views, product_views, add_to_carts, checkout_starts, purchases = (
        counts[:, FUNNEL_STEPS[event]] for event in EVENT_TYPES
    )

    def as_int(values: np.ndarray) -> pd.Series:
        return fr.from_arrow(pa.array(values.astype(np.int64)))

    return pd.DataFrame(
        {
            "date": fr.from_arrow(pa.array(days.astype(np.int32)).cast(pa.date32())),
            "page_views": as_int(page_views),
            "product_views": as_int(product_views),
            "add_to_carts": as_int(add_to_carts),
            "checkout_starts": as_int(checkout_starts),
            "purchases": as_int(purchases),
            "sessions": as_int(n_sessions),
            "converting_sessions": as_int(n_converting),
            "view_to_product_rate": fr.percent(product_views, page_views),
            "product_to_cart_rate": fr.percent(add_to_carts, product_views),
            "cart_to_checkout_rate": fr.percent(checkout_starts, add_to_carts),
            "checkout_to_purchase_rate": fr.percent(purchases, checkout_starts),
            "overall_conversion_rate": fr.percent(purchases, page_views),
            "session_conversion_rate": fr.percent(n_converting, n_sessions),
        }
    )


def _weighted_counts(bins: np.ndarray, weights: Optional[np.ndarray], n_bins: int) -> np.ndarray:
    """Count per bin, each item ``weight`` times (rounded to whole items); once without weights."""
    if weights is None:
        return np.bincount(bins, minlength=n_bins)
    return np.rint(np.bincount(bins, weights=weights, minlength=n_bins)).astype(np.int64)


def _utc_days(micros: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of UTC timestamps given in microseconds since the epoch."""
    return np.floor_divide(micros, 86_400 * _MICROS_PER_SECOND)


def _funnel_steps(event_type: pd.Series) -> np.ndarray:
    """Funnel step 1..5 of each event type; 0 for anything else."""
    index = pc.index_in(fr.to_arrow(event_type).cast(pa.string()), value_set=pa.array(EVENT_TYPES))
    steps = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
    return np.asarray(steps, dtype=np.int64) + 1


def _null_if_blank(values: pd.Series) -> pd.Series:
    """Null where the text is empty or only whitespace (anonymous visitor)."""
    text = fr.to_arrow(values).cast(pa.string())
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    return fr.from_arrow(pc.if_else(blank, pa.scalar(None, pa.string()), text), index=values.index)
