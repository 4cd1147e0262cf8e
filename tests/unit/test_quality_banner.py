"""The pass/warn/fail banner: its colour, its escaped text and the summary it records."""

from __future__ import annotations

import pytest

from pipeline_lib.quality import Anomaly, RuleResult
from pipeline_lib.quality._banner import SUMMARY_KEY, banner, status_banner_html
from pipeline_lib.quality._style import STATUS_COLORS
from tests.unit.quality_reports import ANOMALIES, HOSTILE, RULES, report


@pytest.mark.parametrize(
    ("rules", "anomalies", "status"),
    [
        ([RULES[2]], [], "pass"),
        ([RULES[2], RULES[3]], [], "warn"),
        ([RULES[2]], ANOMALIES[:1], "warn"),
        (RULES, [], "fail"),
    ],
)
def test_banner_shows_status_in_its_colour(
    rules: list[RuleResult], anomalies: list[Anomaly], status: str
) -> None:
    html = status_banner_html(report(rules, anomalies))
    assert f'data-status="{status}"' in html
    assert STATUS_COLORS[status] in html
    assert f">{status.upper()}<" in html


def test_banner_escapes_text_and_records_summary() -> None:
    hostile_rule = RuleResult("null_pct", HOSTILE, "critical", "fail", HOSTILE, 1, "c")
    rep = report([hostile_rule], [Anomaly("m", "2026-11-27", 1, 2, 1.5, 2.5, "below", HOSTILE)])
    html = status_banner_html(rep)
    assert HOSTILE not in html
    assert html.count("&lt;script&gt;") >= 2

    data, metadata = banner(rep)._repr_mimebundle_()
    assert data["text/html"] == html
    summary = metadata[SUMMARY_KEY]
    assert summary["status"] == "fail" and summary["run_id"] == rep.run_id
    assert (summary["failed"], summary["anomalies"]) == (1, 1)


def test_banner_lists_at_most_a_few_problems() -> None:
    many = [RuleResult(f"r{i}", "t", "warning", "warn", i, 0) for i in range(9)]
    html = status_banner_html(report(many), max_listed=3)
    assert html.count("<li>") == 4
    assert "and 6 more" in html
