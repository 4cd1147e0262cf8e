"""The daily schedule: EventBridge cron expressions and their "Scheduled Event".

``params/<env>.yaml`` holds ``schedule.daily_cron`` in EventBridge syntax,
``cron(minutes hours day-of-month month day-of-week year)`` in UTC. The EventBridge rule
fires it on AWS; ``ecom-pipeline watch --schedule`` fires it locally with
:meth:`CronSchedule.next_after`. Supported: numbers, ``*``, ``?``, lists ``a,b``, ranges
``a-b``, steps ``*/n``, ``a/n`` and ``a-b/n``, JAN-DEC and SUN-SAT (day-of-week 1-7 is
SUN-SAT, as on EventBridge). Not supported: ``L``, ``W``, ``#`` and a year other than ``*``.

No library is used: the well-kept parsers (cronsim, croniter) speak Unix cron (day-of-week
0-6), and cronsim needs Python 3.11 while the package stays importable on Python 3.9.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.handlers.schedule_trigger import SCHEDULED_EVENT
from pipeline_lib.orchestration.executor import LOCAL_ACCOUNT, LOCAL_REGION

#: The account and region written into locally built AWS events (no real account).
DAILY_RULE = "ecom-pipeline-daily"

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_BOUNDS = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
}
_NAMES = {"month": _MONTHS, "day-of-week": _WEEKDAYS}
_FORMS = "write a number, *, a list a,b, a range a-b or a step */n, a/n, a-b/n"
_UNSUPPORTED = {"L": "'L' (last day)", "W": "'W' (nearest weekday)", "#": "'#' (nth weekday)"}
_NAME_TOKEN = re.compile("|".join(_MONTHS + _WEEKDAYS))
_EXPRESSION = re.compile(r"^\s*cron\((?P<body>[^()]*)\)\s*$", re.IGNORECASE)
_ATOM = re.compile(r"^(?P<start>\*|[0-9A-Z]+)(?:-(?P<end>[0-9A-Z]+))?(?:/(?P<step>[0-9]+))?$")
#: A schedule that fires at all fires within 8 years (29 February can skip a leap year).
_SEARCH_DAYS = 8 * 366 + 1


@dataclass(frozen=True)
class CronSchedule:
    """A parsed EventBridge cron expression; day sets are None for ``?``."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: Optional[frozenset[int]]
    months: frozenset[int]
    #: EventBridge numbering: 1 = Sunday ... 7 = Saturday.
    weekdays: Optional[frozenset[int]]

    def fires_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        if self.days is not None and day.day not in self.days:
            return False
        # Python: Monday = 0 ... Sunday = 6; EventBridge: Sunday = 1 ... Saturday = 7.
        return self.weekdays is None or (day.weekday() + 1) % 7 + 1 in self.weekdays

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after ``moment`` (naive means UTC), in UTC."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
        start += timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self.fires_on(day):
                earliest = start.time() if day == start.date() else time(0, 0)
                for hour in hours:
                    for minute in minutes:
                        if (hour, minute) >= (earliest.hour, earliest.minute):
                            return datetime.combine(day, time(hour, minute), timezone.utc)
            day += timedelta(days=1)
        raise ConfigError(
            f"{self.expression} never fires: none of its months has that "
            "day-of-month; pick a day the months have"
        )


