"""The raw/ watcher's core: events, debounce batching, dispatch and idempotent runs.

A fake clock drives the batcher (no real waiting) and a stand-in replaces ``run_pipeline``;
the S3 and schedule triggers are the real handlers on a real (small) lake. One test runs
the real watchdog observer for a second.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.config import IngestionSettings, Settings, load_settings
from pipeline_lib.exceptions import ConfigError, TransientError
from pipeline_lib.execution.history import history_key, record_key
from pipeline_lib.handlers import Runtime, s3_trigger
from pipeline_lib.orchestration.pipeline import RunResult, run_lock
from pipeline_lib.orchestration.schedule import LOCAL_ACCOUNT, LOCAL_REGION, parse_cron
from pipeline_lib.orchestration.watch import (
    Batcher,
    LocalExecutions,
    Outcome,
    RawWatcher,
    debounce_seconds,
    sqs_batch,
)
from pipeline_lib.storage import LocalLake, Zone
from tests.handler_events import EVENTBRIDGE_FIELDS

PARTITION = "transactions/ingest_date=2026-11-29"
HEADER = "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeRuns:
    """Stands in for run_pipeline: takes the lake's run lock, records its calls and leaves
    a run record."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, lake: LocalLake, settings: Settings, **kwargs: Any) -> RunResult:
        with run_lock(lake):
            self.calls.append(kwargs)
            lake.write_bytes(Zone.META, record_key(kwargs["run_id"]), b"{}")
        return RunResult(
            run_id=kwargs["run_id"],
            as_of=kwargs["as_of"],
            status="succeeded",
            trigger=kwargs["trigger"],
        )


