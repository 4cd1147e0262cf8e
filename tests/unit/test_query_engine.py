"""Named queries on a real lake, checked against independent pandas computations.

One small lake is built for the module (generate, ingest, run). Every expected answer is
computed here with pandas from the curated Parquet files, never from a query's own output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import permutations
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline_lib.catalog import read_published
from pipeline_lib.config import load_settings
from pipeline_lib.quality import live_runner
from pipeline_lib.quality._metrics import daily_metrics
from pipeline_lib.query import (
    DuckDBEngine,
    QueryBudgetError,
    QueryError,
    QueryExecutionError,
    QueryResult,
    QuerySettings,
    load_queries,
    query_settings,
)
from pipeline_lib.schemas import RETURN_STATUSES
from pipeline_lib.storage import LocalLake, Zone
from tests.lake_builder import build_lake

AS_OF = date(2026, 11, 28)
MISSION = Path(__file__).resolve().parent.parent / "fixtures" / "mission_queries"
MONEY = 0.011  # values rounded to cents (or percent to 2 decimals) on one side


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    return build_lake(tmp_path_factory.mktemp("query_lake"), as_of=AS_OF)


@pytest.fixture(scope="module")
def engine(lake: LocalLake) -> DuckDBEngine:
    return DuckDBEngine(lake, query_settings(load_settings(env="local")), as_of=AS_OF)


def curated(lake: LocalLake, name: str) -> pd.DataFrame:
    run_id = read_published(lake).tables[f"curated.{name}"]
    frame = pd.read_parquet(lake.path(Zone.CURATED, f"{name}/run-{run_id}"))
    for column in ("transaction_date", "date", "session_date", "review_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def completed(lake: LocalLake) -> pd.DataFrame:
    tx = curated(lake, "transactions")
    return tx[tx["status"] == "completed"]


def since(
    frame: pd.DataFrame, days: int, column: str = "transaction_date", end: date = AS_OF
) -> pd.DataFrame:
    """The rows of the ``days`` days ending on ``end``: ``end`` and the ``days - 1`` before."""
    return frame[(frame[column] > end - timedelta(days=days)) & (frame[column] <= end)]


def pct(numerator: float, denominator: float) -> float:
    return math.nan if denominator == 0 else round(100.0 * numerator / denominator, 2)


def assert_rows(result: QueryResult, expected: pd.DataFrame, keys: Sequence[str]) -> None:
    """Same rows in the same order; numbers within MONEY, null where expected is NaN."""
    actual = result.to_frame()
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected), (len(actual), len(expected))
    assert len(actual) > 0, "fixture data should make every query return rows"
    for i, (got, want) in enumerate(zip(actual.to_dict("records"), expected.to_dict("records"))):
        for column, value in want.items():
            have = got[column]
            if column in keys or isinstance(value, str):
                assert str(have) == str(value), (i, column, have, value)
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                assert have is None or (isinstance(have, float) and math.isnan(have)), (
                    i,
                    column,
                    have,
                )
            else:
                assert have == pytest.approx(float(value), abs=MONEY, rel=1e-9), (
                    i,
                    column,
                    have,
                    value,
                )


# --- expected answers in pandas ---------------------------------------------------------


def expected_top_products(
    lake: LocalLake, days: int, category: str, top_n: int, by: Sequence[str] = ("product_id",)
) -> pd.DataFrame:
    sales = since(completed(lake), days)[["product_id", "customer_id", "quantity", "total_amount"]]
    products = curated(lake, "products")[["product_id", "name", "category"]]
    joined = sales.merge(products, on="product_id")
    if category:
        joined = joined[joined["category"] == category]
    grouped = joined.groupby([*by, "name", "category"]).agg(
        total_quantity=("quantity", "sum"),
        total_revenue=("total_amount", "sum"),
        unique_customers=("customer_id", "nunique"),
    )
    grouped = grouped.reset_index().sort_values(["total_revenue", "name"], ascending=[False, True])
    grouped = grouped.drop(columns=[c for c in by if c == "product_id"])
    return grouped.head(top_n).reset_index(drop=True)


def expected_ltv(lake: LocalLake) -> pd.DataFrame:
    per_customer = (
        completed(lake)
        .groupby("customer_id")
        .agg(
            total_orders=("transaction_id", "nunique"),
            lifetime_value=("total_amount", "sum"),
            avg_order_value=("total_amount", "mean"),
        )
    )
    ltv = per_customer["lifetime_value"]
    per_customer["customer_segment"] = [
        "High Value" if v >= 1000 else "Medium Value" if v >= 500 else "Low Value" for v in ltv
    ]
    out = per_customer.groupby("customer_segment").agg(
        customer_count=("lifetime_value", "size"),
        avg_ltv=("lifetime_value", "mean"),
        avg_orders=("total_orders", "mean"),
        avg_order_value=("avg_order_value", "mean"),
    )
    return out.reset_index().sort_values("avg_ltv", ascending=False).reset_index(drop=True)


def expected_funnel(lake: LocalLake, days: int, *, weighted: bool = True) -> pd.DataFrame:
    events = curated(lake, "clickstream")
    events["date"] = pd.to_datetime(events["timestamp"], utc=True).dt.date
    events = since(events, days, "date").copy()
    # A sampled log's event stands for 1 / sample_rate events (a complete log's for one).
    events["weight"] = 1.0 / events["sample_rate"].astype(float).fillna(1.0) if weighted else 1.0
    counts = events.pivot_table(
        index="date", columns="event_type", values="weight", aggfunc="sum"
    ).round()
    rows = []
    for day, c in counts.sort_index(ascending=False).iterrows():
        pv, prv, atc, cs, pu = (
            int(c.get(k, 0))
            for k in ("page_view", "product_view", "add_to_cart", "checkout_start", "purchase")
        )
        rows.append(
            {
                "date": day,
                "page_views": pv,
                "product_views": prv,
                "view_to_product_rate": pct(prv, pv),
                "add_to_carts": atc,
                "product_to_cart_rate": pct(atc, prv),
                "checkout_starts": cs,
                "cart_to_checkout_rate": pct(cs, atc),
                "purchases": pu,
                "checkout_to_purchase_rate": pct(pu, cs),
                "overall_conversion_rate": pct(pu, pv),
            }
        )
    return pd.DataFrame(rows)


def expected_daily_kpis(
    lake: LocalLake, days: int, returned: Sequence[str] = RETURN_STATUSES
) -> pd.DataFrame:
    lines = since(curated(lake, "transactions"), days)
    rows = []
    for day, g in sorted(lines.groupby("transaction_date"), key=lambda kv: kv[0], reverse=True):
        orders = g["transaction_id"].nunique()
        returns = g.loc[g["status"].isin(returned), "transaction_id"].nunique()
        rows.append(
            {
                "date": day,
                "total_orders": orders,
                "unique_customers": g["customer_id"].nunique(),
                "revenue": g["total_amount"].sum(),
                "avg_order_value": g["total_amount"].mean(),
                "units_sold": g["quantity"].sum(),
                "returns": returns,
                "return_rate": pct(returns, orders),
            }
        )
    return pd.DataFrame(rows)


# --- named queries against pandas ------------------------------------------------------


@pytest.mark.parametrize(("days", "category", "top_n"), [(30, "", 20), (90, "Books", 5)])
def test_top_products(
    engine: DuckDBEngine, lake: LocalLake, days: int, category: str, top_n: int
) -> None:
    result = engine.run("top_products", {"days": days, "category": category, "top_n": top_n})
    assert_rows(result, expected_top_products(lake, days, category, top_n), ["name"])


def test_revenue_by_category(engine: DuckDBEngine, lake: LocalLake) -> None:
    sales = since(completed(lake), 30)
    grouped = sales.groupby("category").agg(
        orders=("transaction_id", "nunique"),
        unique_customers=("customer_id", "nunique"),
        units_sold=("quantity", "sum"),
        revenue=("total_amount", "sum"),
    )
    grouped["avg_order_value"] = (grouped["revenue"] / grouped["orders"]).round(2)
    grouped["revenue_share"] = (100 * grouped["revenue"] / grouped["revenue"].sum()).round(2)
    expected = grouped.reset_index().sort_values(["revenue", "category"], ascending=[False, True])
    result = engine.run("revenue_by_category", {"days": 30})
    assert_rows(result, expected.reset_index(drop=True), ["category"])
    assert sum(r["revenue_share"] for r in result.to_records()) == pytest.approx(100, abs=0.1)


def test_customer_ltv(engine: DuckDBEngine, lake: LocalLake) -> None:
    expected = expected_ltv(lake)
    assert set(expected["customer_segment"]) == {"High Value", "Medium Value", "Low Value"}
    assert_rows(engine.run("customer_ltv"), expected, ["customer_segment"])


@pytest.mark.parametrize("days", [7, 30])
def test_conversion_funnel(engine: DuckDBEngine, lake: LocalLake, days: int) -> None:
    result = engine.run("conversion_funnel", {"days": days})
    assert_rows(result, expected_funnel(lake, days), ["date"])


def test_daily_kpis(engine: DuckDBEngine, lake: LocalLake) -> None:
    assert_rows(engine.run("daily_kpis"), expected_daily_kpis(lake, 90), ["date"])


def test_daily_kpis_counts_refunds_as_returns_like_the_audit(
    engine: DuckDBEngine, lake: LocalLake
) -> None:
    tx = since(curated(lake, "transactions"), 90)
    assert (tx["status"] == "refunded").any()  # the data has both kinds of return
    kpis = {r["date"]: r for r in engine.run("daily_kpis").to_records()}
    runner = live_runner(lake)
    try:
        metrics = daily_metrics(runner)
    finally:
        runner.close()
    audit = metrics[metrics["metric"] == "return_rate"]
    audit_rate = dict(zip(pd.to_datetime(audit["day"]).dt.date.map(str), audit["value"]))
    assert kpis and set(kpis) <= set(audit_rate)
    for day, row in kpis.items():  # the API's return rate is the audit's, to the cent
        assert row["return_rate"] == pytest.approx(audit_rate[day], abs=0.005), day


def test_current_kpis(engine: DuckDBEngine, lake: LocalLake) -> None:
    days = 30
    tx = completed(lake)
    sessions = curated(lake, "sessions")

    def window(frame: pd.DataFrame, column: str, end: date) -> pd.DataFrame:
        return frame[(frame[column] > end - timedelta(days=days)) & (frame[column] <= end)]

    def change(current: float, previous: float) -> float:
        return pct(current - previous, previous)

    periods = {}
    for label, end in (("cur", AS_OF), ("prev", AS_OF - timedelta(days=days))):
        lines, visits = window(tx, "transaction_date", end), window(sessions, "session_date", end)
        revenue, orders = lines["total_amount"].sum(), lines["transaction_id"].nunique()
        weight = visits["sample_weight"]  # sessions of the traffic each one stands for
        periods[label] = (
            revenue,
            orders,
            revenue / orders,
            100.0 * weight[visits["converted"]].sum() / weight.sum(),
        )
    cur, prev = periods["cur"], periods["prev"]
    expected = pd.DataFrame(
        [
            {
                "total_revenue": round(cur[0], 2),
                "total_revenue_change": change(cur[0], prev[0]),
                "total_orders": cur[1],
                "total_orders_change": change(cur[1], prev[1]),
                "avg_order_value": round(cur[2], 2),
                "avg_order_value_change": change(cur[2], prev[2]),
                "conversion_rate": round(cur[3], 2),
                "conversion_rate_change": change(cur[3], prev[3]),
            }
        ]
    )
    assert_rows(engine.run("current_kpis", {"days": days}), expected, [])


@pytest.mark.parametrize("grain", ["day", "month"])
def test_revenue_trend(engine: DuckDBEngine, lake: LocalLake, grain: str) -> None:
    lines = since(completed(lake), 90).copy()
    lines["period"] = [
        d.replace(day=1) if grain == "month" else d for d in lines["transaction_date"]
    ]
    grouped = (
        lines.groupby("period")
        .agg(
            orders=("transaction_id", "nunique"),
            units_sold=("quantity", "sum"),
            revenue=("total_amount", "sum"),
        )
        .sort_index()
    )
    grouped["avg_order_value"] = (grouped["revenue"] / grouped["orders"]).round(2)
    previous = grouped["revenue"].shift(1)
    grouped["revenue_change"] = (100 * (grouped["revenue"] - previous) / previous).round(2)
    grouped["cumulative_revenue"] = grouped["revenue"].cumsum()
    result = engine.run("revenue_trend", {"grain": grain})
    assert_rows(result, grouped.reset_index(), ["period"])
    if grain == "month":
        assert len(result.rows) in (3, 4)


def expected_pairs(lake: LocalLake) -> tuple[int, dict[tuple[str, str], dict[str, Any]]]:
    """Every co-purchase pair of the ETL's floor, from the baskets, by hand."""
    min_pairs = load_settings(env="local").params["etl"]["affinity_min_pair_count"]
    baskets = (
        completed(lake)
        .groupby(["customer_id", "transaction_date"])["product_id"]
        .agg(lambda s: sorted(set(s)))
    )
    n_baskets = len(baskets)
    with_product = pd.Series([p for b in baskets for p in b]).value_counts()
    pairs = pd.Series([pair for b in baskets for pair in permutations(b, 2)]).value_counts()
    expected = {}
    for (a, b), count in pairs.items():
        if count < min_pairs:
            continue
        confidence = count / with_product[a]
        expected[(a, b)] = {
            "pair_count": count,
            "support": count / n_baskets,
            "confidence": confidence,
            "lift": confidence / (with_product[b] / n_baskets),
            "excess_baskets": count - with_product[a] * with_product[b] / n_baskets,
        }
    return n_baskets, expected