def parse_cron(expression: str) -> CronSchedule:
    """Parse ``cron(...)`` in EventBridge syntax; ConfigError says what is wrong."""
    match = _EXPRESSION.match(expression or "")
    if not match:
        raise ConfigError(
            f"{expression!r} is not an EventBridge cron expression: write "
            "cron(minutes hours day-of-month month day-of-week year), e.g. cron(30 2 * * ? *)"
        )
    parts = match.group("body").split()
    if len(parts) != len(_FIELDS):
        raise ConfigError(
            f"{expression!r} has {len(parts)} fields; EventBridge cron has 6: {' '.join(_FIELDS)}"
        )
    fields = dict(zip(_FIELDS, (p.upper() for p in parts)))
    for name, text in fields.items():
        bare = _NAME_TOKEN.sub("0", text)  # JUL and WED are names, not L or W
        for token, what in _UNSUPPORTED.items():
            if token in bare:
                raise ConfigError(
                    f"{expression!r}: {what} in {name} is not supported "
                    f"by the local schedule; {_FORMS}"
                )
    if fields["year"] != "*":
        raise ConfigError(
            f"{expression!r}: a year other than '*' is not supported; write * as the last field"
        )
    dom, dow = fields["day-of-month"], fields["day-of-week"]
    if (dom == "?") == (dow == "?"):
        raise ConfigError(
            f"{expression!r}: exactly one of day-of-month and day-of-week must "
            "be '?' (EventBridge rule)"
        )
    schedule = CronSchedule(
        expression=f"cron({' '.join(parts)})",
        minutes=_field(expression, "minutes", fields["minutes"]),
        hours=_field(expression, "hours", fields["hours"]),
        days=None if dom == "?" else _field(expression, "day-of-month", dom),
        months=_field(expression, "month", fields["month"]),
        weekdays=None if dow == "?" else _field(expression, "day-of-week", dow),
    )
    schedule.next_after(datetime(2000, 1, 1, tzinfo=timezone.utc))  # raises if it never fires
    return schedule


def _field(expression: str, name: str, text: str) -> frozenset[int]:
    low, high = _BOUNDS[name]
    values: set[int] = set()
    for atom in text.split(","):
        match = _ATOM.match(atom)
        if not match:
            hint = "'?' is only for day-of-month or day-of-week" if "?" in atom else _FORMS
            raise ConfigError(f"{expression!r}: cannot read {atom!r} in {name}; {hint}")
        start_text, end_text, step_text = match.group("start", "end", "step")
        if start_text == "*":
            if end_text is not None:
                raise ConfigError(f"{expression!r}: cannot read {atom!r} in {name}; {_FORMS}")
            start, end = low, high
        else:
            start = _value(expression, name, start_text)
            end = _value(expression, name, end_text) if end_text else (high if step_text else start)
        if start > end:
            raise ConfigError(
                f"{expression!r}: range {atom!r} in {name} goes backwards; "
                "write the smaller value first"
            )
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ConfigError(f"{expression!r}: step {atom!r} in {name} must be at least 1")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(expression: str, name: str, text: str) -> int:
    low, high = _BOUNDS[name]
    names = _NAMES.get(name, ())
    if text in names:
        return names.index(text) + 1
    if not text.isdigit():
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        raise ConfigError(f"{expression!r}: {text!r} is not a valid {name} value; use {allowed}")
    value = int(text)
    if not low <= value <= high:
        raise ConfigError(f"{expression!r}: {name} value {value} is outside {low}-{high}")
    return value


def daily_cron(settings: Settings) -> CronSchedule:
    """The ``schedule.daily_cron`` of the environment's params file."""
    where = settings.source("schedule")
    expression = settings.section("schedule").get("daily_cron")
    if not expression:
        raise ConfigError(
            f"{where} has no schedule.daily_cron; add e.g. "
            'schedule: {daily_cron: "cron(30 2 * * ? *)"}'
        )
    if not isinstance(expression, str):
        raise ConfigError(
            f'{where}: schedule.daily_cron must be a string like "cron(30 2 * * ? *)"'
        )
    try:
        return parse_cron(expression)
    except ConfigError as exc:
        raise ConfigError(f"{where}: schedule.daily_cron: {exc}") from None


def event_time(moment: datetime) -> str:
    """``2026-11-29T02:30:00Z``: how AWS events write a time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def eventbridge_event(
    detail_type: str,
    source: str,
    *,
    at: datetime,
    resources: list[str],
    detail: dict[str, Any],
) -> dict[str, Any]:
    """An EventBridge event as AWS delivers it, from the local account and region."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": LOCAL_ACCOUNT,
        "time": event_time(at),
        "region": LOCAL_REGION,
        "resources": resources,
        "detail": detail,
    }


def scheduled_event(fired_at: datetime) -> dict[str, Any]:
    """The "Scheduled Event" the daily rule sends when it fires at ``fired_at``."""
    rule = f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:rule/{DAILY_RULE}"
    return eventbridge_event(
        SCHEDULED_EVENT, "aws.events", at=fired_at, resources=[rule], detail={}
    )
