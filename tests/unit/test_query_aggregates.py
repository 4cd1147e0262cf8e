"""The whole-history tables in SQL (sql/aggregates/) against their pandas reference.

``tests/reference_aggregates.py`` keeps ``rating_stats``, ``customer_metrics``,
``product_performance`` and ``product_affinity`` in pandas, as the pipeline computed them
before the SQL (the package carries only the SQL): each query must give the same table,
on a lake built from generated data and on hand-made edge cases. Integers, strings and
dates must be equal; floats equal within 1e-9 (relative). One known difference: an
average order value that is exactly half a cent. The reference sums floats in row order
and rounds whatever the last bit of that sum says; the SQL sums decimals (exact, in any
order, the same on every run), so at an exact half cent the two may round to different
cents. The tests allow that, and only that.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlglot import exp

from pipeline_lib import jobs
from pipeline_lib.exceptions import ConfigError, PipelineError
from pipeline_lib.query import (
    AGGREGATE_TABLES,
    AggregateSettings,
    QueryError,
    aggregate_settings,
    load_aggregate,
    load_query,
    query_names,
    run_aggregate,
    write_aggregates,
)
from pipeline_lib.query._aggregates import _connection, conform_to_contract
from pipeline_lib.schemas import RFM_SEGMENTS, TABLES, VALUE_SEGMENTS
from pipeline_lib.storage import Lake, LocalLake, S3Lake, Zone
from tests.handler_events import PublishedLake
from tests.moto_server import MotoServer
from tests.reference_aggregates import (
    customer_metrics,
    product_affinity,
    product_performance,
    rating_stats,
)

AS_OF = date(2026, 3, 31)
RUN = "t1"
PRIOR = 10.0
MIN_PAIRS = 3


# --- comparing a query's table with the reference's frame ---------------------------------


def mismatches(got: pa.Table, expected: pd.DataFrame, column: str) -> list[int]:
    """Rows where ``column`` differs: exactly, or beyond 1e-9 (relative) for floats."""
    field = got.schema.field(column)
    want = pa.Table.from_pandas(expected[[column]].reset_index(drop=True), preserve_index=False)
    left = got.column(column).to_pylist()
    right = want.column(column).cast(field.type).to_pylist()
    rows = []
    for row, (a, b) in enumerate(zip(left, right)):
        if pa.types.is_floating(field.type) and a is not None and b is not None:
            same = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9)
        else:
            same = a == b
        if not same:
            rows.append(row)
    return rows


def assert_same_table(
    got: pa.Table, expected: pd.DataFrame, name: str, *, except_columns: tuple[str, ...] = ()
) -> None:
    """``got`` has the contract's schema and the reference's rows, in its order."""
    assert got.schema == TABLES[f"curated.{name}"].arrow_schema()
    assert got.column_names == list(expected.columns)
    assert got.num_rows == len(expected)
    for column in got.column_names:
        if column not in except_columns:
            rows = mismatches(got, expected, column)
            assert not rows, (
                f"{name}.{column} differs in {len(rows)} rows, e.g. row {rows[0]}: "
                f"{got.slice(rows[0], 1).to_pylist()} vs {expected.iloc[rows[0]].to_dict()}"
            )


def assert_same_customers(got: pa.Table, lines: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """customer_metrics equals the reference, avg_order_value but at exact half cents."""
    expected = customer_metrics(lines, as_of=as_of)
    assert_same_table(got, expected, "customer_metrics", except_columns=("avg_order_value",))
    ties = half_cent_averages(lines, as_of)
    for row in mismatches(got, expected, "avg_order_value"):
        customer = expected["customer_id"].iloc[row]
        off_by = got.column("avg_order_value")[row].as_py() - expected["avg_order_value"].iloc[row]
        assert customer in ties, f"{customer}: avg_order_value differs and is no half-cent tie"
        assert math.isclose(abs(off_by), 0.01, rel_tol=1e-6), (customer, off_by)
    return expected


def half_cent_averages(lines: pd.DataFrame, as_of: date) -> set[str]:
    """Customers whose exact average order value (from the amounts as written, in cents)
    ends in exactly half a cent."""
    counted = lines[
        (lines["status"] == "completed").fillna(False).to_numpy(dtype=bool)
        & (lines["transaction_date"] <= as_of).fillna(False).to_numpy(dtype=bool)
    ]
    ties = set()
    for customer, group in counted.groupby("customer_id"):
        total = sum(Fraction(repr(float(a))) for a in group["total_amount"].fillna(0.0))
        cents = total * 100 / group["transaction_id"].nunique()
        if cents - math.floor(cents) == Fraction(1, 2):
            ties.add(str(customer))
    return ties


def run(lake: Lake, name: str) -> pa.Table:
    """Run ``name`` over run ``RUN`` with the test's parameters."""
    params: dict[str, dict[str, object]] = {
        "product_ratings": {"rating_prior_weight": PRIOR},
        "product_affinity": {"affinity_min_pair_count": MIN_PAIRS},
    }
    return run_aggregate(lake, RUN, name, as_of=AS_OF, params=params.get(name))


