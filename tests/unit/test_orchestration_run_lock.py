"""The lake's run lock: one writer at a time, waiting when asked, naming who holds it."""

from __future__ import annotations

import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.config import load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.orchestration.asl import StatesError
from pipeline_lib.orchestration.executor import TaskContext, TaskHandler
from pipeline_lib.orchestration.pipeline import lake_is_busy, run_lock, run_pipeline
from pipeline_lib.storage import LocalLake, Zone


def test_the_error_names_what_holds_the_lock(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    with run_lock(lake, purpose="ingest"):
        assert lake_is_busy(lake)
        busy = pytest.raises(PipelineError, match=r"is busy: ingest \(pid \d+\) since ")
        with busy, run_lock(lake, purpose="run r2"):
            pass
    assert not lake_is_busy(lake)
    with run_lock(lake, purpose="run r3"):  # free again
        pass


def test_a_waiter_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    held = threading.Event()

    def hold() -> None:
        with run_lock(lake, purpose="run r1"):
            held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    with run_lock(lake, purpose="ingest", wait_seconds=30):
        waited = time.monotonic() - started
    holder.join()
    assert 0.2 < waited < 30


def test_waiting_gives_up_after_the_given_time(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    busy = pytest.raises(PipelineError, match=r"busy after waiting 0.3 s: run r1")
    with run_lock(lake, purpose="run r1"), busy, run_lock(lake, wait_seconds=0.3):
        pass


class FailFirstTask:
    def __init__(self, inner: TaskHandler) -> None:
        self.inner = inner

    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any:
        raise StatesError("PermanentError", "stop here: this test only needs the run's start")


def test_a_run_removes_temp_files_that_killed_writers_left(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    lake.write_bytes(Zone.CURATED, "t/run-a/part.parquet", b"data")
    folder = lake.path(Zone.CURATED, "t/run-a")
    stale, fresh = folder / ".part-1.parquet.x1.tmp", folder / ".part-2.parquet.x2.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    yesterday = fresh.stat().st_mtime - 86400  # on the file system's clock
    os.utime(stale, (yesterday, yesterday))

    result = run_pipeline(
        lake,
        load_settings(env="local", lake=str(lake.root)),
        as_of=date(2026, 11, 28),
        reports_dir=tmp_path / "reports",
        wrap_tasks=FailFirstTask,
    )

    assert result.status == "failed"
    assert not stale.exists() and fresh.exists()
    assert lake.read_bytes(Zone.CURATED, "t/run-a/part.parquet") == b"data"
