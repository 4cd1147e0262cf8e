"""Reliability of a run under the state machine: retries, failures, kills and re-runs.

Faults are injected at the edge of the local task resources (the real notebooks, handlers
and lake do the work): a transient failure in one ETL branch is retried and the run
succeeds; a permanent one ends in the failure notification with nothing published; a run
killed in the middle leaves curated as it was, and the next run matches an uninterrupted
one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.catalog import PUBLISHED_KEY
from pipeline_lib.config import load_settings
from pipeline_lib.execution.history import history_key, load_history
from pipeline_lib.execution.notify import read_notifications
from pipeline_lib.generators import GenerationResult, GeneratorConfig, generate_all
from pipeline_lib.orchestration.asl import StatesError
from pipeline_lib.orchestration.executor import TaskContext, TaskHandler
from pipeline_lib.orchestration.local_resources import GLUE_JOB_SYNC
from pipeline_lib.orchestration.pipeline import RunResult, run_pipeline
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import CLI
from tests.integration.test_cli_run import AS_OF, curated_fingerprints, ingested_lake

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    config = GeneratorConfig(transactions=2000, seed=11, end_date=AS_OF, days=120, products=200)
    return generate_all(tmp_path_factory.mktemp("generated") / "data", config)


class FailJob:
    """Wraps the real resources: the Glue job ``job`` fails ``times`` times with ``error``."""

    def __init__(self, inner: TaskHandler, job: str, error: str, cause: str, times: int) -> None:
        self.inner, self.job, self.error, self.cause, self.left = inner, job, error, cause, times
        self.calls = 0

    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any:
        if resource == GLUE_JOB_SYNC and parameters.get("JobName") == self.job:
            self.calls += 1
            if self.left > 0:
                self.left -= 1
                raise StatesError(self.error, self.cause)
        return self.inner(resource, parameters, task)


@dataclass
class Scenario:
    lake: LocalLake
    reports: Path
    result: RunResult
    sleeps: list[float]
    injected: FailJob


def run_with_fault(
    lake: LocalLake, reports: Path, run_id: str, job: str, error: str, times: int
) -> Scenario:
    sleeps: list[float] = []
    holder: dict[str, FailJob] = {}
    cause = json.dumps(
        {"JobName": job, "JobRunState": "FAILED", "ErrorMessage": f"injected {error} in {job}"}
    )

    def wrap(inner: TaskHandler) -> TaskHandler:
        holder["fault"] = FailJob(inner, job, error, cause, times)
        return holder["fault"]

    result = run_pipeline(
        lake,
        load_settings(env="local", lake=str(lake.root)),
        as_of=AS_OF,
        run_id=run_id,
        reports_dir=reports,
        sleep=sleeps.append,
        wrap_tasks=wrap,
    )
    return Scenario(lake, reports, result, sleeps, holder["fault"])


@pytest.fixture(scope="module")
def retried(tmp_path_factory: pytest.TempPathFactory, generated: GenerationResult) -> Scenario:
    folder = tmp_path_factory.mktemp("retried")
    lake = ingested_lake(folder, generated)
    return run_with_fault(lake, folder / "reports", "retried", "reviews_etl", "TransientError", 1)


def test_a_transient_failure_in_one_etl_branch_is_retried_and_the_run_succeeds(
    retried: Scenario,
) -> None:
    result = retried.result
    assert result.succeeded, result.error
    assert retried.injected.calls == 2  # failed once, retried once
    assert retried.sleeps == [30.0]  # the Glue retry's IntervalSeconds
    events = load_history(retried.lake, "retried")
    retry = [e for e in events if e["type"] == "RetryScheduled"]
    assert [(e["state"], e["details"]["error"]) for e in retry] == [
        ("TransformReviews", "TransientError")
    ]
    assert json.loads(retried.lake.read_bytes(Zone.META, PUBLISHED_KEY))["run_id"] == "retried"


def test_the_success_notification_carries_the_runs_figures(retried: Scenario) -> None:
    sent = [n for n in read_notifications(retried.lake) if n["message"]["run_id"] == "retried"]
    assert [n["subject"] for n in sent] == ["ecom-pipeline local: run retried succeeded"]
    message = sent[0]["message"]
    assert message["run_id"] == "retried" and message["status"] == "succeeded"
    assert message["duration_seconds"] > 0
    assert message["tables"]["curated.transactions"] > 1000
    assert set(message["rejected_rows"]) == {"clickstream", "products", "reviews", "transactions"}
    assert message["quality"]["status"] in ("pass", "warn")
    assert message["report"] and Path(message["report"]).is_file()


@dataclass
class Broken:
    """A permanent failure on the lake ``retried`` published, and that lake's state before."""

    scenario: Scenario
    published_before: bytes
    live_before: dict[str, tuple[int, str]]