# --- (a) a lake built from generated data by the pipeline ---------------------------------


@pytest.fixture(scope="module")
def generated(built: PublishedLake) -> dict[str, pd.DataFrame]:
    """The curated inputs of the built lake's published run, as the notebook had them."""

    def read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
        return jobs.read_table(built.lake, Zone.CURATED, name, built.run_id, columns)

    return {
        "transactions": read("transactions"),
        "reviews": read("reviews"),
        "products": read("products"),
        "events": read("clickstream", ["event_type", "product_id"]),
    }


def test_generated_data_gives_the_reference_tables(
    built: PublishedLake, generated: dict[str, pd.DataFrame]
) -> None:
    lake, run_id, as_of = built.lake, built.run_id, built.as_of
    ratings = rating_stats(generated["reviews"], prior_weight=PRIOR)

    got = run_aggregate(
        lake, run_id, "product_ratings", as_of=as_of, params={"rating_prior_weight": PRIOR}
    )
    assert_same_table(got, ratings, "product_ratings")
    # The run's own product_ratings, written by the notebook's SQL and read by performance.
    published = jobs.read_table(lake, Zone.CURATED, "product_ratings", run_id)
    assert_same_table(
        pa.Table.from_pandas(published, preserve_index=False), ratings, "product_ratings"
    )

    got = run_aggregate(lake, run_id, "customer_metrics", as_of=as_of)
    customers = assert_same_customers(got, generated["transactions"], as_of)
    assert len(customers) > 100

    got = run_aggregate(lake, run_id, "product_performance", as_of=as_of)
    expected = product_performance(
        generated["transactions"], generated["events"], ratings, generated["products"]
    )
    assert_same_table(got, expected, "product_performance")
    assert expected["product_views"].sum() > 0 and expected["review_count"].sum() > 0

    got = run_aggregate(
        lake, run_id, "product_affinity", as_of=as_of, params={"affinity_min_pair_count": 2}
    )
    expected = product_affinity(generated["transactions"], min_pair_count=2)
    assert_same_table(got, expected, "product_affinity")
    assert len(expected) > 10


# --- (b) hand-made edge cases -------------------------------------------------------------


def _line(
    txn: str,
    customer: str,
    product: str,
    day: date,
    status: str = "completed",
    amount: float = 20.0,
    quantity: int = 1,
) -> dict[str, Any]:
    return {
        "transaction_id": txn,
        "customer_id": customer,
        "product_id": product,
        "quantity": quantity,
        "total_amount": amount,
        "transaction_date": day,
        "status": status,
    }


