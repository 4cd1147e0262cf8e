"""The audit's reconciliation rules: rows reconcile across stages and with the tables written."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.orchestration.audit import AuditInput, reconcile_rows
from pipeline_lib.quality import CRITICAL, FAIL, PASS, WARN, WARNING, QualityReport, RuleResult
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
) -> QualityReport:
    rules = reconcile_rows(AuditInput(LocalLake(tmp_path), "r1", versions, accounting))
    assert all(r.severity == CRITICAL for r in rules)
    return QualityReport("r1", "2026-11-28", rules)


def failures(report: QualityReport) -> list[RuleResult]:
    return [r for r in report.rules if r.status == FAIL]


def by_name_and_subject(report: QualityReport) -> dict[tuple[str, str], RuleResult]:
    return {(c.rule, c.subject): c for c in report.rules}


def test_balanced_run_passes_every_check(tmp_path: Path) -> None:
    report = audit(
        tmp_path,
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


def test_broken_chain_fails_naming_the_dataset_and_the_stages(tmp_path: Path) -> None:
    report = audit(
        tmp_path, transactions_stages(etl_reads=91), [version("curated.transactions", 78)]
    )

    assert not report.publishable
    assert [(c.rule, c.subject, c.status, c.detail) for c in failures(report)] == [
        ("stages_chain", "transactions", FAIL, "ingestion kept 90, etl read 91")
    ]


def test_table_rows_differing_from_the_accounting_fail(tmp_path: Path) -> None:
    report = audit(tmp_path, transactions_stages(), [version("curated.transactions", 77)])

    assert not report.publishable
    assert [(c.rule, c.subject, c.detail) for c in failures(report)] == [
        ("table_rows_match_accounting", "curated.transactions", "77 rows written, 78 accounted")
    ]


def test_a_dataset_that_kept_no_rows_fails(tmp_path: Path) -> None:
    empty = [
        StageAccounting("reviews", "ingestion", 3, 0, {"missing_required:rating": 3}),
        StageAccounting("reviews", "etl", 0, 0),
        StageAccounting("reviews", "merge", 0, 0),
    ]
    report = audit(tmp_path, empty, [version("curated.reviews", 0)])

    assert [(c.rule, c.subject, c.detail) for c in failures(report)] == [
        ("rows_produced", "reviews", "0 rows after merge")
    ]


def test_a_run_without_accounting_fails(tmp_path: Path) -> None:
    report = audit(tmp_path, [], [])
    assert [(c.rule, c.subject, c.status) for c in report.rules] == [("rows_produced", "run", FAIL)]
    assert not report.publishable


def test_only_critical_failures_stop_the_publish() -> None:
    warning = RuleResult("freshness", "transactions", WARNING, WARN, 50, 48, detail="2 days old")
    critical = RuleResult("x", "y", CRITICAL, FAIL, 1, 0, detail="z")
    assert QualityReport("r1", "2026-11-28", [warning]).publishable
    assert QualityReport("r1", "2026-11-28", [warning]).status == WARN
    assert not QualityReport("r1", "2026-11-28", [warning, critical]).publishable


def test_a_missing_quality_notebook_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline_lib.orchestration.audit as audit_module

    monkeypatch.setattr(audit_module, "QUALITY_NOTEBOOK", tmp_path / "missing.py")
    with pytest.raises(PipelineError, match=r"missing\.py is missing: restore it from git"):
        audit_module.default_audit(
            audit_module.AuditInput(LocalLake(tmp_path / "lake"), "r1", [], [])
        )