@pytest.fixture(scope="module")
def broken_run(retried: Scenario) -> Broken:
    lake = retried.lake
    published_before = lake.read_bytes(Zone.META, PUBLISHED_KEY)
    live_before = curated_fingerprints(lake)
    scenario = run_with_fault(
        lake, retried.reports, "broken", "product_enrichment", "States.TaskFailed", 99
    )
    return Broken(scenario, published_before, live_before)


def test_a_permanent_failure_notifies_and_publishes_nothing(broken_run: Broken) -> None:
    broken = broken_run.scenario
    lake = broken.lake
    published_before, live_before = broken_run.published_before, broken_run.live_before

    assert broken.result.status == "failed"
    assert broken.injected.calls == 1  # not a transient error: no retry
    assert broken.result.failed_state == "EnrichProducts"
    assert broken.result.error == "injected States.TaskFailed in product_enrichment"
    assert lake.read_bytes(Zone.META, PUBLISHED_KEY) == published_before
    assert curated_fingerprints(lake) == live_before
    (failure,) = [n for n in read_notifications(lake) if n["message"]["run_id"] == "broken"]
    assert failure["subject"] == "ecom-pipeline local: run broken failed"
    assert failure["message"]["failed_state"] == "EnrichProducts"
    assert failure["message"]["error"] == {
        "error": "States.TaskFailed",
        "message": "injected States.TaskFailed in product_enrichment",
    }
    assert failure["message"]["duration_seconds"] > 0
    entered = [e["state"] for e in load_history(lake, "broken") if e["type"].endswith("Entered")]
    assert entered[-3:] == ["SummarizeFailure", "NotifyFailure", "PipelineFailed"]
    assert "PublishCuratedData" not in entered


def test_runs_lists_the_runs_with_status_and_failed_state(
    retried: Scenario, broken_run: Broken
) -> None:
    listed = subprocess.run(
        [CLI, "--lake", str(retried.lake.root), "runs", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    runs = {r["run_id"]: r for r in json.loads(listed.stdout)}
    assert runs["retried"]["status"] == "succeeded" and runs["retried"]["failed_state"] is None
    assert runs["broken"]["status"] == "failed"
    assert runs["broken"]["failed_state"] == "EnrichProducts"
    shown = subprocess.run(
        [CLI, "--lake", str(retried.lake.root), "runs", "show", "retried"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert "RetryScheduled" in shown.stdout and "TransformReviews" in shown.stdout
    assert "succeeded in" in shown.stdout


# --- kill and re-run -----------------------------------------------------------------------


def wait_for_state(lake: LocalLake, run_id: str, state: str, timeout: float) -> None:
    path = lake.path(Zone.META, history_key(run_id))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and f'"state": "{state}"' in path.read_text(encoding="utf-8"):
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not reach {state} in {timeout} s")


def test_a_run_killed_mid_way_changes_nothing_and_the_next_run_matches(
    tmp_path: Path, generated: GenerationResult
) -> None:
    lake = ingested_lake(tmp_path, generated)
    settings = load_settings(env="local", lake=str(lake.root))
    first = run_pipeline(
        lake, settings, as_of=AS_OF, run_id="first", reports_dir=tmp_path / "reports"
    )
    assert first.succeeded, first.error
    published = lake.read_bytes(Zone.META, PUBLISHED_KEY)
    live = curated_fingerprints(lake)

    process = subprocess.Popen(
        [
            CLI,
            "--lake",
            str(lake.root),
            "run",
            "--date",
            AS_OF.isoformat(),
            "--run-id",
            "killed",
            "--reports",
            str(tmp_path / "reports"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_state(lake, "killed", "MergeCuratedData", timeout=300)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run and its notebook kernels
        process.wait(timeout=60)

    assert lake.read_bytes(Zone.META, PUBLISHED_KEY) == published
    assert curated_fingerprints(lake) == live
    listed = subprocess.run(
        [CLI, "--lake", str(lake.root), "runs", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    statuses = {r["run_id"]: r["status"] for r in json.loads(listed.stdout)}
    assert statuses == {"first": "succeeded", "killed": "interrupted"}

    rerun = run_pipeline(
        lake, settings, as_of=AS_OF, run_id="rerun", reports_dir=tmp_path / "reports"
    )
    assert rerun.succeeded, rerun.error
    assert json.loads(lake.read_bytes(Zone.META, PUBLISHED_KEY))["run_id"] == "rerun"
    assert curated_fingerprints(lake) == live  # same inputs, same tables as uninterrupted