@pytest.mark.parametrize("min_support", [None, 0.004])
def test_product_recommendations(engine: DuckDBEngine, lake: LocalLake, min_support: Any) -> None:
    n_baskets, pairs = expected_pairs(lake)
    threshold = 0.0001 if min_support is None else min_support  # the header's default
    names = curated(lake, "products").set_index("product_id")["name"]
    expected = {
        key: row for key, row in pairs.items() if row["lift"] >= 1.0 and row["support"] >= threshold
    }
    assert expected, "fixture data should have co-purchased pairs"
    params: dict[str, Any] = {"top_n": 1000}
    if min_support is not None:
        params["min_support"] = min_support
        # the threshold scales with the data: it asks for ceil(0.004 * baskets) baskets
        needed = math.ceil(min_support * n_baskets)
        assert needed > 3 and {k for k, r in pairs.items() if r["pair_count"] < needed}
        assert all(r["pair_count"] >= needed for r in expected.values())
    result = engine.run("product_recommendations", params)
    got = {(r["product_id"], r["recommended_product_id"]): r for r in result.to_records()}
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        names_shown = (row["product_name"], row["recommended_product_name"])
        assert names_shown == (names[key[0]], names[key[1]])
        assert row["pair_count"] == want["pair_count"]
        for column in ("support", "confidence", "lift", "excess_baskets"):
            assert row[column] == pytest.approx(want[column], rel=1e-6), (key, column)
    # Most baskets beyond chance first; then the more confident direction, then the ids.
    order = sorted(
        expected,
        key=lambda k: (-round(expected[k]["excess_baskets"], 9), -expected[k]["confidence"], k),
    )
    assert [(r["product_id"], r["recommended_product_id"]) for r in result.to_records()] == order
    top = engine.run("product_recommendations", {**params, "top_n": 3}).to_records()
    assert [(r["product_id"], r["recommended_product_id"]) for r in top] == order[:3]
    a = order[0][0]
    only_a = engine.run("product_recommendations", {**params, "product_id": a}).to_records()
    assert {r["recommended_product_id"] for r in only_a} == {b for x, b in expected if x == a}


