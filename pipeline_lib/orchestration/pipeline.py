"""One pipeline run: the Step Functions definition, executed locally.

``ecom-pipeline run`` executes ``terraform/modules/step-functions/state-machine.json`` (the
file Terraform deploys) with the local executor: validate incoming files, the ETL
notebooks in parallel (each in its own kernel process), merge, the quality audit, the
gate, publish, catalog refresh and a notification. The run's tables become visible only
when the audit passes and the publish switches them; a failed step leaves the published
tables exactly as they were. The execution history is kept in
``_meta/runs/<run_id>/history.jsonl`` and the run record in ``run.json`` beside it. Once
the tables are live, the after-publish hook renders the analytics reports
(:mod:`pipeline_lib.analytics.reports`); its failure never fails the run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from pipeline_lib.catalog import PublishResult
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.execution.history import (
    HistoryWriter,
    failure_of,
    record_key,
    refuse_used_run_id,
)
from pipeline_lib.execution.notify import LocalNotifier, Notifier
from pipeline_lib.handlers import Runtime
from pipeline_lib.ingestion import IngestReport
from pipeline_lib.jobs import (
    StageAccounting,
    TableVersion,
    load_accounting,
    load_versions,
    new_run_id,
)
from pipeline_lib.orchestration.asl import STATE_MACHINE_FILE, StateMachine, load_state_machine
from pipeline_lib.orchestration.audit_step import AuditHook, default_audit
from pipeline_lib.orchestration.executor import LocalExecutor, TaskHandler
from pipeline_lib.orchestration.local_resources import (
    LocalResources,
    ProgressCallback,
    StepResult,
    local_variables,
)
from pipeline_lib.quality import QualityReport
from pipeline_lib.resources import resource_path
from pipeline_lib.storage import Lake, LocalLake, Zone

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = resource_path("notebooks") / "etl"
MERGE_NOTEBOOK = "master_data_merge"
ANALYTICS_STEP = "analytics_reports"
LOCK_KEY = "run.lock"
_LOCK_POLL_SECONDS = 0.2
#: Temp files untouched this long belong to a killed writer (a `quality` command, which
#: takes no lock, may still be writing a younger one).
STALE_TEMP_SECONDS = 3600.0

__all__ = [
    "ANALYTICS_STEP",
    "LOCK_KEY",
    "MERGE_NOTEBOOK",
    "NOTEBOOKS_DIR",
    "AfterPublishHook",
    "RunResult",
    "StepResult",
    "analytics_reports",
    "lake_is_busy",
    "load_local_state_machine",
    "run_lock",
    "run_pipeline",
]


def load_local_state_machine(path: Path = STATE_MACHINE_FILE) -> StateMachine:
    """The deployed definition with its placeholders filled for the local target."""
    return load_state_machine(local_variables(path.read_text(encoding="utf-8")), path)


#: Runs once a run's tables are live: (lake, settings, as_of, reports_dir) -> the step to
#: record, or None when it did nothing. It never fails the run (the data is published).
AfterPublishHook = Callable[[Lake, Settings, date, Path], Optional[StepResult]]


def analytics_reports(
    lake: Lake, settings: Settings, as_of: date, reports_dir: Path
) -> Optional[StepResult]:
    """The default after-publish hook: render the analytics reports of the new tables.

    See :func:`pipeline_lib.analytics.reports.render_after_publish` (``analytics.reports``
    in params, ``PIPELINE_ANALYTICS_REPORTS=off``). The reports read a local lake's
    catalog; on an S3 lake they are not rendered (Athena and the dashboard serve it).
    """
    from pipeline_lib.analytics.reports import render_after_publish

    if not isinstance(lake, LocalLake):
        logger.info("analytics reports skipped: %s is not a local lake", lake.location)
        return None

    batch = render_after_publish(lake, settings, as_of=as_of, reports_dir=reports_dir)
    if batch is None:
        return None
    step = StepResult(ANALYTICS_STEP, seconds=batch.seconds, detail=batch.summary())
    if batch.failed:
        step.status = "failed"
    return step


def _after_publish(
    hook: AfterPublishHook,
    lake: Lake,
    settings: Settings,
    as_of: date,
    reports_dir: Path,
    on_progress: Optional[ProgressCallback],
) -> list[StepResult]:
    """Run the after-publish hook; its failure is a failed step, never a failed run."""
    began = time.perf_counter()
    if on_progress:
        on_progress(ANALYTICS_STEP, "started")
    try:
        step = hook(lake, settings, as_of, reports_dir)
    except Exception as exc:  # the tables are live whatever happens here
        logger.exception("after-publish hook failed")
        step = StepResult(ANALYTICS_STEP, "failed", time.perf_counter() - began, str(exc))
    if on_progress:
        on_progress(ANALYTICS_STEP, "finished")
    return [step] if step is not None else []


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
    trigger: str = "manual"
    failed_state: Optional[str] = None
    started_at: Optional[str] = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "error": self.error,
            "failed_state": self.failed_state,
            "trigger": self.trigger,
            "started_at": self.started_at,
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
        return {
            "status": self.audit.status,
            **self.audit.counts(),
            "seconds": round(self.audit.seconds, 3),
            "report": str(self.quality_report) if self.quality_report else None,
        }


def run_pipeline(
    lake: Lake,
    settings: Settings,
    *,
    as_of: date,
    run_id: Optional[str] = None,
    reports_dir: Path = Path("reports"),
    notebooks_dir: Path = NOTEBOOKS_DIR,
    parallelism: int = 2,
    audit: AuditHook = default_audit,
    on_progress: Optional[ProgressCallback] = None,
    trigger: str = "manual",
    files: Sequence[str] = (),
    notifier: Optional[Notifier] = None,
    sleep: Callable[[float], None] = time.sleep,
    wrap_tasks: Optional[Callable[[TaskHandler], TaskHandler]] = None,
    after_publish: Optional[AfterPublishHook] = analytics_reports,
    full_refresh: bool = False,
) -> RunResult:
    """Run the pipeline once; never raises for a failed step (see ``RunResult.status``).

    Parameters
    ----------
    lake, settings
        The lake and the environment's settings (``params/<env>.yaml``).
    as_of
        The run's logical date.
    run_id
        Defaults to a new sortable id; it is also the execution's name.
    reports_dir
        Executed notebooks go to ``<reports_dir>/runs/<run_id>/``.
    parallelism
        How many branches of a Parallel state (ETL notebooks) run at once.
    audit
        The audit hook behind the quality job; publish happens only if its report passes.
    on_progress
        Called with (step, "started" | "finished").
    trigger, files
        Recorded in the execution input: ``manual``, ``s3`` (with the object keys) or
        ``schedule``.
    notifier
        Receives the success/failure notification (default: the lake's JSON-lines log).
    sleep
        Waits between retries (tests pass a recorder instead of waiting).
    wrap_tasks
        Wraps the local task resources, e.g. to inject a failure into one state.
    after_publish
        Runs once the run's tables are live (default: the analytics reports, step
        ``analytics_reports``); None runs nothing.
    full_refresh
        Rebuild the tables from every accepted file instead of merging the files that
        arrived into the published tables (docs/adr/0002-incremental-runs.md).

    Raises
    ------
    PipelineError
        Only if another run holds the lake's run lock, or ``run_id`` already names a run
        (it would rewrite that run's table versions, maybe the live ones); then nothing
        was written.
    """
    result = RunResult(run_id=run_id or new_run_id(), as_of=as_of, trigger=trigger)
    result.reports_dir = reports_dir / "runs" / result.run_id
    refuse_used_run_id(lake, result.run_id)  # before anything is written, the lock included
    started = time.perf_counter()
    with run_lock(lake, purpose=f"run {result.run_id}"):
        refuse_used_run_id(lake, result.run_id)  # again: a run of that id may have just ended
        if isinstance(lake, LocalLake):
            # Killed writers leave hidden temp files; nobody else writes while we hold the
            # lock. (S3 has none: an upload is whole or absent.)
            lake.remove_stale_temp_files(older_than_seconds=STALE_TEMP_SECONDS)
        runtime = Runtime(lake=lake, settings=settings, reports_dir=reports_dir)
        resources = LocalResources(
            runtime=runtime,
            notifier=notifier or LocalNotifier(lake),
            notebooks_dir=notebooks_dir,
            run_reports_dir=result.reports_dir,
            audit=audit,
            job_params=settings.params.get("etl") or {},
            on_progress=on_progress,
        )
        tasks: TaskHandler = wrap_tasks(resources) if wrap_tasks else resources
        history = HistoryWriter(lake, result.run_id)
        executor = LocalExecutor(
            load_local_state_machine(),
            tasks,
            max_concurrency=parallelism,
            sleep=sleep,
            on_event=history,
        )
        execution_input = {
            "run_id": result.run_id,
            "as_of": as_of.isoformat(),
            "trigger": trigger,
            "files": list(files),
            "full_refresh": full_refresh,
        }
        execution = executor.execute(execution_input, result.run_id)
        result.started_at = execution.events[0].timestamp if execution.events else None
        result.steps = list(resources.steps)
        result.versions = load_versions(lake, result.run_id)
        result.accounting = load_accounting(lake, result.run_id)
        result.audit = resources.audit_report
        result.quality_report = runtime.outcomes.quality_report
        result.publish = runtime.outcomes.publish
        result.ingest = runtime.outcomes.ingest
        if execution.succeeded:
            result.status = "succeeded"
            if after_publish is not None:  # inside the lock: the reports see these tables
                result.steps += _after_publish(
                    after_publish, lake, settings, as_of, reports_dir, on_progress
                )
        else:
            result.status = "failed"
            failure = failure_of([event.to_dict() for event in execution.events])
            result.failed_state = failure.state if failure else None
            result.error = failure.message if failure else execution.error
        result.seconds = time.perf_counter() - started
        _save_run(lake, result)
    return result


@contextlib.contextmanager
def run_lock(lake: Lake, *, purpose: str = "run", wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lake's run lock: one writer per lake at a time, a run or an ingest.

    Waits up to ``wait_seconds`` for the lock, then raises PipelineError naming what holds
    it. Locally the holder writes ``purpose``, its pid and start time into the lock file so
    that the error can say who to wait for; an S3 lake's lock is the DynamoDB lease of the
    lock table (``PIPELINE_LOCK_TABLE``), held for ``purpose``.
    """
    if not isinstance(lake, LocalLake):
        with _lease(lake, purpose, wait_seconds):
            yield
        return
    path = lake.path(Zone.META, LOCK_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    # "a+", not "w": opening must not erase the holder's note before the lock is ours.
    with path.open("a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PipelineError(_busy_message(lake, path, wait_seconds)) from None
                time.sleep(_LOCK_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        handle.write(f"{purpose} (pid {os.getpid()}) since {started}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _lease(lake: Lake, purpose: str, wait_seconds: float) -> Iterator[None]:
    """The run lock of a lake in S3: the lock table's lease, taken and given back."""
    from pipeline_lib.storage import RUN_LEASE_SECONDS, DynamoDBLease

    lease = DynamoDBLease()
    holder = f"{purpose} (pid {os.getpid()})"
    deadline = time.monotonic() + wait_seconds
    while (current := lease.acquire(holder, seconds=RUN_LEASE_SECONDS)) is not None:
        if time.monotonic() >= deadline:
            after = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
            raise PipelineError(
                f"the lake {lake.location} is busy{after}: {current} holds its lease in "
                f"{lease.table}; try again when it ends"
            )
        time.sleep(_LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        lease.release(holder)


def _busy_message(lake: LocalLake, path: Path, waited: float) -> str:
    holder = path.read_text(encoding="utf-8").strip() or "another run"
    after = f" after waiting {waited:g} s" if waited else ""
    return (
        f"the lake {lake.root} is busy{after}: {holder} holds its lock ({path}); "
        "try again when it ends (`ecom-pipeline runs` lists runs)"
    )


def lake_is_busy(lake: Lake) -> bool:
    """True while a run holds the lake's run lock."""
    if not isinstance(lake, LocalLake):
        from pipeline_lib.storage import DynamoDBLease

        return DynamoDBLease().holder() is not None
    path = lake.path(Zone.META, LOCK_KEY)
    if not path.is_file():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _save_run(lake: Lake, result: RunResult) -> None:
    record = {**result.to_dict(), "saved_at": datetime.now(timezone.utc).isoformat()}
    lake.write_bytes(
        Zone.META,
        record_key(result.run_id),
        json.dumps(record, indent=2, default=str).encode(),
    )
