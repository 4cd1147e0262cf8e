from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline_lib.quality import (
    CRITICAL,
    FAIL,
    PASS,
    WARN,
    WARNING,
    Anomaly,
    DuckDBRunner,
    QualityReport,
    RuleResult,
    outcome,
)
from pipeline_lib.quality._model import critical_rule, percent


def rule(status: str, severity: str = "critical") -> RuleResult:
    return RuleResult("row_count", "curated.transactions", severity, status, 10, 100)


def test_status_and_publishable_follow_the_worst_outcome() -> None:
    assert QualityReport("r", "2026-11-28", [rule("pass")]).status == "pass"
    warned = QualityReport("r", "2026-11-28", [rule("pass"), rule("warn", "warning")])
    assert (warned.status, warned.publishable) == ("warn", True)
    failed = QualityReport("r", "2026-11-28", [rule("warn", "warning"), rule("fail")])
    assert (failed.status, failed.publishable) == ("fail", False)
    anomaly = Anomaly("revenue", "2026-11-28", 10.0, 100.0, 80.0, 120.0, "below", "why")
    assert QualityReport("r", "2026-11-28", [rule("pass")], [anomaly]).status == "warn"


def test_counts_and_critical_failures_sum_up_the_audit() -> None:
    warning_failed = RuleResult("null_pct", "curated.clickstream", "warning", "warn", 61, 60)
    critical = rule("fail")
    anomaly = Anomaly("revenue", "2026-11-28", 10.0, 100.0, 80.0, 120.0, "below", "why")
    report = QualityReport(
        "r", "2026-11-28", [rule("pass"), warning_failed, critical, rule("pass")], [anomaly]
    )
    assert report.counts() == {"rules": 4, "passed": 2, "warnings": 1, "failed": 1, "anomalies": 1}
    assert report.critical_failures == [critical]


def test_outcome_maps_broken_rules_by_severity() -> None:
    assert outcome(True, "critical") == "pass"
    assert outcome(False, "critical") == "fail"
    assert outcome(False, "warning") == "warn"


def test_invalid_severity_or_status_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        RuleResult("r", "t", "fatal", "pass")
    with pytest.raises(ValueError, match="status"):
        RuleResult("r", "t", "warning", "ok")


def test_report_round_trips_through_json() -> None:
    anomaly = Anomaly("orders", "2026-11-28", 5.0, 50.0, 40.0, 60.0, "below", "why")
    report = QualityReport("r1", "2026-11-28", [rule("fail")], [anomaly], seconds=1.5)
    import json

    assert QualityReport.from_dict(json.loads(report.to_json())).to_dict() == report.to_dict()


def test_duckdb_runner_queries_views_over_parquet_folders(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "month=2026-11"
    folder.mkdir(parents=True)
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(folder / "part-0.parquet")
    runner = DuckDBRunner({"curated.t": tmp_path / "t"})
    frame = runner.query("select count(*) as n, max(month) as m from curated.t")
    assert frame.to_dict("records") == [{"n": 3, "m": "2026-11"}]
    runner.close()


def test_findings_and_unjudged_round_trip_and_old_reports_still_load() -> None:
    import json

    from pipeline_lib.quality import MIX, Unjudged

    anomaly = Anomaly(
        "mix[device]",
        "2026-11-28",
        40.0,
        2.0,
        0.0,
        5.0,
        "above",
        "why",
        kind=MIX,
        baseline="the last 8 Saturdays",
        next_steps="tracking",
        change_pct=None,
        history=(("2026-11-21", 1.5), ("2026-11-14", 2.5)),
    )
    report = QualityReport(
        "r1",
        "2026-11-28",
        [rule("pass")],
        [anomaly],
        unjudged=[Unjudged("sessions[device=tv]", "too_small", 12.0, 50.0)],
    )
    again = QualityReport.from_dict(json.loads(report.to_json()))
    assert again == report and again.anomalies[0].history[0] == ("2026-11-21", 1.5)
    old = {
        "run_id": "r0",
        "as_of": "2026-11-27",
        "rules": [],
        "anomalies": [
            {
                "metric": "revenue",
                "day": "2026-11-27",
                "observed": 1.0,
                "expected": 2.0,
                "low": 1.5,
                "high": 2.5,
                "direction": "below",
                "explanation": "why",
                "severity": "warning",
            }
        ],
    }
    loaded = QualityReport.from_dict(old)
    assert loaded.anomalies[0].kind == "metric" and loaded.unjudged == []


def test_only_critical_failures_stop_the_publish() -> None:
    warning = RuleResult("freshness", "transactions", WARNING, WARN, 50, 48, detail="2 days old")
    critical = RuleResult("x", "y", CRITICAL, FAIL, 1, 0, detail="z")
    assert QualityReport("r1", "2026-11-28", [warning]).publishable
    assert QualityReport("r1", "2026-11-28", [warning]).status == WARN
    assert not QualityReport("r1", "2026-11-28", [warning, critical]).publishable


def test_a_critical_rule_passes_or_fails_and_percentages_round() -> None:
    broken = critical_rule("rows_produced", "run", False, "no dataset was processed", 0, 1)
    assert (broken.severity, broken.status, broken.detail) == (
        CRITICAL,
        FAIL,
        "no dataset was processed",
    )
    assert (broken.observed, broken.threshold) == (0, 1)
    assert critical_rule("x", "t", True, "fine").status == PASS
    assert percent(1, 3) == 33.3333 and percent(5, 0) == 0.0