def test_co_purchase_bands(engine: DuckDBEngine, lake: LocalLake) -> None:
    n_baskets, pairs = expected_pairs(lake)
    edges = [1, 5, 10, 25, 50, 100, 250, 1000]
    bands: dict[int, list[dict[str, Any]]] = {}
    for row in pairs.values():
        start = max(e for e in edges if e <= row["pair_count"])
        bands.setdefault(start, []).append(row)
    min_support = 0.003
    result = engine.run("co_purchase_bands", {"min_support": min_support})
    rows = result.to_records()
    assert [r["band_start"] for r in rows] == sorted(bands)
    for row in rows:
        members = bands[row["band_start"]]
        assert row["pairs"] == len(members)
        assert row["pairs_shown"] == sum(
            m["support"] >= min_support and m["lift"] >= 1.0 for m in members
        )
        assert row["min_pair_count"] == min(m["pair_count"] for m in members)
        assert row["max_pair_count"] == max(m["pair_count"] for m in members)
        assert row["max_lift"] == pytest.approx(max(m["lift"] for m in members))
        assert row["max_excess_baskets"] == pytest.approx(max(m["excess_baskets"] for m in members))
        assert row["baskets"] == n_baskets


@pytest.mark.parametrize("segment", ["", "High Value"])
def test_rfm_segments(engine: DuckDBEngine, lake: LocalLake, segment: str) -> None:
    metrics = curated(lake, "customer_metrics")
    if segment:
        metrics = metrics[metrics["value_segment"] == segment]
    grouped = metrics.groupby("rfm_segment").agg(
        customers=("customer_id", "size"),
        lifetime_value=("lifetime_value", "sum"),
        avg_ltv=("lifetime_value", "mean"),
        avg_orders=("total_orders", "mean"),
        avg_recency_days=("recency_days", "mean"),
    )
    grouped["customer_share"] = 100 * grouped["customers"] / grouped["customers"].sum()
    grouped["value_share"] = 100 * grouped["lifetime_value"] / grouped["lifetime_value"].sum()
    grouped["avg_recency_days"] = grouped["avg_recency_days"].round(1)
    expected = grouped.reset_index().sort_values(
        ["lifetime_value", "rfm_segment"], ascending=[False, True]
    )
    expected = expected[
        [
            "rfm_segment",
            "customers",
            "customer_share",
            "lifetime_value",
            "value_share",
            "avg_ltv",
            "avg_orders",
            "avg_recency_days",
        ]
    ]
    result = engine.run("rfm_segments", {"segment": segment})
    assert_rows(result, expected.reset_index(drop=True), ["rfm_segment"])
    assert sum(r["customers"] for r in result.to_records()) == len(metrics)


