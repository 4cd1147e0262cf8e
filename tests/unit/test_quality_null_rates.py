"""Null percentages per checked column, read from every kind of null rule."""

from __future__ import annotations

from pipeline_lib.quality._null_rates import null_rates_figure, null_rates_frame
from pipeline_lib.quality._style import STATUS_COLORS
from tests.unit.quality_reports import RULES, traces


def test_null_rates_frame_one_row_per_column_from_every_kind_of_null_rule() -> None:
    frame = null_rates_frame(RULES)
    assert frame["subject"].tolist() == [
        "curated.products.category",
        "curated.transactions.customer_id",
        "curated.products.product_id",
        "curated.transactions.amount",
    ]  # highest first, then worst status; row_count, value_range and "n/a" are left out
    by_subject = frame.set_index("subject")
    assert by_subject["null_pct"].tolist() == [12.0, 3.5, 0.0, 0.0]
    assert by_subject.loc["curated.transactions.customer_id", "status"] == "fail"
    assert by_subject.loc["curated.transactions.customer_id", "rules"] == "null_pct, not_null"
    # the strictest threshold: 0 from not_null beats null_pct's 1%
    assert by_subject.loc["curated.transactions.customer_id", "threshold"] == 0.0
    assert by_subject.loc["curated.transactions.amount", "threshold"] == 1.0
    # GX allows 0 unexpected: stricter than the configured 10%
    assert by_subject.loc["curated.products.category", "threshold"] == 0.0
    assert by_subject.loc["curated.products.category", "status"] == "warn"


def test_null_rates_figure_shows_columns_with_nulls_coloured_by_status() -> None:
    fig = null_rates_figure(RULES)
    bars = traces(fig, "null_pct")[0]
    # horizontal bars: reversed so the highest rate is at the top; clean columns left out
    assert list(bars.y) == ["curated.transactions.customer_id", "curated.products.category"]
    assert list(bars.x) == [3.5, 12.0]
    colors = STATUS_COLORS
    assert list(bars.marker.color) == [colors["fail"], colors["warn"]]
    limits = traces(fig, "threshold")[0]
    assert dict(zip(limits.y, limits.x)) == {
        "curated.transactions.customer_id": 0.0,
        "curated.products.category": 0.0,
    }
    assert "2 of 4 checked columns" in fig.layout.title.text


def test_null_rates_figure_for_a_clean_lake_or_no_null_checks_says_so() -> None:
    clean = null_rates_figure([RULES[2]])
    assert len(clean.data) == 0
    assert "No nulls in the 1 checked columns" in clean.layout.annotations[0].text
    none = null_rates_figure(RULES[5:7])
    assert "No null checks" in none.layout.annotations[0].text
