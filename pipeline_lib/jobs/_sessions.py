"""Merge a run's clickstream batch into the live events, sessions and daily funnel.

A derived session is numbered per actor (the signed-in customer, else the source session)
over the actor's whole history, so new events can change an actor's sessions anywhere in
time: a visit that crossed midnight grows, a late event splits or joins sessions and
renumbers the later ones. The merge therefore re-sessionizes the whole history of every
actor the batch touches, and only theirs; it writes back only the events and sessions that
came out different, and recomputes the daily funnel only for the days those changes touch.
The result equals a run over every file at once (docs/adr/0002-incremental-runs.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline_lib.jobs._merge import MergeResult, merge_table
from pipeline_lib.jobs._tables import as_arrow, read_table, version_key, version_schema
from pipeline_lib.schemas import CLICKSTREAM
from pipeline_lib.storage import Lake, Zone
from pipeline_lib.transform import (
    SOURCE_ORDER,
    build_sessions,
    daily_funnel,
    keep_latest,
    sessionize_with_codes,
)

logger = logging.getLogger(__name__)

#: An event's identity: the clean data holds one event per key (clean_clickstream).
EVENT_KEY = CLICKSTREAM.business_key
#: The live event's session before this run (null for the batch's events).
_LIVE_SESSION = "__live_session_id"


@dataclass(frozen=True)
class ClickstreamMerge:
    """What merging a clickstream batch did to the three tables built from the events.

    Attributes
    ----------
    events, sessions, funnel
        The merges into ``clickstream``, ``sessions`` and ``daily_funnel``. ``events``
        counts as replaced only the live events that the batch sent again (later copies of
        the same event); events whose session changed are rewritten, not replaced.
    actors
        Actors (customers, anonymous source sessions) whose history was re-sessionized.
    days
        Days whose funnel was recomputed.
    """

    events: MergeResult
    sessions: MergeResult
    funnel: MergeResult
    actors: int
    days: int


def merge_clickstream(
    lake: Lake,
    run_id: str,
    batch: pd.DataFrame,
    *,
    base_run: Optional[str],
    gap_minutes: int,
) -> ClickstreamMerge:
    """Write this run's ``clickstream``, ``sessions`` and ``daily_funnel`` in ``processed``.

    ``batch`` is the cleaned events of the files the run reads (clean_clickstream's
    output); without a live version (``base_run`` None) they are every event and the three
    tables are built from them alone.
    """
    zone = Zone.PROCESSED
    if base_run is None or not lake.has_prefix(zone, version_key("clickstream", base_run)):
        events, codes = sessionize_with_codes(batch, gap_minutes=gap_minutes)
        sessions = build_sessions(events, session_codes=codes)
        funnel = daily_funnel(events, sessions=sessions)
        return ClickstreamMerge(
            events=merge_table(
                lake, zone, "clickstream", run_id, events, key=list(EVENT_KEY), base_run=None
            ),
            sessions=merge_table(
                lake, zone, "sessions", run_id, sessions, key="derived_session_id", base_run=None
            ),
            funnel=merge_table(
                lake, zone, "daily_funnel", run_id, funnel, key="date", base_run=None
            ),
            actors=0,
            days=len(funnel),
        )

    live = _live_events_of_actors(lake, base_run, batch)
    # Live events first, then the batch: the arrival order a run over every file sees.
    order = np.arange(len(live) + len(batch), dtype=np.int64)
    combined = pa.concat_tables(
        [
            as_arrow(live.assign(**{SOURCE_ORDER: order[: len(live)]})),
            as_arrow(batch.assign(**{SOURCE_ORDER: order[len(live) :]})),
        ],
        promote_options="permissive",
    ).to_pandas(types_mapper=pd.ArrowDtype)
    # A batch event sent before (a re-sent file) replaces the live copy: the latest wins,
    # as in a run over every file.
    latest, resent = keep_latest(combined, list(EVENT_KEY))
    events, codes = sessionize_with_codes(latest, gap_minutes=gap_minutes)
    same = pc.equal(
        pa.array(events[_LIVE_SESSION], type=pa.string()),
        pa.array(events["derived_session_id"], type=pa.string()),
    )
    changed = ~np.asarray(pc.fill_null(same, False), dtype=bool)
    written = events.loc[changed].drop(columns=[_LIVE_SESSION, SOURCE_ORDER])
    events_merge = merge_table(
        lake,
        zone,
        "clickstream",
        run_id,
        written,
        key=list(EVENT_KEY),
        base_run=base_run,
        key_fixes_partition=True,
    )
    events_merge = replace(events_merge, replaced=resent)

    sessions = build_sessions(events.drop(columns=[_LIVE_SESSION]), session_codes=codes)
    live_sessions = read_table(
        lake, zone, "sessions", base_run, where=_actor_filter(*_actors(live, batch))
    )
    new_or_changed, vanished = _changed_rows(sessions, live_sessions, "derived_session_id")
    sessions_merge = merge_table(
        lake,
        zone,
        "sessions",
        run_id,
        new_or_changed,
        key="derived_session_id",
        base_run=base_run,
        deleted=vanished[["derived_session_id"]],
    )

    old = live_sessions[
        live_sessions["derived_session_id"].isin(
            pd.concat([new_or_changed["derived_session_id"], vanished["derived_session_id"]])
        )
    ]
    days = _days(written["event_date"], new_or_changed["session_date"], old["session_date"])
    funnel_merge = _merge_funnel_days(lake, run_id, base_run, days)
    customers, sessions_of_batch = _actors(live, batch)
    logger.info(
        "clickstream merge: %d events in, %d re-sent, %d actors re-sessionized, "
        "%d events and %d sessions written, %d sessions gone, %d funnel days",
        len(batch),
        resent,
        len(customers) + len(sessions_of_batch),
        len(written),
        len(new_or_changed),
        len(vanished),
        len(days),
    )
    return ClickstreamMerge(
        events_merge,
        sessions_merge,
        funnel_merge,
        actors=len(customers) + len(sessions_of_batch),
        days=len(days),
    )


def _actors(live: pd.DataFrame, batch: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The customers and the source sessions whose events the merge re-sessionizes."""
    customers = pd.concat([batch["customer_id"], live["customer_id"]]).dropna().unique()
    return sorted(str(c) for c in customers), sorted(str(s) for s in batch["session_id"].unique())


