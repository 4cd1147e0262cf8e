"""EventBridge cron expressions: parsing, next fire times, and the Scheduled Event."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from pipeline_lib.config import Settings, load_settings
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.handlers import schedule_trigger
from pipeline_lib.orchestration.schedule import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    CronSchedule,
    daily_cron,
    parse_cron,
    scheduled_event,
)
from tests.handler_events import EVENTBRIDGE_FIELDS

UTC = timezone.utc


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires(schedule: CronSchedule, start: datetime, count: int) -> list[datetime]:
    times = []
    for _ in range(count):
        start = schedule.next_after(start)
        times.append(start)
    return times


def test_the_daily_run_fires_at_0230_utc_every_day() -> None:
    schedule = parse_cron("cron(30 2 * * ? *)")
    assert schedule.minutes == {30} and schedule.hours == {2}
    assert schedule.days == frozenset(range(1, 32)) and schedule.weekdays is None
    assert fires(schedule, at(2026, 11, 28, 10, 32), 3) == [
        at(2026, 11, 29, 2, 30),
        at(2026, 11, 30, 2, 30),
        at(2026, 12, 1, 2, 30),
    ]
    # Strictly after: the fire time itself gives the next one; seconds count as later.
    assert schedule.next_after(at(2026, 11, 29, 2, 30)) == at(2026, 11, 30, 2, 30)
    assert schedule.next_after(at(2026, 11, 29, 2, 29, 59)) == at(2026, 11, 29, 2, 30)
    assert schedule.next_after(at(2026, 12, 31, 3, 0)) == at(2027, 1, 1, 2, 30)


def test_weekdays_use_eventbridge_numbering_and_names() -> None:
    schedule = parse_cron("cron(0 6 ? * MON-FRI *)")
    assert schedule.weekdays == {2, 3, 4, 5, 6} and schedule.days is None
    # 2026-11-28 is a Saturday: the next fires are Monday to Friday.
    times = fires(schedule, at(2026, 11, 28, 7, 0), 6)
    assert [t.date() for t in times] == [
        date(2026, 11, 30) + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7)
    ]
    assert all(t.hour == 6 and t.minute == 0 for t in times)
    assert parse_cron("cron(0 6 ? * 2-6 *)").weekdays == schedule.weekdays
    sunday = parse_cron("cron(0 0 ? * 1 *)").next_after(at(2026, 11, 28))
    assert sunday == at(2026, 11, 29) and sunday.strftime("%a") == "Sun"
    saturday = parse_cron("cron(0 0 ? * SAT *)").next_after(at(2026, 11, 28, 12))
    assert saturday == at(2026, 12, 5) and saturday.strftime("%a") == "Sat"


def test_steps_from_zero_every_fifteen_minutes() -> None:
    schedule = parse_cron("cron(0/15 * * * ? *)")
    assert schedule.minutes == {0, 15, 30, 45} and schedule.hours == frozenset(range(24))
    assert fires(schedule, at(2026, 11, 28, 23, 31), 3) == [
        at(2026, 11, 28, 23, 45),
        at(2026, 11, 29, 0, 0),
        at(2026, 11, 29, 0, 15),
    ]
    assert parse_cron("cron(*/20 * * * ? *)").minutes == {0, 20, 40}
    assert parse_cron("cron(5/20 * * * ? *)").minutes == {5, 25, 45}


@pytest.mark.parametrize(
    ("expression", "field", "values"),
    [
        ("cron(0,30 9-11 * * ? *)", "hours", {9, 10, 11}),
        ("cron(0,30 9-11 * * ? *)", "minutes", {0, 30}),
        ("cron(0 0 1,15 * ? *)", "days", {1, 15}),
        ("cron(0 0 1 JAN,jul ? *)", "months", {1, 7}),
        ("cron(0 0 1 MAR-MAY ? *)", "months", {3, 4, 5}),
        ("cron(0 8-18/4 * * ? *)", "hours", {8, 12, 16}),
        ("cron(0 0 ? * SUN,WED *)", "weekdays", {1, 4}),
    ],
)
def test_lists_ranges_steps_and_names(expression: str, field: str, values: set[int]) -> None:
    assert getattr(parse_cron(expression), field) == values


def test_day_of_month_and_month_restrict_the_days() -> None:
    leap = parse_cron("cron(0 12 29 FEB ? *)")
    assert leap.next_after(at(2026, 11, 28)) == at(2028, 2, 29, 12)
    first = parse_cron("cron(15 10 1 * ? *)")
    assert first.next_after(at(2026, 11, 28)) == at(2026, 12, 1, 10, 15)


def test_a_naive_moment_is_utc_and_others_are_converted() -> None:
    schedule = parse_cron("cron(30 2 * * ? *)")
    assert schedule.next_after(datetime(2026, 11, 28, 10)) == at(2026, 11, 29, 2, 30)
    tokyo = timezone(timedelta(hours=9))
    # 11:00 in Tokyo on the 29th is 02:00 UTC: the fire at 02:30 UTC that day is next.
    assert schedule.next_after(datetime(2026, 11, 29, 11, 0, tzinfo=tokyo)) == at(
        2026, 11, 29, 2, 30
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 0 L * ? *)", r"'L' \(last day\) in day-of-month is not supported by the local"),
        ("cron(0 0 LW * ? *)", r"not supported by the local schedule; write a number, \*, a list"),
        ("cron(0 0 ? * 6L *)", r"'L' \(last day\) in day-of-week"),
        ("cron(0 0 15W * ? *)", r"'W' \(nearest weekday\) in day-of-month"),
        ("cron(0 0 ? * 6#3 *)", r"'#' \(nth weekday\) in day-of-week"),
        ("cron(0 0 * * ? 2027)", r"a year other than .*; write \* as the last field"),
        ("cron(0 0 * * ? 2026-2030)", "a year other than"),
        ("cron(0 0 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 0 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 0 * * ?)", "has 5 fields"),
        ("30 2 * * ? *", "not an EventBridge cron expression"),
        ("rate(5 minutes)", "not an EventBridge cron expression"),
        ("", "not an EventBridge cron expression"),
        ("cron(60 0 * * ? *)", "minutes value 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours value 24 is outside 0-23"),
        ("cron(0 0 ? * 0 *)", "day-of-week value 0 is outside 1-7"),
        ("cron(0 0 1 13 ? *)", "month value 13"),
        ("cron(0 0 ? * FRI-MON *)", "goes backwards; write the smaller value first"),
        ("cron(0 *-5 * * ? *)", r"cannot read '\*-5' in hours; write a number"),
        ("cron(0 0 1,,2 * ? *)", r"cannot read '' in day-of-month; write a number"),
        ("cron(*/0 * * * ? *)", "at least 1"),
        ("cron(0 ? * * ? *)", r"'\?' is only for day-of-month or day-of-week"),
        ("cron(0 0 1 FOO ? *)", "'FOO' is not a valid month value; use 1-12 or JAN-DEC"),
        ("cron(0 0 31 2 ? *)", "never fires: none of its months has that day-of-month"),
        ("cron(a 0 * * ? *)", "'A' is not a valid minutes value; use 0-59$"),
    ],
)
def test_invalid_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_cron(expression)


def test_daily_cron_reads_the_params_file() -> None:
    schedule = daily_cron(load_settings(env="local"))
    assert schedule.expression == "cron(30 2 * * ? *)"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, r"params/local\.yaml has no schedule\.daily_cron"),
        ({"schedule": {}}, "has no schedule.daily_cron"),
        ({"schedule": {"daily_cron": 5}}, "must be a string"),
        ({"schedule": {"daily_cron": "cron(0 0 L * ? *)"}}, r"schedule\.daily_cron: .*'L'"),
    ],
)
def test_daily_cron_missing_or_invalid_is_a_config_error(
    params: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        daily_cron(Settings("local", "lake", params=params))


def test_scheduled_event_has_the_eventbridge_shape() -> None:
    event = scheduled_event(at(2026, 11, 29, 2, 30))
    assert set(event) == EVENTBRIDGE_FIELDS
    assert event["version"] == "0" and event["id"]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-11-29T02:30:00Z" and event["detail"] == {}
    assert (event["account"], event["region"]) == (LOCAL_ACCOUNT, LOCAL_REGION)
    assert event["resources"] == [
        f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:rule/ecom-pipeline-daily"
    ]
    assert scheduled_event(at(2026, 11, 29, 2, 30))["id"] != event["id"]
    # The schedule trigger reads it: the run for the day before the firing.
    assert schedule_trigger.run_date(event["time"]) == date(2026, 11, 28)