def edge_transactions() -> pa.Table:
    day = AS_OF - timedelta(days=1)
    rows = [
        # Four customers alike in everything: they share every score.
        *[_line(f"t_tie{i}", f"c_tie{i}", "p1", day) for i in range(4)],
        # Two orders of an average ending in exactly half a cent (10.005).
        _line("t_half1", "c_half", "p2", AS_OF, amount=10.01),
        _line("t_half2", "c_half", "p2", AS_OF - timedelta(days=3), amount=10.0),
        # Medium and high value; several lines of one order count as one order.
        _line("t_mid", "c_mid", "p3", AS_OF - timedelta(days=40), amount=300.0, quantity=3),
        _line("t_mid", "c_mid", "p3", AS_OF - timedelta(days=40), amount=300.0),  # same order
        _line("t_high", "c_high", "p1", AS_OF - timedelta(days=200), amount=1000.0),
        _line("t_high_r", "c_high", "p1", AS_OF, status="refunded", amount=1000.0),
        _line("t_high_p", "c_high", "p2", AS_OF, status="pending"),
        # Only returned lines: no customer, but returns of the product.
        _line("t_ret1", "c_returns", "p3", day, status="returned"),
        _line("t_ret2", "c_returns", "p2", day, status="returned"),
        # Only a line after as_of: no customer as of AS_OF, but sales of the product.
        _line("t_future", "c_future", "p2", AS_OF + timedelta(days=2)),
        # A line after as_of of a customer who also bought before: not counted for them.
        _line("t_late1", "c_late", "p1", AS_OF - timedelta(days=10), amount=50.0),
        _line("t_late2", "c_late", "p1", AS_OF + timedelta(days=1), amount=70.0),
        # A product missing from the catalog.
        _line("t_unknown", "c_unknown", "p_missing", day, amount=15.5),
        # 31 orders and one return: a return rate of exactly 3.125 %.
        *[_line(f"t_p5_{i}", "c_p5", "p5", AS_OF - timedelta(days=i)) for i in range(31)],
        _line("t_p5_ret", "c_p5", "p5", AS_OF, status="returned"),
    ]
    # Baskets (customer, day): p1+p2 in exactly MIN_PAIRS baskets, p1+p3 in one fewer, a
    # product twice in one basket, a pair with the missing product, baskets after as_of.
    baskets = [
        ("c_b1", 1, ["p1", "p2", "p3"]),
        ("c_b1", 2, ["p1", "p2", "p3"]),
        ("c_b2", 1, ["p1", "p1", "p2", "p_missing"]),
        ("c_b2", 5, ["p_missing", "p3", "p4x"]),
        ("c_b3", -3, ["p3", "p_missing"]),
        ("c_b3", -4, ["p3", "p_missing", "p2"]),
    ]
    for customer, offset, products in baskets:
        for i, product in enumerate(products):
            basket_day = AS_OF - timedelta(days=offset)
            rows.append(
                _line(f"t_{customer}_{offset}_{i}", customer, product, basket_day, amount=5.0 + i)
            )
    rows.append(_line("t_b3_pending", "c_b3", "p1", AS_OF + timedelta(days=3), "pending"))
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("transaction_id", pa.string()),
                ("customer_id", pa.string()),
                ("product_id", pa.string()),
                ("quantity", pa.int64()),
                ("total_amount", pa.float64()),
                ("transaction_date", pa.date32()),
                ("status", pa.string()),
            ]
        ),
    )


def edge_products() -> pa.Table:
    # p4: in the catalog, never sold, never reviewed, but viewed.
    return pa.table(
        {
            "product_id": ["p1", "p2", "p3", "p4", "p5"],
            "name": ["One", "Two", "Three", "Four", "Five"],
            "category": ["Toys", "Toys", "Books", "Books", None],
        }
    )


def edge_reviews() -> pa.Table:
    # p1: 31 fours and a five, a mean of exactly 4.03125; p3, p4, p5: no reviews;
    # p_missing and p_other: reviews of products missing from the catalog.
    ratings = [("p1", 4)] * 31 + [("p1", 5), ("p2", 1), ("p_missing", 5), ("p_other", 3)]
    return pa.table(
        {
            "review_id": [f"r{i:03d}" for i in range(len(ratings))],
            "product_id": [p for p, _ in ratings],
            "rating": pa.array([r for _, r in ratings], pa.int64()),
            "review_date": pa.array(
                [AS_OF - timedelta(days=i % 7) for i in range(len(ratings))], pa.date32()
            ),
        }
    )


def edge_clickstream() -> pa.Table:
    # p2: 32 views and one purchase (3.125 %); p4 viewed, never sold; events without a
    # product, of other kinds, and of a product nobody sells or lists.
    events = (
        [("product_view", "p2")] * 32
        + [("purchase", "p2"), ("product_view", "p1"), ("add_to_cart", "p1"), ("purchase", "p1")]
        + [("product_view", "p4")] * 2
        + [("page_view", None), ("checkout_start", None), ("page_view", "p1")]
        + [("product_view", "p_nowhere"), ("add_to_cart", "p_nowhere")]
    )
    start = datetime(2026, 3, 30, 10, tzinfo=timezone.utc)
    stamps = [start + timedelta(minutes=i) for i in range(len(events))]
    return pa.table(
        {
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "derived_session_id": [f"s{i % 3}" for i in range(len(events))],
            "event_date": pa.array([s.date() for s in stamps], pa.date32()),
            "event_type": [e for e, _ in events],
            "product_id": pa.array([p for _, p in events], pa.string()),
        }
    )


