"""The report's rules, anomalies and unjudged metrics as frames, and frames as HTML tables."""

from __future__ import annotations

import pandas as pd

from pipeline_lib.quality._rule_tables import (
    anomalies_frame,
    rules_frame,
    table,
    table_html,
    unjudged_frame,
)
from pipeline_lib.quality._style import STATUS_COLORS
from tests.unit.quality_reports import ANOMALIES, HOSTILE, RULES, explained, report


def test_rules_frame_lists_failures_first_and_every_rule() -> None:
    frame = rules_frame(report(RULES))
    assert len(frame) == len(RULES)
    assert frame["status"].tolist() == ["fail"] * 2 + ["warn"] * 2 + ["pass"] * 4
    assert anomalies_frame(report(RULES, ANOMALIES))["metric"].tolist() == [
        "refund_rate",
        "revenue",
        "revenue",
    ]


def test_table_html_escapes_and_shows_every_row() -> None:
    frame = pd.DataFrame({"name": [HOSTILE] + [f"row{i}" for i in range(99)]})
    html = table(frame)._repr_html_()
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert html.count("<tr") == 101  # header + 100 rows, no truncation
    assert "nothing" in table_html(frame.iloc[0:0], empty="nothing")


def test_rules_table_shows_status_badges_and_readable_values() -> None:
    html = table_html(rules_frame(report(RULES)))
    assert f'class="status" style="background:{STATUS_COLORS["fail"]}">fail<' in html
    assert "unexpected_count=24, unexpected_percent=12" in html
    assert "{&#x27;customer_id&#x27;: 3.5" in html  # detail text, escaped


def test_unjudged_frame_lists_segments_too_small_to_judge() -> None:
    frame = unjudged_frame(explained())
    assert frame.to_dict("records") == [
        {
            "metric": "sessions[device=tv]",
            "why": "too small to judge (expected volume below the floor)",
            "observed": 12.0,
            "needed": 50.0,
        }
    ]
