"""run_summary: the notification of a finished run, success or failure.

The message carries the run id, duration, rows per table, rejected rows per dataset, the
data quality outcome and the report's path; a failure adds the failed state and the error.
The state machine publishes it to SNS (locally: the notifier's log and the console).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Optional

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.execution.history import error_message, failure_of, load_history
from pipeline_lib.execution.notify import SUBJECT_MAX
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env
from pipeline_lib.handlers.data_quality_check import html_report
from pipeline_lib.jobs import load_accounting, load_versions
from pipeline_lib.quality.audit import load_report
from pipeline_lib.storage import run_holder

#: The Payload of the state machine's SummarizeSuccess / SummarizeFailure states.
EVENT = (
    '{"run_id": "<run id>", "as_of": "YYYY-MM-DD", "status": "succeeded" | "failed", '
    '"error": {"Error", "Cause"} (on failure), "execution_id", "started_at"}'
)


def duration_seconds(started_at: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds from ``started_at`` (ISO) to ``now`` (default: now); None if unparsable."""
    if not started_at:
        return None
    try:
        began = datetime.fromisoformat(str(started_at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if began.tzinfo is None:  # no offset: UTC, like every time the state machine passes
        began = began.replace(tzinfo=timezone.utc)
    return round(((now or datetime.now(timezone.utc)) - began).total_seconds(), 3)


def quality_outcome(runtime: Runtime, run_id: str) -> Optional[dict[str, Any]]:
    """The audit's status and counts, None if the run failed before its audit."""
    try:
        report = load_report(runtime.lake, run_id)
    except PipelineError:
        return None
    return {"status": report.status, **report.counts()}


def rejects_by_dataset(runtime: Runtime, run_id: str) -> dict[str, int]:
    rejected: dict[str, int] = defaultdict(int)
    for entry in load_accounting(runtime.lake, run_id):
        rejected[entry.dataset] += entry.rows_rejected
    return dict(sorted(rejected.items()))


def error_of(error: Any) -> dict[str, Any]:
    """``{"error", "message"}`` of the Catch's ``{"Error", "Cause"}`` (or of a bare text)."""
    if not isinstance(error, Mapping):
        return {"error": None, "message": str(error)}
    return {"error": error.get("Error"), "message": error_message(str(error.get("Cause", "")))}


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT`."""
    run_id = str(require(event, "run_id", EVENT))
    status = str(require(event, "status", EVENT))
    as_of = str(event.get("as_of", ""))
    message: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "env": runtime.settings.env,
        "as_of": as_of,
        "execution_id": event.get("execution_id"),
        "started_at": event.get("started_at"),
        "duration_seconds": duration_seconds(event.get("started_at")),
        "tables": {v.qualified_name: v.rows for v in load_versions(runtime.lake, run_id)},
        "rejected_rows": rejects_by_dataset(runtime, run_id),
        "quality": quality_outcome(runtime, run_id),
        "report": html_report(runtime, as_of) if as_of else None,
    }
    if status != "succeeded":
        failure = failure_of(load_history(runtime.lake, run_id))
        message["failed_state"] = failure.state if failure else None
        message["error"] = error_of(event.get("error") or {})
    if runtime.run_lease is not None:  # the run is over: the next one may take the lake
        message["lease_released"] = runtime.run_lease.release(run_holder(run_id))
    subject = f"ecom-pipeline {runtime.settings.env}: run {run_id} {status}"
    return {"subject": subject[:SUBJECT_MAX], "message": message}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
