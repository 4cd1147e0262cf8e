"""Merging clickstream batches: daily merges give the tables of one build over every event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.jobs import merge_clickstream, read_table
from pipeline_lib.schemas import CLICKSTREAM
from pipeline_lib.storage import Lake, LocalLake, Zone
from pipeline_lib.transform import SOURCE_ORDER, clean_clickstream, contract_frame
from tests.moto_server import MotoServer
from tests.unit.test_storage_contract import s3_lake

T0 = dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.timezone.utc)
TABLES = ("clickstream", "sessions", "daily_funnel")
STEPS = ("page_view", "product_view", "add_to_cart", "checkout_start", "purchase", "search")


def event(
    session: str, customer: Optional[str], kind: str, minutes: float, **extra: Any
) -> dict[str, Any]:
    return {
        "session_id": session,
        "customer_id": customer,
        "event_type": kind,
        "page": extra.pop("page", f"/{kind}"),
        "device": extra.pop("device", "mobile"),
        "timestamp": T0 + dt.timedelta(minutes=minutes),
        **extra,
    }


def cleaned(rows: list[dict[str, Any]]) -> pd.DataFrame:
    numbered = [{**row, SOURCE_ORDER: i} for i, row in enumerate(rows)]
    return clean_clickstream(contract_frame(pd.DataFrame(numbered), CLICKSTREAM)).data


def traffic(seed: int, n_events: int = 600) -> list[dict[str, Any]]:
    """Visits of a few customers and anonymous visitors over five days, in time order."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_events):
        customer = None if rng.random() < 0.3 else f"c{rng.integers(8)}"
        session = f"s{rng.integers(40)}" if customer else f"anon{rng.integers(30)}"
        minutes = float(rng.integers(0, 5 * 24 * 60))
        rows.append(
            event(
                session,
                customer,
                STEPS[rng.integers(len(STEPS))],
                minutes,
                page=f"/product/p{rng.integers(5)}",
            )
        )
    return sorted(rows, key=lambda r: r["timestamp"])


def tables(lake: Lake, run: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLES:
        frame = read_table(lake, Zone.PROCESSED, name, run)
        frame = frame[sorted(frame.columns)]
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def run_daily(lake: Lake, batches: list[list[dict[str, Any]]]) -> str:
    base = None
    for n, rows in enumerate(batches):
        merge_clickstream(lake, f"d{n}", cleaned(rows), base_run=base, gap_minutes=30)
        base = f"d{n}"
    assert base is not None
    return base


def assert_same_as_one_build(tmp_path: Path, batches: list[list[dict[str, Any]]]) -> None:
    daily = LocalLake(tmp_path / "daily")
    last = run_daily(daily, batches)
    once = LocalLake(tmp_path / "once")
    merge_clickstream(
        once, "all", cleaned([r for b in batches for r in b]), base_run=None, gap_minutes=30
    )
    got, expected = tables(daily, last), tables(once, "all")
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_daily_batches_give_the_tables_of_one_build(tmp_path: Path, seed: int) -> None:
    rows = traffic(seed)
    cuts = [T0 + dt.timedelta(days=d) for d in range(1, 5)]
    batches: list[list[dict[str, Any]]] = [[] for _ in range(5)]
    for row in rows:
        batches[sum(row["timestamp"] >= cut for cut in cuts)].append(row)
    batches[2] += batches[1][:7]  # a tracker's retry: events sent again a day later
    late = [r for r in batches[0] if r["customer_id"]][::9]  # a backlog delivered last
    batches[0] = [r for r in batches[0] if r not in late]
    batches[4] += late
    assert_same_as_one_build(tmp_path, batches)


def test_a_visit_across_midnight_is_one_session(tmp_path: Path) -> None:
    evening = [
        event("v1", None, "page_view", 15 * 60 + 50),
        event("v1", None, "add_to_cart", 15 * 60 + 58),
    ]
    morning = [event("v1", None, "purchase", 16 * 60 + 5)]  # 00:05 the next day
    assert_same_as_one_build(tmp_path, [evening, morning])
    sessions = read_table(LocalLake(tmp_path / "daily"), Zone.PROCESSED, "sessions", "d1")
    assert sessions["event_count"].tolist() == [3]
    assert sessions["converted"].tolist() == [True]


def test_a_late_event_that_joins_two_sessions_removes_one(tmp_path: Path) -> None:
    visits = [event("s1", "c1", "page_view", 0), event("s1", "c1", "page_view", 50)]
    bridge = [event("s2", "c1", "product_view", 25)]  # within 30 minutes of both
    assert_same_as_one_build(tmp_path, [visits, bridge])
    daily = LocalLake(tmp_path / "daily")
    assert read_table(daily, Zone.PROCESSED, "sessions", "d1")["derived_session_id"].tolist() == [
        "c1-1"
    ]


def test_an_event_sent_again_under_a_customer_id_moves_to_that_customer(tmp_path: Path) -> None:
    anonymous = [event("s1", None, "page_view", 0), event("s1", None, "add_to_cart", 1)]
    signed_in = [event("s1", "c9", "add_to_cart", 1)]  # the same event, now attributed
    assert_same_as_one_build(tmp_path, [anonymous, signed_in])


def test_a_day_without_events_shares_every_file(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    events = cleaned(traffic(4, 50))
    merge_clickstream(lake, "d0", events, base_run=None, gap_minutes=30)
    merged = merge_clickstream(lake, "d1", events.iloc[:0], base_run="d0", gap_minutes=30)
    assert (merged.actors, merged.days) == (0, 0)
    for result in (merged.events, merged.sessions, merged.funnel):
        assert result.rewritten == () and result.shared


def test_only_the_touched_days_of_the_funnel_are_recomputed(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    first = [event("s1", "c1", "page_view", 0), event("s2", "c2", "page_view", 24 * 60)]
    merge_clickstream(lake, "d0", cleaned(first), base_run=None, gap_minutes=30)
    merged = merge_clickstream(
        lake,
        "d1",
        cleaned([event("s3", "c3", "purchase", 24 * 60 + 1)]),
        base_run="d0",
        gap_minutes=30,
    )
    assert merged.days == 1 and merged.actors == 2  # c3 and its source session
    assert merged.sessions.replaced == 0 and merged.events.replaced == 0
    funnel = read_table(lake, Zone.PROCESSED, "daily_funnel", "d1")
    assert funnel["purchases"].tolist() == [0, 1]


def test_daily_merges_in_s3_give_the_tables_of_a_local_build(
    tmp_path: Path, moto_server: MotoServer
) -> None:
    """The same jobs on the S3 lake: server-side copies for unchanged months, the same rows."""
    rows = traffic(5, 300)
    cut = T0 + dt.timedelta(days=3)
    batches = [
        [r for r in rows if r["timestamp"] < cut],
        [r for r in rows if r["timestamp"] >= cut],
    ]
    in_s3 = s3_lake(moto_server)
    last = run_daily(in_s3, batches)
    local = LocalLake(tmp_path / "local")
    merge_clickstream(local, "all", cleaned(rows), base_run=None, gap_minutes=30)
    got, expected = tables(in_s3, last), tables(local, "all")
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
