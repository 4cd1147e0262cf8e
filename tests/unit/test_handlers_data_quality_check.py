"""data_quality_check (EvaluateQuality): the run's quality report -> may it publish?"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import data_quality_check
from pipeline_lib.quality import CRITICAL, FAIL, WARN, RuleResult
from pipeline_lib.quality.audit import load_report, save_report
from pipeline_lib.storage import Zone
from tests.handler_events import PublishedLake, selected_fields, state_payload

pytestmark = pytest.mark.slow

STATE = "EvaluateQuality"


def payload(run_id: str, as_of: str) -> dict[str, object]:
    return state_payload(STATE, run_id, as_of)


def save_variant(built: PublishedLake, run_id: str, *extra: RuleResult) -> None:
    """A copy of the published run's report under ``run_id``, with ``extra`` rules added."""
    report = load_report(built.lake, built.run_id)
    save_report(
        built.lake, dataclasses.replace(report, run_id=run_id, rules=[*report.rules, *extra])
    )


def test_a_published_run_is_publishable(built: PublishedLake) -> None:
    answer = data_quality_check.handle(
        payload(built.run_id, built.as_of.isoformat()), built.runtime()
    )
    json.dumps(answer)
    assert selected_fields(STATE) <= set(answer)
    assert answer["publishable"] is True and answer["status"] == "pass"
    assert answer["failed"] == []
    assert answer["summary"].endswith(f"{answer['warnings']} warnings, 0 anomalies")
    rules = len(load_report(built.lake, built.run_id).rules)
    assert rules > 0 and answer["summary"].startswith(f"{rules} rules, ")
    report = Path(answer["report"])
    assert report.name == "index.html" and report.is_file()
    assert report.parent.name == built.as_of.isoformat()


def test_a_failed_critical_rule_stops_the_publish(built: PublishedLake) -> None:
    broken = RuleResult(
        "row_count_min", "curated.transactions", CRITICAL, FAIL, 0, 1, detail="no rows"
    )
    warned = RuleResult(
        "null_rate_max",
        "curated.reviews",
        "warning",
        WARN,
        0.2,
        0.1,
        column="review_text",
        detail="20% null",
    )
    save_variant(built, "run-with-a-failure", broken, warned)
    answer = data_quality_check.handle(payload("run-with-a-failure", "2026-11-28"), built.runtime())
    assert answer["publishable"] is False and answer["status"] == FAIL
    assert answer["failed"] == [
        {"rule": "row_count_min", "subject": "curated.transactions", "detail": "no rows"}
    ]
    assert answer["warnings"] == 1
    assert answer["summary"].startswith("audit failed, nothing published: ")
    assert "row_count_min on curated.transactions: no rows" in answer["summary"]


def test_many_failures_are_listed_up_to_ten(built: PublishedLake) -> None:
    failures = [
        RuleResult("unique", f"curated.t{i}", CRITICAL, FAIL, i, 0, detail=f"{i} duplicates")
        for i in range(12)
    ]
    save_variant(built, "run-with-many-failures", *failures)
    answer = data_quality_check.handle(
        payload("run-with-many-failures", "2026-11-28"), built.runtime()
    )
    assert len(answer["failed"]) == 10
    assert answer["summary"].endswith("; and 2 more")


def test_no_html_report_for_another_day_is_none(built: PublishedLake) -> None:
    answer = data_quality_check.handle(payload(built.run_id, "2026-01-01"), built.runtime())
    assert answer["publishable"] is True and answer["report"] is None


def test_a_run_without_a_report_is_permanent(built: PublishedLake) -> None:
    with pytest.raises(PermanentError, match="no quality report"):
        data_quality_check.handle(payload("20260101T000000Z-000000", "2026-01-01"), built.runtime())


def test_an_unreadable_report_is_permanent(built: PublishedLake) -> None:
    built.lake.write_bytes(Zone.META, "runs/run-garbled/quality.json", b"{not json")
    with pytest.raises(PermanentError, match="unreadable"):
        data_quality_check.handle(payload("run-garbled", "2026-11-28"), built.runtime())


def test_a_payload_without_run_id_is_permanent(built: PublishedLake) -> None:
    # The error names what is missing, what came, and the shape to send instead.
    with pytest.raises(PermanentError, match=r"no 'run_id' \(its fields: as_of\); expected \{"):
        data_quality_check.handle({"as_of": "2026-11-28"}, built.runtime())