@pytest.mark.parametrize("months", [3, 12])
def test_cohort_retention(engine: DuckDBEngine, lake: LocalLake, months: int) -> None:
    lines = completed(lake)
    first = lines.groupby("customer_id")["transaction_date"].min()
    window_start = (pd.Period(AS_OF, freq="M") - (months - 1)).start_time.date()
    cohort = first[first >= window_start].map(lambda d: pd.Period(d, freq="M"))
    active = lines[
        (lines["transaction_date"] >= window_start) & (lines["transaction_date"] <= AS_OF)
    ]
    active = active[active["customer_id"].isin(cohort.index)]
    active = active.assign(
        cohort=active["customer_id"].map(cohort),
        month=active["transaction_date"].map(lambda d: pd.Period(d, freq="M")),
    )
    active = active[active["month"] >= active["cohort"]]
    active["month_number"] = [(m - c).n for m, c in zip(active["month"], active["cohort"])]
    counts = active.groupby(["cohort", "month_number"])["customer_id"].nunique()
    sizes = cohort.value_counts()
    expected = pd.DataFrame(
        [
            {
                "cohort_month": c.start_time.date(),
                "month_number": k,
                "cohort_size": sizes[c],
                "customers": n,
                "retention_rate": round(100 * n / sizes[c], 2),
            }
            for (c, k), n in sorted(counts.items())
        ]
    )
    result = engine.run("cohort_retention", {"months": months})
    assert_rows(result, expected, ["cohort_month"])
    month_zero = [r for r in result.to_records() if r["month_number"] == 0]
    assert all(r["retention_rate"] == 100.0 for r in month_zero)


