"""``ecom-pipeline watch``: files landing in raw/ start runs, as S3 events do on AWS.

Each file created in (or moved into) ``<lake>/raw/`` becomes an EventBridge "Object
Created" event once its size has stopped changing. Events within ``debounce_seconds`` of
the last one form one batch, handed to :func:`pipeline_lib.handlers.s3_trigger.handle` as
one SQS batch (how EventBridge -> SQS -> Lambda debounces on AWS): a hundred files start
one run. Runs go one at a time, in-process (:class:`LocalExecutions`); files landing
during a run form the next batch. With a schedule, the daily rule's "Scheduled Event"
goes to :func:`pipeline_lib.handlers.schedule_trigger.handle` at each fire time.

The core (:class:`Batcher`, :meth:`RawWatcher.tick`) takes its clocks as arguments, so
tests drive it without waiting; :meth:`RawWatcher.start` adds the watchdog observer.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError, PipelineError, TransientError
from pipeline_lib.execution.history import history_key, record_key
from pipeline_lib.handlers import Runtime, s3_trigger, schedule_trigger
from pipeline_lib.ingestion import QUARANTINED
from pipeline_lib.orchestration.pipeline import RunResult, lake_is_busy, run_pipeline
from pipeline_lib.orchestration.schedule import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    CronSchedule,
    eventbridge_event,
    scheduled_event,
)
from pipeline_lib.storage import LocalLake, Zone

LOCAL_BUCKET = "ecom-pipeline-local-raw"
LOCAL_QUEUE = "ecom-pipeline-raw-events"
DEFAULT_DEBOUNCE_SECONDS = 5.0
#: A file's size and mtime must hold this long before it is an object.
STABLE_SECONDS = 1.0
#: A batch older than this goes out even if files keep arriving (no starvation).
MAX_WAIT_SECONDS = 300.0
POLL_SECONDS = 0.25

Clock = Callable[[], float]
Now = Callable[[], datetime]
Handler = Callable[[Mapping[str, Any], Runtime], dict[str, Any]]
RunFunction = Callable[..., RunResult]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def debounce_seconds(settings: Settings) -> float:
    """``watch.debounce_seconds`` of the params file (default 5)."""
    where = settings.source("watch")
    section = settings.section("watch", example="watch: {debounce_seconds: 5}")
    value = section.get("debounce_seconds", DEFAULT_DEBOUNCE_SECONDS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(
            f"{where}: watch.debounce_seconds must be a number of seconds >= 0 "
            f"(e.g. 5), not {value!r}"
        )
    return float(value)


def etag_of(path: Path, size: int, content_limit: int) -> str:
    """MD5 of the content (S3's single-part ETag); above ``content_limit``, of size+mtime."""
    digest = hashlib.md5(usedforsecurity=False)
    if size > content_limit:
        digest.update(f"{size}:{path.stat().st_mtime_ns}".encode())
        return digest.hexdigest()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def object_created_event(
    key: str, size: int, etag: str, *, at: datetime, sequencer: str
) -> dict[str, Any]:
    """The EventBridge event S3 sends for a new object ``key`` of the local raw bucket."""
    detail = {
        "version": "0",
        "bucket": {"name": LOCAL_BUCKET},
        "object": {"key": key, "size": size, "etag": etag, "sequencer": sequencer},
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": LOCAL_ACCOUNT,
        "source-ip-address": "127.0.0.1",
        "reason": "PutObject",
    }
    return eventbridge_event(
        s3_trigger.OBJECT_CREATED,
        "aws.s3",
        at=at,
        resources=[f"arn:aws:s3:::{LOCAL_BUCKET}"],
        detail=detail,
    )


def sqs_batch(events: Sequence[Mapping[str, Any]], *, at: datetime) -> dict[str, Any]:
    """The Lambda event of an SQS batch holding ``events`` (EventBridge -> SQS -> Lambda)."""
    sent = str(int(at.timestamp() * 1000))
    records = []
    for event in events:
        body = json.dumps(event)
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": sent,
                    "SenderId": LOCAL_ACCOUNT,
                    "ApproximateFirstReceiveTimestamp": sent,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{LOCAL_QUEUE}",
                "awsRegion": LOCAL_REGION,
            }
        )
    return {"Records": records}


