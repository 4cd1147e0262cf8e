"""`ecom-pipeline watch` end to end: files copied into raw/ start one "s3" run.

The command runs as a user runs it (the installed console script in a subprocess) against
a published lake; the test copies a good and a bad transactions file into raw/ once the
watcher says it is watching.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.catalog import LocalCatalog
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import CLI
from tests.lake_builder import build_lake

pytestmark = pytest.mark.integration

PARTITION = "transactions/ingest_date=2026-11-29"
LATE_IDS = ("txn_9900001", "txn_9900002", "txn_9900003")


class Watch:
    """`ecom-pipeline watch` in a subprocess, its stdout read line by line as it comes."""

    def __init__(self, lake: Path, *args: str, cwd: Path) -> None:
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("PIPELINE_LAKE", None)
        env.pop("PIPELINE_ENV", None)
        self.stderr_path = cwd / "watch.stderr"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [CLI, "--lake", str(lake), "watch", *args],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        stderr = self.stderr_path.read_text() if self.stderr_path.exists() else ""
        return "stdout:\n" + "\n".join(self.lines) + "\nstderr:\n" + stderr

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} from watch\n{self.output}")
            time.sleep(0.05)

    def finish(self, timeout: float = 300) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"watch did not exit\n{self.output}") from None
        self._reader.join(timeout=10)
        return code


def query(lake: LocalLake, sql: str) -> list[tuple[Any, ...]]:
    with LocalCatalog(lake).connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def run_ids(lake: LocalLake) -> set[str]:
    runs = lake.path(Zone.META, "runs")
    return {p.name for p in runs.iterdir()} if runs.is_dir() else set()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    return build_lake(tmp_path_factory.mktemp("watch"), transactions=2000)


def test_files_copied_into_raw_start_one_s3_run(published: LocalLake, tmp_path: Path) -> None:
    lake = published
    product, customer = query(
        lake, "SELECT product_id, customer_id FROM curated.transactions LIMIT 1"
    )[0]
    rows_before = query(lake, "SELECT count(*) FROM curated.transactions")[0][0]
    before = run_ids(lake)
    staged = tmp_path / "staged"
    staged.mkdir()
    good = staged / "transactions_late.csv"
    good.write_text(
        "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,"
        "status\n"
        + "".join(
            f"{t},{customer},{product},2,10.00,20.00,2026-11-27,completed\n" for t in LATE_IDS
        )
    )
    bad = staged / "transactions_bad.csv"
    bad.write_text("order_number,amount\n1,2.50\n")
    target = lake.path(Zone.RAW, PARTITION)
    target.mkdir(parents=True, exist_ok=True)

    watch = Watch(
        lake.root,
        "--once",
        "--debounce",
        "1",
        "--timeout",
        "120",
        "--reports",
        str(tmp_path / "reports"),
        cwd=tmp_path,
    )
    watch.wait_for("watching")
    shutil.copy(good, target / good.name)
    shutil.copy(bad, target / bad.name)
    code = watch.finish()

    assert code == 0, watch.output
    (run_id,) = run_ids(lake) - before
    assert run_id.startswith("s3-")
    record = json.loads(lake.read_bytes(Zone.META, f"runs/{run_id}/run.json"))
    assert (record["trigger"], record["status"]) == ("s3", "succeeded"), watch.output
    out = "\n".join(watch.lines)
    assert "batch of 2 file(s)" in out and f"run {run_id} succeeded" in out
    assert "1 accepted, 1 quarantined" in out and "transactions_bad.csv" in out
    assert "Traceback" not in watch.output

    assert query(
        lake,
        "SELECT transaction_id, status, total_amount FROM curated.transactions "
        f"WHERE transaction_id IN {LATE_IDS} ORDER BY 1",
    ) == [(t, "completed", 20.0) for t in LATE_IDS]
    assert query(lake, "SELECT count(*) FROM curated.transactions")[0][0] == rows_before + 3

    (quarantined,) = lake.path(Zone.QUARANTINE).rglob("transactions_bad.csv")
    error = json.loads(quarantined.with_name("transactions_bad.csv.error.json").read_text())
    assert error["file"] == str(target / bad.name) and error["check"]
    dead = [
        json.loads(line)
        for line in lake.path(Zone.META, "dead_letter.jsonl").read_text().splitlines()
    ]
    assert [d["file"] for d in dead if d["file"].endswith("transactions_bad.csv")] == [
        str(target / bad.name)
    ]


def _quiet_watch(tmp_path: Path, *args: str) -> Watch:
    lake = tmp_path / "lake"
    lake.mkdir()
    return Watch(lake, *args, cwd=tmp_path)


def test_once_gives_up_after_the_timeout(tmp_path: Path) -> None:
    watch = _quiet_watch(tmp_path, "--once", "--timeout", "1")
    assert watch.finish(timeout=60) == 124, watch.output
    assert "no file arrived in raw/ within 1 s; give --timeout more" in "\n".join(watch.lines)
    assert (tmp_path / "lake" / "raw").is_dir()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_it_cleanly(tmp_path: Path, signum: int) -> None:
    watch = _quiet_watch(tmp_path, "--schedule", "--debounce", "0.5")
    watch.wait_for("watching")
    banner = next(line for line in watch.lines if "watching" in line)
    assert "schedule cron(30 2 * * ? *), next run at" in banner
    watch.process.send_signal(signum)
    assert watch.finish(timeout=30) == 0, watch.output
    assert watch.lines[-1].endswith("stopped")
    assert "Traceback" not in watch.output
