"""DataQualityChecker: its checks, configured rules and contract rules on tiny tables (DuckDB)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import ContractError
from pipeline_lib.quality import CRITICAL, FAIL, PASS, WARN, WARNING, DuckDBRunner
from pipeline_lib.quality.checker import DataQualityChecker, DataQualityException
from pipeline_lib.quality.settings import (
    NullRule,
    ReferentialRule,
    RowCountRule,
)
from pipeline_lib.schemas import TABLES, domains_from_params

AS_OF = date(2026, 11, 28)


def write_table(folder: Path, qualified: str, rows: list[dict[str, Any]]) -> Path:
    schema = TABLES[qualified].arrow_schema()
    table = pa.Table.from_pylist(rows, schema=schema)
    path = folder / qualified
    path.mkdir(parents=True)
    pq.write_table(table, path / "part-0.parquet")
    return path


def product(pid: str, price: float = 10.0, stock: int = 5, **extra: Any) -> dict[str, Any]:
    return {
        "product_id": pid,
        "name": "Mouse",
        "category": "Electronics",
        "category_id": "electronics",
        "department": "Technology",
        "brand": "B",
        "price": price,
        "stock": stock,
        **extra,
    }


def review(rid: str, pid: str, rating: int = 5, day: date = AS_OF) -> dict[str, Any]:
    return {
        "review_id": rid,
        "product_id": pid,
        "customer_id": "cust_1",
        "rating": rating,
        "review_text": None,
        "review_date": day,
    }


@pytest.fixture
def runner(tmp_path: Path) -> DuckDBRunner:
    products = [
        product("prod_1"),
        product("prod_2", price=-3.0),
        product("prod_2"),
        product("prod_3", price=None),
    ]
    reviews = [
        review("rev_1", "prod_1", day=date(2026, 11, 26)),
        review("rev_2", "prod_9", day=date(2026, 11, 25)),
    ]
    return DuckDBRunner(
        {
            "processed.products": write_table(tmp_path, "processed.products", products),
            "curated.products": write_table(tmp_path, "curated.products", []),
            "curated.reviews": write_table(tmp_path, "curated.reviews", reviews),
        }
    )


@pytest.fixture
def checker(runner: DuckDBRunner) -> DataQualityChecker:
    return DataQualityChecker(runner, as_of=AS_OF)


def test_tables_have_the_contract_columns_used_here() -> None:
    assert TABLES["processed.products"].column_names[:3] == ["product_id", "name", "category"]
    assert "review_date" in TABLES["curated.reviews"].column_names


def test_row_counts_pass_and_fail_with_the_figures(checker: DataQualityChecker) -> None:
    ok = checker.check_row_counts("processed.products", 4)
    assert ok.passed and ok.observed == 4 and ok.threshold == 4
    with pytest.raises(DataQualityException, match="Row count 4 below threshold 100") as caught:
        checker.check_row_counts("processed.products", 100)
    assert caught.value.observed == 4 and caught.value.threshold == 100


def test_null_percentages(checker: DataQualityChecker) -> None:
    ok = checker.check_null_percentages("processed.products", ["product_id", "name"], 0.1)
    assert ok.figures["null_pct"] == {"product_id": 0.0, "name": 0.0}
    with pytest.raises(DataQualityException, match="price 25% above threshold 10%") as caught:
        checker.check_null_percentages("processed.products", ["price", "stock"], 10)
    assert caught.value.figures["null_pct"] == {"price": 25.0, "stock": 0.0}
    assert caught.value.result.column == "price"


def test_duplicates(checker: DataQualityChecker) -> None:
    assert checker.check_duplicates("curated.reviews", ["review_id"]).observed == 0
    with pytest.raises(DataQualityException, match="1 duplicate rows over 1 repeated") as caught:
        checker.check_duplicates("processed.products", ["product_id"])
    assert caught.value.figures == {"duplicate_rows": 1, "duplicated_keys": 1}


def test_freshness_is_measured_from_the_end_of_the_as_of_day(
    checker: DataQualityChecker,
) -> None:
    # Newest review 2026-11-26 covers that day: 48 h before the end of 2026-11-28.
    ok = checker.check_data_freshness("curated.reviews", "review_date", max_age_hours=48)
    assert ok.observed == 48.0
    with pytest.raises(DataQualityException, match="48 h old, above threshold 24 h"):
        checker.check_data_freshness("curated.reviews", "review_date", max_age_hours=24)
    later = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)
    injected = checker.check_data_freshness("curated.reviews", "review_date", 24, now=later)
    assert injected.observed == 12.0


def test_dates_after_the_run_date_fail_freshness_as_future_data(
    checker: DataQualityChecker,
) -> None:
    # The newest review (2026-11-26) lies after the end of a run dated 2026-11-25.
    before = datetime(2026, 11, 25, 23, 59, 59, tzinfo=timezone.utc)
    with pytest.raises(DataQualityException, match="after the run date's end: future data"):
        checker.check_data_freshness("curated.reviews", "review_date", 48, now=before)


def test_value_ranges(checker: DataQualityChecker) -> None:
    ok = checker.check_value_ranges("processed.products", "stock", 0, 10)
    assert ok.observed == 0 and ok.figures["max"] == 5
    with pytest.raises(DataQualityException, match=r"1 values outside \[0, 100\]") as caught:
        checker.check_value_ranges("processed.products", "price", 0, 100)
    assert caught.value.figures["below"] == 1 and caught.value.figures["above"] == 0


def test_referential_integrity(checker: DataQualityChecker) -> None:
    passing = checker.measure_referential_integrity(
        "curated.reviews", "curated.reviews", "product_id"
    )
    assert passing.passed and passing.observed == 0
    with pytest.raises(DataQualityException, match=r"1 rows \(1 distinct product_id\)") as caught:
        checker.check_referential_integrity("processed.products", "curated.reviews", "product_id")
    assert caught.value.figures["orphan_keys"] == 1


def test_referential_integrity_may_tolerate_a_share_of_orphans(checker: DataQualityChecker) -> None:
    strict = checker.measure_referential_integrity(
        "processed.products", "curated.reviews", "product_id"
    )
    assert not strict.passed and strict.figures["orphan_pct"] == 50.0
    loose = checker.measure_referential_integrity(
        "processed.products", "curated.reviews", "product_id", max_pct=60
    )
    assert loose.passed and (loose.observed, loose.threshold) == (50.0, 60)
    tight = checker.measure_referential_integrity(
        "processed.products", "curated.reviews", "product_id", max_pct=10
    )
    assert not tight.passed and "threshold 10%" in tight.message


def test_names_outside_the_contracts_never_reach_sql(checker: DataQualityChecker) -> None:
    with pytest.raises(ContractError, match="unknown table"):
        checker.check_row_counts("processed.products; DROP TABLE x", 1)
    with pytest.raises(ContractError, match="has no column"):
        checker.check_value_ranges("processed.products", "price) OR (1=1", 0, 1)


def test_evaluate_returns_rule_results_without_raising(checker: DataQualityChecker) -> None:
    failed = checker.evaluate(RowCountRule("processed.products", 100, CRITICAL))
    assert (failed.rule, failed.status, failed.observed, failed.threshold) == (
        "row_count",
        FAIL,
        4,
        100,
    )
    warned = checker.evaluate(NullRule("processed.products", ("price",), 0.0, WARNING))
    assert warned.status == WARN and warned.observed == 25.0
    orphan = checker.evaluate(
        ReferentialRule("curated.reviews", "processed.products", "product_id", CRITICAL)
    )
    assert orphan.status == FAIL and orphan.observed == 1


def test_contract_rules_count_every_violation(checker: DataQualityChecker) -> None:
    rules = {(r.rule, r.column): r for r in checker.contract_rules("processed.products")}
    assert rules[("not_null", "price")].observed == 1
    assert rules[("value_range", "price")].observed == 1
    assert rules[("duplicates", "product_id")].status == FAIL
    # Open vocabularies and identifier styles are the deployment's: no rule by default.
    assert ("pattern", "product_id") not in rules and ("allowed_values", "category") not in rules


def test_contract_rules_apply_a_deployments_closed_vocabulary_and_patterns(
    checker: DataQualityChecker,
) -> None:
    strict = domains_from_params(
        {
            "products": {
                "values": {"category": {"allowed": ["Books"], "action": "reject"}},
                "patterns": {"product_id": {"regex": "^prod_[0-9]+$", "action": "reject"}},
            }
        }
    )
    rules = {(r.rule, r.column): r for r in checker.contract_rules("processed.products", strict)}
    assert rules[("allowed_values", "category")].status == FAIL
    assert rules[("allowed_values", "category")].threshold == ["Books"]
    assert rules[("pattern", "product_id")].status == PASS


def test_a_deployment_sets_or_switches_off_a_contract_range(
    checker: DataQualityChecker,
) -> None:
    wider = domains_from_params({"products": {"ranges": {"price": {"min": -5, "max": 10}}}})
    rules = {(r.rule, r.column): r for r in checker.contract_rules("processed.products", wider)}
    assert rules[("value_range", "price")].threshold == "[-5.0, 10.0]"
    off = domains_from_params({"products": {"ranges": {"price": "off"}}})
    rules = {(r.rule, r.column): r for r in checker.contract_rules("processed.products", off)}
    assert ("value_range", "price") not in rules


def test_contract_rules_of_a_daily_run_read_the_partitions_it_rewrote() -> None:
    from tests.unit.quality_frames import FrameRunner, transactions

    lines = transactions().assign(name="x", category_id="c", brand="b")
    old = lines.index[0]  # a line of August, published long ago
    lines.loc[old, "quantity"] = -1
    checker = DataQualityChecker(FrameRunner({"curated.transactions": lines}))
    whole = {(r.rule, r.column): r for r in checker.contract_rules("curated.transactions")}
    assert whole[("value_range", "quantity")].status == FAIL
    daily = {
        (r.rule, r.column): r
        for r in checker.contract_rules("curated.transactions", partitions=["2026-10"])
    }
    assert daily[("value_range", "quantity")].status == PASS
    assert "of the run's partitions (2026-10)" in daily[("value_range", "quantity")].detail
    lines.loc[lines.index[-1], "transaction_id"] = lines.loc[old, "transaction_id"]
    checker = DataQualityChecker(FrameRunner({"curated.transactions": lines}))
    daily = {
        (r.rule, r.column): r
        for r in checker.contract_rules("curated.transactions", partitions=["2026-10"])
    }
    assert daily[("duplicates", "transaction_id")].status == FAIL  # keys: the whole table