@pytest.mark.parametrize("days", [7, 30])
def test_funnel_by_device(engine: DuckDBEngine, lake: LocalLake, days: int) -> None:
    sessions = curated(lake, "sessions")
    recent = since(sessions, days, "session_date")
    weight = recent["sample_weight"].astype(float)
    rows = []
    for device, group in recent.groupby("device"):
        w = weight[group.index]
        depth = group["funnel_depth"]
        reached = [float(w[depth >= k].sum()) for k in range(1, 6)]
        total = float(w.sum())
        rows.append(
            {
                "device": device,
                "sessions": round(total),
                "page_views": round(reached[0]),
                "product_views": round(reached[1]),
                "add_to_carts": round(reached[2]),
                "checkouts": round(reached[3]),
                "purchases": round(reached[4]),
                "product_view_rate": pct(reached[1], total),
                "add_to_cart_rate": pct(reached[2], total),
                "checkout_rate": pct(reached[3], total),
                "conversion_rate": pct(reached[4], total),
                "_total": total,
            }
        )
    expected = pd.DataFrame(rows).sort_values(["_total", "device"], ascending=[False, True])
    result = engine.run("funnel_by_device", {"days": days})
    assert_rows(result, expected.drop(columns="_total").reset_index(drop=True), ["device"])


