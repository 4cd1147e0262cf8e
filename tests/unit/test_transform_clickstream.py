"""clean_clickstream, sessionize (30-minute boundary, anonymous visitors), build_sessions and
daily_funnel (step rates, zero denominators)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import numpy as np
import pandas as pd
import pytest

from pipeline_lib.schemas import CLICKSTREAM, DEVICES, EVENT_TYPES, domains_from_params
from pipeline_lib.transform import (
    REJECT_REASON,
    SOURCE_ORDER,
    build_sessions,
    clean_clickstream,
    contract_frame,
    daily_funnel,
    sessionize,
)
from pipeline_lib.transform.clickstream import (
    CLEAN_EVENT_COLUMNS,
    SESSION_COLUMNS,
    sessionize_with_codes,
)

T0 = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.timezone.utc)


def event(
    session_id: str,
    customer_id: Optional[str],
    event_type: str,
    seconds: int,
    page: str = "/",
    device: str = "mobile",
    order: int = 0,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "customer_id": customer_id,
        "event_type": event_type,
        "page": page,
        "timestamp": T0 + dt.timedelta(seconds=seconds),
        "device": device,
        SOURCE_ORDER: order,
    }


def events(*rows: dict[str, Any]) -> pd.DataFrame:
    numbered = [{**row, SOURCE_ORDER: row[SOURCE_ORDER] or i} for i, row in enumerate(rows)]
    return contract_frame(pd.DataFrame(numbered), CLICKSTREAM)


def sessions_of(*rows: dict[str, Any], gap_minutes: int = 30) -> list[str]:
    return sessionize(clean_clickstream(events(*rows)).data, gap_minutes=gap_minutes)[
        "derived_session_id"
    ].tolist()


def test_clean_normalizes_codes_keeps_other_events_and_adds_date_and_product() -> None:
    raw = events(
        event("sess_1", "cust_1", " Product_View ", 0, page="/product/prod_7", device=" Desktop"),
        event("sess_1", "cust_1", "Search", 1),
        event("sess_1", "cust_1", "page_view", 2, device="watch"),
        event("sess_2", "  ", "page_view", 3, page="/category/books"),
        event("sess_2", None, "purchase", 4, page="/product/prod_8?ref=mail"),
    )
    result = clean_clickstream(raw)
    assert result.rejects.empty
    data = result.data
    assert tuple(data.columns) == CLEAN_EVENT_COLUMNS
    assert data["event_type"].tolist() == [
        "product_view",
        "search",
        "page_view",
        "page_view",
        "purchase",
    ]
    assert data["device"].tolist() == ["desktop", "mobile", "watch", "mobile", "mobile"]
    assert [(n.column, n.value, n.rows) for n in result.notes] == [
        ("event_type", "search", 1),
        ("device", "watch", 1),
    ]
    assert data["customer_id"].isna().tolist() == [False, False, False, True, True]
    assert data["product_id"].tolist()[0] == "prod_7"
    assert data["product_id"].isna().tolist() == [False, True, True, True, False]
    assert data["product_id"].tolist()[4] == "prod_8"
    assert data["event_date"].tolist() == [dt.date(2025, 1, 15)] * 5


def test_a_deployment_can_close_the_event_types_and_devices() -> None:
    raw = events(
        event("sess_1", "cust_1", "product_view", 0, page="/product/prod_7"),
        event("sess_1", "cust_1", "scroll", 1),
        event("sess_1", "cust_1", "page_view", 2, device="watch"),
    )
    closed = domains_from_params(
        {
            "clickstream": {
                "values": {
                    "event_type": {"allowed": list(EVENT_TYPES), "action": "reject"},
                    "device": {"allowed": list(DEVICES), "action": "reject"},
                }
            }
        }
    )
    result = clean_clickstream(raw, domains=closed)
    assert result.reject_counts() == {"unknown_device": 1, "unknown_event_type": 1}
    assert result.rejects[REJECT_REASON].tolist() == ["unknown_event_type", "unknown_device"]
    assert result.data["event_type"].tolist() == ["product_view"]


def test_events_outside_the_funnel_do_not_count_as_steps() -> None:
    raw = events(
        event("sess_1", "cust_1", "page_view", 0),
        event("sess_1", "cust_1", "search", 1),
        event("sess_1", "cust_1", "login", 2),
    )
    frame = sessionize(clean_clickstream(raw).data)
    (session,) = build_sessions(frame).to_dict("records")
    assert session["event_count"] == 3
    assert session["funnel_depth"] == 1 and not session["converted"]


def test_event_date_is_the_utc_date() -> None:
    late = T0.replace(hour=23, minute=59, second=59)
    raw = contract_frame(
        pd.DataFrame([{**event("sess_1", None, "page_view", 0), "timestamp": late}]), CLICKSTREAM
    )
    assert clean_clickstream(raw).data["event_date"].tolist() == [dt.date(2025, 1, 15)]


def test_exact_repeats_dropped_keeping_the_latest() -> None:
    raw = events(
        event("sess_1", "cust_1", "page_view", 0, device="mobile", order=1),
        event("sess_1", "cust_1", "PAGE_VIEW", 0, device="tablet", order=3),
        event("sess_1", "cust_1", "page_view", 0, device="desktop", order=2),
        event("sess_1", "cust_1", "page_view", 0, page="/other", order=4),
    )
    result = clean_clickstream(raw)
    assert result.duplicates_removed == 2
    assert len(result.data) == 2
    assert result.data["device"].tolist() == ["tablet", "mobile"]
    assert result.rows_in == len(result.data) + len(result.rejects) + result.duplicates_removed


def test_thirty_minutes_exactly_is_the_same_session() -> None:
    assert sessions_of(
        event("sess_1", "cust_1", "page_view", 0),
        event("sess_1", "cust_1", "product_view", 30 * 60),
    ) == ["cust_1-1", "cust_1-1"]


def test_thirty_minutes_and_one_second_starts_a_new_session() -> None:
    assert sessions_of(
        event("sess_1", "cust_1", "page_view", 0),
        event("sess_1", "cust_1", "product_view", 30 * 60 + 1),
        event("sess_1", "cust_1", "add_to_cart", 30 * 60 + 2),
    ) == ["cust_1-1", "cust_1-2", "cust_1-2"]


def test_custom_gap() -> None:
    assert sessions_of(
        event("sess_1", "cust_1", "page_view", 0),
        event("sess_1", "cust_1", "page_view", 5 * 60 + 1),
        gap_minutes=5,
    ) == ["cust_1-1", "cust_1-2"]


def test_signed_in_customer_keeps_one_session_across_source_sessions() -> None:
    frame = sessionize(
        clean_clickstream(
            events(
                event("sess_2", "cust_1", "product_view", 60),
                event("sess_1", "cust_1", "page_view", 0),
            )
        ).data
    )
    assert frame["derived_session_id"].tolist() == ["cust_1-1", "cust_1-1"]
    assert frame["session_id"].tolist() == ["sess_2", "sess_1"]  # rows keep arrival order


def test_anonymous_sessions_split_by_source_session_and_gap() -> None:
    frame = sessionize(
        clean_clickstream(
            events(
                event("sess_9", None, "page_view", 0),
                event("sess_8", None, "page_view", 10),
                event("sess_9", None, "page_view", 20),
                event("sess_9", None, "page_view", 20 + 31 * 60),
                event("sess_1", "cust_2", "page_view", 0),
            )
        ).data
    )
    assert frame["derived_session_id"].tolist() == [
        "anon-sess_9-1",
        "anon-sess_8-1",
        "anon-sess_9-1",
        "anon-sess_9-2",
        "cust_2-1",
    ]


def test_sessionize_ids_do_not_depend_on_row_order() -> None:
    rows = [
        event("sess_1", "cust_1", "page_view", 0),
        event("sess_1", "cust_1", "product_view", 3600),
        event("sess_2", None, "page_view", 10),
        event("sess_1", "cust_1", "page_view", 3600),
    ]
    columns = ["session_id", "timestamp", "event_type", "derived_session_id"]
    forward = sessionize(clean_clickstream(events(*rows)).data)[columns]
    backward = sessionize(clean_clickstream(events(*rows[::-1])).data)[columns]
    assert forward["derived_session_id"].tolist() == [
        "cust_1-1",
        "cust_1-2",
        "anon-sess_2-1",
        "cust_1-2",
    ]
    key = ["session_id", "timestamp", "event_type"]
    pd.testing.assert_frame_equal(
        forward.sort_values(key).reset_index(drop=True),
        backward.sort_values(key).reset_index(drop=True),
    )


def test_sessionize_rejects_bad_gap() -> None:
    with pytest.raises(ValueError, match="gap_minutes"):
        sessionize(pd.DataFrame(), gap_minutes=0)


def test_build_sessions_summarizes_each_session() -> None:
    frame = sessionize(
        clean_clickstream(
            events(
                event("sess_1", "cust_1", "page_view", 0, device="desktop"),
                event("sess_2", "cust_1", "product_view", 60, page="/product/prod_1"),
                event("sess_2", "cust_1", "product_view", 90, page="/product/prod_2"),
                event("sess_2", "cust_1", "add_to_cart", 120, page="/product/prod_2"),
                event("sess_2", "cust_1", "checkout_start", 150, page="/checkout"),
                event("sess_2", "cust_1", "purchase", 185, page="/product/prod_2"),
                event("sess_5", None, "product_view", 10, page="/product/prod_3"),
            )
        ).data
    )
    sessions = build_sessions(frame)
    assert tuple(sessions.columns) == SESSION_COLUMNS
    first, second = sessions.to_dict("records")
    assert first["derived_session_id"] == "cust_1-1"
    assert first["session_id"] == "sess_1"
    assert first["device"] == "desktop"
    assert first["session_start"] == pd.Timestamp(T0)
    assert first["session_end"] == pd.Timestamp(T0 + dt.timedelta(seconds=185))
    assert first["duration_seconds"] == 185
    assert first["event_count"] == 6
    assert first["product_views"] == 2
    assert first["add_to_carts"] == 1
    assert first["funnel_depth"] == 5
    assert first["converted"] is True
    assert first["session_date"] == dt.date(2025, 1, 15)
    assert second["derived_session_id"] == "anon-sess_5-1"
    assert pd.isna(second["customer_id"])
    assert second["funnel_depth"] == 2
    assert second["converted"] is False
    assert second["duration_seconds"] == 0


def sampled(row: dict[str, Any], rate: Optional[float]) -> dict[str, Any]:
    return {**row, "sample_rate": rate}


def test_a_sampled_log_counts_each_event_and_session_by_its_rate() -> None:
    # A tail-sampling logger kept 1 in 20 browsing sessions, 1 in 2 bounces, every purchase.
    frame = sessionize(
        clean_clickstream(
            events(
                sampled(event("sess_1", None, "page_view", 0), 0.05),
                sampled(event("sess_1", None, "product_view", 5, page="/product/p1"), 0.05),
                sampled(event("sess_2", "cust_1", "page_view", 0), 1.0),
                sampled(event("sess_2", "cust_1", "product_view", 5, page="/product/p2"), 1.0),
                sampled(event("sess_2", "cust_1", "add_to_cart", 6, page="/product/p2"), 1.0),
                sampled(event("sess_2", "cust_1", "checkout_start", 7, page="/checkout"), 1.0),
                sampled(event("sess_2", "cust_1", "purchase", 8, page="/product/p2"), 1.0),
                sampled(event("sess_3", None, "page_view", 0), 0.5),
                sampled(event("sess_4", None, "page_view", 0), None),  # unsampled feed row
            )
        ).data
    )
    sessions = build_sessions(frame)
    weights = dict(zip(sessions["session_id"], sessions["sample_weight"]))
    assert weights == {"sess_1": 20.0, "sess_2": 1.0, "sess_3": 2.0, "sess_4": 1.0}

    (day,) = daily_funnel(frame, sessions=sessions).to_dict("records")
    assert [day[c] for c in ("page_views", "product_views", "add_to_carts")] == [24, 21, 1]
    assert [day[c] for c in ("checkout_starts", "purchases")] == [1, 1]
    assert (day["sessions"], day["converting_sessions"]) == (24, 1)
    assert day["session_conversion_rate"] == round(100 / 24, 2)
    # Without the column (a complete log) every event and session counts once.
    (plain,) = daily_funnel(frame.drop(columns="sample_rate")).to_dict("records")
    assert (plain["page_views"], plain["sessions"], plain["session_conversion_rate"]) == (
        4,
        4,
        25.0,
    )


def test_sample_rates_outside_zero_to_one_are_rejected() -> None:
    rates = [0.0, -0.5, 1.5, 1.0, 0.001, None]
    result = clean_clickstream(
        events(*(sampled(event(f"s{i}", None, "page_view", i), r) for i, r in enumerate(rates)))
    )
    assert result.rejects[REJECT_REASON].tolist() == ["invalid_sample_rate"] * 3
    assert result.data["session_id"].tolist() == ["s3", "s4", "s5"]


def test_daily_funnel_counts_and_rates() -> None:
    day_two = 24 * 3600
    frame = sessionize(
        clean_clickstream(
            events(
                # Day 1: 4 page views, 2 product views, 1 cart, 1 checkout, 1 purchase.
                event("sess_1", "cust_1", "page_view", 0),
                event("sess_1", "cust_1", "product_view", 10, page="/product/prod_1"),
                event("sess_1", "cust_1", "add_to_cart", 20, page="/product/prod_1"),
                event("sess_1", "cust_1", "checkout_start", 30, page="/checkout"),
                event("sess_1", "cust_1", "purchase", 40, page="/product/prod_1"),
                event("sess_2", None, "page_view", 0),
                event("sess_3", None, "page_view", 0),
                event("sess_3", None, "product_view", 5, page="/product/prod_2"),
                event("sess_4", None, "page_view", 0),
                # Day 2: only page views -> later steps have zero denominators.
                event("sess_5", None, "page_view", day_two),
                event("sess_5", None, "page_view", day_two + 1, page="/x"),
            )
        ).data
    )
    funnel = daily_funnel(frame)
    day1, day2 = funnel.to_dict("records")
    assert day1["date"] == dt.date(2025, 1, 15)
    assert [day1[c] for c in ("page_views", "product_views", "add_to_carts")] == [4, 2, 1]
    assert [day1[c] for c in ("checkout_starts", "purchases")] == [1, 1]
    assert (day1["sessions"], day1["converting_sessions"]) == (4, 1)
    assert day1["view_to_product_rate"] == 50.0
    assert day1["product_to_cart_rate"] == 50.0
    assert day1["cart_to_checkout_rate"] == 100.0
    assert day1["checkout_to_purchase_rate"] == 100.0
    assert day1["overall_conversion_rate"] == 25.0
    assert day1["session_conversion_rate"] == 25.0
    assert day2["date"] == dt.date(2025, 1, 16)
    assert (day2["page_views"], day2["sessions"], day2["converting_sessions"]) == (2, 1, 0)
    assert day2["view_to_product_rate"] == 0.0
    for rate in ("product_to_cart_rate", "cart_to_checkout_rate", "checkout_to_purchase_rate"):
        assert pd.isna(day2[rate])
    assert day2["session_conversion_rate"] == 0.0


def test_rates_are_rounded_to_two_decimals() -> None:
    frame = sessionize(
        clean_clickstream(
            events(
                event("sess_1", None, "page_view", 0),
                event("sess_2", None, "page_view", 0),
                event("sess_3", None, "page_view", 0),
                event("sess_3", None, "product_view", 1, page="/product/prod_1"),
            )
        ).data
    )
    funnel = daily_funnel(frame)
    assert funnel["view_to_product_rate"].tolist() == [33.33]
    assert funnel["session_conversion_rate"].tolist() == [0.0]


def test_empty_clickstream_flows_through() -> None:
    empty = events(event("sess_1", None, "page_view", 0)).iloc[:0]
    frame = sessionize(clean_clickstream(empty).data)
    assert len(build_sessions(frame)) == 0
    assert len(daily_funnel(frame)) == 0


@pytest.mark.slow
def test_large_clickstream_stays_vectorized() -> None:
    n_events = 200_000
    rng = np.random.default_rng(11)
    customers = np.array([None, *[f"cust_{i}" for i in range(5_000)]], dtype=object)
    raw = pd.DataFrame(
        {
            "session_id": [f"sess_{i}" for i in rng.integers(0, 40_000, n_events)],
            "customer_id": customers[rng.integers(0, len(customers), n_events)],
            "event_type": rng.choice(["page_view", "product_view", "purchase", "bad"], n_events),
            "page": [f"/product/prod_{i}" for i in rng.integers(0, 300, n_events)],
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 30 * 86400, n_events), unit="s"),
            "device": rng.choice(["mobile", "Desktop "], n_events),
            SOURCE_ORDER: np.arange(n_events),
        }
    )
    result = clean_clickstream(raw)
    frame = sessionize(result.data)
    sessions = build_sessions(frame)
    funnel = daily_funnel(frame)
    assert len(frame) == len(result.data)
    assert int(sessions["event_count"].sum()) == len(frame)
    assert int(funnel["sessions"].sum()) == len(sessions)


def random_events(n_events: int, seed: int) -> pd.DataFrame:
    """Raw events with signed-in and anonymous visitors, same-second ties and bad codes."""
    rng = np.random.default_rng(seed)
    customers = np.array([None, *[f"cust_{i}" for i in range(40)]], dtype=object)
    return pd.DataFrame(
        {
            "session_id": [f"sess_{i}" for i in rng.integers(0, 300, n_events)],
            "customer_id": customers[rng.integers(0, len(customers), n_events)],
            "event_type": rng.choice(["page_view", "Product_View ", "purchase", "bad"], n_events),
            "page": rng.choice(["/", "/product/prod_1", "/product/prod_2?x=1", "/cart"], n_events),
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 3 * 86400, n_events) // 600 * 600, unit="s"),
            "device": rng.choice(["mobile", "Desktop ", "fridge"], n_events),
            SOURCE_ORDER: np.arange(n_events),
        }
    )


def test_session_codes_and_sessions_handed_on_give_the_same_tables() -> None:
    clean = clean_clickstream(random_events(3_000, seed=5)).data
    frame, codes = sessionize_with_codes(clean)
    pd.testing.assert_frame_equal(frame, sessionize(clean))
    # A code per row, equal exactly where the derived session id is equal.
    ids = frame["derived_session_id"].to_numpy(dtype=object)
    assert len(codes) == len(frame)
    assert len(set(zip(codes.tolist(), ids.tolist()))) == len(set(ids)) == len(set(codes))

    sessions = build_sessions(frame, session_codes=codes)
    pd.testing.assert_frame_equal(sessions, build_sessions(frame))
    pd.testing.assert_frame_equal(daily_funnel(frame, sessions=sessions), daily_funnel(frame))


def test_build_sessions_refuses_codes_of_other_rows() -> None:
    frame, codes = sessionize_with_codes(clean_clickstream(random_events(50, seed=1)).data)
    with pytest.raises(ValueError, match="session_codes"):
        build_sessions(frame, session_codes=codes[:-1])


def test_clean_normalizes_codes_like_row_by_row_text() -> None:
    raw = random_events(2_000, seed=7)
    raw["timestamp"] = pd.Timestamp(T0) + pd.to_timedelta(np.arange(len(raw)), unit="s")
    closed = domains_from_params(
        {
            "clickstream": {
                "values": {
                    "event_type": {"allowed": list(EVENT_TYPES), "action": "reject"},
                    "device": {"allowed": list(DEVICES), "action": "reject"},
                }
            }
        }
    )
    result = clean_clickstream(raw, domains=closed)  # distinct instants: no repeats to drop
    event_type = raw["event_type"].str.strip().str.lower()
    device = raw["device"].str.strip().str.lower()
    valid = event_type.isin(EVENT_TYPES) & device.isin(DEVICES)
    assert result.data["event_type"].tolist() == event_type[valid].tolist()
    assert result.data["device"].tolist() == device[valid].tolist()
    assert len(result.rejects) == int((~valid).sum())
    expected_product = raw["page"][valid].str.extract(r"^/product/([^/?#]+)")[0]

    def with_none(values: pd.Series) -> list[Optional[str]]:
        return [None if pd.isna(v) else v for v in values.tolist()]

    assert with_none(result.data["product_id"]) == with_none(expected_product)
