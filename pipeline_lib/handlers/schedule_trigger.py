"""schedule_trigger: the daily EventBridge schedule -> a run for yesterday's partition.

The event is EventBridge's "Scheduled Event"; its ``time`` is when the rule fired. The run
is named ``daily-<date>``, so a schedule firing twice for a day starts one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env

SCHEDULED_EVENT = "Scheduled Event"


def run_date(fired_at: str) -> date:
    """Yesterday, relative to the day (UTC) the schedule fired."""
    try:
        moment = datetime.fromisoformat(fired_at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PermanentError(f"the event time {fired_at!r} is not an ISO timestamp") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date() - timedelta(days=1)


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    if event.get("detail-type") != SCHEDULED_EVENT:
        raise PermanentError(f"not a {SCHEDULED_EVENT!r}: {event.get('detail-type')!r}")
    as_of = run_date(str(require(event, "time")))
    if runtime.start_execution is None:
        raise PermanentError("cannot start an execution: STATE_MACHINE_ARN is not set")
    name = f"daily-{as_of.isoformat()}"
    started = runtime.start_execution(
        name, {"run_id": name, "as_of": as_of.isoformat(), "trigger": "schedule", "files": []}
    )
    return {"started": started, "execution": name, "as_of": as_of.isoformat()}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