def test_top_rated_products(engine: DuckDBEngine, lake: LocalLake) -> None:
    weight = float(load_settings(env="local").params["etl"]["rating_prior_weight"])
    reviews = curated(lake, "reviews")
    global_mean = reviews["rating"].mean()
    stats = reviews.groupby("product_id")["rating"].agg(["count", "mean", "sum"])
    bayes = (weight * global_mean + stats["sum"]) / (weight + stats["count"])
    result = engine.run("top_rated_products", {"min_reviews": 3, "top_n": 1000}).to_records()
    assert result
    expected_ids = set(stats.index[stats["count"] >= 3])
    assert {r["product_id"] for r in result} == expected_ids
    for row in result:
        assert row["review_count"] == stats.loc[row["product_id"], "count"]
        assert row["avg_rating"] == pytest.approx(stats.loc[row["product_id"], "mean"], abs=1e-3)
        assert row["bayesian_rating"] == pytest.approx(bayes[row["product_id"]], abs=1e-3)
    ratings = [r["bayesian_rating"] for r in result]
    assert ratings == sorted(ratings, reverse=True)
    books = engine.run("top_rated_products", {"category": "Books"}).to_records()
    assert books and {r["category"] for r in books} == {"Books"}


# --- the mission's example queries, verbatim ------------------------------------------


def mission(name: str) -> str:
    return (MISSION / f"{name}.sql").read_text(encoding="utf-8")


def test_mission_top_products(engine: DuckDBEngine, lake: LocalLake) -> None:
    result = engine.run(mission("top_products"))
    # The mission groups by (name, category), so same-named products are added up; its
    # `>= current_date - 30` covers 31 days, current_date included (top_products' days=31).
    assert_rows(result, expected_top_products(lake, 31, "", 20, by=()), ["name"])


def test_mission_customer_ltv(engine: DuckDBEngine, lake: LocalLake) -> None:
    assert_rows(engine.run(mission("customer_ltv")), expected_ltv(lake), ["customer_segment"])


def test_mission_conversion_funnel(engine: DuckDBEngine, lake: LocalLake) -> None:
    # The mission's own text counts the events in the table: the sample, unweighted; its
    # `timestamp >= current_date - 7` covers 8 days, current_date included.
    expected = expected_funnel(lake, 8, weighted=False)
    assert_rows(engine.run(mission("conversion_funnel")), expected, ["date"])


def test_mission_daily_kpis(engine: DuckDBEngine, lake: LocalLake) -> None:
    # The mission's own text counts status 'returned' only; sql/daily_kpis.sql counts
    # refunds too (schemas.RETURN_STATUSES), as the audit does. Its `>= current_date - 90`
    # covers 91 days, current_date included.
    expected = expected_daily_kpis(lake, 91, returned=("returned",))
    assert_rows(engine.run(mission("daily_kpis")), expected, ["date"])


