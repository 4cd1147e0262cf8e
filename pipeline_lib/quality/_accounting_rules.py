"""Run-level rules over a run's row accounting: reconciliation, reject and duplicate rates.

Each rule reads the :class:`~pipeline_lib.jobs.StageAccounting` entries the run's stages
recorded (rows read, kept, rejected by reason, duplicates removed) and, for the
reconciliation, the rows of the table versions written; none queries a table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TypeVar, Union

from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.jobs._accounting import STAGES
from pipeline_lib.quality._model import (
    CRITICAL,
    FAIL,
    PASS,
    WARN,
    WARNING,
    RuleResult,
    critical_rule,
    percent,
)
from pipeline_lib.quality.settings import DuplicateRateRule, RejectRateRule

#: Which staged table holds the rows each dataset's last stage kept.
FINAL_TABLES = {
    ("transactions", "merge"): "curated.transactions",
    ("reviews", "merge"): "curated.reviews",
    ("products", "etl"): "processed.products",
    ("clickstream", "etl"): "processed.clickstream",
}


def stages_by_dataset(accounting: Sequence[StageAccounting]) -> dict[str, list[StageAccounting]]:
    """Each dataset's stage entries in pipeline order (the first read the batch)."""
    by_dataset: dict[str, list[StageAccounting]] = {}
    for entry in sorted(accounting, key=lambda e: STAGES.index(e.stage)):
        by_dataset.setdefault(entry.dataset, []).append(entry)
    return by_dataset


def reconcile_rows(
    versions: Sequence[TableVersion], accounting: Sequence[StageAccounting]
) -> list[RuleResult]:
    """Rows in = out + rejected + duplicates at every stage, and stages chain up (critical).

    Per dataset: the stages chain (ingestion out == ETL in, ETL out == merge in), the last
    stage's output equals the rows of the table written from it, and the run produced
    rows at all.
    """
    results: list[RuleResult] = []
    by_dataset = stages_by_dataset(accounting)
    rows_by_table = {v.qualified_name: v.rows for v in versions}
    for dataset, stages in sorted(by_dataset.items()):
        for before, after in zip(stages, stages[1:]):
            results.append(
                critical_rule(
                    "stages_chain",
                    dataset,
                    before.rows_handed_on == after.rows_in,
                    f"{before.stage} kept {before.rows_handed_on:,}"
                    + (
                        f" ({before.carried:,} carried from the live table)"
                        if before.carried
                        else ""
                    )
                    + f", {after.stage} read {after.rows_in:,}",
                    after.rows_in,
                    before.rows_handed_on,
                )
            )
        last = stages[-1]
        table = FINAL_TABLES.get((dataset, last.stage))
        if table is not None and table in rows_by_table:
            written = rows_by_table[table]
            results.append(
                critical_rule(
                    "table_rows_match_accounting",
                    table,
                    written == last.rows_handed_on,
                    f"{written:,} rows written, {last.rows_handed_on:,} accounted",
                    written,
                    last.rows_handed_on,
                )
            )
        results.append(
            critical_rule(
                "rows_produced",
                dataset,
                last.rows_handed_on > 0,
                f"{last.rows_handed_on:,} rows after {last.stage}",
                last.rows_handed_on,
                1,
            )
        )
    if not by_dataset:
        results.append(
            critical_rule("rows_produced", "run", False, "no dataset was processed", 0, 1)
        )
    return results


_RateRule = TypeVar("_RateRule", RejectRateRule, DuplicateRateRule)


def _datasets_read(
    accounting: Sequence[StageAccounting], rules: Sequence[_RateRule]
) -> Iterator[tuple[_RateRule, list[StageAccounting], int]]:
    """Each rule whose dataset the run read: its stages, and the rows the first one read."""
    by_dataset = stages_by_dataset(accounting)
    for rule in rules:
        stages = by_dataset.get(rule.dataset)
        if stages:
            yield rule, stages, stages[0].rows_in


def _rate_result(
    name: str, rule: Union[RejectRateRule, DuplicateRateRule], pct: float, detail: str
) -> RuleResult:
    """Fails (critical) above ``fail_above_pct``, warns above ``warn_above_pct``."""
    if pct > rule.fail_above_pct:
        severity, status, threshold = CRITICAL, FAIL, rule.fail_above_pct
    elif pct > rule.warn_above_pct:
        severity, status, threshold = WARNING, WARN, rule.warn_above_pct
    else:
        severity, status, threshold = CRITICAL, PASS, rule.fail_above_pct
    return RuleResult(name, rule.dataset, severity, status, pct, threshold, detail=detail)


def check_reject_rates(
    accounting: Sequence[StageAccounting], rules: Sequence[RejectRateRule]
) -> list[RuleResult]:
    """Rows rejected over all stages / rows read at the first stage, per dataset, percent.

    Above ``fail_above_pct`` the rule fails (critical); above ``warn_above_pct`` it warns.
    Duplicates removed are not rejects.
    """
    results = []
    for rule, stages, rows_in in _datasets_read(accounting, rules):
        rejected = sum(s.rows_rejected for s in stages)
        pct = percent(rejected, rows_in)
        reasons: dict[str, int] = {}
        for stage in stages:
            for reason, n in stage.rejected.items():
                reasons[reason] = reasons.get(reason, 0) + n
        detail = f"{rejected:,} of {rows_in:,} rows rejected ({pct:g}%)" + (
            ": " + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items())) if reasons else ""
        )
        results.append(_rate_result("reject_rate", rule, pct, detail))
    return results


def check_duplicate_rates(
    accounting: Sequence[StageAccounting], rules: Sequence[DuplicateRateRule]
) -> list[RuleResult]:
    """Rows removed as duplicates within the run's batch / rows read, per dataset, percent.

    A file delivered twice (or an export that repeats its lines) shows here: the ETL keeps
    one row per key, so nothing is wrong in the tables, but the delivery is. Above
    ``fail_above_pct`` the rule fails (critical); above ``warn_above_pct`` it warns.
    """
    results = []
    for rule, stages, rows_in in _datasets_read(accounting, rules):
        duplicates = sum(s.duplicates_removed for s in stages)
        pct = percent(duplicates, rows_in)
        detail = (
            f"{duplicates:,} of {rows_in:,} rows read were duplicates of another row ({pct:g}%)"
        )
        result = _rate_result("duplicate_rate", rule, pct, detail)
        if result.status != PASS:
            result = replace(
                result,
                detail=detail + ": a file delivered twice, or an export that repeats its lines? "
                "Look at the run's files in raw/ (ingest_date folders) and their row counts",
            )
        results.append(result)
    return results
