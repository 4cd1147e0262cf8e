"""Rejected rows by reason and the row reconciliation per dataset and stage."""

from __future__ import annotations

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality._accounting_charts import (
    RECONCILIATION_MEASURES,
    reconciliation_figure,
    reject_reasons_figure,
    reject_reasons_frame,
)
from tests.unit.quality_reports import ACCOUNTING, traces


def test_reject_reasons_stacked_by_reason() -> None:
    frame = reject_reasons_frame(ACCOUNTING)
    assert frame["rows"].sum() == 50
    fig = reject_reasons_figure(ACCOUNTING)
    assert fig.layout.barmode == "stack"
    by_reason = {t.name: dict(zip(t.y, t.x)) for t in traces(fig, "reason")}
    assert by_reason == {
        "bad_amount": {"transactions / etl": 25},
        "bad_rating": {"reviews / etl": 10},
        "no_customer": {"transactions / etl": 5},
        "unparseable": {"transactions / ingestion": 10},
    }


def test_reject_reasons_empty_run() -> None:
    fig = reject_reasons_figure([StageAccounting("reviews", "etl", 3, 3)])
    assert len(fig.data) == 0
    assert "No rows were rejected" in fig.layout.annotations[0].text


def test_reconciliation_one_trace_per_measure() -> None:
    fig = reconciliation_figure(ACCOUNTING)
    assert [t.meta["role"] for t in fig.data] == list(RECONCILIATION_MEASURES)
    values = {t.meta["role"]: dict(zip(t.x, t.y)) for t in fig.data}
    assert values["rows_in"]["transactions / etl"] == 990
    assert values["rows_out"]["transactions / etl"] == 950
    assert values["rejected"]["transactions / etl"] == 30
    assert values["duplicates_removed"]["transactions / etl"] == 10
    assert values["rows_in"]["reviews / etl"] == 300
    assert fig.layout.barmode == "group"
    assert reconciliation_figure([]).layout.annotations[0].text.startswith("No row")