# --- "the last N days": N days, current_date included -----------------------------------

#: A current_date with data after it, so both ends of the window are pinned.
END = AS_OF - timedelta(days=10)


def window_figures(lake: LocalLake, days: int) -> dict[str, Any]:
    """What each query with a ``days`` parameter must answer over ``days`` days to END."""
    lines = since(curated(lake, "transactions"), days, end=END)
    sold = lines[lines["status"] == "completed"]
    products = curated(lake, "products")[["product_id"]]
    funnel = since(curated(lake, "daily_funnel"), days, "date", end=END)
    sessions = since(curated(lake, "sessions"), days, "session_date", end=END)
    weight = sessions["sample_weight"].astype(float)
    return {
        "daily_kpis": sorted(lines["transaction_date"].unique()),
        "revenue_trend": sorted(sold["transaction_date"].unique()),
        "conversion_funnel": sorted(funnel["date"].unique()),
        "top_products": int(sold.merge(products, on="product_id")["quantity"].sum()),
        "revenue_by_category": int(sold["quantity"].sum()),
        "current_kpis": sold["transaction_id"].nunique(),
        "funnel_by_device": sum(round(w) for w in weight.groupby(sessions["device"]).sum()),
    }


def query_figure(name: str, rows: list[dict[str, Any]]) -> Any:
    """The same figure from the query's rows."""
    if name in ("daily_kpis", "conversion_funnel", "revenue_trend"):
        column = "period" if name == "revenue_trend" else "date"
        return sorted(date.fromisoformat(str(r[column])[:10]) for r in rows)
    column = {
        "top_products": "total_quantity",
        "revenue_by_category": "units_sold",
        "current_kpis": "total_orders",
        "funnel_by_device": "sessions",
    }[name]
    return sum(int(r[column]) for r in rows)


DAYS_QUERIES = sorted(q.name for q in load_queries() if any(p.name == "days" for p in q.params))


def test_every_query_with_a_days_parameter_is_pinned_below(lake: LocalLake) -> None:
    assert len(DAYS_QUERIES) >= 7 and set(window_figures(lake, 7)) == set(DAYS_QUERIES)


@pytest.mark.parametrize("name", DAYS_QUERIES)
def test_days_7_covers_current_date_and_the_6_days_before(lake: LocalLake, name: str) -> None:
    tx = curated(lake, "transactions")
    for day in (END - timedelta(days=7), END - timedelta(days=6), END + timedelta(days=1)):
        assert (tx["transaction_date"] == day).any(), day  # rows on both sides of each edge
    seven, eight = window_figures(lake, 7), window_figures(lake, 8)
    assert seven[name] != eight[name], "day END - 7 must hold data for this to pin anything"
    more = {"top_products": {"top_n": 1000}, "revenue_trend": {"grain": "day"}}
    params: dict[str, Any] = {"days": 7, **more.get(name, {})}
    rows = DuckDBEngine(lake, as_of=END).run(name, params).to_records()
    assert query_figure(name, rows) == seven[name]
    if isinstance(seven[name], list):
        assert seven[name] == [END - timedelta(days=k) for k in range(6, -1, -1)]


# --- CURRENT_DATE, safety, errors -------------------------------------------------------


def test_current_date_defaults_to_the_live_runs_as_of(lake: LocalLake) -> None:
    assert DuckDBEngine(lake).current_date == AS_OF
    earlier = AS_OF - timedelta(days=60)
    result = DuckDBEngine(lake, as_of=earlier).run("revenue_trend", {"days": 10})
    periods = [r["period"] for r in result.to_records()]
    assert periods and max(periods) <= earlier.isoformat()
    assert min(periods) >= (earlier - timedelta(days=9)).isoformat()


def test_string_parameters_are_bound_not_spliced(engine: DuckDBEngine) -> None:
    injected = engine.run("top_products", {"category": "Books' or '1'='1"})
    assert injected.rows == []
    quoted = engine.run("top_rated_products", {"category": "Toys & Games"}).to_records()
    assert quoted and {r["category"] for r in quoted} == {"Toys & Games"}