def write_edge_lake(lake: Lake) -> dict[str, pd.DataFrame]:
    tables = {
        "transactions": edge_transactions(),
        "products": edge_products(),
        "reviews": edge_reviews(),
        "clickstream": edge_clickstream(),
    }
    for name, table in tables.items():
        jobs.write_table(lake, Zone.CURATED, name, RUN, table)
    frames = {name: jobs.read_table(lake, Zone.CURATED, name, RUN) for name in tables}
    ratings = rating_stats(frames["reviews"], prior_weight=PRIOR)
    jobs.write_table(lake, Zone.CURATED, "product_ratings", RUN, ratings)
    return {**frames, "ratings": ratings}


def s3_lake(moto_server: MotoServer) -> S3Lake:
    name = f"agg-{uuid.uuid4().hex[:8]}"
    client = moto_server.client("s3")
    for zone in ("raw", "processed", "curated", "quarantine"):
        client.create_bucket(Bucket=f"{name}-{zone}")  # type: ignore[attr-defined]
    return S3Lake(f"s3://{name}-{{zone}}")


@pytest.fixture(params=["local", "s3"])
def edge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Lake, dict]]:
    """The edge-case tables as run ``RUN`` of a local lake, and of an S3 lake (moto)."""
    lake: Lake
    if request.param == "local":
        lake = LocalLake(tmp_path / "lake")
    else:
        lake = s3_lake(request.getfixturevalue("moto_server"))
    yield lake, write_edge_lake(lake)


def test_edge_case_ratings(edge: tuple[Lake, dict]) -> None:
    lake, frames = edge
    got = run(lake, "product_ratings")
    assert_same_table(got, frames["ratings"], "product_ratings")
    rows = {r["product_id"]: r for r in got.to_pylist()}
    assert rows["p1"]["avg_rating"] == 4.0312  # 4.03125, half to even
    assert set(rows) == {"p1", "p2", "p_missing", "p_other"}


def test_edge_case_customer_metrics(edge: tuple[Lake, dict]) -> None:
    lake, frames = edge
    got = run(lake, "customer_metrics")
    assert_same_customers(got, frames["transactions"], AS_OF)
    rows = {r["customer_id"]: r for r in got.to_pylist()}
    assert "c_returns" not in rows and "c_future" not in rows
    tied = [rows[f"c_tie{i}"] for i in range(4)]
    for score in ("r_score", "f_score", "m_score", "rfm_segment"):
        assert len({r[score] for r in tied}) == 1, score
    assert rows["c_late"]["last_purchase"] == AS_OF - timedelta(days=10)
    assert rows["c_late"]["lifetime_value"] == 50.0
    assert rows["c_high"]["returns"] == 1 and rows["c_high"]["value_segment"] == "High Value"
    assert rows["c_mid"]["total_orders"] == 1 and rows["c_mid"]["total_units"] == 4
    assert rows["c_mid"]["value_segment"] == "Medium Value"
    assert rows["c_half"]["avg_order_value"] in (10.0, 10.01)


def test_edge_case_product_performance(edge: tuple[Lake, dict]) -> None:
    lake, frames = edge
    got = run(lake, "product_performance")
    expected = product_performance(
        frames["transactions"], frames["clickstream"], frames["ratings"], frames["products"]
    )
    assert_same_table(got, expected, "product_performance")
    rows = {r["product_id"]: r for r in got.to_pylist()}
    assert set(rows) == {"p1", "p2", "p3", "p4", "p5", "p_missing", "p4x"}
    assert rows["p_missing"]["name"] is None and rows["p_missing"]["revenue"] > 0
    assert rows["p4"]["revenue"] == 0.0 and rows["p4"]["return_rate"] is None
    assert rows["p4"]["product_views"] == 2 and rows["p4"]["view_to_purchase_rate"] == 0.0
    assert rows["p3"]["review_count"] == 0 and rows["p3"]["avg_rating"] is None
    assert rows["p5"]["return_rate"] == 3.12  # 3.125, half to even
    assert rows["p2"]["view_to_purchase_rate"] == 3.12
    assert rows["p2"]["units_sold"] >= 4  # the line after as_of counts here


