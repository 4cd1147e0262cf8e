"""Run history: the failed state and error, read back from an execution's events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline_lib.execution.history import (
    HistoryWriter,
    error_message,
    failure_of,
    history_key,
    list_runs,
    load_history,
    record_key,
)
from pipeline_lib.orchestration.executor import HistoryEvent
from pipeline_lib.storage import LocalLake, Zone


def event(kind: str, state: str | None = None, **details: Any) -> dict[str, Any]:
    return {"type": kind, "state": state, "details": details}


def test_a_failure_retried_away_is_not_the_runs_failure() -> None:
    events = [
        event("TaskFailed", "ValidateIncomingFiles", error="TransientError", cause="busy"),
        event("TaskSucceeded", "ValidateIncomingFiles"),
        event(
            "TaskFailed",
            "EnrichProducts",
            error="States.TaskFailed",
            cause=json.dumps({"ErrorMessage": "notebook product_enrichment failed"}),
        ),
        event("ParallelStateFailed", "RunEtlJobs", error="States.TaskFailed", cause="..."),
        event(
            "CatchTaken",
            "RunEtlJobs",
            error="States.TaskFailed",
            cause="...",
            next="SummarizeFailure",
        ),
    ]
    failure = failure_of(events)
    assert failure is not None
    assert failure.state == "EnrichProducts"  # the branch task, not the Parallel state
    assert failure.error == "States.TaskFailed"


def test_a_failed_quality_gate_is_reported_with_the_audit_summary() -> None:
    gate_input = {"quality": {"publishable": False, "summary": "audit failed: row_count"}}
    failure = failure_of([event("PassStateEntered", "QualityFailed", input=gate_input)])
    assert failure is not None
    assert (failure.state, failure.error, failure.message) == (
        "QualityGate",
        "DataQualityFailed",
        "audit failed: row_count",
    )


def test_a_successful_history_has_no_failure() -> None:
    assert failure_of([event("TaskSucceeded", "A"), event("ExecutionSucceeded")]) is None


def test_error_message_reads_lambda_and_glue_causes() -> None:
    assert error_message(json.dumps({"errorMessage": "bad file", "errorType": "X"})) == "bad file"
    assert error_message(json.dumps({"JobRunState": "FAILED", "ErrorMessage": "oom"})) == "oom"
    assert error_message("plain text") == "plain text"


def test_history_survives_a_cut_last_line_and_runs_without_a_record_are_interrupted(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path / "lake")
    writer = HistoryWriter(lake, "killed")
    writer(
        HistoryEvent(
            1,
            "2026-11-28T10:00:00.000Z",
            "ExecutionStarted",
            details={"input": {"as_of": "2026-11-27", "trigger": "s3"}},
        )
    )
    writer(HistoryEvent(2, "2026-11-28T10:00:01.000Z", "TaskStateEntered", "MergeCuratedData"))
    with lake.path(Zone.META, history_key("killed")).open("a") as handle:
        handle.write('{"id": 3, "type": "TaskSch')  # the process died mid-write
    lake.write_bytes(
        Zone.META,
        record_key("done"),
        json.dumps({"status": "succeeded", "as_of": "2026-11-26", "seconds": 3.5}).encode(),
    )

    assert [e["id"] for e in load_history(lake, "killed")] == [1, 2]
    runs = {run.run_id: run for run in list_runs(lake)}
    assert runs["killed"].status == "interrupted"
    assert (runs["killed"].as_of, runs["killed"].trigger) == ("2026-11-27", "s3")
    assert runs["done"].status == "succeeded" and runs["done"].seconds == 3.5
