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
from typing import Any, Optional, Protocol

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.storage import Lake, Zone


class HistoryEvent(Protocol):
    """An event of an execution's history (the executor's ``HistoryEvent``)."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - protocol
        ...


RUNS_PREFIX = "runs"
HISTORY_NAME = "history.jsonl"
RECORD_NAME = "run.json"


def history_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}/{run_id}/{HISTORY_NAME}"


def record_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}/{run_id}/{RECORD_NAME}"


def refuse_used_run_id(lake: Lake, run_id: str) -> None:
    """Raise PipelineError if ``run_id`` already names a run (it has a record or a history).

    A run writes its table versions under its id, so running an id again would rewrite
    that run's versions (the live tables, if it was published) before any audit, and
    overwrite its history.
    """
    recorded = lake.exists(Zone.META, record_key(run_id))
    if not recorded and not lake.exists(Zone.META, history_key(run_id)):
        return
    record = _read_record(lake, run_id) if recorded else {}
    events = load_history(lake, run_id)
    started = (events[0].get("timestamp") if events else None) or record.get("started_at")
    if recorded:
        status = str(record.get("status") or "recorded")
        what = f"{_article(status)} {status} run"
    else:
        what = "an interrupted run (no run record)"
    when = f" started {started}" if started else ""
    folder = lake.uri(Zone.META, f"{RUNS_PREFIX}/{run_id}")
    raise PipelineError(
        f"run id {run_id!r} was already used: {what}{when} ({folder}); a run id names one "
        "run, so pick a new --run-id or omit it to get a new one"
    )


def _read_record(lake: Lake, run_id: str) -> dict[str, Any]:
    """A run's record (empty when cut short: it still names a used id)."""
    with contextlib.suppress(ValueError):
        loaded = json.loads(lake.read_bytes(Zone.META, record_key(run_id)))
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class HistoryWriter:
    """Appends events to a run's history file, one JSON line each, as they happen."""

    def __init__(self, lake: Lake, run_id: str) -> None:
        self.lake = lake
        self.key = history_key(run_id)
        lake.write_bytes(Zone.META, self.key, b"")
        self._lock = threading.Lock()

    def __call__(self, event: HistoryEvent) -> None:
        line = json.dumps(event.to_dict(), default=str) + "\n"
        with self._lock:
            self.lake.append_bytes(Zone.META, self.key, line.encode("utf-8"))


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
            return Failure(str(state), str(details.get("error", "")), str(details.get("cause", "")))
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


def list_runs(lake: Lake) -> list[RunListing]:
    """Every run with a record or a history, newest first (run ids sort by time)."""
    files: dict[str, set[str]] = {}
    for key in lake.list_keys(Zone.META, RUNS_PREFIX):
        parts = key.split("/")
        if len(parts) == 3:
            files.setdefault(parts[1], set()).add(parts[2])
    runs = []
    for run_id in sorted(files, reverse=True):
        events = load_history(lake, run_id) if HISTORY_NAME in files[run_id] else []
        record = _read_record(lake, run_id) if RECORD_NAME in files[run_id] else {}
        if not record and not events:
            continue
        started = events[0] if events else {}
        execution_input = started.get("details", {}).get("input", {}) if started else {}
        failure = failure_of(events)
        runs.append(
            RunListing(
                run_id=run_id,
                status=record.get("status", "interrupted"),
                as_of=record.get("as_of") or execution_input.get("as_of"),
                started_at=started.get("timestamp") or record.get("started_at"),
                seconds=record.get("seconds"),
                trigger=execution_input.get("trigger")
                if isinstance(execution_input, dict)
                else None,
                failed_state=failure.state
                if failure and record.get("status") != "succeeded"
                else None,
                error=record.get("error"),
            )
        )
    return runs
