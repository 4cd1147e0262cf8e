"""Figures and tables of the quality notebook, on synthetic histories, reports and accounting."""

from __future__ import annotations

from typing import Any, Optional

import pandas as pd
import pytest

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality import Anomaly, QualityReport, RuleResult, charts

HOSTILE = "<script>alert(1)</script>"


def traces(fig: Any, role: str, metric: Optional[str] = None) -> list[Any]:
    return [
        t
        for t in fig.data
        if (t.meta or {}).get("role") == role
        and (metric is None or (t.meta or {}).get("metric") == metric)
    ]


def days(values: Any) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in values]


def history(band: bool) -> pd.DataFrame:
    rows = []
    for metric, base in (("revenue", 1000.0), ("orders", 50.0)):
        for i, day in enumerate(pd.date_range("2026-11-20", periods=8)):
            row = {"day": day.date().isoformat(), "metric": metric, "value": base + i}
            if band:
                row.update(low=base - 10 + i, high=base + 10 + i)
            rows.append(row)
    return pd.DataFrame(rows)


ANOMALIES = [
    Anomaly("revenue", "2026-11-27", 10.0, 1007.0, 997.0, 1017.0, "below", f"drop {HOSTILE}"),
    Anomaly("revenue", "2026-11-24", 2000.0, 1004.0, 994.0, 1014.0, "above", "spike", "critical"),
    Anomaly("refund_rate", "2026-11-27", 0.4, 0.05, 0.0, 0.1, "above", "refunds up"),
]


# ------------------------------------------------------------------------ metric history


def test_history_draws_band_value_and_anomalies_per_metric() -> None:
    fig = charts.history_figure(history(band=True), ANOMALIES)

    # history metrics in their order of appearance, then anomaly-only metrics
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["revenue", "orders", "refund_rate"]
    assert fig.layout.yaxis3 is not None

    high, low = traces(fig, "band_high", "revenue")[0], traces(fig, "band_low", "revenue")[0]
    assert low.fill == "tonexty" and high.fill is None
    # band traces are added high then low, so the fill goes between them
    assert fig.data.index(high) + 1 == fig.data.index(low)
    assert list(low.y) == [990.0 + i for i in range(8)]
    assert list(high.y) == [1010.0 + i for i in range(8)]
    assert days(low.x) == [d.date().isoformat() for d in pd.date_range("2026-11-20", periods=8)]

    value = traces(fig, "value", "orders")[0]
    assert list(value.y) == [50.0 + i for i in range(8)]
    assert value.yaxis == "y2"

    marks = traces(fig, "anomaly", "revenue")[0]
    assert days(marks.x) == ["2026-11-24", "2026-11-27"]  # sorted by day
    assert list(marks.y) == [2000.0, 10.0]
    assert list(marks.marker.color) == [charts.STATUS_COLORS["fail"], charts.STATUS_COLORS["warn"]]
    assert marks.marker.symbol == "x"
    # with a band in the history no separate expected-range trace is drawn for the metric
    assert traces(fig, "expected", "revenue") == []
    assert traces(fig, "anomaly", "orders") == []


def test_history_anomaly_only_metric_gets_its_own_row_with_expected_range() -> None:
    fig = charts.history_figure(history(band=True), ANOMALIES)
    refunds = traces(fig, "anomaly", "refund_rate")[0]
    assert refunds.yaxis == "y3"
    assert days(refunds.x) == ["2026-11-27"] and list(refunds.y) == [0.4]
    expected = traces(fig, "expected", "refund_rate")[0]
    assert list(expected.y) == [0.05]
    assert list(expected.error_y.array) == pytest.approx([0.05])
    assert list(expected.error_y.arrayminus) == pytest.approx([0.05])


