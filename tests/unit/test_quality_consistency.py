"""Consistency rules inside a row and across tables: each fires on its fault, stays quiet
on clean data, and says how many rows, which ones and where to look."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality import FAIL, PASS, WARN
from pipeline_lib.quality.consistency import (
    CatalogPriceRule,
    FunnelOrderRule,
    LineTotalRule,
    PurchasesRule,
    check_catalog_prices,
    check_funnel_order,
    check_line_totals,
    check_purchases_vs_lines,
    consistency_rules,
    consistency_settings,
)
from tests.unit.quality_frames import (
    AS_OF,
    FrameRunner,
    clickstream,
    daily_funnel,
    products,
    transactions,
)

CHECK_DAYS = 3


def recent(lines: pd.DataFrame, days: int = CHECK_DAYS) -> pd.Series:
    return pd.to_datetime(lines["transaction_date"]) > pd.Timestamp(AS_OF - timedelta(days=days))


def runner(lines: pd.DataFrame, **extra: pd.DataFrame) -> FrameRunner:
    frames = {"curated.transactions": lines, "curated.products": products()}
    frames.update({f"curated.{k}": v for k, v in extra.items()})
    return FrameRunner(frames)


# --------------------------------------------------------------------------- line_total


def test_line_total_is_quiet_on_consistent_lines() -> None:
    result = check_line_totals(runner(transactions()), LineTotalRule(), AS_OF, CHECK_DAYS)
    assert result.status == PASS
    assert result.detail.startswith("0 of 180 lines (0%) of 2026-10-29..2026-10-31")


def test_line_total_fires_when_totals_include_tax_and_names_examples() -> None:
    lines = transactions()
    hit = recent(lines)
    lines.loc[hit, "total_amount"] = (lines.loc[hit, "total_amount"] * 1.2).round(2)
    result = check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS)
    assert (result.status, result.observed) == (WARN, 100.0)
    assert "180 of 180 lines (100%)" in result.detail
    assert "(180 above, 0 below), e.g. t" in result.detail
    assert "but total" in result.detail and "Look at the day's transactions file" in result.detail


def test_line_total_tolerates_rounding_and_configured_discounts() -> None:
    lines = transactions()
    hit = recent(lines)
    lines.loc[hit, "total_amount"] += 0.01  # rounding
    assert check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS).status == PASS
    lines.loc[hit, "total_amount"] = (lines.loc[hit, "total_amount"] * 0.8).round(2)  # -20%
    assert check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS).status == WARN
    discounts = LineTotalRule(max_discount_pct=30)
    assert check_line_totals(runner(lines), discounts, AS_OF, CHECK_DAYS).status == PASS


def test_line_total_share_threshold_and_severity() -> None:
    lines = transactions()
    lines.loc[lines.index[-1], "total_amount"] *= 3  # one line of 180: 0.56%
    assert check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS).status == PASS
    strict = LineTotalRule(max_share_pct=0.1, severity="critical")
    assert check_line_totals(runner(lines), strict, AS_OF, CHECK_DAYS).status == FAIL


def test_line_total_checks_the_runs_own_lines_of_older_days() -> None:
    lines = transactions()
    late = lines.index[:50]  # a late file of old days, written by this run
    lines.loc[late, "processing_date"] = AS_OF
    lines.loc[late, "total_amount"] *= 2
    result = check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS)
    assert result.status == WARN and "50 of 230 lines" in result.detail


def test_line_total_needs_a_minimum_of_lines() -> None:
    lines = transactions(per_day=5)
    lines["total_amount"] *= 2
    result = check_line_totals(runner(lines), LineTotalRule(), AS_OF, CHECK_DAYS)
    assert result.status == PASS and result.detail.startswith("not judged: 15 lines")


# --------------------------------------------------------------------------- catalog_price


def test_catalog_price_is_quiet_when_lines_pay_the_catalog_price() -> None:
    result = check_catalog_prices(runner(transactions()), CatalogPriceRule(), AS_OF, CHECK_DAYS)
    assert result.status == PASS and result.observed == 0.0


def test_catalog_price_fires_on_amounts_in_cents() -> None:
    lines = transactions()
    hit = recent(lines)
    lines.loc[hit, ["price", "total_amount"]] *= 100
    result = check_catalog_prices(runner(lines), CatalogPriceRule(), AS_OF, CHECK_DAYS)
    assert result.status == WARN and result.observed == 100.0
    assert "paid " in result.detail and ", catalog " in result.detail
    assert "Look at the product catalog" in result.detail


def test_catalog_price_tolerance_is_configurable() -> None:
    lines = transactions()
    hit = recent(lines)
    lines.loc[hit, "price"] *= 0.7  # a 30% sale on everything
    assert check_catalog_prices(runner(lines), CatalogPriceRule(), AS_OF, CHECK_DAYS).status == PASS
    tight = CatalogPriceRule(tolerance_pct=20)
    assert check_catalog_prices(runner(lines), tight, AS_OF, CHECK_DAYS).status == WARN


# --------------------------------------------------------------------------- funnel_order


def funnel_runner(events: pd.DataFrame) -> FrameRunner:
    return FrameRunner({"curated.clickstream": events})


def test_funnel_order_is_quiet_when_sessions_walk_the_funnel() -> None:
    result = check_funnel_order(funnel_runner(clickstream()), FunnelOrderRule(), AS_OF, 3)
    assert result.status == PASS
    assert result.detail.startswith("0 of 300 sessions (0%) of 2026-10-29..2026-10-31")


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("checkout_start", "purchase without checkout_start"),
        ("add_to_cart", "checkout_start without add_to_cart"),
        ("product_view", "add_to_cart without product_view"),
    ],
)
def test_funnel_order_fires_when_a_step_stops_being_tracked(removed: str, named: str) -> None:
    events = clickstream(skip=removed)
    result = check_funnel_order(funnel_runner(events), FunnelOrderRule(), AS_OF, 3)
    assert result.status == WARN
    assert named in result.detail and "tracking tag removed" in result.detail


def test_funnel_order_counts_steps_once_per_session() -> None:
    events = clickstream()
    purchases = events[events["event_type"] == "purchase"]
    events = pd.concat([events, purchases, purchases])  # three lines bought in one checkout
    assert check_funnel_order(funnel_runner(events), FunnelOrderRule(), AS_OF, 3).status == PASS


def test_funnel_order_needs_enough_sessions() -> None:
    events = clickstream(sessions_per_day=10, skip="checkout_start")
    result = check_funnel_order(funnel_runner(events), FunnelOrderRule(), AS_OF, 3)
    assert result.status == PASS and result.detail.startswith("not judged: 30 sessions")


# --------------------------------------------------------------------------- purchases


def test_purchases_vs_lines_is_quiet_when_the_feeds_line_up() -> None:
    lines = transactions()
    result = check_purchases_vs_lines(
        runner(lines, daily_funnel=daily_funnel(lines)), PurchasesRule(), AS_OF, 3, 56
    )
    assert result.status == PASS
    assert "100.0 over the 56 baseline days; every checked day within 25%" in result.detail


def test_purchases_vs_lines_fires_when_purchase_tracking_stops() -> None:
    lines = transactions()
    funnel = daily_funnel(lines)
    funnel.loc[funnel["date"] == AS_OF, "purchases"] = 0  # thank-you page tag removed
    result = check_purchases_vs_lines(
        runner(lines, daily_funnel=funnel), PurchasesRule(), AS_OF, 3, 56
    )
    assert result.status == WARN and result.observed == -100.0
    assert "2026-10-31: 0 purchase events for 60 lines (0.0 per 100, -100%)" in result.detail


def test_purchases_vs_lines_fires_when_the_transactions_file_is_doubled() -> None:
    lines = transactions()
    funnel = daily_funnel(lines)
    doubled = lines[lines["transaction_date"] == AS_OF].assign(
        transaction_id=lambda f: f["transaction_id"] + "b"
    )
    result = check_purchases_vs_lines(
        runner(pd.concat([lines, doubled]), daily_funnel=funnel), PurchasesRule(), AS_OF, 3, 56
    )
    assert result.status == WARN and "-50%" in result.detail


def test_purchases_vs_lines_is_not_judged_when_the_feeds_do_not_link() -> None:
    lines = transactions()
    funnel = daily_funnel(lines, purchases_per_line=0.0)  # no purchase tracking at all
    result = check_purchases_vs_lines(
        runner(lines, daily_funnel=funnel), PurchasesRule(), AS_OF, 3, 56
    )
    assert result.status == PASS and result.detail.startswith("not judged: the feeds do not")


# --------------------------------------------------------------------------- settings


def test_settings_default_override_and_off() -> None:
    assert consistency_settings(None).line_total == LineTotalRule()
    parsed = consistency_settings(
        {"line_total": {"max_discount_pct": 30}, "funnel_order": "off", "catalog_price": None}
    )
    assert parsed.line_total is not None and parsed.line_total.max_discount_pct == 30.0
    assert parsed.funnel_order is None and parsed.catalog_price == CatalogPriceRule()


@pytest.mark.parametrize(
    "raw",
    [
        {"line_totals": {}},
        {"line_total": {"tolerance": 1}},
        {"line_total": {"max_share_pct": -1}},
        {"line_total": {"severity": "fatal"}},
        {"line_total": "on"},
        ["line_total"],
    ],
)
def test_invalid_settings_name_the_key(raw: object) -> None:
    with pytest.raises(ConfigError, match=r"quality\.consistency"):
        consistency_settings(raw)


def test_consistency_rules_run_only_where_the_tables_are() -> None:
    lines = transactions()
    results = consistency_rules(
        runner(lines, daily_funnel=daily_funnel(lines)),
        consistency_settings(None),
        as_of=AS_OF,
        check_days=3,
        baseline_days=56,
        tables={"curated.transactions", "curated.products", "curated.daily_funnel"},
    )
    assert [r.rule for r in results] == ["line_total", "catalog_price", "purchases_vs_lines"]
    assert all(r.status == PASS for r in results)