def test_edge_case_affinity(edge: tuple[Lake, dict]) -> None:
    lake, frames = edge
    got = run(lake, "product_affinity")
    expected = product_affinity(frames["transactions"], min_pair_count=MIN_PAIRS)
    assert_same_table(got, expected, "product_affinity")
    counts = {(r["product_a"], r["product_b"]): r["pair_count"] for r in got.to_pylist()}
    assert counts[("p1", "p2")] == MIN_PAIRS  # exactly at the threshold: kept
    assert ("p1", "p3") not in counts  # one basket fewer: left out
    every_pair = run_aggregate(
        lake, RUN, "product_affinity", as_of=AS_OF, params={"affinity_min_pair_count": 1}
    )
    assert_same_table(
        every_pair, product_affinity(frames["transactions"], min_pair_count=1), "product_affinity"
    )
    every = {(r["product_a"], r["product_b"]): r["pair_count"] for r in every_pair.to_pylist()}
    assert every[("p1", "p3")] == MIN_PAIRS - 1
    assert ("p3", "p_missing") in every


def test_no_reviews_at_all(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    empty = edge_reviews().slice(0, 0)
    jobs.write_table(lake, Zone.CURATED, "reviews", RUN, empty)
    got = run(lake, "product_ratings")
    assert got.num_rows == 0
    assert got.schema == TABLES["curated.product_ratings"].arrow_schema()


# --- the runner -----------------------------------------------------------------------------


def test_write_aggregates_writes_every_table_of_the_run(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    write_edge_lake(lake)
    ctx = jobs.JobContext(lake=lake, run_id=RUN, as_of=AS_OF)
    settings = AggregateSettings(memory_limit="256MB", threads=1)
    versions = write_aggregates(
        ctx, {"rating_prior_weight": 5.0, "affinity_min_pair_count": 2}, settings=settings
    )
    assert [v.name for v in versions] == list(AGGREGATE_TABLES)
    for version in versions:
        table = lake.dataset(
            Zone.CURATED, jobs.version_files(lake, Zone.CURATED, version.name, RUN)
        ).to_table()
        assert table.schema == TABLES[f"curated.{version.name}"].arrow_schema()
        assert table.num_rows == version.rows > 0
    ratings = jobs.read_table(lake, Zone.CURATED, "product_ratings", RUN)
    reviews = jobs.read_table(lake, Zone.CURATED, "reviews", RUN)
    assert_same_table(
        pa.Table.from_pandas(ratings, preserve_index=False),
        rating_stats(reviews, prior_weight=5.0),
        "product_ratings",
    )

    with pytest.raises(QueryError, match="affinity_min_pairs"):
        write_aggregates(ctx, {"affinity_min_pairs": 2}, settings=settings)
    with pytest.raises(QueryError, match="out of range"):
        write_aggregates(ctx, {"affinity_min_pair_count": 0}, settings=settings)


def test_a_missing_input_version_names_the_table(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    with pytest.raises(PipelineError, match=r"curated\.transactions has no version t1"):
        run(lake, "customer_metrics")


def test_aggregate_queries_are_not_named_queries() -> None:
    names = set(query_names())
    for name in AGGREGATE_TABLES:
        assert name not in names
        with pytest.raises(QueryError, match="unknown query"):
            load_query(name)
        query = load_aggregate(name)
        assert query.question and query.tables
        assert all(table.startswith("curated.") for table in query.tables)


def test_the_segments_are_the_schemas_segments_in_rule_order() -> None:
    """The segment names (and the order of their rules) live once, in pipeline_lib.schemas."""
    select = load_aggregate("customer_metrics").expression()
    cases = {a.alias: a.this for a in select.expressions if isinstance(a.this, exp.Case)}
    for column, segments in (("rfm_segment", RFM_SEGMENTS), ("value_segment", VALUE_SEGMENTS)):
        case = cases[column]
        names = [when.args["true"].name for when in case.args["ifs"]] + [case.args["default"].name]
        assert tuple(names) == segments, column


def test_contract_schema_is_enforced() -> None:
    table = pa.table(
        {
            "product_id": ["p1"],
            "review_count": pa.array([1], pa.int32()),
            "avg_rating": [4.0],
            "bayesian_rating": [4.0],
        }
    )
    with pytest.raises(PipelineError, match=r"review_count \(int32, not int64\)"):
        conform_to_contract(table, "product_ratings")
    with pytest.raises(PipelineError, match="the query returns columns"):
        conform_to_contract(table.select([1, 0, 2, 3]), "product_ratings")
    viewed = table.set_column(0, "product_id", pa.array(["p1"], pa.large_string()))
    viewed = viewed.set_column(1, "review_count", pa.array([1], pa.int64()))
    assert conform_to_contract(viewed, "product_ratings").schema == (
        TABLES["curated.product_ratings"].arrow_schema()
    )


def test_settings_from_params_and_environment(tmp_path: Path) -> None:
    assert aggregate_settings({}, environ={}) == AggregateSettings()
    settings = aggregate_settings(
        {"memory_limit": "1GB", "temp_directory": "", "threads": 2},
        environ={"PIPELINE_AGGREGATES_TEMP_DIR": str(tmp_path)},
    )
    assert settings == AggregateSettings("1GB", str(tmp_path), 2)
    with pytest.raises(ConfigError, match="not a size"):
        aggregate_settings({"memory_limit": "1GB'; drop table x; --"}, environ={})
    with pytest.raises(ConfigError, match="unknown aggregates setting"):
        aggregate_settings({"memory": "1GB"}, environ={})
    with _connection(AggregateSettings("64MB", str(tmp_path / "spill"), 1)) as con:
        limit, folder, threads = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('threads')"
        ).fetchone()  # type: ignore[misc]
    assert limit == "61.0 MiB"  # 64 MB = 64,000,000 bytes
    assert folder == str(tmp_path / "spill") and int(threads) == 1


def test_a_tiny_memory_limit_spills_instead_of_failing(tmp_path: Path) -> None:
    """200k lines in few, large baskets (about 1.8M pair occurrences) within 64 MB."""
    rng = np.random.default_rng(7)
    n = 200_000
    table = pa.table(
        {
            "transaction_id": pa.array([f"txn_{i:07d}" for i in range(n)]),
            "customer_id": pa.array([f"c{c:04d}" for c in rng.integers(0, 1000, n)]),
            "product_id": pa.array([f"p{p:04d}" for p in rng.integers(0, 1000, n)]),
            "quantity": pa.array(rng.integers(1, 5, n), pa.int64()),
            "total_amount": pa.array(rng.integers(100, 50_000, n) / 100, pa.float64()),
            "transaction_date": pa.array(
                (np.datetime64(AS_OF) - rng.integers(0, 20, n)).astype("datetime64[D]"),
                pa.date32(),
            ),
            "status": pa.array(rng.choice(["completed"] * 3 + ["returned", "pending"], n)),
        }
    )
    lake = LocalLake(tmp_path / "lake")
    jobs.write_table(lake, Zone.CURATED, "transactions", RUN, table)
    lines = jobs.read_table(lake, Zone.CURATED, "transactions", RUN)
    tiny = AggregateSettings(memory_limit="64MB", temp_directory=str(tmp_path / "spill"))

    pairs = run_aggregate(
        lake,
        RUN,
        "product_affinity",
        as_of=AS_OF,
        params={"affinity_min_pair_count": MIN_PAIRS},
        settings=tiny,
    )
    assert_same_table(pairs, product_affinity(lines, min_pair_count=MIN_PAIRS), "product_affinity")
    assert pairs.num_rows > 10_000
    customers = run_aggregate(lake, RUN, "customer_metrics", as_of=AS_OF, settings=tiny)
    assert_same_customers(customers, lines, AS_OF)

    # The limit is real: far below what the pairs need, DuckDB says so.
    with pytest.raises(PipelineError, match=r"(?i)out of memory"):
        run_aggregate(
            lake,
            RUN,
            "product_affinity",
            as_of=AS_OF,
            params={"affinity_min_pair_count": 1},
            settings=AggregateSettings(memory_limit="8MB", temp_directory=str(tmp_path / "s")),
        )