def test_history_without_band_columns_draws_each_anomalys_range() -> None:
    fig = charts.history_figure(history(band=False), ANOMALIES)
    assert traces(fig, "band_low") == [] and traces(fig, "band_high") == []
    expected = traces(fig, "expected", "revenue")[0]
    assert days(expected.x) == ["2026-11-24", "2026-11-27"]
    assert list(expected.y) == [1004.0, 1007.0]
    assert list(expected.error_y.array) == [10.0, 10.0]  # high - expected
    assert list(expected.error_y.arrayminus) == [10.0, 10.0]  # expected - low


def test_history_legend_lists_each_role_once() -> None:
    fig = charts.history_figure(history(band=True), ANOMALIES)
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert sorted(shown) == sorted(set(shown))
    assert {"value", "expected range", "anomaly"} <= set(shown)


def test_history_hover_text_is_escaped() -> None:
    fig = charts.history_figure(history(band=False), ANOMALIES)
    hover = " ".join(traces(fig, "anomaly", "revenue")[0].hovertext)
    assert HOSTILE not in hover
    assert "&lt;script&gt;" in hover


def test_history_empty_and_invalid() -> None:
    empty = charts.history_figure(pd.DataFrame(columns=["day", "metric", "value"]))
    assert len(empty.data) == 0
    assert "No metric history" in empty.layout.annotations[0].text
    with pytest.raises(ValueError, match="missing"):
        charts.history_figure(pd.DataFrame({"day": [], "value": []}))


def test_history_keeps_the_latest_snapshot_value_per_day() -> None:
    raw = pd.DataFrame(
        {
            "run_id": ["r1", "r1", "r2", "r2"],
            "computed_at": pd.to_datetime(["2026-11-27T06:00", "2026-11-27T06:00",
                                           "2026-11-28T06:00", "2026-11-28T06:00"], utc=True),
            "day": ["2026-11-26", "2026-11-27", "2026-11-26", "2026-11-27"],
            "metric": "revenue",
            "value": [10.0, 5.0, 11.0, 12.0],
        }
    )  # fmt: skip
    value = traces(charts.history_figure(raw.iloc[::-1]), "value", "revenue")[0]
    assert days(value.x) == ["2026-11-26", "2026-11-27"]
    assert list(value.y) == [11.0, 12.0]  # r2 recomputed both days


def test_history_draws_whole_shop_metrics_first_and_every_flagged_one() -> None:
    rows = [
        {"day": "2026-11-27", "metric": m, "value": 1.0}
        for m in ["revenue:Books", "revenue", "orders", "revenue:Toys", "sessions"]
    ]
    flagged = [Anomaly("revenue:Toys", "2026-11-27", 1.0, 5.0, 4.0, 6.0, "below", "toys")]
    fig = charts.history_figure(pd.DataFrame(rows), flagged, max_metrics=3)
    assert [a.text for a in fig.layout.annotations] == ["revenue", "orders", "revenue:Toys"]
    assert "3 of 5 metrics" in fig.layout.title.text
    chosen = charts.history_figure(pd.DataFrame(rows), metrics=["sessions", "revenue:Books"])
    assert [a.text for a in chosen.layout.annotations] == ["sessions", "revenue:Books"]


def test_history_window_keeps_the_last_days() -> None:
    frame = pd.DataFrame(
        {"day": pd.date_range("2026-01-01", periods=300), "metric": "orders", "value": 1.0}
    )
    value = traces(charts.history_figure(frame, window_days=30), "value", "orders")[0]
    assert len(value.x) == 30
    assert days(value.x)[-1] == "2026-10-27"
    assert len(traces(charts.history_figure(frame, window_days=None), "value")[0].x) == 300


# ------------------------------------------------------------------------ null rates


