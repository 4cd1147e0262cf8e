"""schedule_trigger: the daily EventBridge schedule -> a run for yesterday's partition.

The event is EventBridge's "Scheduled Event"; its ``time`` is when the rule fired. The run
is named ``daily-<date>``, so a schedule firing twice for a day starts one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env, start_run

SCHEDULED_EVENT = "Scheduled Event"
EVENT = '{"detail-type": "Scheduled Event", "time": "2026-11-29T06:00:00Z", ...} (EventBridge)'


def run_date(fired_at: str) -> date:
    """Yesterday, relative to the day (UTC) the schedule fired."""
    try:
        moment = datetime.fromisoformat(fired_at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PermanentError(
            f"the event time {fired_at!r} is not an ISO timestamp (like 2026-11-29T06:00:00Z)"
        ) from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date() - timedelta(days=1)


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT`; starts ``daily-<yesterday>``."""
    kind = event.get("detail-type") if isinstance(event, Mapping) else None
    if kind != SCHEDULED_EVENT:
        raise PermanentError(
            f"expected an EventBridge {SCHEDULED_EVENT!r}, got detail-type {kind!r}: "
            "check the schedule rule's target"
        )
    as_of = run_date(str(require(event, "time", EVENT))).isoformat()
    name = f"daily-{as_of}"
    started = start_run(runtime, name, as_of=as_of, trigger="schedule", files=[])
    return {"started": started, "execution": name, "as_of": as_of}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
