"""schedule_trigger: the daily schedule starts one run, daily-<yesterday>, per day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import Runtime, schedule_trigger
from pipeline_lib.storage import LocalLake
from tests.handler_events import RecordingStarter, object_created, runtime_for, scheduled_event


@pytest.mark.parametrize(
    ("fired_at", "run_date"),
    [
        ("2026-11-29T06:00:00Z", "2026-11-28"),
        ("2026-11-29T00:00:00Z", "2026-11-28"),
        ("2026-11-29T23:59:59Z", "2026-11-28"),
        ("2026-03-01T06:00:00Z", "2026-02-28"),
        ("2028-03-01T06:00:00Z", "2028-02-29"),
        ("2027-01-01T06:00:00Z", "2026-12-31"),
        # The day is the UTC day the rule fired, whatever offset the time is written with.
        ("2026-11-29T01:30:00+02:00", "2026-11-27"),
    ],
)
def test_the_run_is_for_the_day_before_the_event(
    runtime: Runtime, starter: RecordingStarter, fired_at: str, run_date: str
) -> None:
    answer = schedule_trigger.handle(scheduled_event(fired_at), runtime)
    name = f"daily-{run_date}"
    assert answer == {"started": True, "execution": name, "as_of": run_date}
    assert starter.calls == [
        (
            name,
            {
                "run_id": name,
                "as_of": run_date,
                "trigger": "schedule",
                "files": [],
                "full_refresh": False,
            },
        )
    ]


def test_firing_twice_for_a_day_starts_one_run(runtime: Runtime, starter: RecordingStarter) -> None:
    first = schedule_trigger.handle(scheduled_event("2026-11-29T06:00:00Z"), runtime)
    again = schedule_trigger.handle(scheduled_event("2026-11-29T06:00:07Z"), runtime)
    assert first["started"] is True and again["started"] is False
    assert first["execution"] == again["execution"] == "daily-2026-11-28"
    assert [name for name, _ in starter.calls] == ["daily-2026-11-28"] * 2


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (
            scheduled_event("2026-11-29T06:00:00Z", detail_type="Object Created"),
            "got detail-type 'Object Created'",
        ),
        (
            object_created("transactions/ingest_date=2026-11-28/t.csv", 10),
            "got detail-type 'Object Created'",
        ),
        ({**scheduled_event("2026-11-29T06:00:00Z"), "time": ""}, "no 'time'"),
        (
            {**scheduled_event("2026-11-29T06:00:00Z"), "time": "yesterday"},
            "'yesterday' is not an ISO timestamp",
        ),
        ({}, "got detail-type None"),
        ([], "got detail-type None"),
    ],
)
def test_anything_but_a_scheduled_event_is_permanent(
    runtime: Runtime, starter: RecordingStarter, event: Any, error: str
) -> None:
    with pytest.raises(PermanentError, match=error):
        schedule_trigger.handle(event, runtime)
    assert starter.calls == []


def test_without_a_state_machine_nothing_can_start(lake: LocalLake) -> None:
    runtime = runtime_for(lake)
    with pytest.raises(PermanentError, match="STATE_MACHINE_ARN"):
        schedule_trigger.handle(scheduled_event("2026-11-29T06:00:00Z"), runtime)


def test_handler_without_state_machine_arn_is_permanent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_ENV", "local")
    monkeypatch.setenv("PIPELINE_LAKE", str(tmp_path / "lake"))
    monkeypatch.delenv("STATE_MACHINE_ARN", raising=False)
    with pytest.raises(PermanentError, match="STATE_MACHINE_ARN"):
        schedule_trigger.handler(scheduled_event("2026-11-29T06:00:00Z"), None)
    with pytest.raises(PermanentError, match="Scheduled Event"):
        schedule_trigger.handler(scheduled_event("2026-11-29T06:00:00Z", detail_type="x"), None)
