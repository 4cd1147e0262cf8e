"""run_summary (SummarizeSuccess / SummarizeFailure): the notification of a finished run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.catalog import read_published
from pipeline_lib.exceptions import PermanentError
from pipeline_lib.execution.history import history_key
from pipeline_lib.handlers import run_summary
from pipeline_lib.storage import Zone
from tests.handler_events import (
    PublishedLake,
    execution_input,
    lambda_cause,
    lambda_payload,
    selected_fields,
    utc_now,
)

pytestmark = pytest.mark.slow

DATASETS = {"clickstream", "products", "reviews", "transactions"}


def started(seconds_ago: float) -> str:
    """``$$.Execution.StartTime`` as Step Functions writes it (milliseconds, Z)."""
    moment = utc_now() - timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def success(built: PublishedLake, start_time: str) -> dict[str, Any]:
    state = {
        **execution_input(built.run_id, built.as_of.isoformat()),
        "validation": {"accepted": 4, "rejected": 0, "duplicates": 0, "datasets": []},
        "quality": {"status": "pass", "publishable": True},
    }
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
        built.run_id,
        "succeeded",
        "local",
        "2026-11-28",
    )
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


AUDIT_FAILED = "audit failed, nothing published: unique on curated.orders: 3 duplicates"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "Error": "PermanentError",
                "Cause": lambda_cause("run x staged no tables: nothing to publish"),
            },
            {"error": "PermanentError", "message": "run x staged no tables: nothing to publish"},
        ),
        (
            {
                "Error": "States.TaskFailed",
                "Cause": json.dumps(
                    {
                        "JobName": "ecom-dev-transaction-etl",
                        "JobRunState": "FAILED",
                        "ErrorMessage": "KeyError: 'price'",
                    }
                ),
            },
            {"error": "States.TaskFailed", "message": "KeyError: 'price'"},
        ),
        (
            {
                "Error": "DataQualityFailed",
                "Cause": AUDIT_FAILED,
            },
            {
                "error": "DataQualityFailed",
                "message": AUDIT_FAILED,
            },
        ),
        (
            {"Error": "States.Timeout", "Cause": ""},
            {"error": "States.Timeout", "message": ""},
        ),
    ],
)
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
    assert message["failed_state"] is None  # the run's own history has no failure
    assert 30 <= message["duration_seconds"] < 30 + 120


def test_a_run_that_failed_before_writing_anything(built: PublishedLake) -> None:
    run_id = "s3-0123456789abcdef0123"
    error = {
        "Error": "IngestionError",
        "Cause": lambda_cause("raw/x.csv does not exist", "IngestionError"),
    }
    answer = run_summary.handle(failure(run_id, "2026-11-29", error, started(5)), built.runtime())
    message = answer["message"]
    assert (message["tables"], message["rejected_rows"]) == ({}, {})
    assert message["quality"] is None and message["report"] is None
    assert message["failed_state"] is None  # no local history on AWS
    assert message["error"] == {"error": "IngestionError", "message": "raw/x.csv does not exist"}


def test_the_failed_state_comes_from_the_run_history(built: PublishedLake) -> None:
    run_id = "s3-failed-in-publish"
    cause = lambda_cause("published except tables with breaking schema changes")
    events = [
        {
            "type": "TaskFailed",
            "state": "PublishCuratedData",
            "details": {"error": "PermanentError", "cause": cause},
        },
        {
            "type": "CatchTaken",
            "state": "PublishCuratedData",
            "details": {"error": "PermanentError", "cause": cause},
        },
    ]
    built.lake.write_bytes(
        Zone.META, history_key(run_id), "".join(json.dumps(e) + "\n" for e in events).encode()
    )
    error = {"Error": "PermanentError", "Cause": cause}
    message = run_summary.handle(failure(run_id, "2026-11-29", error, started(5)), built.runtime())[
        "message"
    ]
    assert message["failed_state"] == "PublishCuratedData"
    assert message["error"]["message"] == "published except tables with breaking schema changes"


@pytest.mark.parametrize("started_at", [None, "", "not a time"])
def test_no_usable_start_time_gives_no_duration(
    built: PublishedLake, started_at: str | None
) -> None:
    event = {
        "run_id": built.run_id,
        "as_of": "2026-11-28",
        "status": "succeeded",
        "started_at": started_at,
    }
    assert run_summary.handle(event, built.runtime())["message"]["duration_seconds"] is None


@pytest.mark.parametrize(
    "started_at",
    [
        "2026-11-29T06:00:01.234Z",  # how Step Functions writes $$.Execution.StartTime
        "2026-11-29T08:00:01.234+02:00",
        "2026-11-29T06:00:01.234",  # no offset: UTC, as every time the state machine passes
    ],
)
def test_the_duration_counts_from_the_start_time(started_at: str) -> None:
    now = datetime(2026, 11, 29, 6, 1, 31, 234000, tzinfo=timezone.utc)
    assert run_summary.duration_seconds(started_at, now) == 90.0


def test_the_handler_measures_the_duration_until_now(built: PublishedLake) -> None:
    event = {
        "run_id": built.run_id,
        "as_of": "2026-11-28",
        "status": "succeeded",
        "started_at": started(60),
    }
    duration = run_summary.handle(event, built.runtime())["message"]["duration_seconds"]
    assert 60 <= duration < 60 + 120


@pytest.mark.parametrize(
    ("event", "missing"),
    [({"status": "succeeded"}, "run_id"), ({"run_id": "r"}, "status"), ({}, "run_id")],
)
def test_a_payload_without_run_id_or_status_is_permanent(
    built: PublishedLake, event: dict[str, str], missing: str
) -> None:
    with pytest.raises(PermanentError, match=f"no '{missing}'"):
        run_summary.handle(event, built.runtime())