RULES = [
    # the configured rule over several columns: percentages in its detail
    RuleResult("null_pct", "curated.transactions", "critical", "fail", 3.5, 1.0,
               "customer_id, amount",
               "null percentages {'customer_id': 3.5, 'amount': 0.0} above 1%"),
    # a contract rule: null rows of all rows
    RuleResult("not_null", "curated.transactions", "critical", "fail", 35, 0, "customer_id",
               "35 of 1,000 rows (3.5%) break the rule"),
    RuleResult("not_null", "curated.products", "critical", "pass", 0, 0, "product_id",
               "0 of 200 rows (0%) break the rule"),
    # Great Expectations: a result mapping
    RuleResult("expect_column_values_to_not_be_null", "curated.products", "warning", "warn",
               {"unexpected_count": 24, "unexpected_percent": 12.0}, 0, "category"),
    RuleResult("null_pct", "curated.products", "warning", "warn", 12.0, 10.0, "category",
               "null percentages {'category': 12.0} above 10%"),
    # not null checks, or nothing to read a percentage from
    RuleResult("row_count", "curated.products", "critical", "pass", 200, 10),
    RuleResult("value_range", "curated.products", "critical", "pass", 0, 0, "price"),
    RuleResult("not_null", "curated.reviews", "warning", "pass", "n/a", None, "rating"),
]  # fmt: skip


def test_null_rates_frame_one_row_per_column_from_every_kind_of_null_rule() -> None:
    frame = charts.null_rates_frame(RULES)
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
    fig = charts.null_rates_figure(RULES)
    bars = traces(fig, "null_pct")[0]
    # horizontal bars: reversed so the highest rate is at the top; clean columns left out
    assert list(bars.y) == ["curated.transactions.customer_id", "curated.products.category"]
    assert list(bars.x) == [3.5, 12.0]
    colors = charts.STATUS_COLORS
    assert list(bars.marker.color) == [colors["fail"], colors["warn"]]
    limits = traces(fig, "threshold")[0]
    assert dict(zip(limits.y, limits.x)) == {
        "curated.transactions.customer_id": 0.0,
        "curated.products.category": 0.0,
    }
    assert "2 of 4 checked columns" in fig.layout.title.text


def test_null_rates_figure_for_a_clean_lake_or_no_null_checks_says_so() -> None:
    clean = charts.null_rates_figure([RULES[2]])
    assert len(clean.data) == 0
    assert "No nulls in the 1 checked columns" in clean.layout.annotations[0].text
    none = charts.null_rates_figure(RULES[5:7])
    assert "No null checks" in none.layout.annotations[0].text


# ------------------------------------------------------------------------ accounting


ACCOUNTING = [
    StageAccounting("transactions", "ingestion", 1000, 990, {"unparseable": 10}),
    StageAccounting("transactions", "etl", 990, 950, {"bad_amount": 25, "no_customer": 5}, 10),
    StageAccounting("transactions", "merge", 950, 950),
    StageAccounting("reviews", "etl", 300, 290, {"bad_rating": 10}),
]


def test_reject_reasons_stacked_by_reason() -> None:
    frame = charts.reject_reasons_frame(ACCOUNTING)
    assert frame["rows"].sum() == 50
    fig = charts.reject_reasons_figure(ACCOUNTING)
    assert fig.layout.barmode == "stack"
    by_reason = {t.name: dict(zip(t.y, t.x)) for t in traces(fig, "reason")}
    assert by_reason == {
        "bad_amount": {"transactions / etl": 25},
        "bad_rating": {"reviews / etl": 10},
        "no_customer": {"transactions / etl": 5},
        "unparseable": {"transactions / ingestion": 10},
    }


def test_reject_reasons_empty_run() -> None:
    fig = charts.reject_reasons_figure([StageAccounting("reviews", "etl", 3, 3)])
    assert len(fig.data) == 0
    assert "No rows were rejected" in fig.layout.annotations[0].text


