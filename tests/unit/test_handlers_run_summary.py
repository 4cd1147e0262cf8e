"""run_summary (SummarizeSuccess / SummarizeFailure): the notification of a finished run."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.catalog import read_published
from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import run_summary
from tests.handler_events import (
    PublishedLake,
    execution_input,
    lambda_cause,
    lambda_payload,
    published_lake,
    selected_fields,
    utc_now,
)

pytestmark = pytest.mark.slow

DATASETS = {"clickstream", "products", "reviews", "transactions"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> PublishedLake:
    return published_lake(tmp_path_factory)


def started(seconds_ago: float) -> str:
    """``$$.Execution.StartTime`` as Step Functions writes it (milliseconds, Z)."""
    moment = utc_now() - timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def success(built: PublishedLake, start_time: str) -> dict[str, Any]:
    state = {**execution_input(built.run_id, built.as_of.isoformat()),
             "validation": {"accepted": 4, "rejected": 0, "duplicates": 0, "datasets": []},
             "quality": {"status": "pass", "publishable": True}}  # fmt: skip
    return lambda_payload("SummarizeSuccess", state, start_time=start_time)


def failure(run_id: str, as_of: str, error: Any, start_time: str) -> dict[str, Any]:
    state = {**execution_input(run_id, as_of), "error": error}
    return lambda_payload("SummarizeFailure", state, start_time=start_time)


def test_the_payload_is_what_the_state_machine_sends(built: PublishedLake) -> None:
    event = success(built, "2026-11-29T06:00:01.234Z")
    assert event == {
        "run_id": built.run_id,
        "as_of": "2026-11-28",
        "status": "succeeded",
        "execution_id": event["execution_id"],
        "started_at": "2026-11-29T06:00:01.234Z",
    }
    assert event["execution_id"].startswith("arn:aws:states:")
    assert event["execution_id"].endswith(f":execution:ecom-dev-pipeline:{built.run_id}")


def test_a_success_message(built: PublishedLake) -> None:
    start = started(90)
    answer = run_summary.handle(success(built, start), built.runtime())
    json.dumps(answer)
    assert selected_fields("SummarizeSuccess") <= set(answer)
    assert answer["subject"] == f"ecom-pipeline local: run {built.run_id} succeeded"
    assert len(answer["subject"]) <= 100  # SNS's limit
    message = answer["message"]
    assert (message["run_id"], message["status"], message["env"], message["as_of"]) == (
        built.run_id, "succeeded", "local", "2026-11-28")  # fmt: skip
    assert message["started_at"] == start
    assert message["execution_id"].endswith(built.run_id)
    assert 90 <= message["duration_seconds"] < 90 + 120
    tables = message["tables"]
    assert set(tables) == set(read_published(built.lake).tables)
    assert tables["curated.transactions"] == 3000  # build_lake's transactions
    assert all(isinstance(n, int) and n > 0 for n in tables.values())
    rejected = message["rejected_rows"]
    assert set(rejected) == DATASETS
    assert all(isinstance(n, int) and n >= 0 for n in rejected.values())
    quality = message["quality"]
    assert (quality["status"], quality["failed"]) == ("pass", 0) and quality["rules"] > 0
    assert Path(message["report"]).is_file()
    assert "error" not in message and "failed_state" not in message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {"Error": "PermanentError",
             "Cause": lambda_cause("run x staged no tables: nothing to publish")},
            {"error": "PermanentError", "message": "run x staged no tables: nothing to publish"},
        ),
        (
            {"Error": "States.TaskFailed",
             "Cause": json.dumps({"JobName": "ecom-dev-transaction-etl", "JobRunState": "FAILED",
                                  "ErrorMessage": "KeyError: 'price'"})},
            {"error": "States.TaskFailed", "message": "KeyError: 'price'"},
        ),
        (
            {"Error": "DataQualityFailed",
             "Cause": "audit failed, nothing published: unique on curated.orders: 3 duplicates"},
            {"error": "DataQualityFailed",
             "message": "audit failed, nothing published: unique on curated.orders: 3 duplicates"},
        ),
        (
            {"Error": "States.Timeout", "Cause": ""},
            {"error": "States.Timeout", "message": ""},
        ),
    ],
)  # fmt: skip
def test_a_failure_message_carries_the_error(
    built: PublishedLake, error: dict[str, str], expected: dict[str, str]
) -> None:
    event = failure(built.run_id, "2026-11-28", error, started(30))
    answer = run_summary.handle(event, built.runtime())
    json.dumps(answer)
    assert answer["subject"] == f"ecom-pipeline local: run {built.run_id} failed"
    message = answer["message"]
    assert message["status"] == "failed"
    assert message["error"] == expected
    assert "failed_state" in message
    assert 30 <= message["duration_seconds"] < 30 + 120


def test_a_run_that_failed_before_writing_anything(built: PublishedLake) -> None:
    run_id = "s3-0123456789abcdef0123"
    error = {"Error": "IngestionError", "Cause": lambda_cause("raw/x.csv does not exist",
                                                              "IngestionError")}  # fmt: skip
    answer = run_summary.handle(failure(run_id, "2026-11-29", error, started(5)),
                                built.runtime())  # fmt: skip
    message = answer["message"]
    assert (message["tables"], message["rejected_rows"]) == ({}, {})
    assert message["quality"] is None and message["report"] is None
    assert message["failed_state"] is None  # no local history on AWS
    assert message["error"] == {"error": "IngestionError", "message": "raw/x.csv does not exist"}


def start_time(kind: str) -> str | None:
    sixty_ago = utc_now() - timedelta(seconds=60)
    return {"missing": None, "empty": "", "garbage": "not a time",
            "naive": sixty_ago.replace(tzinfo=None).isoformat(),
            "offset": sixty_ago.isoformat()}[kind]  # fmt: skip


@pytest.mark.parametrize("kind", ["missing", "empty", "garbage"])
def test_no_usable_start_time_gives_no_duration(built: PublishedLake, kind: str) -> None:
    event = {"run_id": built.run_id, "as_of": "2026-11-28", "status": "succeeded",
             "started_at": start_time(kind)}  # fmt: skip
    assert run_summary.handle(event, built.runtime())["message"]["duration_seconds"] is None


# Without an offset the time is UTC (as every time the state machine passes).
@pytest.mark.parametrize("kind", ["naive", "offset"])
def test_the_duration_comes_from_the_start_time(built: PublishedLake, kind: str) -> None:
    event = {"run_id": built.run_id, "as_of": "2026-11-28", "status": "succeeded",
             "started_at": start_time(kind)}  # fmt: skip
    duration = run_summary.handle(event, built.runtime())["message"]["duration_seconds"]
    assert 60 <= duration < 60 + 120


@pytest.mark.parametrize("event", [{"status": "succeeded"}, {"run_id": "r"}, {}])
def test_a_payload_without_run_id_or_status_is_permanent(
    built: PublishedLake, event: dict[str, str]
) -> None:
    with pytest.raises(PermanentError):
        run_summary.handle(event, built.runtime())
