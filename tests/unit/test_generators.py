"""The sample-data generator: contracts, consistency, realism, imperfections, formats."""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import GeneratorError, PipelineError
from pipeline_lib.generators import DIRTY_KINDS, GeneratorConfig, generate_all
from pipeline_lib.schemas import (
    CATEGORIES,
    CONTRACTS,
    DATE_FORMATS,
    EVENT_TYPES,
    TRANSACTION_STATUSES,
)

END = date(2026, 11, 28)
SMALL: dict[str, Any] = {
    "transactions": 4000,
    "products": 300,
    "seed": 7,
    "end_date": END,
    "days": 180,
}
FILES = {
    "transactions": "transactions.csv",
    "products": "products.json",
    "clickstream": "clickstream.json",
    "reviews": "reviews.csv",
}


def _read(folder: Path) -> dict[str, Any]:
    """The four datasets as string-typed frames (empty cells stay ""), and the manifest."""
    return {
        "transactions": pd.read_csv(
            folder / FILES["transactions"], dtype=str, keep_default_na=False
        ),
        "products": pd.DataFrame(json.loads((folder / FILES["products"]).read_text("utf-8"))),
        "clickstream": pd.read_json(folder / FILES["clickstream"], lines=True, dtype=False),
        "reviews": pd.read_csv(folder / FILES["reviews"], dtype=str, keep_default_na=False),
        "manifest": json.loads((folder / "manifest.json").read_text("utf-8")),
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("clean")
    result = generate_all(folder, GeneratorConfig(**SMALL))
    return {**_read(folder), "result": result, "folder": folder}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("dirty")
    result = generate_all(folder, GeneratorConfig(**SMALL, dirty_rate=0.03))
    return {**_read(folder), "result": result, "folder": folder}


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- determinism, sizes, contracts ---------------------------------------------------------


def test_same_config_writes_identical_bytes_and_other_seed_differs(
    clean: dict[str, Any], tmp_path: Path
) -> None:
    generate_all(tmp_path / "again", GeneratorConfig(**SMALL))
    assert _bytes(tmp_path / "again") == _bytes(clean["folder"])

    generate_all(tmp_path / "other", GeneratorConfig(**{**SMALL, "seed": 8}))
    other = _bytes(tmp_path / "other")
    for name in FILES.values():
        assert other[name] != _bytes(clean["folder"])[name], name


def test_rows_match_files_and_requested_sizes(clean: dict[str, Any]) -> None:
    result, manifest = clean["result"], clean["manifest"]
    assert result.rows == manifest["rows"]
    assert result.manifest == manifest
    assert result.manifest_path == clean["folder"] / "manifest.json"
    assert {n: p.name for n, p in result.files.items()} == FILES
    for name in FILES:
        assert len(clean[name]) == result.rows[name], name
    assert result.rows["transactions"] == SMALL["transactions"]
    assert result.rows["products"] == SMALL["products"]
    assert manifest["requested"]["customers"] == 800  # max(200, 4000 // 5)
    assert (manifest["seed"], manifest["end_date"], manifest["days"]) == (7, "2026-11-28", 180)
    assert manifest["dirty_rate"] == 0.0
    assert all(entry["count"] == 0 for entry in manifest["injected"].values())
    assert set(manifest["injected"]) == set(DIRTY_KINDS)


def test_columns_and_ids_follow_the_contracts(clean: dict[str, Any]) -> None:
    for name in FILES:
        contract = CONTRACTS[name]
        frame = clean[name]
        assert list(frame.columns) == contract.column_names, name
        for column in contract.columns:
            if column.pattern:
                values = frame[column.name].dropna()
                values = values[values != ""]
                assert values.str.fullmatch(column.pattern).all(), (name, column.name)
            if column.allowed_values:
                assert set(frame[column.name]) <= set(column.allowed_values), column.name
    txns = clean["transactions"]
    assert txns["transaction_id"].is_unique
    assert txns["transaction_id"].iloc[0] == "txn_0000001"
    assert clean["products"]["product_id"].is_unique


def test_amounts_have_two_decimals_and_add_up(clean: dict[str, Any]) -> None:
    txns = clean["transactions"]
    assert txns["price"].str.fullmatch(r"\d+\.\d\d").all()
    assert txns["total_amount"].str.fullmatch(r"\d+\.\d\d").all()
    quantity = txns["quantity"].astype(int)
    expected = (quantity * txns["price"].astype(float)).round(2)
    assert (expected - txns["total_amount"].astype(float)).abs().max() < 0.005
    assert quantity.between(1, 5).all() and (quantity <= 3).mean() > 0.9


def test_reviews_csv_round_trips_through_python_csv(clean: dict[str, Any]) -> None:
    with (clean["folder"] / "reviews.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert all(len(row) == 6 for row in rows)
    texts = [row[4] for row in rows[1:]]
    assert any("," in t for t in texts) and any('"' in t for t in texts)
    assert any(not t.isascii() for t in texts)
    assert any(t == "" for t in texts)


# --- consistency across files --------------------------------------------------------------


def test_ids_are_consistent_across_files(clean: dict[str, Any]) -> None:
    products = set(clean["products"]["product_id"])
    txns, reviews, clicks = clean["transactions"], clean["reviews"], clean["clickstream"]
    assert set(txns["product_id"]) <= products
    assert set(reviews["product_id"]) <= products
    bought = set(zip(txns["customer_id"], txns["product_id"]))
    assert set(zip(reviews["customer_id"], reviews["product_id"])) <= bought
    pages = clicks["page"].str.extract(r"^/product/(prod_\d+)$")[0].dropna()
    assert set(pages) <= products


def test_purchase_events_line_up_with_transactions(clean: dict[str, Any]) -> None:
    txns, clicks = clean["transactions"], clean["clickstream"]
    purchases = clicks[clicks["event_type"] == "purchase"]
    from_clicks = Counter(
        zip(
            purchases["customer_id"],
            purchases["page"].str.removeprefix("/product/"),
            purchases["timestamp"].str[:10],
        )
    )
    from_txns = Counter(zip(txns["customer_id"], txns["product_id"], txns["transaction_date"]))
    assert from_clicks == from_txns


def test_review_dates_follow_a_purchase_of_the_product(clean: dict[str, Any]) -> None:
    txns, reviews = clean["transactions"], clean["reviews"]
    first_purchase = txns.groupby(["customer_id", "product_id"])["transaction_date"].min()
    last_purchase = txns.groupby(["customer_id", "product_id"])["transaction_date"].max()
    keys = list(zip(reviews["customer_id"], reviews["product_id"]))
    review_day = pd.to_datetime(reviews["review_date"])
    assert (review_day.values >= pd.to_datetime(first_purchase.loc[keys]).values).all()
    upper = pd.to_datetime(last_purchase.loc[keys]).values + pd.Timedelta(days=30).to_numpy()
    assert (review_day.values <= upper).all()
    assert 0.07 < len(reviews) / len(txns) < 0.13


# --- realism --------------------------------------------------------------------------------


def test_dates_stay_in_the_window_and_the_end_date_has_sales(clean: dict[str, Any]) -> None:
    txns = clean["transactions"]
    days = pd.to_datetime(txns["transaction_date"], format="%Y-%m-%d")
    assert days.max().date() == END
    assert days.min().date() >= END - timedelta(days=SMALL["days"] - 1)
    assert pd.to_datetime(clean["reviews"]["review_date"]).max().date() <= END
    stamps = clean["clickstream"]["timestamp"]
    assert stamps.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert stamps.max() < (END + timedelta(days=1)).isoformat()
    assert stamps.is_monotonic_increasing


def _funnel(clicks: pd.DataFrame, manifest: dict[str, Any]) -> dict[str, Any]:
    """The funnel as written and as weighted by the manifest's sampling rates.

    A session's deepest step decides its rate; the session and each of its events count
    ``1 / rate`` times in the weighted funnel.
    """
    rates = manifest["clickstream"]["sampling"]["rate_by_deepest_step"]
    step = clicks["event_type"].map({e: i for i, e in enumerate(EVENT_TYPES)})
    depth = step.groupby(clicks["session_id"]).max()
    weight = 1.0 / depth.map(lambda d: rates[EVENT_TYPES[d]])
    event_weight = clicks["session_id"].map(weight)
    reached = clicks.groupby("event_type")["session_id"].nunique()
    return {
        "depth": depth,
        "sessions": [int(reached.get(e, 0)) for e in EVENT_TYPES],
        "events": [int((step == i).sum()) for i in range(len(EVENT_TYPES))],
        "weighted_sessions": [float(weight[depth >= i].sum()) for i in range(len(EVENT_TYPES))],
        "weighted_events": [float(event_weight[step == i].sum()) for i in range(len(EVENT_TYPES))],
        "conversion": float(weight[depth == len(EVENT_TYPES) - 1].sum() / weight.sum()),
    }


def _never_grows(counts: list[Any]) -> bool:
    return all(a >= b for a, b in zip(counts, counts[1:]))


def test_funnel_never_grows_in_sessions_or_events(clean: dict[str, Any]) -> None:
    clicks = clean["clickstream"]
    funnel = _funnel(clicks, clean["manifest"])
    # As written (what a dashboard shows without weighting) and as weighted.
    for counts in ("sessions", "events", "weighted_sessions", "weighted_events"):
        assert _never_grows(funnel[counts]), (counts, funnel[counts])
    # "Reaching a step" is well defined: a session has every step before its deepest one.
    steps = clicks.groupby("session_id")["event_type"].nunique()
    assert (steps == funnel["depth"] + 1).all()
    assert 1.0 <= funnel["weighted_events"][0] / funnel["weighted_sessions"][0] <= 3.0
    # One purchase event per order line, so (above) checkout starts are at least as many.
    assert funnel["events"][-1] == len(clean["transactions"])
    anonymous = clicks[clicks["customer_id"].isna()]
    assert len(anonymous) > 0 and "purchase" not in set(anonymous["event_type"])
    assert set(clicks["device"]) == {"mobile", "desktop", "tablet"}


def test_clickstream_size_stays_near_ten_events_per_order_line(clean: dict[str, Any]) -> None:
    # The README promises about eleven; far more would blow the 1M-line time budget.
    assert 8.0 <= len(clean["clickstream"]) / len(clean["transactions"]) <= 14.0


def test_manifest_records_the_clickstream_sampling(clean: dict[str, Any]) -> None:
    section = clean["manifest"]["clickstream"]
    rates = section["sampling"]["rate_by_deepest_step"]
    assert list(rates) == list(EVENT_TYPES)
    assert rates["checkout_start"] == rates["purchase"] == 1.0  # never sampled
    sampled = [rates[e] for e in EVENT_TYPES[:3]]
    assert all(0.0 < r < 1.0 for r in sampled) and len(set(sampled)) == 1
    assert section["sampling"]["non_converting_sessions_before_checkout"] == sampled[0]
    assert "1 / rate" in section["sampling"]["weighting"]
    # The written counts are the file's; the represented ones are what they stand for.
    depth = _funnel(clean["clickstream"], clean["manifest"])["depth"]
    written = section["sessions"]["written_by_deepest_step"]
    assert written == {e: int((depth == i).sum()) for i, e in enumerate(EVENT_TYPES)}
    assert section["sessions"]["written"] == depth.size
    represented = section["sessions"]["represented_by_deepest_step"]
    for step, rate in rates.items():
        assert abs(represented[step] * rate - written[step]) <= 1, step
    assert section["sessions"]["represented"] == sum(represented.values())
    assert represented["purchase"] == clean["manifest"]["orders"]
    conversion = section["session_conversion"]
    assert math.isclose(
        conversion["represented"], represented["purchase"] / sum(represented.values()), abs_tol=1e-4
    )
    assert conversion["written"] > conversion["represented"]


@pytest.mark.parametrize(
    ("transactions", "seed", "dirty_rate"),
    [(2000, 1, 0.0), (2000, 2, 0.02), (2000, 3, 0.0), (20_000, 4, 0.02)],
)
def test_conversion_is_realistic_and_transactions_are_order_lines(
    tmp_path: Path, transactions: int, seed: int, dirty_rate: float
) -> None:
    config = GeneratorConfig(
        transactions=transactions, seed=seed, end_date=END, days=365, dirty_rate=dirty_rate
    )
    result = generate_all(tmp_path, config)
    data = _read(tmp_path)
    funnel = _funnel(data["clickstream"], data["manifest"])
    assert 0.01 <= funnel["conversion"] <= 0.05, funnel["conversion"]
    assert math.isclose(
        funnel["conversion"],
        data["manifest"]["clickstream"]["session_conversion"]["represented"],
        rel_tol=0.02,
    )
    for counts in ("sessions", "events", "weighted_sessions", "weighted_events"):
        assert _never_grows(funnel[counts]), (counts, funnel[counts])
    # --transactions N is N order lines; status updates repeat a line and come on top.
    txns = data["transactions"]
    updates = data["manifest"]["injected"]["duplicate_status_update"]["count"]
    assert txns["transaction_id"].nunique() == transactions
    assert len(txns) - updates == transactions == result.rows["transactions"] - updates
    assert funnel["events"][-1] == transactions  # one purchase event per order line


def test_each_session_walks_the_funnel_in_order_on_one_day(clean: dict[str, Any]) -> None:
    clicks = clean["clickstream"]
    step = clicks["event_type"].map({e: i for i, e in enumerate(EVENT_TYPES)})
    ordered = step.groupby(clicks["session_id"]).apply(lambda s: s.is_monotonic_increasing)
    assert ordered.all()
    first = clicks.groupby("session_id")["event_type"].first()
    assert (first == "page_view").all()
    assert (
        clicks.groupby("session_id")["timestamp"].agg(lambda s: s.str[:10].nunique()) == 1
    ).all()
    assert clicks.groupby("session_id")["customer_id"].nunique(dropna=False).max() == 1


def test_popular_products_take_most_revenue(clean: dict[str, Any]) -> None:
    txns = clean["transactions"]
    revenue = txns["total_amount"].astype(float).groupby(txns["product_id"]).sum()
    top = revenue.sort_values(ascending=False).head(SMALL["products"] // 10)
    assert top.sum() / revenue.sum() > 0.4


def test_co_purchases_are_related_products(clean: dict[str, Any]) -> None:
    txns = clean["transactions"].merge(clean["products"][["product_id", "category"]])
    baskets = txns.groupby(["customer_id", "transaction_date"])["category"].agg(list)
    pairs = [(b[0], other) for b in baskets if len(b) > 1 for other in b[1:]]
    same = sum(a == b for a, b in pairs) / len(pairs)
    shares = txns["category"].value_counts(normalize=True)
    assert same > 2 * float((shares**2).sum())  # well above chance


def test_weekends_are_busier_and_pending_is_recent(clean: dict[str, Any]) -> None:
    txns = clean["transactions"]
    days = pd.to_datetime(txns["transaction_date"])
    per_weekday = days.dt.day_of_week.value_counts() / days.dt.day_of_week.nunique()
    assert per_weekday[[5, 6]].mean() > per_weekday[[0, 1, 2, 3]].mean() * 1.1
    shares = txns["status"].value_counts(normalize=True)
    assert set(shares.index) == set(TRANSACTION_STATUSES)
    assert 0.80 < shares["completed"] < 0.90
    recent = days > pd.Timestamp(END) - pd.Timedelta(days=14)
    assert (txns.loc[recent, "status"] == "pending").mean() > 0.25
    assert (txns.loc[~recent, "status"] == "pending").mean() < 0.1


def test_ratings_vary_by_product_and_unhappy_buyers_rate_lower(clean: dict[str, Any]) -> None:
    reviews = clean["reviews"].assign(rating=lambda f: f["rating"].astype(int))
    assert set(reviews["rating"]) == {1, 2, 3, 4, 5}
    by_product = reviews.groupby("product_id")["rating"].agg(["mean", "count"])
    means = by_product.loc[by_product["count"] >= 5, "mean"]
    assert len(means) >= 10 and means.max() - means.min() > 1.5
    status = clean["transactions"].drop_duplicates(["customer_id", "product_id"])
    joined = reviews.merge(status[["customer_id", "product_id", "status"]])
    unhappy = joined["status"].isin(["returned", "refunded"])
    assert joined.loc[unhappy, "rating"].mean() < joined.loc[~unhappy, "rating"].mean() - 0.5


def test_catalog_prices_depend_on_category_and_some_stock_is_zero(clean: dict[str, Any]) -> None:
    products = clean["products"]
    assert set(products["category"]) == set(CATEGORIES)
    median = products.groupby("category")["price"].median()
    assert median["Electronics"] > 3 * median["Grocery"]
    assert (products["stock"] == 0).any() and (products["stock"] > 0).mean() > 0.8
    assert all(n.startswith(b + " ") for n, b in zip(products["name"], products["brand"]))


# --- imperfections --------------------------------------------------------------------------


def _injected(dirty: dict[str, Any], kind: str) -> set[str]:
    entry = dirty["manifest"]["injected"][kind]
    assert entry["count"] == len(entry["ids"])
    return set(entry["ids"])


def test_each_dirty_kind_matches_the_manifest_exactly(
    dirty: dict[str, Any], clean: dict[str, Any]
) -> None:
    txns, products = dirty["transactions"], dirty["products"]
    n_lines = SMALL["transactions"]
    originals = txns.iloc[:n_lines]
    for kind in DIRTY_KINDS:
        size = SMALL["products"] if kind == "category_whitespace_case" else n_lines
        assert dirty["manifest"]["injected"][kind]["count"] == round(0.03 * size), kind

    missing = set(originals.loc[originals["total_amount"] == "", "transaction_id"])
    assert missing == _injected(dirty, "missing_total_amount")
    amounts = pd.to_numeric(originals["total_amount"].replace("", None))
    negative = set(originals.loc[amounts < 0, "transaction_id"])
    assert negative == _injected(dirty, "negative_amount")

    iso = originals["transaction_date"].str.fullmatch(r"\d{4}-\d\d-\d\d")
    assert set(originals.loc[~iso, "transaction_id"]) == _injected(dirty, "mixed_date_format")
    clean_date = clean["transactions"].set_index("transaction_id")["transaction_date"]
    for txn, value in originals.loc[~iso, ["transaction_id", "transaction_date"]].values:
        parsed = {_parse(value, fmt) for fmt in DATE_FORMATS} - {None}
        assert parsed == {clean_date[txn]}, value

    catalog = set(products["product_id"])
    unknown = set(originals.loc[~originals["product_id"].isin(catalog), "transaction_id"])
    assert unknown == _injected(dirty, "unknown_product_id")

    updates = txns.iloc[n_lines:]
    assert set(updates["transaction_id"]) == _injected(dirty, "duplicate_status_update")
    assert updates["transaction_id"].is_unique
    before = originals.set_index("transaction_id").loc[updates["transaction_id"], "status"]
    assert (before == "completed").all()
    assert set(updates["status"]) <= {"returned", "refunded"}
    assert len(txns) == dirty["result"].rows["transactions"] == n_lines + len(updates)

    messy = products[~products["category"].isin(CATEGORIES)]
    assert set(messy["product_id"]) == _injected(dirty, "category_whitespace_case")
    restored = {c.casefold(): c for c in CATEGORIES}
    assert messy["category"].map(lambda c: restored.get(c.strip().casefold())).notna().all()
    assert (messy["category"] != messy["category"].str.strip()).all()

    kinds = [_injected(dirty, k) for k in DIRTY_KINDS if k != "category_whitespace_case"]
    assert sum(len(k) for k in kinds) == len(set().union(*kinds))  # no row has two kinds


def _parse(value: str, fmt: str) -> str | None:
    try:
        return datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        return None


def test_rows_without_imperfections_equal_the_clean_data(
    dirty: dict[str, Any], clean: dict[str, Any]
) -> None:
    affected = set().union(
        *(_injected(dirty, k) for k in DIRTY_KINDS if k != "category_whitespace_case")
    )
    dirty_lines = dirty["transactions"].iloc[: SMALL["transactions"]]
    untouched = ~dirty_lines["transaction_id"].isin(affected)
    expected = clean["transactions"][untouched.values]
    pd.testing.assert_frame_equal(dirty_lines[untouched], expected)
    for name in ("clickstream", "reviews"):
        pd.testing.assert_frame_equal(dirty[name], clean[name])


# --- formats --------------------------------------------------------------------------------


def test_parquet_output_has_the_contract_types(clean: dict[str, Any], tmp_path: Path) -> None:
    result = generate_all(
        tmp_path, GeneratorConfig(**SMALL, file_format="parquet", dirty_rate=0.03)
    )
    assert {n: p.name for n, p in result.files.items()} == {n: f"{n}.parquet" for n in FILES}
    for name, path in result.files.items():
        schema = pq.read_schema(path)
        expected = CONTRACTS[name].arrow_schema()
        assert schema.names == expected.names
        assert [f.type for f in schema] == [f.type for f in expected], name
        assert pq.read_metadata(path).num_rows == result.rows[name]
    assert result.manifest["injected"]["mixed_date_format"] == {
        "dataset": "transactions",
        "count": 0,
        "ids": [],
    }
    clicks = pq.read_table(result.files["clickstream"]).to_pandas()
    assert list(clicks["session_id"]) == list(clean["clickstream"]["session_id"])
    stamps = clicks["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list(stamps) == list(clean["clickstream"]["timestamp"])


def test_clickstream_written_in_two_halves_has_the_same_bytes(
    clean: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Big JSON-lines files are rendered in two halves at once; small ones are not.
    monkeypatch.setattr("pipeline_lib.generators._writers.PARALLEL_MIN_ROWS", 100)
    generate_all(tmp_path, GeneratorConfig(**SMALL))
    assert _bytes(tmp_path) == _bytes(clean["folder"])  # no part file left behind either


def test_gzip_output_decompresses_to_the_plain_files(clean: dict[str, Any], tmp_path: Path) -> None:
    result = generate_all(tmp_path, GeneratorConfig(**SMALL, gzip=True))
    assert {n: p.name for n, p in result.files.items()} == {n: f + ".gz" for n, f in FILES.items()}
    for name, plain in FILES.items():
        assert (
            gzip.decompress(result.files[name].read_bytes())
            == (clean["folder"] / plain).read_bytes()
        )
    assert not list(tmp_path.glob("*.tmp"))


# --- configuration --------------------------------------------------------------------------


def test_defaults() -> None:
    config = GeneratorConfig()
    assert (config.transactions, config.seed, config.days, config.products) == (
        100_000,
        42,
        365,
        2000,
    )
    assert config.end_date == datetime.now(timezone.utc).date()
    assert config.customer_count == 20_000
    assert GeneratorConfig(transactions=500).customer_count == 200
    assert (config.dirty_rate, config.file_format, config.gzip) == (0.0, "csv", False)


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"transactions": 0}, "--transactions"),
        ({"products": 3}, "--products"),
        ({"days": -1}, "--days"),
        ({"seed": -5}, "--seed"),
        ({"dirty_rate": 0.5}, "--dirty-rate"),
        ({"dirty_rate": -0.1}, "--dirty-rate"),
        ({"file_format": "xml"}, "--format"),
        ({"file_format": "parquet", "gzip": True}, "--gzip"),
    ],
)
def test_invalid_config_says_what_to_pass(kwargs: dict[str, Any], hint: str) -> None:
    with pytest.raises(GeneratorError, match=re.escape(hint)) as caught:
        GeneratorConfig(**kwargs)
    assert isinstance(caught.value, PipelineError)
    assert "pass" in str(caught.value) or "drop" in str(caught.value)


def test_tiny_config_still_has_sales_on_the_end_date(tmp_path: Path) -> None:
    result = generate_all(
        tmp_path,
        GeneratorConfig(transactions=3, products=8, days=400, end_date=END, dirty_rate=0.2),
    )
    txns = pd.read_csv(result.files["transactions"], dtype=str, keep_default_na=False)
    assert result.rows["transactions"] == len(txns)
    assert END.isoformat() in set(txns["transaction_date"]) or any(
        {_parse(v, f) for f in DATE_FORMATS} == {END.isoformat(), None}
        for v in txns["transaction_date"]
    )
    assert math.isclose(result.manifest["dirty_rate"], 0.2)