def test_reconciliation_one_trace_per_measure() -> None:
    fig = charts.reconciliation_figure(ACCOUNTING)
    assert [t.meta["role"] for t in fig.data] == list(charts.RECONCILIATION_MEASURES)
    values = {t.meta["role"]: dict(zip(t.x, t.y)) for t in fig.data}
    assert values["rows_in"]["transactions / etl"] == 990
    assert values["rows_out"]["transactions / etl"] == 950
    assert values["rejected"]["transactions / etl"] == 30
    assert values["duplicates_removed"]["transactions / etl"] == 10
    assert values["rows_in"]["reviews / etl"] == 300
    assert fig.layout.barmode == "group"
    assert charts.reconciliation_figure([]).layout.annotations[0].text.startswith("No row")


# ------------------------------------------------------------------------ tables and banner


def report(rules: list[RuleResult], anomalies: Optional[list[Anomaly]] = None) -> QualityReport:
    return QualityReport(
        run_id="20261128T075012Z-abc123",
        as_of="2026-11-28",
        rules=rules,
        anomalies=anomalies or [],
        seconds=1.25,
    )


def test_rules_frame_lists_failures_first_and_every_rule() -> None:
    frame = charts.rules_frame(report(RULES))
    assert len(frame) == len(RULES)
    assert frame["status"].tolist() == ["fail"] * 2 + ["warn"] * 2 + ["pass"] * 4
    assert charts.anomalies_frame(report(RULES, ANOMALIES))["metric"].tolist() == [
        "refund_rate",
        "revenue",
        "revenue",
    ]


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
    html = charts.status_banner_html(report(rules, anomalies))
    assert f'data-status="{status}"' in html
    assert charts.STATUS_COLORS[status] in html
    assert f">{status.upper()}<" in html


def test_banner_escapes_text_and_records_summary() -> None:
    hostile_rule = RuleResult("null_pct", HOSTILE, "critical", "fail", HOSTILE, 1, "c")
    rep = report([hostile_rule], [Anomaly("m", "2026-11-27", 1, 2, 1.5, 2.5, "below", HOSTILE)])
    html = charts.status_banner_html(rep)
    assert HOSTILE not in html
    assert html.count("&lt;script&gt;") >= 2

    data, metadata = charts.banner(rep)._repr_mimebundle_()
    assert data["text/html"] == html
    summary = metadata[charts.SUMMARY_KEY]
    assert summary["status"] == "fail" and summary["run_id"] == rep.run_id
    assert (summary["failed"], summary["anomalies"]) == (1, 1)


def test_banner_lists_at_most_a_few_problems() -> None:
    many = [RuleResult(f"r{i}", "t", "warning", "warn", i, 0) for i in range(9)]
    html = charts.status_banner_html(report(many), max_listed=3)
    assert html.count("<li>") == 4
    assert "and 6 more" in html


def test_table_html_escapes_and_shows_every_row() -> None:
    frame = pd.DataFrame({"name": [HOSTILE] + [f"row{i}" for i in range(99)]})
    html = charts.table(frame)._repr_html_()
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert html.count("<tr") == 101  # header + 100 rows, no truncation
    assert "nothing" in charts.table_html(frame.iloc[0:0], empty="nothing")


def test_rules_table_shows_status_badges_and_readable_values() -> None:
    html = charts.table_html(charts.rules_frame(report(RULES)))
    assert f'class="status" style="background:{charts.STATUS_COLORS["fail"]}">fail<' in html
    assert "unexpected_count=24, unexpected_percent=12" in html
    assert "{&#x27;customer_id&#x27;: 3.5" in html  # detail text, escaped


# ------------------------------------------------------------------------ offline display


def test_offline_figure_bundle_has_plotly_json_and_a_div_without_plotlyjs() -> None:
    fig = charts.reconciliation_figure(ACCOUNTING)
    bundle = charts.offline(fig)._repr_mimebundle_()
    payload = bundle[charts.PLOTLY_MIMETYPE]
    assert len(payload["data"]) == 4
    assert payload["config"]["displaylogo"] is False
    div = bundle["text/html"]
    assert 'class="plotly-graph-div"' in div and "Plotly.newPlot" in div
    assert "cdn.plot.ly" not in div and "mathjax" not in div.lower()
    assert "<script src" not in div.replace("\n", " ")
    assert len(div) < 50_000  # plotly.js itself (~5 MB) is not embedded


