"""Run-level rules over the row accounting: rows reconcile, reject and duplicate rates."""

from __future__ import annotations

from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.quality import CRITICAL, FAIL, PASS, WARN, WARNING, QualityReport, RuleResult
from pipeline_lib.quality._accounting_rules import (
    check_duplicate_rates,
    check_reject_rates,
    reconcile_rows,
)
from pipeline_lib.quality.settings import DuplicateRateRule, RejectRateRule
from pipeline_lib.storage import Zone
from tests.unit.test_quality_runs import batch


def transactions_stages(etl_reads: int = 90) -> list[StageAccounting]:
    """100 lines read; 90 kept at ingestion, 80 after the ETL, 78 after the merge."""
    return [
        StageAccounting("transactions", "ingestion", 100, 90, {"unparseable_value:price": 10}),
        StageAccounting(
            "transactions",
            "etl",
            etl_reads,
            80,
            {"negative_amount": etl_reads - 85},
            duplicates_removed=5,
        ),
        StageAccounting("transactions", "merge", 80, 78, {"unknown_product_id": 2}),
    ]


def products_stages() -> list[StageAccounting]:
    return [
        StageAccounting("products", "ingestion", 20, 20),
        StageAccounting("products", "etl", 20, 20),
    ]


def version(qualified: str, rows: int) -> TableVersion:
    zone, name = qualified.split(".")
    return TableVersion(Zone(zone), name, "r1", rows=rows, files=1, bytes=100)


def audit(accounting: list[StageAccounting], versions: list[TableVersion]) -> QualityReport:
    rules = reconcile_rows(versions, accounting)
    assert all(r.severity == CRITICAL for r in rules)
    return QualityReport("r1", "2026-11-28", rules)


def failures(report: QualityReport) -> list[RuleResult]:
    return [r for r in report.rules if r.status == FAIL]


def by_name_and_subject(report: QualityReport) -> dict[tuple[str, str], RuleResult]:
    return {(c.rule, c.subject): c for c in report.rules}


# --- reconciliation -----------------------------------------------------------------------


def test_balanced_run_passes_every_check() -> None:
    report = audit(
        transactions_stages() + products_stages(),
        [version("curated.transactions", 78), version("processed.products", 20)],
    )

    assert report.publishable and failures(report) == []
    checks = by_name_and_subject(report)
    assert sorted(checks) == [
        ("rows_produced", "products"),
        ("rows_produced", "transactions"),
        ("stages_chain", "products"),
        ("stages_chain", "transactions"),
        ("table_rows_match_accounting", "curated.transactions"),
        ("table_rows_match_accounting", "processed.products"),
    ]
    assert all(c.status == PASS for c in report.rules)
    chains = [c.detail for c in report.rules if c.rule == "stages_chain"]
    assert "ingestion kept 90, etl read 90" in chains
    assert "etl kept 80, merge read 80" in chains
    assert (
        checks[("table_rows_match_accounting", "curated.transactions")].detail
        == "78 rows written, 78 accounted"
    )


def test_broken_chain_fails_naming_the_dataset_and_the_stages() -> None:
    report = audit(transactions_stages(etl_reads=91), [version("curated.transactions", 78)])

    assert not report.publishable
    assert [(c.rule, c.subject, c.status, c.detail) for c in failures(report)] == [
        ("stages_chain", "transactions", FAIL, "ingestion kept 90, etl read 91")
    ]


def test_table_rows_differing_from_the_accounting_fail() -> None:
    report = audit(transactions_stages(), [version("curated.transactions", 77)])

    assert not report.publishable
    assert [(c.rule, c.subject, c.detail) for c in failures(report)] == [
        ("table_rows_match_accounting", "curated.transactions", "77 rows written, 78 accounted")
    ]


def test_a_dataset_that_kept_no_rows_fails() -> None:
    empty = [
        StageAccounting("reviews", "ingestion", 3, 0, {"missing_required:rating": 3}),
        StageAccounting("reviews", "etl", 0, 0),
        StageAccounting("reviews", "merge", 0, 0),
    ]
    report = audit(empty, [version("curated.reviews", 0)])

    assert [(c.rule, c.subject, c.detail) for c in failures(report)] == [
        ("rows_produced", "reviews", "0 rows after merge")
    ]


def test_a_run_without_accounting_fails() -> None:
    report = audit([], [])
    assert [(c.rule, c.subject, c.status) for c in report.rules] == [("rows_produced", "run", FAIL)]
    assert not report.publishable


# --- reject and duplicate rates -----------------------------------------------------------


def test_reject_rates_warn_and_fail_by_threshold() -> None:
    accounting = [
        StageAccounting("transactions", "ingestion", 1000, 980, {"bad_price": 20}),
        StageAccounting("transactions", "etl", 980, 950, {"negative_amount": 30}),
        StageAccounting("reviews", "ingestion", 100, 99, {"bad": 1}),
    ]
    rules = [RejectRateRule("transactions", 1, 4), RejectRateRule("reviews", 0.5, 5)]
    by_subject = {r.table: r for r in check_reject_rates(accounting, rules)}
    assert by_subject["transactions"].status == FAIL
    assert by_subject["transactions"].observed == 5.0
    assert "bad_price 20, negative_amount 30" in by_subject["transactions"].detail
    assert (by_subject["reviews"].status, by_subject["reviews"].severity) == (WARN, WARNING)


def test_duplicate_rate_rule_without_history() -> None:
    rules = [DuplicateRateRule("transactions", 5, 60)]
    assert [r.status for r in check_duplicate_rates(batch(), rules)] == ["pass"]
    warned: RuleResult = check_duplicate_rates(batch(rows=2000, duplicates=1000), rules)[0]
    assert (warned.status, warned.observed) == ("warn", 50.0)
    assert "a file delivered twice" in warned.detail
    failed = check_duplicate_rates(batch(rows=2000, duplicates=1500), rules)[0]
    assert failed.status == "fail"
