"""Run history: each execution's events in ``_meta/runs/<run_id>/history.jsonl``.

The executor appends events as they happen, so a killed run still leaves what it did. The
run record ``run.json`` is written when a run ends; a history without one is an
interrupted run (or one still running).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.orchestration.executor import HistoryEvent
from pipeline_lib.storage import Lake, LocalLake, Zone

RUNS_PREFIX = "runs"
HISTORY_NAME = "history.jsonl"
RECORD_NAME = "run.json"


def history_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}/{run_id}/{HISTORY_NAME}"


def record_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}/{run_id}/{RECORD_NAME}"


def refuse_used_run_id(lake: LocalLake, run_id: str) -> None:
    """Raise PipelineError if ``run_id`` already names a run (it has a record or a history).

    A run writes its table versions under its id, so running an id again would rewrite
    that run's versions (the live tables, if it was published) before any audit, and
    overwrite its history.
    """
    record_path = lake.path(Zone.META, record_key(run_id))
    if not record_path.is_file() and not lake.path(Zone.META, history_key(run_id)).is_file():
        return
    record: dict[str, Any] = {}
    if record_path.is_file():
        with contextlib.suppress(ValueError):  # a record cut short still names a used id
            loaded = json.loads(record_path.read_text(encoding="utf-8"))
            record = loaded if isinstance(loaded, dict) else {}
    events = load_history(lake, run_id)
    started = (events[0].get("timestamp") if events else None) or record.get("started_at")
    if record_path.is_file():
        status = str(record.get("status") or "recorded")
        what = f"{_article(status)} {status} run"
    else:
        what = "an interrupted run (no run record)"
    when = f" started {started}" if started else ""
    folder = lake.path(Zone.META, f"{RUNS_PREFIX}/{run_id}")
    raise PipelineError(
        f"run id {run_id!r} was already used: {what}{when} ({folder}); a run id names one "
        "run, so pick a new --run-id or omit it to get a new one"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class HistoryWriter:
    """Appends events to a run's history file, one JSON line each, as they happen."""

    def __init__(self, lake: LocalLake, run_id: str) -> None:
        self.path = lake.path(Zone.META, history_key(run_id))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, event: HistoryEvent) -> None:
        line = json.dumps(event.to_dict(), default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def load_history(lake: Lake, run_id: str) -> list[dict[str, Any]]:
    """A run's events, oldest first (empty if the run has none)."""
    if not lake.exists(Zone.META, history_key(run_id)):
        return []
    events = []
    text = lake.read_bytes(Zone.META, history_key(run_id)).decode("utf-8")
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:  # the last line of a killed run may be cut short
            break
    return events


@dataclass(frozen=True)
class Failure:
    """Where and why an execution failed."""

    state: str
    error: str
    cause: str

    @property
    def message(self) -> str:
        return error_message(self.cause) or self.error


def failure_of(events: Sequence[Mapping[str, Any]]) -> Optional[Failure]:
    """The first failure that was not retried away: its task state, error and cause.

    A Catch on a Parallel state names the failed branch task, not the Parallel. A failed
    quality gate (no task failed) is reported as the gate state with the audit's summary.
    """
    last_task_failure: Optional[Mapping[str, Any]] = None
    for event in events:
        kind = event.get("type")
        if kind == "TaskFailed":
            last_task_failure = event
        elif kind == "TaskSucceeded" and last_task_failure is not None:
            if last_task_failure.get("state") == event.get("state"):
                last_task_failure = None  # retried, then succeeded
        elif kind in ("CatchTaken", "ExecutionFailed"):
            details = event.get("details", {})
            state = (last_task_failure or event).get("state") or ""
            return Failure(str(state), str(details.get("error", "")),
                           str(details.get("cause", "")))  # fmt: skip
        elif kind == "PassStateEntered" and event.get("state") == "QualityFailed":
            gate = event.get("details", {}).get("input", {}).get("quality", {})
            return Failure("QualityGate", "DataQualityFailed", str(gate.get("summary", "")))
    return None


def error_message(cause: str) -> str:
    """The human message inside a cause: Lambda's errorMessage, Glue's ErrorMessage, or it."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(parsed, dict):
        for key in ("errorMessage", "ErrorMessage", "message"):
            if parsed.get(key):
                return str(parsed[key])
    return cause


@dataclass(frozen=True)
class RunListing:
    """One line of ``ecom-pipeline runs``."""

    run_id: str
    status: str  # succeeded | failed | interrupted
    as_of: Optional[str]
    started_at: Optional[str]
    seconds: Optional[float]
    trigger: Optional[str]
    failed_state: Optional[str]
    error: Optional[str]


def list_runs(lake: LocalLake) -> list[RunListing]:
    """Every run with a record or a history, newest first (run ids sort by time)."""
    folder = lake.path(Zone.META, RUNS_PREFIX)
    if not folder.is_dir():
        return []
    runs = []
    for run_dir in sorted((p for p in folder.iterdir() if p.is_dir()), reverse=True):
        run_id = run_dir.name
        events = load_history(lake, run_id)
        record: dict[str, Any] = {}
        if (run_dir / RECORD_NAME).is_file():
            record = json.loads((run_dir / RECORD_NAME).read_text(encoding="utf-8"))
        if not record and not events:
            continue
        started = events[0] if events else {}
        execution_input = started.get("details", {}).get("input", {}) if started else {}
        failure = failure_of(events)
        runs.append(RunListing(
            run_id=run_id,
            status=record.get("status", "interrupted"),
            as_of=record.get("as_of") or execution_input.get("as_of"),
            started_at=started.get("timestamp") or record.get("started_at"),
            seconds=record.get("seconds"),
            trigger=execution_input.get("trigger") if isinstance(execution_input, dict) else None,
            failed_state=failure.state if failure and record.get("status") != "succeeded" else None,
            error=record.get("error"),
        ))  # fmt: skip
    return runs