def _actor_filter(customers: list[str], sessions: list[str]) -> ds.Expression:
    """Rows of the given customers, and anonymous rows of the given source sessions."""
    customer = ds.field("customer_id")
    return customer.isin(_texts(customers)) | (
        customer.is_null() & ds.field("session_id").isin(_texts(sessions))
    )


def _texts(values: list[str]) -> pa.Array:
    """A value set for ``isin``: typed even when empty (an empty list has no type)."""
    return pa.array(values, type=pa.string())


def _live_events_of_actors(lake: Lake, base_run: str, batch: pd.DataFrame) -> pd.DataFrame:
    """Every live event of the actors the batch touches, with its current session.

    The actors are the batch's customers and source sessions, and the customers of live
    events in those source sessions: a batch event can replace a live copy sent under
    another customer id, whose history changes too. Two reads at most, each pruned by
    row-group statistics: events of the batch's actors and sessions, then the history of
    customers found only through a shared session (rare).
    """
    customers = sorted(str(c) for c in batch["customer_id"].dropna().unique())
    sessions = sorted(str(s) for s in batch["session_id"].unique())
    field_customer, field_session = ds.field("customer_id"), ds.field("session_id")
    first = read_table(
        lake,
        Zone.PROCESSED,
        "clickstream",
        base_run,
        where=field_customer.isin(_texts(customers)) | field_session.isin(_texts(sessions)),
    )
    more = sorted(set(first["customer_id"].dropna().astype(str)) - set(customers))
    frames = [first]
    if more:
        frames.append(
            read_table(
                lake,
                Zone.PROCESSED,
                "clickstream",
                base_run,
                where=field_customer.isin(_texts(more)) & ~field_session.isin(_texts(sessions)),
            )
        )
    live = pd.concat(frames, ignore_index=True) if len(frames) > 1 else first
    return live.rename(columns={"derived_session_id": _LIVE_SESSION})


def _changed_rows(
    new: pd.DataFrame, old: pd.DataFrame, key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``new`` that ``old`` lacks or holds otherwise, and rows of ``old`` whose key
    ``new`` no longer has."""
    columns = [c for c in new.columns if c in old.columns and c != key]
    paired = new.merge(
        old[[key, *columns]], on=key, how="left", suffixes=("", "__old"), indicator=True
    )
    differs = np.array(paired["_merge"] == "left_only", dtype=bool)
    for column in columns:
        a, b = pa.array(paired[column]), pa.array(paired[f"{column}__old"])
        same = pc.fill_null(pc.equal(a, b.cast(a.type)), False)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        differs |= ~np.asarray(pc.or_(same, both_null), dtype=bool)
    vanished = old[~old[key].isin(new[key])]
    return new.loc[differs].reset_index(drop=True), vanished.reset_index(drop=True)


def _days(*dates: pd.Series) -> list[date]:
    """The distinct dates among the given columns, ascending."""
    found: set[date] = set()
    for column in dates:
        found.update(column.dropna().tolist())
    return sorted(found)


def _merge_funnel_days(lake: Lake, run_id: str, base_run: str, days: list[date]) -> MergeResult:
    """Recompute the funnel of ``days`` from this run's events and sessions, merge it in."""
    zone = Zone.PROCESSED
    event_columns = ["timestamp", "event_type"]
    if "sample_rate" in version_schema(lake, zone, "clickstream", run_id).names:
        event_columns.append("sample_rate")
    session_columns = ["session_date", "converted"]
    if "sample_weight" in version_schema(lake, zone, "sessions", run_id).names:
        session_columns.append("sample_weight")
    day_values = pa.array(days, type=pa.date32())
    events = read_table(
        lake,
        zone,
        "clickstream",
        run_id,
        event_columns,
        where=ds.field("event_date").isin(day_values),
    )
    sessions = read_table(
        lake,
        zone,
        "sessions",
        run_id,
        session_columns,
        where=ds.field("session_date").isin(day_values),
    )
    funnel = daily_funnel(events, sessions=sessions)
    gone = sorted(set(days) - set(funnel["date"].tolist()))
    deleted = pd.DataFrame({"date": pd.Series(gone, dtype="date32[pyarrow]")})
    return merge_table(
        lake, zone, "daily_funnel", run_id, funnel, key="date", base_run=base_run, deleted=deleted
    )