class Recorder:
    """Stands in for s3_trigger.handle: keeps each event."""

    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def __call__(self, event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
        self.events.append(event)
        return {"started": False, "execution": None, "files": [], "reason": "recorded"}


def transactions_csv(*ids: int) -> str:
    rows = "".join(f"txn_{i},cust_1,prod_1,2,10.00,20.00,2026-11-27,completed\n" for i in ids)
    return f"{HEADER}\n{rows}"


def drop(lake: LocalLake, name: str, text: str) -> Path:
    path = lake.path(Zone.RAW, f"{PARTITION}/{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def bodies(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(record["body"]) for record in event["Records"]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_watcher(lake: LocalLake, clock: FakeClock, **kwargs: Any) -> RawWatcher:
    options: dict[str, Any] = {"debounce": 2.0, "stable_seconds": 0.5, "clock": clock}
    options.update(kwargs)
    settings = options.pop("settings", load_settings(env="local", lake=str(lake.root)))
    return RawWatcher(lake, settings, reports_dir=lake.root.parent / "reports", **options)


def settle(watcher: RawWatcher, clock: FakeClock) -> list[Outcome]:
    """One tick to note the files' sizes, then one past the debounce."""
    assert watcher.tick() == []
    clock.advance(watcher.debounce + 0.01)
    return watcher.tick()


# --- events -----------------------------------------------------------------------------


def test_object_created_event_has_the_aws_shape(lake: LocalLake, clock: FakeClock) -> None:
    text = transactions_csv(1, 2)
    path = drop(lake, "transactions_a.csv", text)
    watcher = make_watcher(lake, clock)

    event = watcher.event_for(path)

    assert set(event) == EVENTBRIDGE_FIELDS
    assert event["version"] == "0" and event["detail-type"] == "Object Created"
    assert event["source"] == "aws.s3"
    assert (event["account"], event["region"]) == (LOCAL_ACCOUNT, LOCAL_REGION)
    assert event["resources"] == ["arn:aws:s3:::ecom-pipeline-local-raw"]
    datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    detail = event["detail"]
    assert set(detail) == {
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "source-ip-address",
        "reason",
    }
    assert detail["bucket"] == {"name": "ecom-pipeline-local-raw"}
    assert detail["reason"] == "PutObject"
    assert detail["object"]["key"] == f"{PARTITION}/transactions_a.csv"
    assert detail["object"]["size"] == len(text.encode())
    assert detail["object"]["etag"] == hashlib.md5(text.encode()).hexdigest()
    assert watcher.event_for(path)["detail"]["object"]["sequencer"] > detail["object"]["sequencer"]

    batch = sqs_batch([event], at=datetime.now(timezone.utc))
    (record,) = batch["Records"]
    assert record["eventSource"] == "aws:sqs" and record["messageId"]
    assert record["eventSourceARN"].startswith(f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:")
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    assert s3_trigger.object_events(batch) == [(record["messageId"], event)]


def test_s3_trigger_accepts_the_batch_and_starts_one_s3_run(
    lake: LocalLake, clock: FakeClock
) -> None:
    runs = FakeRuns()
    good = drop(lake, "transactions_a.csv", transactions_csv(1, 2))
    bad = drop(lake, "transactions_bad.csv", "order,amount\n1,2\n")
    watcher = make_watcher(lake, clock, run=runs)
    watcher.notice(good)
    watcher.notice(bad)

    (outcome,) = settle(watcher, clock)

    assert outcome.kind == "batch" and outcome.error is None
    assert outcome.keys == [f"{PARTITION}/transactions_a.csv", f"{PARTITION}/transactions_bad.csv"]
    statuses = {f["key"].rsplit("/", 1)[-1]: f["status"] for f in outcome.response["files"]}
    assert statuses == {"transactions_a.csv": "accepted", "transactions_bad.csv": "quarantined"}
    assert outcome.response["started"] is True
    (call,) = runs.calls
    assert call["trigger"] == "s3" and call["run_id"] == outcome.response["execution"]
    assert call["files"] == [] and isinstance(call["as_of"], date)
    assert [r.run_id for r in outcome.runs] == [call["run_id"]]
    assert outcome.exit_code == 0
    assert list(lake.path(Zone.QUARANTINE).rglob("transactions_bad.csv.error.json"))


# --- batching ---------------------------------------------------------------------------


def test_a_hundred_files_within_the_debounce_make_one_dispatch(
    lake: LocalLake, clock: FakeClock
) -> None:
    handler = Recorder()
    watcher = make_watcher(lake, clock, s3_handler=handler)
    paths = [drop(lake, f"transactions_{i:03d}.csv", transactions_csv(i)) for i in range(100)]
    for path in paths:
        watcher.notice(path)
        clock.advance(0.015)  # 1.5 s of arrivals, each within 2 s of the last
        assert watcher.tick() == []

    clock.advance(1.0)
    assert watcher.tick() == []  # 1 s after the last file: still within the debounce
    clock.advance(1.01)
    (outcome,) = watcher.tick()

    (event,) = handler.events
    assert len(event["Records"]) == 100
    keys = [body["detail"]["object"]["key"] for body in bodies(event)]
    assert keys == [f"{PARTITION}/{p.name}" for p in paths] == outcome.keys
    assert len(watcher.batcher) == 0
    clock.advance(10)
    assert watcher.tick() == [] and len(handler.events) == 1


def test_a_file_still_growing_waits_until_its_size_is_stable(
    lake: LocalLake, clock: FakeClock
) -> None:
    handler = Recorder()
    watcher = make_watcher(lake, clock, s3_handler=handler, debounce=0.0, stable_seconds=1.0)
    path = drop(lake, "transactions_big.csv", transactions_csv(1))
    watcher.notice(path)
    assert watcher.tick() == []
    for i in range(2, 5):  # the writer appends, less than 1 s apart
        clock.advance(0.6)
        with path.open("a") as handle:
            handle.write(f"txn_{i},cust_1,prod_1,2,10.00,20.00,2026-11-27,completed\n")
        assert watcher.tick() == []
    clock.advance(1.0)
    (outcome,) = watcher.tick()
    (event,) = handler.events
    assert bodies(event)[0]["detail"]["object"]["size"] == path.stat().st_size
    assert outcome.keys == [f"{PARTITION}/transactions_big.csv"]


def test_a_file_removed_before_it_settles_is_dropped(lake: LocalLake, clock: FakeClock) -> None:
    handler = Recorder()
    watcher = make_watcher(lake, clock, s3_handler=handler)
    path = drop(lake, "transactions_gone.csv", transactions_csv(1))
    watcher.notice(path)
    path.unlink()
    assert settle(watcher, clock) == [] and handler.events == []
    assert len(watcher.batcher) == 0


@pytest.mark.parametrize(
    ("key", "ignored"),
    [
        (f"{PARTITION}/transactions.csv", False),
        (f"{PARTITION}/.transactions.csv", True),
        (f"{PARTITION}/.transactions.csv.k2j3h4.tmp", True),  # the lake's atomic writes
        (f"{PARTITION}/transactions.csv.tmp", True),
        (f"{PARTITION}/transactions.csv.part", True),
        (f"{PARTITION}/transactions.csv.error.json", True),  # a quarantine record
        (".staging/transactions.csv", True),
        ("", True),
    ],
)
def test_hidden_and_temp_names_are_ignored(key: str, ignored: bool) -> None:
    assert s3_trigger.is_ignored(key) is ignored


def test_ignored_files_and_folders_never_reach_the_trigger(
    lake: LocalLake, clock: FakeClock
) -> None:
    handler = Recorder()
    watcher = make_watcher(lake, clock, s3_handler=handler)
    for name in (".transactions.csv.x1y2.tmp", "transactions.csv.part", ".hidden.csv"):
        watcher.notice(drop(lake, name, transactions_csv(1)))
    watcher.notice(lake.path(Zone.RAW, PARTITION))  # a folder
    watcher.notice(lake.root / "elsewhere.csv")  # outside raw/
    assert len(watcher.batcher) == 0
    assert settle(watcher, clock) == [] and handler.events == []


def test_files_landing_during_a_run_form_the_next_batch(lake: LocalLake, clock: FakeClock) -> None:
    later = drop(lake, "transactions_later.csv", transactions_csv(9))
    seen: list[list[str]] = []

    def handler(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
        seen.append([b["detail"]["object"]["key"] for b in bodies(event)])
        if len(seen) == 1:  # the watchdog thread notices a file while the run goes on
            watcher.notice(later)
        return {"files": [], "started": False}

    watcher = make_watcher(lake, clock, s3_handler=handler)
    watcher.notice(drop(lake, "transactions_first.csv", transactions_csv(1)))
    assert len(settle(watcher, clock)) == 1
    assert len(settle(watcher, clock)) == 1
    assert seen == [
        [f"{PARTITION}/transactions_first.csv"],
        [f"{PARTITION}/transactions_later.csv"],
    ]


# --- idempotent runs --------------------------------------------------------------------


def test_the_same_file_triggering_twice_starts_one_run(lake: LocalLake, clock: FakeClock) -> None:
    runs = FakeRuns()
    watcher = make_watcher(lake, clock, run=runs)
    path = drop(lake, "transactions_a.csv", transactions_csv(1, 2))
    event = sqs_batch([watcher.event_for(path)], at=datetime.now(timezone.utc))

    first = s3_trigger.handle(event, watcher.runtime)
    second = s3_trigger.handle(event, watcher.runtime)

    assert first["started"] is True and second["started"] is False
    assert second["files"][0]["status"] == "duplicate"
    assert second["execution"] == first["execution"]  # asked again, refused by name
    assert len(runs.calls) == 1
    # Through the watcher: the file noticed again changes nothing.
    watcher.notice(path)
    (outcome,) = settle(watcher, clock)
    assert outcome.runs == [] and outcome.exit_code == 0 and len(runs.calls) == 1


def test_a_large_file_sent_twice_starts_its_run_once(lake: LocalLake, clock: FakeClock) -> None:
    # Above lightweight_max_bytes, the file waits for the run: the name keeps it to one run.
    runs = FakeRuns()
    settings = load_settings(env="local", lake=str(lake.root))
    settings = Settings(
        settings.env, settings.lake, IngestionSettings(lightweight_max_bytes=1), settings.params
    )
    watcher = make_watcher(lake, clock, run=runs, settings=settings)
    path = drop(lake, "transactions_a.csv", transactions_csv(1))
    event = sqs_batch([watcher.event_for(path)], at=datetime.now(timezone.utc))

    first = s3_trigger.handle(event, watcher.runtime)
    second = s3_trigger.handle(event, watcher.runtime)

    assert first["execution"] == second["execution"]
    assert (first["started"], second["started"]) == (True, False)
    assert runs.calls[0]["files"] == [f"{PARTITION}/transactions_a.csv"]
    assert len(runs.calls) == 1


def test_a_name_with_only_a_history_counts_as_already_run(lake: LocalLake) -> None:
    runs = FakeRuns()
    executions = LocalExecutions(lake, load_settings(env="local"), Path("reports"), run=runs)
    history = lake.path(Zone.META, history_key("s3-interrupted"))
    history.parent.mkdir(parents=True)
    history.write_text("")
    assert executions("s3-interrupted", {"as_of": "2026-11-28", "trigger": "s3"}) is False
    assert executions("s3-new", {"as_of": "2026-11-28", "trigger": "s3"}) is True
    assert [c["run_id"] for c in runs.calls] == ["s3-new"]
    assert runs.calls[0]["as_of"] == date(2026, 11, 28)


def test_a_run_waits_while_another_holds_the_lake(lake: LocalLake) -> None:
    runs = FakeRuns()
    other_run = run_lock(lake)
    other_run.__enter__()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        other_run.__exit__(None, None, None)  # the other run ends while this one waits

    executions = LocalExecutions(
        lake, load_settings(env="local"), Path("reports"), run=runs, sleep=sleep
    )
    assert executions("s3-x", {"as_of": "2026-11-28", "trigger": "s3", "files": []}) is True
    assert waits == [5.0] and [c["run_id"] for c in runs.calls] == ["s3-x"]
    assert [r.run_id for r in executions.results] == ["s3-x"]


def test_a_run_held_off_too_long_says_how_to_start_it(lake: LocalLake) -> None:
    waits: list[float] = []
    executions = LocalExecutions(
        lake,
        load_settings(env="local"),
        Path("reports"),
        run=FakeRuns(),
        sleep=waits.append,
        lock_wait_seconds=10,
    )
    with run_lock(lake):
        with pytest.raises(TransientError) as held:
            executions("daily-2026-11-28", {"as_of": "2026-11-28", "trigger": "schedule"})
        with pytest.raises(TransientError, match=r"copy transactions/a\.csv into raw/ again"):
            executions(
                "s3-x", {"as_of": "2026-11-28", "trigger": "s3", "files": ["transactions/a.csv"]}
            )
    message = str(held.value)
    assert f"another run held {lake.root} for 10 s" in message
    assert "`ecom-pipeline run --run-id daily-2026-11-28 --date 2026-11-28`" in message
    assert waits == [5.0, 5.0] * 2 and executions.results == []


def test_a_refusal_other_than_the_lock_is_raised_at_once(lake: LocalLake) -> None:
    def broken(lake: LocalLake, settings: Settings, **kwargs: Any) -> RunResult:
        raise ConfigError("params/local.yaml: etl.parallelism must be a number")

    waits: list[float] = []
    executions = LocalExecutions(
        lake, load_settings(env="local"), Path("reports"), run=broken, sleep=waits.append
    )
    with pytest.raises(ConfigError, match=r"etl\.parallelism"):
        executions("s3-x", {"as_of": "2026-11-28", "trigger": "s3"})
    assert waits == []


# --- schedule ---------------------------------------------------------------------------


def test_the_schedule_fires_the_daily_run_at_each_cron_time(
    lake: LocalLake, clock: FakeClock
) -> None:
    runs = FakeRuns()
    moments = [datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)]
    watcher = make_watcher(
        lake, clock, run=runs, now=lambda: moments[-1], schedule=parse_cron("cron(30 2 * * ? *)")
    )
    assert watcher.next_fire == datetime(2026, 11, 29, 2, 30, tzinfo=timezone.utc)
    moments.append(datetime(2026, 11, 29, 2, 29, 59, tzinfo=timezone.utc))
    assert watcher.tick() == []

    moments.append(datetime(2026, 11, 29, 2, 30, 1, tzinfo=timezone.utc))
    (outcome,) = watcher.tick()

    assert outcome.kind == "schedule" and outcome.response["execution"] == "daily-2026-11-28"
    (call,) = runs.calls
    assert call == {
        "run_id": "daily-2026-11-28",
        "reports_dir": lake.root.parent / "reports",
        "as_of": date(2026, 11, 28),
        "trigger": "schedule",
        "files": [],
    }
    assert watcher.next_fire == datetime(2026, 11, 30, 2, 30, tzinfo=timezone.utc)
    assert watcher.tick() == []


# --- outcomes and settings --------------------------------------------------------------


def test_exit_codes_follow_the_run_or_the_rejects() -> None:
    ok = RunResult(run_id="a", as_of=date(2026, 11, 28), status="succeeded")
    failed = RunResult(run_id="b", as_of=date(2026, 11, 28), status="failed")
    rejected = {"files": [{"key": "k", "status": "quarantined"}]}
    assert Outcome("batch", ["k"], rejected, [ok]).exit_code == 0
    assert Outcome("batch", ["k"], {}, [failed]).exit_code == 1
    assert Outcome("batch", ["k"], rejected, []).exit_code == 1
    assert Outcome("batch", ["k"], {"files": [{"status": "duplicate"}]}, []).exit_code == 0
    assert Outcome("batch", ["k"], error="boom").exit_code == 1


def test_debounce_seconds_comes_from_the_params() -> None:
    assert debounce_seconds(load_settings(env="local")) == 5.0
    assert debounce_seconds(Settings("local", "lake", params={})) == 5.0
    instant = Settings("local", "lake", params={"watch": {"debounce_seconds": 0}})
    assert debounce_seconds(instant) == 0.0


@pytest.mark.parametrize(
    ("watch", "message"),
    [
        ({"debounce_seconds": "soon"}, r"watch\.debounce_seconds must be a number .*'soon'"),
        ({"debounce_seconds": -1}, r"watch\.debounce_seconds must be .*>= 0"),
        ({"debounce_seconds": True}, r"watch\.debounce_seconds must be a number"),
        ([5], r"watch must be a mapping, e\.g\. watch: \{debounce_seconds: 5\}"),
    ],
)
def test_a_bad_debounce_names_the_setting(watch: object, message: str) -> None:
    with pytest.raises(ConfigError, match=r"params/local\.yaml: " + message):
        debounce_seconds(Settings("local", "lake", params={"watch": watch}))


def test_batcher_releases_a_trickle_after_max_wait(tmp_path: Path, clock: FakeClock) -> None:
    batcher = Batcher(tmp_path, debounce=5.0, stable_seconds=0.5, max_wait=3.0, clock=clock)
    released: list[list[Path]] = []
    for i in range(8):  # a new file every second: never 5 s of quiet
        path = tmp_path / f"f{i}.csv"
        path.write_text("x")
        batcher.add(path)
        released.append(batcher.take_ready())
        clock.advance(1.0)
    # Every 3 s (max_wait) the settled files go; the newest, not yet settled, waits.
    assert [len(r) for r in released] == [0, 0, 0, 3, 0, 0, 3, 0]
    assert released[3] == [tmp_path / f"f{i}.csv" for i in range(3)]


# --- the real observer ------------------------------------------------------------------


def test_the_watchdog_observer_sees_copies_atomic_writes_and_moved_folders(
    lake: LocalLake, tmp_path: Path
) -> None:
    handler = Recorder()
    staged = tmp_path / "staged" / "ingest_date=2026-11-30"
    staged.mkdir(parents=True)
    (staged / "transactions_moved.csv").write_text(transactions_csv(3))
    watcher = make_watcher(
        lake, time.monotonic, s3_handler=handler, debounce=1.0, stable_seconds=0.2
    )
    watcher.start()
    try:
        drop(lake, "transactions_copy.csv", transactions_csv(1))  # into new folders
        lake.write_bytes(
            Zone.RAW, f"{PARTITION}/transactions_atomic.csv", transactions_csv(2).encode()
        )
        staged.rename(lake.path(Zone.RAW, "transactions/ingest_date=2026-11-30"))
        outcomes = watcher.run(threading.Event(), once=True, timeout=10, poll=0.05)
    finally:
        watcher.stop()
    assert [o.keys for o in outcomes] == [
        [
            f"{PARTITION}/transactions_atomic.csv",
            f"{PARTITION}/transactions_copy.csv",
            "transactions/ingest_date=2026-11-30/transactions_moved.csv",
        ]
    ]
    assert len(handler.events) == 1