# ------------------------------------------------------------------------ findings


def explained() -> QualityReport:
    from pipeline_lib.quality import Unjudged

    anomaly = Anomaly(
        "bookings[category=<b>Garden</b>]", "2026-11-27", 10.0, 1000.0, 800.0, 1200.0, "below",
        f"bookings fell {HOSTILE}", baseline="the last 8 Fridays", next_steps=HOSTILE,
        change_pct=-99.0, history=(("2026-11-20", 990.0), ("2026-11-13", 1010.0)),
    )  # fmt: skip
    spike = Anomaly(
        "price_index",
        "2026-11-27",
        10000.0,
        100.0,
        95.0,
        105.0,
        "above",
        "x100",
        history=(("2026-11-20", 100.0),),
    )
    warned = RuleResult(
        "line_total",
        "curated.transactions",
        "warning",
        "warn",
        12.5,
        1.0,
        column="total_amount",
        detail=f"12 lines off {HOSTILE}",
    )
    failed = RuleResult(
        "row_count", "curated.transactions", "critical", "fail", 3, 100, detail="3 rows"
    )
    return QualityReport(
        "r1", "2026-11-28", [failed, warned, RuleResult("x", "t", "critical", "pass")],
        [anomaly, spike], unjudged=[Unjudged("sessions[device=tv]", "too_small", 12.0, 50.0)],
    )  # fmt: skip


def test_findings_explain_every_problem_with_a_chart_and_escape_text() -> None:
    page = charts.findings_html(explained())
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert page.count('class="quality-finding"') == 4  # failed, 2 anomalies, warned
    assert page.index("row_count on curated.transactions") < page.index("price_index on")
    assert page.index("price_index on") < page.index("line_total on")
    assert page.count("<svg") == 4  # two sparklines, two gauges
    assert "Look at:</b> whether the day&#x27;s files arrived" in page  # a rule's hint


def test_sparkline_draws_history_band_and_an_off_chart_value_as_an_arrow() -> None:
    spike = explained().anomalies[1]
    svg = charts.anomaly_sparkline(spike)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<polyline" in svg and "<path" in svg  # the 100x value is an arrow at the edge
    assert ">10,000</text>" in svg
    inside = Anomaly(
        "m", "2026-11-27", 101.0, 100.0, 95.0, 105.0, "above", "", history=(("2026-11-20", 100.0),)
    )
    assert "<path" not in charts.anomaly_sparkline(inside)


def test_findings_of_a_clean_report_say_so() -> None:
    clean = QualityReport("r1", "2026-11-28", [RuleResult("x", "t", "critical", "pass")])
    assert "Nothing to explain" in charts.findings_html(clean)
    assert charts.findings(clean)._repr_html_() == charts.findings_html(clean)


def test_unjudged_frame_lists_segments_too_small_to_judge() -> None:
    frame = charts.unjudged_frame(explained())
    assert frame.to_dict("records") == [
        {
            "metric": "sessions[device=tv]",
            "why": "too small to judge (expected volume below the floor)",
            "observed": 12.0,
            "needed": 50.0,
        }
    ]


def test_history_puts_segments_after_whole_shop_metrics() -> None:
    rows = [
        {"day": "2026-11-20", "metric": m, "value": 1.0}
        for m in ["sessions[device=tv]", "revenue", "bookings[category=Books]", "orders"]
    ]
    fig = charts.history_figure(pd.DataFrame(rows))
    assert [a.text for a in fig.layout.annotations] == [
        "revenue",
        "orders",
        "sessions[device=tv]",
        "bookings[category=Books]",
    ]
