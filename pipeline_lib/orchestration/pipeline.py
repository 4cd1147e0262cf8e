"""One pipeline run: ingest pending files, ETL notebooks, merge, audit, publish, catalog.

This is the local control flow of ``ecom-pipeline run``. The independent ETL notebooks run
in parallel (each in its own kernel process); the merge runs once they all succeeded; the
run's tables become visible only when the audit passes and the publish switches them.
A failed step leaves the published tables exactly as they were.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

from pipeline_lib.catalog import PublishResult, publish
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.ingestion import LEDGER_KEY, IngestionLedger, IngestReport, ingest_paths
from pipeline_lib.jobs import (
    JobContext,
    StageAccounting,
    TableVersion,
    load_accounting,
    load_versions,
    new_run_id,
)
from pipeline_lib.orchestration.audit import QUALITY_NOTEBOOK, AuditHook, AuditInput, default_audit
from pipeline_lib.orchestration.notebooks import declared_parameters, load_notebook, run_notebook
from pipeline_lib.quality import CRITICAL, FAIL, PASS, WARN, QualityReport, RuleResult
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "etl"
ETL_NOTEBOOKS = ("transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl")
MERGE_NOTEBOOK = "master_data_merge"
LOCK_KEY = "run.lock"

#: Called with (step name, event) as the run progresses: "started" or "finished".
ProgressCallback = Callable[[str, str], None]


@dataclass
class StepResult:
    name: str
    status: str  # succeeded | failed | skipped
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RunResult:
    """Everything a run did; saved as ``_meta/runs/<run_id>/run.json``."""

    run_id: str
    as_of: date
    status: str = "running"
    error: Optional[str] = None
    steps: list[StepResult] = field(default_factory=list)
    versions: list[TableVersion] = field(default_factory=list)
    accounting: list[StageAccounting] = field(default_factory=list)
    audit: Optional[QualityReport] = None
    quality_report: Optional[Path] = None
    publish: Optional[PublishResult] = None
    ingest: Optional[IngestReport] = None
    reports_dir: Optional[Path] = None
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "steps": [asdict(s) for s in self.steps],
            "tables": [
                {"table": v.qualified_name, "rows": v.rows, "files": v.files, "bytes": v.bytes}
                for v in self.versions
            ],
            "accounting": [asdict(a) for a in self.accounting],
            "audit": [asdict(r) for r in self.audit.rules] if self.audit else [],
            "quality": self.quality_summary(),
            "published": self.publish.published if self.publish else [],
            "stopped": self.publish.stopped if self.publish else {},
            "ingest": self.ingest.to_dict()["counts"] if self.ingest else None,
            "reports_dir": str(self.reports_dir) if self.reports_dir else None,
            "quality_report": str(self.quality_report) if self.quality_report else None,
        }

    def quality_summary(self) -> Optional[dict[str, Any]]:
        """Status and counts of the quality audit, None before it ran."""
        if self.audit is None:
            return None
        statuses = [r.status for r in self.audit.rules]
        return {
            "status": self.audit.status,
            "rules": len(statuses),
            "passed": statuses.count(PASS),
            "warnings": statuses.count(WARN),
            "failed": statuses.count(FAIL),
            "anomalies": len(self.audit.anomalies),
            "seconds": round(self.audit.seconds, 3),
            "report": str(self.quality_report) if self.quality_report else None,
        }


def run_pipeline(
    lake: LocalLake,
    settings: Settings,
    *,
    as_of: date,
    run_id: Optional[str] = None,
    reports_dir: Path = Path("reports"),
    notebooks_dir: Path = NOTEBOOKS_DIR,
    parallelism: int = 2,
    audit: AuditHook = default_audit,
    on_progress: Optional[ProgressCallback] = None,
) -> RunResult:
    """Run the pipeline once; never raises for a failed step (see ``RunResult.status``).

    Parameters
    ----------
    lake, settings
        The lake and the environment's settings (``params/<env>.yaml``).
    as_of
        The run's logical date.
    run_id
        Defaults to a new sortable id.
    reports_dir
        Executed notebooks go to ``<reports_dir>/runs/<run_id>/``.
    parallelism
        How many ETL notebooks run at once.
    audit
        The audit hook; publish happens only if its report passes.
    on_progress
        Called with (step, "started" | "finished").

    Raises
    ------
    PipelineError
        Only if another run holds the lake's run lock.
    """
    result = RunResult(run_id=run_id or new_run_id(), as_of=as_of)
    result.reports_dir = reports_dir / "runs" / result.run_id
    ctx = JobContext(lake=lake, run_id=result.run_id, as_of=as_of, env=settings.env)
    notify = on_progress or (lambda step, event: None)
    started = time.perf_counter()
    with _run_lock(lake):
        try:
            _step(result, "ingest", notify, partial(_ingest_pending, ctx, settings, result))
            run_group = partial(_run_notebooks, ctx, settings, notebooks_dir=notebooks_dir,
                                result=result, notify=notify)  # fmt: skip
            run_group(ETL_NOTEBOOKS, parallelism=parallelism)
            run_group((MERGE_NOTEBOOK,), parallelism=1)
            result.versions = load_versions(lake, result.run_id)
            result.accounting = load_accounting(lake, result.run_id)
            _step(result, "audit", notify, partial(_audit, ctx, settings, audit, result))
            _step(result, "publish", notify, partial(_publish, ctx, result))
            result.status = "succeeded"
        except PipelineError as exc:
            result.status = "failed"
            result.error = str(exc)
        result.seconds = time.perf_counter() - started
        _save_run(lake, result)
    return result


def _step(
    result: RunResult, name: str, notify: ProgressCallback, action: Callable[[], str]
) -> None:
    notify(name, "started")
    began = time.perf_counter()
    try:
        detail = action()
    except PipelineError as exc:
        result.steps.append(StepResult(name, "failed", time.perf_counter() - began, str(exc)))
        notify(name, "finished")
        raise
    result.steps.append(StepResult(name, "succeeded", time.perf_counter() - began, detail))
    notify(name, "finished")


def pending_raw_files(lake: LocalLake) -> list[Path]:
    """Files in the raw zone that the ledger has never seen (dropped there directly)."""
    raw = lake.path(Zone.RAW)
    if not raw.is_dir():
        return []
    with IngestionLedger(lake.path(Zone.META, LEDGER_KEY)) as ledger:
        known = ledger.known_paths()
    return [
        path
        for path in sorted(raw.rglob("*"))
        if path.is_file() and not path.name.startswith(".") and str(path) not in known
    ]


def _ingest_pending(ctx: JobContext, settings: Settings, result: RunResult) -> str:
    pending = pending_raw_files(ctx.lake)
    if not pending:
        return "no new files in raw/"
    result.ingest = ingest_paths(pending, ctx.lake, settings.ingestion)
    return result.ingest.summary()


def _run_notebooks(
    ctx: JobContext,
    settings: Settings,
    names: Sequence[str],
    *,
    notebooks_dir: Path,
    result: RunResult,
    parallelism: int,
    notify: ProgressCallback,
) -> None:
    """Run notebooks, ``parallelism`` at a time; each one is a step of the run.

    Every notebook of the group runs to its end even if another fails, so that one run
    reports every broken job; then the group raises if any failed.
    """
    assert result.reports_dir is not None
    reports = result.reports_dir
    base = {"lake": str(ctx.lake.root), "run_id": ctx.run_id, "as_of": ctx.as_of.isoformat(),
            "env": ctx.env}  # fmt: skip
    job_params: Mapping[str, Any] = settings.params.get("etl") or {}

    def run_one(name: str) -> StepResult:
        path = notebooks_dir / f"{name}.py"
        notify(name, "started")
        began = time.perf_counter()
        try:
            parameters = notebook_parameters(path, base, job_params)
            run_notebook(path, output_dir=reports, parameters=parameters)
            return StepResult(name, "succeeded", time.perf_counter() - began, "notebook")
        except PipelineError as exc:
            return StepResult(name, "failed", time.perf_counter() - began, str(exc))
        finally:
            notify(name, "finished")

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        steps = list(pool.map(run_one, names))
    result.steps.extend(steps)
    errors = [step.detail for step in steps if step.status == "failed"]
    if errors:
        raise PipelineError("; ".join(errors))


def notebook_parameters(
    path: Path, base: Mapping[str, Any], job_params: Mapping[str, Any]
) -> dict[str, Any]:
    """The run's values plus the params file's ``etl`` values this notebook declares."""
    declared = set(declared_parameters(load_notebook(path)))
    merged = {**{k: v for k, v in job_params.items() if k in declared}, **base}
    return {k: v for k, v in merged.items() if k in declared}


def _audit(ctx: JobContext, settings: Settings, audit: AuditHook, result: RunResult) -> str:
    """The quality audit: critical failures stop the run; warnings and anomalies do not."""
    assert result.reports_dir is not None
    if not result.versions and not result.accounting:
        nothing = RuleResult("rows_produced", "run", CRITICAL, FAIL, 0, 1,
                             detail="no dataset was processed")  # fmt: skip
        result.audit = QualityReport(ctx.run_id, ctx.as_of.isoformat(), [nothing])
        raise PipelineError(f"audit failed, nothing published: {nothing.rule} on "
                            f"{nothing.subject}: {nothing.detail}")  # fmt: skip
    result.audit = audit(
        AuditInput(ctx.lake, ctx.run_id, result.versions, result.accounting, as_of=ctx.as_of,
                   env=ctx.env, reports_dir=result.reports_dir, settings=settings)
    )  # fmt: skip
    result.quality_report = _render_quality_report(ctx, result.reports_dir)
    report = result.audit
    if not report.publishable:
        failed = [r for r in report.rules if r.status == FAIL and r.severity == CRITICAL]
        reasons = "; ".join(f"{r.rule} on {r.subject}: {r.detail}" for r in failed[:10])
        more = f"; and {len(failed) - 10} more" if len(failed) > 10 else ""
        raise PipelineError(f"audit failed, nothing published: {reasons}{more}")
    warned = sum(r.status == WARN for r in report.rules)
    return (f"{len(report.rules)} rules, {warned} warnings, "
            f"{len(report.anomalies)} anomalies")  # fmt: skip


def _render_quality_report(ctx: JobContext, reports_dir: Path) -> Optional[Path]:
    """The HTML quality report of the executed quality notebook, when both exist."""
    executed = reports_dir / f"{QUALITY_NOTEBOOK.stem}.ipynb"
    if not executed.is_file():
        return None
    try:
        from pipeline_lib.quality.report import render_report
    except ImportError:
        logger.info("quality report skipped: pipeline_lib.quality.report.render_report missing")
        return None
    try:
        path: Path = render_report(executed, lake=ctx.lake, as_of=ctx.as_of,
                                   reports_dir=reports_dir.parents[1])  # fmt: skip
    except (PipelineError, OSError) as exc:  # the report is for people; it never gates
        logger.warning("quality report not rendered: %s", exc)
        return None
    return path


def _publish(ctx: JobContext, result: RunResult) -> str:
    result.publish = publish(ctx.lake, ctx.run_id, result.versions, as_of=ctx.as_of)
    if result.publish.stopped:
        stopped = "; ".join(f"{t}: {why}" for t, why in result.publish.stopped.items())
        raise PipelineError(f"published except tables with breaking schema changes: {stopped}")
    return f"{len(result.publish.published)} tables live"


@contextlib.contextmanager
def _run_lock(lake: LocalLake) -> Iterator[None]:
    path = lake.path(Zone.META, LOCK_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PipelineError(
                f"another run is in progress on {lake.root} (lock {path}); wait for it to end"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _save_run(lake: LocalLake, result: RunResult) -> None:
    record = {**result.to_dict(), "saved_at": datetime.now(timezone.utc).isoformat()}
    lake.write_bytes(
        Zone.META,
        f"runs/{result.run_id}/run.json",
        json.dumps(record, indent=2, default=str).encode(),
    )
