"""Synthetic quality reports, rules, anomalies and accounting for the chart tests."""

from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality import Anomaly, QualityReport, RuleResult, Unjudged

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


ANOMALIES = [
    Anomaly("revenue", "2026-11-27", 10.0, 1007.0, 997.0, 1017.0, "below", f"drop {HOSTILE}"),
    Anomaly("revenue", "2026-11-24", 2000.0, 1004.0, 994.0, 1014.0, "above", "spike", "critical"),
    Anomaly("refund_rate", "2026-11-27", 0.4, 0.05, 0.0, 0.1, "above", "refunds up"),
]


RULES = [
    # the configured rule over several columns: percentages in its detail
    RuleResult(
        "null_pct",
        "curated.transactions",
        "critical",
        "fail",
        3.5,
        1.0,
        "customer_id, amount",
        "null percentages {'customer_id': 3.5, 'amount': 0.0} above 1%",
    ),
    # a contract rule: null rows of all rows
    RuleResult(
        "not_null",
        "curated.transactions",
        "critical",
        "fail",
        35,
        0,
        "customer_id",
        "35 of 1,000 rows (3.5%) break the rule",
    ),
    RuleResult(
        "not_null",
        "curated.products",
        "critical",
        "pass",
        0,
        0,
        "product_id",
        "0 of 200 rows (0%) break the rule",
    ),
    # Great Expectations: a result mapping
    RuleResult(
        "expect_column_values_to_not_be_null",
        "curated.products",
        "warning",
        "warn",
        {"unexpected_count": 24, "unexpected_percent": 12.0},
        0,
        "category",
    ),
    RuleResult(
        "null_pct",
        "curated.products",
        "warning",
        "warn",
        12.0,
        10.0,
        "category",
        "null percentages {'category': 12.0} above 10%",
    ),
    # not null checks, or nothing to read a percentage from
    RuleResult("row_count", "curated.products", "critical", "pass", 200, 10),
    RuleResult("value_range", "curated.products", "critical", "pass", 0, 0, "price"),
    RuleResult("not_null", "curated.reviews", "warning", "pass", "n/a", None, "rating"),
]


ACCOUNTING = [
    StageAccounting("transactions", "ingestion", 1000, 990, {"unparseable": 10}),
    StageAccounting("transactions", "etl", 990, 950, {"bad_amount": 25, "no_customer": 5}, 10),
    StageAccounting("transactions", "merge", 950, 950),
    StageAccounting("reviews", "etl", 300, 290, {"bad_rating": 10}),
]


def report(rules: list[RuleResult], anomalies: Optional[list[Anomaly]] = None) -> QualityReport:
    return QualityReport(
        run_id="20261128T075012Z-abc123",
        as_of="2026-11-28",
        rules=rules,
        anomalies=anomalies or [],
        seconds=1.25,
    )


def explained() -> QualityReport:
    anomaly = Anomaly(
        "bookings[category=<b>Garden</b>]",
        "2026-11-27",
        10.0,
        1000.0,
        800.0,
        1200.0,
        "below",
        f"bookings fell {HOSTILE}",
        baseline="the last 8 Fridays",
        next_steps=HOSTILE,
        change_pct=-99.0,
        history=(("2026-11-20", 990.0), ("2026-11-13", 1010.0)),
    )
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
        "r1",
        "2026-11-28",
        [failed, warned, RuleResult("x", "t", "critical", "pass")],
        [anomaly, spike],
        unjudged=[Unjudged("sessions[device=tv]", "too_small", 12.0, 50.0)],
    )