@dataclass
class _Pending:
    first_seen: float
    #: When the file was last noticed or seen to change size or mtime.
    changed_at: float
    stat: Optional[tuple[int, int]] = None


class Batcher:
    """Files seen in raw/, released together once quiet for ``debounce`` and size-stable.

    :meth:`add` may be called from the watchdog thread; :meth:`take_ready` from the loop.
    """

    def __init__(
        self,
        raw: Path,
        debounce: float,
        *,
        stable_seconds: float = STABLE_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.raw = raw
        self.debounce, self.stable_seconds, self.max_wait = debounce, stable_seconds, max_wait
        self.clock = clock
        self._pending: dict[Path, _Pending] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pending)

    def key(self, path: Path) -> Optional[str]:
        """``path`` relative to raw/ (posix), None if outside it or ignored."""
        try:
            key = path.relative_to(self.raw).as_posix()
        except ValueError:
            return None
        return None if s3_trigger.is_ignored(key) else key

    def add(self, path: Path) -> bool:
        """Note a new or changed file; False if it is ignored (or a folder)."""
        if self.key(path) is None or path.is_dir():
            return False
        now = self.clock()
        with self._lock:
            entry = self._pending.get(path)
            if entry is None:
                self._pending[path] = _Pending(first_seen=now, changed_at=now)
            else:  # written to again: not stable yet, and the batch is not quiet
                entry.changed_at = now
        return True

    def take_ready(self) -> list[Path]:
        """The batch to dispatch now (sorted), or [] while it is still filling."""
        now = self.clock()
        with self._lock:
            for path, entry in list(self._pending.items()):
                stat = _stat(path)
                if stat is None:  # gone, or replaced by a folder
                    del self._pending[path]
                elif stat != entry.stat:
                    entry.stat, entry.changed_at = stat, now
            if not self._pending:
                return []
            entries = self._pending.values()
            settled = [
                p
                for p, e in self._pending.items()
                if e.stat is not None and now - e.changed_at >= self.stable_seconds
            ]
            quiet = now - max(e.changed_at for e in entries) >= self.debounce
            oldest = min(e.first_seen for e in entries)
            if (quiet and len(settled) == len(self._pending)) or (
                settled and now - oldest >= self.max_wait
            ):
                for path in settled:
                    del self._pending[path]
                return sorted(settled)
        return []


def _stat(path: Path) -> Optional[tuple[int, int]]:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns) if path.is_file() else None


class Reporter:
    """What the watcher tells its user; the default says nothing."""

    def batch(self, keys: Sequence[str]) -> None:
        """A batch of objects goes to the S3 trigger."""

    def run_started(self, name: str, execution_input: Mapping[str, Any]) -> None:
        """A trigger started a run."""

    def run_finished(self, result: RunResult) -> None:
        """A run ended (succeeded or failed)."""

    def outcome(self, outcome: Outcome) -> None:
        """A batch or a schedule firing was handled."""


@dataclass
class Outcome:
    """One batch (``kind="batch"``) or schedule firing (``"schedule"``) and what it did."""

    kind: str
    keys: list[str]
    response: dict[str, Any] = field(default_factory=dict)
    runs: list[RunResult] = field(default_factory=list)
    error: Optional[str] = None

    def files_with(self, status: str) -> list[dict[str, Any]]:
        return [f for f in self.response.get("files", []) if f.get("status") == status]

    @property
    def exit_code(self) -> int:
        """0 if its run succeeded (or nothing new to run), 1 on failure or only rejects."""
        if self.error or any(not r.succeeded for r in self.runs):
            return 1
        return 1 if not self.runs and self.files_with(QUARANTINED) else 0