def test_bad_parameter_and_unknown_query(engine: DuckDBEngine) -> None:
    with pytest.raises(QueryError, match="parameter days"):
        engine.run("daily_kpis", {"days": "-3"})
    with pytest.raises(QueryError, match="unknown query"):
        engine.run("no_such_query")


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="ecom-pipeline run"):
        DuckDBEngine(LocalLake(tmp_path / "empty"), as_of=AS_OF).run("customer_ltv")


def test_sql_error_is_a_pipeline_error(engine: DuckDBEngine) -> None:
    with pytest.raises(QueryExecutionError, match="failed in DuckDB"):
        engine.run("select no_such_column from curated.products")


# --- cost controls ------------------------------------------------------------------------


@pytest.mark.parametrize("query", load_queries(), ids=lambda q: q.name)
def test_named_query_is_pruned_and_within_budget(engine: DuckDBEngine, query: Any) -> None:
    """Fails when a named query scans a partitioned fact without a date filter or overspends."""
    estimate = engine.explain(query).estimate
    assert estimate.scans, query.name
    assert estimate.unfiltered_facts == [], f"{query.name}: no date filter on a partitioned fact"
    for scan in estimate.scans:
        if scan.partitioned:
            assert scan.partitions_read < scan.partitions_total, (query.name, scan)
            assert scan.bytes_read < scan.bytes_total / 2, (query.name, scan)
    assert estimate.bytes_read <= engine.settings.bytes_scanned_cutoff


def test_query_without_date_filter_is_flagged_as_a_full_scan(engine: DuckDBEngine) -> None:
    estimate = engine.explain("select * from curated.transactions").estimate
    (scan,) = estimate.scans
    assert estimate.unfiltered_facts == ["curated.transactions"]
    assert (scan.partitions_read, scan.files_read) == (scan.partitions_total, scan.files_total)
    assert scan.bytes_read == scan.bytes_total > 0
    assert engine.explain(mission("customer_ltv")).estimate.unfiltered_facts == [
        "curated.transactions"
    ]


def test_estimate_reads_only_the_referenced_columns(engine: DuckDBEngine) -> None:
    narrow = engine.explain("select sum(quantity) from curated.transactions").estimate.scans[0]
    wide = engine.explain("select * from curated.transactions").estimate.scans[0]
    assert narrow.columns == ("quantity",)
    assert 0 < narrow.bytes_read < wide.bytes_read / 3  # footers are read either way


def test_estimate_prunes_by_partition_and_by_date(engine: DuckDBEngine, lake: LocalLake) -> None:
    by_month = engine.explain(
        "select count(*) from curated.clickstream where event_month = '2026-11'"
    ).estimate.scans[0]
    assert (by_month.partitions_read, by_month.files_read) == (1, 1)
    by_time = engine.explain(mission("conversion_funnel")).estimate.scans[0]
    assert by_time.has_date_filter and by_time.partitions_read == 1
    assert by_time.window[0] == (AS_OF - timedelta(days=7)).isoformat()
    between = engine.explain(
        "select count(*) from curated.transactions t where t.transaction_date between "
        "date '2026-06-10' and date '2026-07-05'"
    ).estimate.scans[0]
    assert between.partitions_read == 2
    months = {p.parent.name for p in lake.root.rglob("transaction_month=*/*.parquet")}
    assert between.partitions_total == len(months) > 2


def test_over_budget_query_fails_like_athena(lake: LocalLake) -> None:
    tight = DuckDBEngine(
        lake, QuerySettings(workgroup="wg-test", bytes_scanned_cutoff=4096), as_of=AS_OF
    )
    with pytest.raises(
        QueryBudgetError, match=r"over the 4\.0 KiB bytes-scanned cutoff of workgroup wg-test"
    ):
        tight.run("daily_kpis")
    with pytest.raises(QueryBudgetError, match="--param days"):
        tight.run(mission("customer_ltv"))
