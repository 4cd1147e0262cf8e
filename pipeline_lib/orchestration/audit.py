"""The audit step of write-audit-publish: checks a run's staged tables before they go live.

An audit hook takes the run's staged versions and row accounting and returns a report;
the run publishes only when no critical check failed. The default hook reconciles rows:
every stage balances, each stage starts with what the previous one kept, and the written
tables hold exactly the rows the accounting says. The data quality suites plug in here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable

import pyarrow.parquet as pq

from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.jobs._accounting import STAGES
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake

logger = logging.getLogger(__name__)

PASS = "pass"
WARN = "warn"
FAIL = "fail"


@dataclass(frozen=True)
class AuditCheck:
    """One check's outcome. Only ``fail`` on a critical check stops the publish."""

    name: str
    subject: str
    status: str
    detail: str
    critical: bool = True


@dataclass(frozen=True)
class AuditInput:
    """What an audit hook may look at."""

    lake: LocalLake
    run_id: str
    versions: Sequence[TableVersion]
    accounting: Sequence[StageAccounting]


@dataclass(frozen=True)
class AuditReport:
    checks: list[AuditCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no critical check failed."""
        return not any(c.status == FAIL and c.critical for c in self.checks)

    @property
    def failures(self) -> list[AuditCheck]:
        return [c for c in self.checks if c.status == FAIL]


AuditHook = Callable[[AuditInput], AuditReport]

#: Which staged table holds the rows each dataset's last stage kept.
_FINAL_TABLES = {
    ("transactions", "merge"): "curated.transactions",
    ("reviews", "merge"): "curated.reviews",
    ("products", "etl"): "processed.products",
    ("clickstream", "etl"): "processed.clickstream",
}


def reconcile_rows(audit: AuditInput) -> AuditReport:
    """Rows in = out + rejected + duplicates at every stage, and stages chain up.

    Checks, per dataset: the stages chain (ingestion out == ETL in, ETL out == merge in),
    the last stage's output equals the rows of the table written from it, and the run
    produced rows at all.
    """
    checks: list[AuditCheck] = []
    by_dataset: dict[str, list[StageAccounting]] = {}
    for entry in sorted(audit.accounting, key=lambda e: STAGES.index(e.stage)):
        by_dataset.setdefault(entry.dataset, []).append(entry)
    rows_by_table = {v.qualified_name: v.rows for v in audit.versions}
    for dataset, stages in sorted(by_dataset.items()):
        for before, after in zip(stages, stages[1:]):
            ok = before.rows_out == after.rows_in
            checks.append(
                AuditCheck(
                    "stages_chain",
                    dataset,
                    PASS if ok else FAIL,
                    f"{before.stage} kept {before.rows_out:,}, "
                    f"{after.stage} read {after.rows_in:,}",
                )
            )
        last = stages[-1]
        table = _FINAL_TABLES.get((dataset, last.stage))
        if table is not None and table in rows_by_table:
            ok = rows_by_table[table] == last.rows_out
            checks.append(
                AuditCheck(
                    "table_rows_match_accounting",
                    table,
                    PASS if ok else FAIL,
                    f"{rows_by_table[table]:,} rows written, {last.rows_out:,} accounted",
                )
            )
        produced = last.rows_out > 0
        checks.append(
            AuditCheck(
                "rows_produced",
                dataset,
                PASS if produced else FAIL,
                f"{last.rows_out:,} rows after {last.stage}",
            )
        )
    if not by_dataset:
        checks.append(AuditCheck("rows_produced", "run", FAIL, "no dataset was processed"))
    return AuditReport(checks)


def check_table_contracts(audit: AuditInput) -> AuditReport:
    """Every staged table has exactly the columns and types of its contract (schemas.TABLES).

    A table without a contract fails too: whatever is published must be documented.
    """
    checks: list[AuditCheck] = []
    for version in audit.versions:
        contract = TABLES.get(version.qualified_name)
        if contract is None:
            checks.append(AuditCheck("table_contract", version.qualified_name, FAIL,
                                     "no contract in pipeline_lib/schemas/_tables.py"))  # fmt: skip
            continue
        files = sorted(audit.lake.path(version.zone, version.key).rglob("*.parquet"))
        actual = pq.read_schema(files[0]) if files else None
        expected = contract.arrow_schema()
        if actual is not None and actual.remove_metadata().equals(expected):
            checks.append(AuditCheck("table_contract", version.qualified_name, PASS,
                                     f"{len(expected)} columns as documented"))  # fmt: skip
            continue
        found = [f"{f.name} {f.type}" for f in actual] if actual is not None else []
        wanted = [f"{f.name} {f.type}" for f in expected]
        differences = sorted(set(found) ^ set(wanted)) or ["column order"]
        checks.append(AuditCheck("table_contract", version.qualified_name, FAIL,
                                 "differs from contract: " + ", ".join(differences)))  # fmt: skip
    return AuditReport(checks)


def default_audit(audit: AuditInput) -> AuditReport:
    """The audit of a run until the data quality suites are added: rows and contracts."""
    return AuditReport(reconcile_rows(audit).checks + check_table_contracts(audit).checks)