class LocalExecutions:
    """StartExecution for the local lake: ``run_pipeline`` in-process, once per name.

    A name that has a run record or history already ran (Step Functions'
    ExecutionAlreadyExists): it returns False. While another process holds the lake's run
    lock it waits (``lock_wait_seconds`` at most) instead of losing the run; any other
    refusal of ``run_pipeline`` is raised at once.
    """

    def __init__(
        self,
        lake: LocalLake,
        settings: Settings,
        reports_dir: Path,
        *,
        reporter: Optional[Reporter] = None,
        run: RunFunction = run_pipeline,
        sleep: Callable[[float], Any] = time.sleep,
        lock_wait_seconds: float = 600.0,
        retry_seconds: float = 5.0,
    ) -> None:
        self.lake, self.settings, self.reports_dir = lake, settings, reports_dir
        self.reporter = reporter or Reporter()
        self.run, self.sleep = run, sleep
        self.lock_wait_seconds, self.retry_seconds = lock_wait_seconds, retry_seconds
        self.results: list[RunResult] = []

    def already_ran(self, name: str) -> bool:
        """A record or a history (even an empty one: killed at once) means it started."""
        keys = (record_key(name), history_key(name))
        return any(self.lake.exists(Zone.META, key) for key in keys)

    def __call__(self, name: str, execution_input: Mapping[str, Any]) -> bool:
        if self.already_ran(name):
            return False
        self.reporter.run_started(name, execution_input)
        as_of = date.fromisoformat(str(execution_input["as_of"]))
        files = [str(f) for f in execution_input.get("files") or []]
        waited = 0.0
        while True:
            try:
                result = self.run(
                    self.lake,
                    self.settings,
                    run_id=name,
                    reports_dir=self.reports_dir,
                    as_of=as_of,
                    trigger=str(execution_input.get("trigger", "manual")),
                    files=files,
                )
                break
            except PipelineError as exc:
                if not lake_is_busy(self.lake):  # not the run lock: waiting will not help
                    raise
                if waited >= self.lock_wait_seconds:
                    again = (
                        f"copy {', '.join(files)} into raw/ again"
                        if files
                        else f"start it with `ecom-pipeline run --run-id {name} --date {as_of}`"
                    )
                    raise TransientError(
                        f"run {name} not started: another run held {self.lake.root} for "
                        f"{waited:g} s; once it ends (see `ecom-pipeline runs`), {again}"
                    ) from exc
                self.sleep(self.retry_seconds)
                waited += self.retry_seconds
        self.results.append(result)
        self.reporter.run_finished(result)
        return True


class _RawEvents(FileSystemEventHandler):
    """watchdog events -> :meth:`RawWatcher.notice`."""

    def __init__(self, notice: Callable[[Path], None]) -> None:
        self.notice = notice

    def _seen(self, path: Path, is_directory: bool) -> None:
        if not is_directory:
            self.notice(path)
            return
        for child in sorted(path.rglob("*")):  # a folder moved in brings its files
            if child.is_file():
                self.notice(child)

    def on_created(self, event: FileSystemEvent) -> None:
        self._seen(Path(os.fsdecode(event.src_path)), event.is_directory)

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.notice(Path(os.fsdecode(event.src_path)))

    def on_moved(self, event: FileSystemEvent) -> None:
        self._seen(Path(os.fsdecode(event.dest_path)), event.is_directory)


