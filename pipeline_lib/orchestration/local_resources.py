"""What the state machine's Task resources are on a laptop.

=====================================  ==================================================
resource (same text as on AWS)         local implementation
=====================================  ==================================================
``lambda:invoke`` FunctionName=F       ``pipeline_lib.handlers.F.handle`` in-process
``glue:startJobRun.sync`` JobName=J    the notebook ``notebooks/etl/J.py`` (papermill);
                                       ``data_quality``: the audit (quality notebook)
``sns:publish``                        the notifier (JSON-lines log + console)
=====================================  ==================================================

Failures are named as on AWS, so the definition's Retry/Catch behave the same: a
handler's exception class name for Lambda (``TransientError``, ``PermanentError``...),
``States.TaskFailed`` with the job run as cause for a failed Glue job, or
``TransientError`` when the notebook itself raised one.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

from pipeline_lib.exceptions import PipelineError, TransientError
from pipeline_lib.execution.notebooks import (
    NotebookError,
    declared_parameters,
    load_notebook,
    run_notebook,
)
from pipeline_lib.execution.notify import Notifier
from pipeline_lib.handlers import Runtime
from pipeline_lib.handlers.data_quality_check import gate_summary
from pipeline_lib.jobs import load_accounting, load_versions
from pipeline_lib.orchestration.asl import StatesError, placeholders
from pipeline_lib.orchestration.audit_step import AuditHook, AuditInput
from pipeline_lib.orchestration.executor import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    TASK_FAILED,
    TaskContext,
)
from pipeline_lib.quality import CRITICAL, FAIL, QualityReport, RuleResult
from pipeline_lib.quality.audit import save_report

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
GLUE_JOB_SYNC = "arn:aws:states:::glue:startJobRun.sync"
SNS_PUBLISH = "arn:aws:states:::sns:publish"

QUALITY_JOB = "data_quality"
LOCAL_TOPIC = f"arn:aws:sns:{LOCAL_REGION}:{LOCAL_ACCOUNT}:ecom-pipeline-notifications"
#: Exceptions raised inside a notebook that a retry may fix.
TRANSIENT_NOTEBOOK_ERRORS = {"TransientError", "ConnectionError", "TimeoutError"}

#: Called with (step, "started" | "finished").
ProgressCallback = Callable[[str, str], None]


def local_variables(definition_text: str) -> dict[str, str]:
    """Values for the definition's placeholders on the local target.

    ``<handler>_arn`` -> the handler's name, ``<notebook>_job`` -> the notebook's name,
    ``notification_topic_arn`` -> a local topic name, anything else -> itself.
    """
    values = {}
    for name in placeholders(definition_text):
        if name == "notification_topic_arn":
            values[name] = LOCAL_TOPIC
        elif name.endswith("_arn"):
            values[name] = name[: -len("_arn")]
        elif name.endswith("_job"):
            values[name] = name[: -len("_job")]
        else:
            values[name] = name
    return values


@dataclass
class StepResult:
    """One job the run ran (a notebook, the ingest, the audit, the publish) and its outcome."""

    name: str
    status: str = "succeeded"  # succeeded | failed
    seconds: float = 0.0
    detail: str = ""

    def fail(self, detail: str) -> None:
        self.status, self.detail = "failed", detail


#: Lambda handlers whose work is a step of the run's record, under these names.
_HANDLER_STEPS = {"file_validator": "ingest", "publish_curated": "publish"}


@dataclass
class LocalResources:
    """Serves the Task states of one local run (a ``TaskHandler`` for the executor)."""

    runtime: Runtime
    notifier: Notifier
    notebooks_dir: Path
    run_reports_dir: Path
    audit: AuditHook
    job_params: Mapping[str, Any] = field(default_factory=dict)
    on_progress: Optional[ProgressCallback] = None
    steps: list[StepResult] = field(default_factory=list)
    audit_report: Optional[QualityReport] = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any:
        if resource == LAMBDA_INVOKE:
            return self.invoke_lambda(str(parameters["FunctionName"]), parameters.get("Payload"))
        if resource == GLUE_JOB_SYNC:
            return self.run_job(str(parameters["JobName"]), parameters.get("Arguments") or {})
        if resource == SNS_PUBLISH:
            message = parameters.get("Message")
            if not isinstance(message, dict):
                message = {"text": message}
            self.notifier.publish(str(parameters.get("Subject", "")), message)
            return {"MessageId": "local"}
        raise StatesError(
            "States.Runtime",
            f"no local implementation of resource {resource} "
            f"(local: {LAMBDA_INVOKE}, {GLUE_JOB_SYNC}, {SNS_PUBLISH})",
        )

    # --- Lambda -----------------------------------------------------------------------

    def invoke_lambda(self, function: str, payload: Any) -> dict[str, Any]:
        try:
            module = importlib.import_module(f"pipeline_lib.handlers.{function}")
        except ImportError as exc:
            raise StatesError(
                "Lambda.ResourceNotFoundException",
                f"no handler pipeline_lib.handlers.{function}: a Lambda "
                "placeholder <name>_arn must name a module of "
                "pipeline_lib/handlers",
            ) from exc
        step = _HANDLER_STEPS.get(function)
        with self._step(step) as record:
            try:
                result = module.handle(payload or {}, self.runtime)
            except Exception as exc:
                if record is not None:
                    record.fail(str(exc))
                cause = {"errorMessage": str(exc), "errorType": type(exc).__name__}
                raise StatesError(type(exc).__name__, json.dumps(cause)) from exc
            if record is not None and function == "file_validator":
                ingest = self.runtime.outcomes.ingest
                record.detail = (
                    ingest.summary() if ingest and ingest.results else "no new files in raw/"
                )
            if record is not None and function == "publish_curated":
                record.detail = f"{len(result.get('published', []))} tables live"
        return {"Payload": result, "StatusCode": 200, "ExecutedVersion": "$LATEST"}

    # --- Glue jobs ---------------------------------------------------------------------

    def run_job(self, job: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        run_id = str(arguments.get("--run_id", ""))
        as_of = str(arguments.get("--as_of", ""))
        began = time.perf_counter()
        step = "audit" if job == QUALITY_JOB else job
        with self._step(step) as record:
            assert record is not None
            try:
                if job == QUALITY_JOB:
                    record.detail = self._audit(run_id, date.fromisoformat(as_of))
                    if self.audit_report is not None and not self.audit_report.publishable:
                        record.fail(gate_summary(self.audit_report))  # the gate stops the run
                else:
                    self._notebook(job, run_id, as_of)
                    record.detail = "notebook"
            except PipelineError as exc:
                record.fail(str(exc))
                transient = isinstance(exc, TransientError) or (
                    isinstance(exc, NotebookError) and exc.ename in TRANSIENT_NOTEBOOK_ERRORS
                )
                error = "TransientError" if transient else TASK_FAILED
                raise StatesError(error, _job_cause(job, run_id, str(exc))) from exc
        return {
            "JobName": job,
            "JobRunId": f"jr_{run_id}_{job}",
            "JobRunState": "SUCCEEDED",
            "ExecutionTime": round(time.perf_counter() - began),
        }

    def _notebook(self, job: str, run_id: str, as_of: str) -> None:
        path = self.notebooks_dir / f"{job}.py"
        base = {
            "lake": self.runtime.lake.location,
            "run_id": run_id,
            "as_of": as_of,
            "env": self.runtime.settings.env,
        }
        declared = set(declared_parameters(load_notebook(path)))
        merged = {**{k: v for k, v in self.job_params.items() if k in declared}, **base}
        parameters = {k: v for k, v in merged.items() if k in declared}
        run_notebook(path, output_dir=self.run_reports_dir, parameters=parameters)

    def _audit(self, run_id: str, as_of: date) -> str:
        """The quality job: audit the staged tables, save the report, render the HTML."""
        lake = self.runtime.lake
        versions = load_versions(lake, run_id)
        accounting = load_accounting(lake, run_id)
        if not versions and not accounting:
            nothing = RuleResult(
                "rows_produced", "run", CRITICAL, FAIL, 0, 1, detail="no dataset was processed"
            )
            report = QualityReport(run_id, as_of.isoformat(), [nothing])
            save_report(lake, report)
        else:
            report = self.audit(
                AuditInput(
                    lake,
                    run_id,
                    versions,
                    accounting,
                    as_of=as_of,
                    env=self.runtime.settings.env,
                    reports_dir=self.run_reports_dir,
                    settings=self.runtime.settings,
                )
            )
            _render_quality_report(self, as_of)
        self.audit_report = report
        return f"{len(report.rules)} rules, quality {report.status}"

    # --- bookkeeping -------------------------------------------------------------------

    @contextlib.contextmanager
    def _step(self, name: Optional[str]) -> Iterator[Optional[StepResult]]:
        """Time a step of the run's record (None: not a step), reporting progress."""
        if name is None:
            yield None
            return
        step = StepResult(name)
        began = time.perf_counter()
        if self.on_progress:
            self.on_progress(name, "started")
        try:
            yield step
        finally:
            step.seconds = time.perf_counter() - began
            with self._lock:
                self.steps.append(step)
            if self.on_progress:
                self.on_progress(name, "finished")


def _job_cause(job: str, run_id: str, message: str) -> str:
    return json.dumps(
        {
            "JobName": job,
            "JobRunId": f"jr_{run_id}_{job}",
            "JobRunState": "FAILED",
            "ErrorMessage": message,
        }
    )


def _render_quality_report(resources: LocalResources, as_of: date) -> Optional[Path]:
    """The HTML report of the executed quality notebook, when it exists (never gates)."""
    from pipeline_lib.orchestration.audit_step import QUALITY_NOTEBOOK

    executed = resources.run_reports_dir / f"{QUALITY_NOTEBOOK.stem}.ipynb"
    if not executed.is_file():
        return None
    from pipeline_lib.quality.report import render_report

    try:
        path: Path = render_report(
            executed,
            lake=resources.runtime.lake,
            as_of=as_of,
            reports_dir=resources.runtime.reports_dir,
        )
    except (PipelineError, OSError):
        return None
    resources.runtime.outcomes.quality_report = path
    return path
