"""data_quality_check: read the run's quality report and decide whether it may publish.

The quality notebook (a Glue job on AWS) does the checking and saves the report; this
handler is the gate's input: ``publishable`` is false when a critical rule failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from pipeline_lib.exceptions import PermanentError, PipelineError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env
from pipeline_lib.quality import QualityReport
from pipeline_lib.quality.audit import load_report

#: The Payload of the state machine's EvaluateQuality state.
EVENT = '{"run_id": "<run id>", "as_of": "YYYY-MM-DD"}'
MAX_LISTED = 10


def gate_summary(report: QualityReport) -> str:
    """One line: the failed critical rules (stop) or the counts (go)."""
    if not report.publishable:
        failed = report.critical_failures
        reasons = "; ".join(f"{r.rule} on {r.subject}: {r.detail}" for r in failed[:MAX_LISTED])
        more = f"; and {len(failed) - MAX_LISTED} more" if len(failed) > MAX_LISTED else ""
        return f"audit failed, nothing published: {reasons}{more}"
    n = report.counts()
    return f"{n['rules']} rules, {n['warnings']} warnings, {n['anomalies']} anomalies"


def html_report(runtime: Runtime, as_of: str) -> Optional[str]:
    """The day's HTML quality report, if rendered.

    The layout is :func:`pipeline_lib.quality.report.render_report`'s; that module is not
    imported here, as it pulls nbconvert and plotly into the Lambda.
    """
    path = runtime.reports_dir / "quality" / as_of / "index.html"
    return str(path) if path.is_file() else None


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT` (``as_of`` defaults to the report's)."""
    run_id = str(require(event, "run_id", EVENT))
    try:
        report = load_report(runtime.lake, run_id)
    except PipelineError as exc:
        raise PermanentError(str(exc)) from exc
    counts = report.counts()
    return {
        "status": report.status,
        "publishable": report.publishable,
        "summary": gate_summary(report),
        "failed": [
            {"rule": r.rule, "subject": r.subject, "detail": r.detail}
            for r in report.critical_failures[:MAX_LISTED]
        ],
        "warnings": counts["warnings"],
        "anomalies": counts["anomalies"],
        "report": html_report(runtime, str(event.get("as_of", report.as_of))),
    }


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
