"""Every problem of a report as a card that explains itself, with a small chart."""

from __future__ import annotations

from pipeline_lib.quality import Anomaly, QualityReport, RuleResult
from pipeline_lib.quality._findings import anomaly_sparkline, findings, findings_html
from tests.unit.quality_reports import HOSTILE, explained


def test_findings_explain_every_problem_with_a_chart_and_escape_text() -> None:
    page = findings_html(explained())
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert page.count('class="quality-finding"') == 4  # failed, 2 anomalies, warned
    assert page.index("row_count on curated.transactions") < page.index("price_index on")
    assert page.index("price_index on") < page.index("line_total on")
    assert page.count("<svg") == 4  # two sparklines, two gauges
    assert "Look at:</b> whether the day&#x27;s files arrived" in page  # a rule's hint


def test_sparkline_draws_history_band_and_an_off_chart_value_as_an_arrow() -> None:
    spike = explained().anomalies[1]
    svg = anomaly_sparkline(spike)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<polyline" in svg and "<path" in svg  # the 100x value is an arrow at the edge
    assert ">10,000</text>" in svg
    inside = Anomaly(
        "m", "2026-11-27", 101.0, 100.0, 95.0, 105.0, "above", "", history=(("2026-11-20", 100.0),)
    )
    assert "<path" not in anomaly_sparkline(inside)


def test_findings_of_a_clean_report_say_so() -> None:
    clean = QualityReport("r1", "2026-11-28", [RuleResult("x", "t", "critical", "pass")])
    assert "Nothing to explain" in findings_html(clean)
    assert findings(clean)._repr_html_() == findings_html(clean)