class RawWatcher:
    """Watches ``<lake>/raw/``; each :meth:`tick` dispatches a ready batch or a due schedule."""

    def __init__(
        self,
        lake: LocalLake,
        settings: Settings,
        *,
        reports_dir: Path = Path("reports"),
        debounce: Optional[float] = None,
        schedule: Optional[CronSchedule] = None,
        reporter: Optional[Reporter] = None,
        clock: Clock = time.monotonic,
        now: Now = utc_now,
        stable_seconds: float = STABLE_SECONDS,
        run: RunFunction = run_pipeline,
        s3_handler: Handler = s3_trigger.handle,
        schedule_handler: Handler = schedule_trigger.handle,
    ) -> None:
        self.lake, self.settings = lake, settings
        self.raw = lake.path(Zone.RAW)
        self.reporter = reporter or Reporter()
        self.debounce = debounce_seconds(settings) if debounce is None else debounce
        self.batcher = Batcher(self.raw, self.debounce, stable_seconds=stable_seconds, clock=clock)
        self.executions = LocalExecutions(
            lake, settings, reports_dir, reporter=self.reporter, run=run
        )
        self.runtime = Runtime(
            lake=lake, settings=settings, reports_dir=reports_dir, start_execution=self.executions
        )
        self.clock, self.now = clock, now
        self.s3_handler, self.schedule_handler = s3_handler, schedule_handler
        self.schedule = schedule
        self.next_fire = schedule.next_after(now()) if schedule else None
        self._sequence = 0
        self._observer: Optional[Any] = None

    def notice(self, path: Path) -> None:
        """A file was created, moved in or written to (called by the observer)."""
        self.batcher.add(path)

    def event_for(self, path: Path) -> dict[str, Any]:
        """The "Object Created" event of a file in raw/."""
        size = path.stat().st_size
        at = self.now()
        self._sequence += 1
        sequencer = f"{int(at.timestamp() * 1000):012X}{self._sequence:06X}"
        key = path.relative_to(self.raw).as_posix()
        etag = etag_of(path, size, self.settings.ingestion.lightweight_max_bytes)
        return object_created_event(key, size, etag, at=at, sequencer=sequencer)

    def tick(self) -> list[Outcome]:
        """Dispatch the ready batch, then fire the schedule if due; what was done."""
        outcomes = []
        paths = self.batcher.take_ready()
        if paths:
            outcomes.append(self.dispatch(paths))
        if self.schedule is not None and self.next_fire is not None:
            moment = self.now()
            if moment >= self.next_fire:
                outcomes.append(self.fire_schedule(self.next_fire))
                self.next_fire = self.schedule.next_after(moment)
        return outcomes

    def dispatch(self, paths: Sequence[Path]) -> Outcome:
        """Send ``paths`` to the S3 trigger as one SQS batch (runs it starts run now)."""
        events: list[dict[str, Any]] = []
        keys: list[str] = []
        for path in paths:
            try:
                event = self.event_for(path)
            except OSError:  # removed since it settled
                continue
            events.append(event)
            keys.append(event["detail"]["object"]["key"])
        outcome = Outcome("batch", keys)
        if events:
            self.reporter.batch(keys)
            self._handle(outcome, self.s3_handler, sqs_batch(events, at=self.now()))
        return outcome

    def fire_schedule(self, at: datetime) -> Outcome:
        """Send the "Scheduled Event" of the rule firing at ``at``."""
        outcome = Outcome("schedule", [])
        self._handle(outcome, self.schedule_handler, scheduled_event(at))
        return outcome

    def _handle(self, outcome: Outcome, handler: Handler, event: Mapping[str, Any]) -> None:
        before = len(self.executions.results)
        try:
            outcome.response = handler(event, self.runtime)
        except PipelineError as exc:
            outcome.error = str(exc)
        outcome.runs = self.executions.results[before:]
        self.reporter.outcome(outcome)

    def start(self) -> None:
        """Start the watchdog observer on raw/ (recursive)."""
        self.raw.mkdir(parents=True, exist_ok=True)
        observer = Observer()
        observer.schedule(_RawEvents(self.notice), str(self.raw), recursive=True)
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
            self._observer = None

    def run(
        self,
        stop: threading.Event,
        *,
        once: bool = False,
        timeout: Optional[float] = None,
        poll: float = POLL_SECONDS,
    ) -> list[Outcome]:
        """Tick until ``stop`` is set (or, with ``once``, the first outcome or ``timeout``)."""
        deadline = None if timeout is None else self.clock() + timeout
        outcomes: list[Outcome] = []
        while not stop.is_set():
            new = self.tick()
            outcomes.extend(new)
            if once and new:
                break
            if deadline is not None and self.clock() >= deadline:
                break
            stop.wait(poll)
        return outcomes
