"""value_rules: what the ETL kept with a warning becomes warnings of the audit."""

from __future__ import annotations

from typing import Any

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality._values import value_rules
from pipeline_lib.schemas import domains_from_params


def note(
    column: str, kind: str, value: str, rows: int, first_day: Any = None, dataset: str = "products"
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "column": column,
        "kind": kind,
        "value": value,
        "rows": rows,
        "first_day": first_day,
    }


def test_new_categories_are_one_warning_with_counts_and_first_days() -> None:
    notes = [
        note("category", "new_value", "Garden", 1204, "2026-01-02"),
        note("category", "new_value", "Tools", 90, "2026-03-05"),
    ]
    (rule,) = value_rules([StageAccounting("products", "etl", 2000, 2000, notes=notes)])
    assert (rule.rule, rule.table, rule.column, rule.status, rule.observed) == (
        "new_values",
        "products",
        "category",
        "warn",
        2,
    )
    assert rule.detail == (
        "2 new category values: Garden 1,204 rows (first 2026-01-02), "
        "Tools 90 rows (first 2026-03-05)"
    )


def test_a_value_the_live_run_already_published_is_no_longer_news() -> None:
    garden = note("category", "new_value", "Garden", 10)
    live = [StageAccounting("products", "etl", 10, 10, notes=[garden])]
    now = [
        StageAccounting(
            "products", "etl", 20, 20, notes=[garden, note("category", "new_value", "Tools", 10)]
        )
    ]
    (rule,) = value_rules(now, seen_before=live)
    assert rule.detail == "1 new category value: Tools 10 rows"
    assert value_rules(live, seen_before=live) == []


def test_unknown_references_warn_only_above_the_configured_rate() -> None:
    missing = note("product_id", "unknown_reference", "p9", 3, dataset="transactions")
    entry = StageAccounting("transactions", "merge", 1000, 1000, notes=[missing])
    (quiet,) = value_rules([entry])  # 0.3% against the default 1%
    assert quiet.status == "pass" and "3 of 1,000 rows (0.30%)" in quiet.detail
    strict = domains_from_params(
        {"transactions": {"references": {"product_id": {"warn_rate": 0.001}}}}
    )
    (loud,) = value_rules([entry], domains=strict)
    assert (loud.status, loud.threshold) == ("warn", 0.001)


def test_statuses_kept_as_other_list_the_feed_words() -> None:
    notes = [
        note("status", "kept_as_other", w, n, dataset="transactions")
        for w, n in [("backorder", 5), ("lost", 9)]
    ]
    (rule,) = value_rules([StageAccounting("transactions", "etl", 100, 100, notes=notes)])
    assert rule.rule == "unknown_values_kept" and rule.status == "warn"
    assert rule.detail == "2 unknown status values kept as other: lost 9 rows, backorder 5 rows"
