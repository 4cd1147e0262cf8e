"""One entry point for a run's data quality: :func:`run_quality`, and its saved report.

The audit of ``ecom-pipeline run`` (over the staged tables) and ``ecom-pipeline quality``
(over the live ones) both call :func:`run_quality` from the quality notebook, then
:func:`save_report`; the pipeline reads the verdict back with :func:`load_report`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import date
from typing import Optional, Union

from pipeline_lib.catalog import read_published
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import (
    StageAccounting,
    TableVersion,
    feed_domains,
    load_accounting,
    load_versions,
)
from pipeline_lib.quality._accounting_rules import (
    check_duplicate_rates,
    check_reject_rates,
    reconcile_rows,
)
from pipeline_lib.quality._model import CRITICAL, QualityReport, RuleResult
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.quality._table_contracts import check_table_contracts
from pipeline_lib.quality._values import value_rules
from pipeline_lib.quality.anomalies import Assessment, anomaly_settings, assess_run
from pipeline_lib.quality.checker import DataQualityChecker
from pipeline_lib.quality.consistency import consistency_rules
from pipeline_lib.quality.expectations import import_in_background, is_big_fact
from pipeline_lib.quality.settings import QualitySettings, quality_settings
from pipeline_lib.schemas import DEFAULT_DOMAINS, TABLES, FeedDomains
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

REPORT_NAME = "quality.json"


#: Tables Great Expectations validates: all curated ones, and the processed ones that are
#: not big facts (the processed facts get the exhaustive SQL checks and the contract).
def gx_tables(tables: Sequence[str]) -> list[str]:
    """The tables of ``tables`` that get a Great Expectations validation."""
    return [t for t in tables if t.startswith("curated.") or not is_big_fact(t)]


def live_inputs(lake: Lake) -> tuple[list[TableVersion], list[StageAccounting]]:
    """The live table versions and the accounting of the runs that published them."""
    state = read_published(lake)
    versions: list[TableVersion] = []
    accounting: list[StageAccounting] = []
    for run_id in sorted(set(state.tables.values())):
        versions += [
            v for v in load_versions(lake, run_id) if state.tables.get(v.qualified_name) == run_id
        ]
        accounting += load_accounting(lake, run_id)
    return versions, accounting


def run_quality(
    runner: SqlRunner,
    *,
    lake: Lake,
    run_id: str,
    as_of: Union[date, str],
    versions: Optional[Sequence[TableVersion]] = None,
    accounting: Optional[Sequence[StageAccounting]] = None,
    settings: Union[Settings, QualitySettings],
) -> QualityReport:
    """Every quality rule of a run, in one report (nothing raises for bad data).

    Reconciliation of the row accounting, reject and duplicate rates, values kept with a
    warning (new vocabulary, unknown statuses, unknown references), table schemas against
    the contracts, the configured checker rules (params ``quality:``), the Great
    Expectations suites (results in ``_meta/runs/<run_id>/gx/``), the exhaustive SQL
    contract rules of the big facts, the consistency rules (``quality.consistency``), and
    the anomalies of every published daily metric, segment, mix and run-level rate
    (``anomalies:``), with the metrics too small or too new to judge.

    Parameters
    ----------
    runner
        SQL over the tables to check: ``staged_runner`` for a run's audit, ``live_runner``
        for the live tables.
    lake, run_id, as_of
        Where results go, and the logical date (freshness is measured from its end).
    versions, accounting
        The table versions and row accounting to reconcile; None (or both empty: a run id
        that staged nothing) takes the live ones (:func:`live_inputs`), for a check of
        the published tables.
    settings
        The environment's settings (or already parsed quality settings).
    """
    started = time.perf_counter()
    import_in_background()  # Great Expectations loads while the SQL rules run
    day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    quality = settings if isinstance(settings, QualitySettings) else quality_settings(settings)
    own_accounting = own_run_accounting(run_id, versions, accounting)
    if not versions and not accounting:
        # Nothing was staged under this run id: a check of the live tables (the pipeline
        # itself fails a run that staged nothing).
        versions = accounting = None
    if versions is None or accounting is None:
        live_versions, live_accounting = live_inputs(lake)
        versions = live_versions if versions is None else versions
        accounting = live_accounting if accounting is None else accounting
    tables = _tables_of(runner, versions)
    checker = DataQualityChecker(runner, as_of=day)
    rules: list[RuleResult] = []
    rules += reconcile_rows(versions, accounting)
    rules += check_reject_rates(accounting, quality.reject_rates)
    rules += check_duplicate_rates(accounting, quality.duplicate_rates)
    domains = _domains(settings)
    rules += value_rules(accounting, seen_before=_published_accounting(lake), domains=domains)
    rules += check_table_contracts(lake, versions)
    contracted = [t for t in tables if t in TABLES]
    if contracted:
        rules += checker.evaluate_settings(quality, contracted)
        new_parts = new_partitions(versions)
        for table in contracted:
            # Every row of every table in SQL (of a daily run: the partitions it rewrote),
            # cheap in DuckDB/Athena, so GX can sample.
            rules += checker.contract_rules(table, domains, partitions=new_parts.get(table))
        from pipeline_lib.quality.expectations import validate_tables

        rules += validate_tables(
            runner,
            gx_tables(contracted),
            sample_rows=quality.gx_sample_rows,
            # GX results are critical: only critical row-count rules bound its suites (a
            # warning-level minimum stays a warning, checked by the SQL row_count rule).
            min_rows={r.table: r.min_rows for r in quality.row_counts if r.severity == CRITICAL},
            lake=lake,
            run_id=run_id,
            # A daily run's sample comes from the partitions it rewrote, like the SQL rules.
            partitions=new_parts,
        )
    detection = anomaly_settings(quality.params)
    curated = {t for t in tables if t.startswith("curated.")}
    if curated:
        rules += consistency_rules(
            runner,
            quality.consistency,
            as_of=day,
            check_days=detection.check_days,
            baseline_days=7 * detection.lookback_weeks,
            tables=curated,
        )
    found = Assessment()
    if "curated.transactions" in tables:
        found = assess_run(
            runner,
            lake=lake,
            run_id=run_id,
            as_of=day,
            settings=quality.params,
            accounting=own_accounting,
            tables=sorted(curated),
        )
    else:
        logger.info("anomaly detection skipped: no curated.transactions to measure")
    report = QualityReport(
        run_id=run_id,
        as_of=day.isoformat(),
        rules=rules,
        anomalies=found.anomalies,
        seconds=time.perf_counter() - started,
        unjudged=found.unjudged,
    )
    logger.info(
        "quality of %s: %s, %d rules, %d anomalies in %.1f s",
        run_id,
        report.status,
        len(rules),
        len(report.anomalies),
        report.seconds,
    )
    return report


def new_partitions(versions: Sequence[TableVersion]) -> dict[str, list[str]]:
    """Per partitioned table version: the partition values its own run wrote.

    An incremental run shares the partitions its batch did not touch with the live version
    (they passed the audit when they were published); a table whose every partition is
    new (a first or full-refresh run) is left out: all its rows are checked.
    """
    found: dict[str, list[str]] = {}
    for version in versions:
        written = {
            k.split("/", 1)[0] for k, run in version.partitions.items() if run == version.run_id
        }
        shared = {
            k.split("/", 1)[0] for k, run in version.partitions.items() if run != version.run_id
        }
        if not shared:
            continue
        found[version.qualified_name] = sorted(p.split("=", 1)[-1] for p in written)
    return found


def own_run_accounting(
    run_id: str,
    versions: Optional[Sequence[TableVersion]],
    accounting: Optional[Sequence[StageAccounting]],
) -> Optional[list[StageAccounting]]:
    """The accounting of the audited run itself, or None for an audit of the live tables.

    A run's audit sees the versions it staged under its own id: its duplicate and reject
    rates are tracked over runs. The live tables' accounting belongs to the runs that
    published them, whose rates are already kept.
    """
    if accounting and versions and any(v.run_id == run_id for v in versions):
        return list(accounting)
    return None


def _published_accounting(lake: Lake) -> list[StageAccounting]:
    """The accounting of the run whose tables are live (empty before the first publish)."""
    run_id = read_published(lake).run_id
    return load_accounting(lake, run_id) if run_id else []


def _domains(settings: Union[Settings, QualitySettings]) -> FeedDomains:
    return feed_domains(settings) if isinstance(settings, Settings) else DEFAULT_DOMAINS


def _tables_of(runner: SqlRunner, versions: Sequence[TableVersion]) -> list[str]:
    """The tables the runner can see (its views), else the versions' tables."""
    known = getattr(runner, "tables", None)
    if isinstance(known, dict) and known:
        return sorted(known)
    return sorted({v.qualified_name for v in versions})


def report_key(run_id: str) -> str:
    return f"runs/{run_id}/{REPORT_NAME}"


def save_report(lake: Lake, report: QualityReport) -> str:
    """Write ``_meta/runs/<run_id>/quality.json``; return its path."""
    lake.write_bytes(Zone.META, report_key(report.run_id), report.to_json().encode())
    return lake.uri(Zone.META, report_key(report.run_id))


def load_report(lake: Lake, run_id: str) -> QualityReport:
    """Read a run's quality report, or PipelineError saying how to produce one."""
    if not lake.exists(Zone.META, report_key(run_id)):
        raise PipelineError(
            f"no quality report for run {run_id} ({lake.uri(Zone.META, report_key(run_id))}): "
            "the quality notebook did not save one (see its executed copy)"
        )
    try:
        data = json.loads(lake.read_bytes(Zone.META, report_key(run_id)))
        return QualityReport.from_dict(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"quality report of run {run_id} is unreadable: {exc}") from exc
