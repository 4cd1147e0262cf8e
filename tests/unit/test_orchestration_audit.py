"""The default audit hook: rows reconcile across stages and with the tables written."""

from __future__ import annotations

from pathlib import Path

from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.orchestration.audit import (
    FAIL,
    PASS,
    WARN,
    AuditCheck,
    AuditInput,
    AuditReport,
    reconcile_rows,
)
from pipeline_lib.storage import LocalLake, Zone


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


def audit(
    tmp_path: Path, accounting: list[StageAccounting], versions: list[TableVersion]
) -> AuditReport:
    return reconcile_rows(AuditInput(LocalLake(tmp_path), "r1", versions, accounting))


def by_name_and_subject(report: AuditReport) -> dict[tuple[str, str], AuditCheck]:
    return {(c.name, c.subject): c for c in report.checks}


def test_balanced_run_passes_every_check(tmp_path: Path) -> None:
    report = audit(
        tmp_path,
        transactions_stages() + products_stages(),
        [version("curated.transactions", 78), version("processed.products", 20)],
    )

    assert report.passed and report.failures == []
    checks = by_name_and_subject(report)
    assert sorted(checks) == [
        ("rows_produced", "products"),
        ("rows_produced", "transactions"),
        ("stages_chain", "products"),
        ("stages_chain", "transactions"),
        ("table_rows_match_accounting", "curated.transactions"),
        ("table_rows_match_accounting", "processed.products"),
    ]
    assert all(c.status == PASS for c in report.checks)
    chains = [c.detail for c in report.checks if c.name == "stages_chain"]
    assert "ingestion kept 90, etl read 90" in chains
    assert "etl kept 80, merge read 80" in chains
    assert (
        checks[("table_rows_match_accounting", "curated.transactions")].detail
        == "78 rows written, 78 accounted"
    )


def test_broken_chain_fails_naming_the_dataset_and_the_stages(tmp_path: Path) -> None:
    report = audit(
        tmp_path, transactions_stages(etl_reads=91), [version("curated.transactions", 78)]
    )

    assert not report.passed
    assert [(c.name, c.subject, c.status, c.detail) for c in report.failures] == [
        ("stages_chain", "transactions", FAIL, "ingestion kept 90, etl read 91")
    ]


def test_table_rows_differing_from_the_accounting_fail(tmp_path: Path) -> None:
    report = audit(tmp_path, transactions_stages(), [version("curated.transactions", 77)])

    assert not report.passed
    assert [(c.name, c.subject, c.detail) for c in report.failures] == [
        ("table_rows_match_accounting", "curated.transactions", "77 rows written, 78 accounted")
    ]


def test_a_dataset_that_kept_no_rows_fails(tmp_path: Path) -> None:
    empty = [
        StageAccounting("reviews", "ingestion", 3, 0, {"missing_required:rating": 3}),
        StageAccounting("reviews", "etl", 0, 0),
        StageAccounting("reviews", "merge", 0, 0),
    ]
    report = audit(tmp_path, empty, [version("curated.reviews", 0)])

    assert [(c.name, c.subject, c.detail) for c in report.failures] == [
        ("rows_produced", "reviews", "0 rows after merge")
    ]


def test_a_run_without_accounting_fails(tmp_path: Path) -> None:
    report = audit(tmp_path, [], [])
    assert [(c.name, c.subject, c.status) for c in report.checks] == [
        ("rows_produced", "run", FAIL)
    ]
    assert not report.passed


def test_only_critical_failures_stop_the_publish() -> None:
    warning = AuditCheck("freshness", "transactions", FAIL, "2 days old", critical=False)
    assert AuditReport([warning]).passed
    assert AuditReport([warning]).failures == [warning]
    assert AuditReport([AuditCheck("x", "y", WARN, "z")]).passed
    assert not AuditReport([warning, AuditCheck("x", "y", FAIL, "z")]).passed
