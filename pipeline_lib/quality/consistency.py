"""Consistency rules inside a row and across tables, on the rows a run brought.

- ``line_total``: a line's ``total_amount`` equals ``quantity * price`` within a tolerance
  (rounding: ``tolerance_abs``, ``tolerance_pct``; discounts: a total up to
  ``max_discount_pct`` below is fine).
- ``catalog_price``: the unit price paid is within ``tolerance_pct`` of the product's
  catalog price.
- ``funnel_order``: within a session, no later funnel step without the earlier ones (a
  purchase without checkout_start, a checkout without add_to_cart, an add_to_cart without
  product_view). Steps are counted once per session: one checkout can buy several lines.
- ``purchases_vs_lines``: on each checked day, the clickstream's purchase events per
  order line stay within ``tolerance_pct`` of their ratio over the baseline days, where
  the feeds allow it (both have volume, and the baseline ratio is not near 0: a shop whose
  clickstream does not record purchases is not judged).

Each rule warns (or fails, per its ``severity``) when more than ``max_share_pct`` of the
rows break it, and says how many, which ones (a few examples) and where to look next. The
rows are those of the checked days (the as-of day and the ``anomalies.check_days - 1``
days before it) and, for transactions, every row the run itself wrote
(``processing_date`` = the run's date: late files of older days too).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Optional

import pandas as pd

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._explain import rule_hint
from pipeline_lib.quality._model import WARNING, RuleResult, outcome
from pipeline_lib.quality._runner import SqlRunner

logger = logging.getLogger(__name__)

#: Examples of broken rows named in a rule's detail.
EXAMPLES = 3


@dataclass(frozen=True)
class LineTotalRule:
    tolerance_abs: float = 0.01
    tolerance_pct: float = 1.0
    max_discount_pct: float = 0.0
    max_share_pct: float = 1.0
    min_rows: int = 20
    severity: str = WARNING


@dataclass(frozen=True)
class CatalogPriceRule:
    tolerance_pct: float = 50.0
    max_share_pct: float = 5.0
    min_rows: int = 20
    severity: str = WARNING


@dataclass(frozen=True)
class FunnelOrderRule:
    max_share_pct: float = 1.0
    min_sessions: int = 50
    severity: str = WARNING


@dataclass(frozen=True)
class PurchasesRule:
    tolerance_pct: float = 25.0
    min_lines: int = 30
    min_ratio_pct: float = 5.0
    severity: str = WARNING


@dataclass(frozen=True)
class ConsistencySettings:
    """``quality.consistency`` of the params file; a rule set to ``off`` is None."""

    line_total: Optional[LineTotalRule] = field(default_factory=LineTotalRule)
    catalog_price: Optional[CatalogPriceRule] = field(default_factory=CatalogPriceRule)
    funnel_order: Optional[FunnelOrderRule] = field(default_factory=FunnelOrderRule)
    purchases_vs_lines: Optional[PurchasesRule] = field(default_factory=PurchasesRule)


_RULES: dict[str, type] = {
    "line_total": LineTotalRule,
    "catalog_price": CatalogPriceRule,
    "funnel_order": FunnelOrderRule,
    "purchases_vs_lines": PurchasesRule,
}


def consistency_settings(raw: Any, where: str = "quality.consistency") -> ConsistencySettings:
    """Parse ``quality.consistency``: per rule a mapping of overrides, or ``off``.

    Raises
    ------
    ConfigError
        Naming the key and what is accepted.
    """
    if raw is None:
        return ConsistencySettings()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping of rules ({', '.join(_RULES)})")
    unknown = sorted(set(raw) - set(_RULES))
    if unknown:
        raise ConfigError(f"{where}: unknown rule {', '.join(unknown)}; known: {', '.join(_RULES)}")
    parsed: dict[str, Any] = {}
    for name, kind in _RULES.items():
        entry = raw.get(name, {})
        if entry in ("off", False):
            parsed[name] = None
            continue
        if entry is None:
            entry = {}
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}.{name} must be a mapping or off, got {entry!r}")
        defaults = kind()
        allowed = set(defaults.__dataclass_fields__)
        extra = sorted(set(entry) - allowed)
        if extra:
            known = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}.{name}: unknown key {', '.join(extra)}; known: {known}")
        values: dict[str, Any] = {}
        for key, value in entry.items():
            default = getattr(defaults, key)
            if key == "severity":
                if value not in ("critical", "warning"):
                    raise ConfigError(f"{where}.{name}.severity must be critical or warning")
                values[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{where}.{name}.{key} must be a number >= 0, got {value!r}")
            values[key] = int(value) if isinstance(default, int) else float(value)
        parsed[name] = kind(**values)
    return ConsistencySettings(**parsed)


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def _scope(as_of: date, check_days: int) -> tuple[date, str]:
    first = as_of - timedelta(days=check_days - 1)
    where = (
        f"((t.transaction_month >= '{first.strftime('%Y-%m')}' "
        f"and t.transaction_date between date '{first.isoformat()}' "
        f"and date '{as_of.isoformat()}') or t.processing_date = date '{as_of.isoformat()}')"
    )
    return first, where


def _span(first: date, as_of: date) -> str:
    return f"{first.isoformat()}..{as_of.isoformat()} and the run's own lines"


def _result(
    rule: str,
    table: str,
    severity: str,
    broken: bool,
    observed: Any,
    threshold: Any,
    detail: str,
    column: Optional[str] = None,
) -> RuleResult:
    hint = rule_hint(rule)
    if broken and hint:
        detail += f" Look at {hint}."
    return RuleResult(
        rule,
        table,
        severity,
        outcome(not broken, severity),
        observed,
        threshold,
        column=column,
        detail=detail,
    )


def _row(frame: pd.DataFrame) -> dict[str, Any]:
    if frame.empty:
        return {}
    return {str(k): (None if pd.isna(v) else v) for k, v in frame.iloc[0].items()}


def check_line_totals(
    runner: SqlRunner, rule: LineTotalRule, as_of: date, check_days: int
) -> RuleResult:
    """``total_amount`` = ``quantity * price`` within the rule's tolerances."""
    first, scope = _scope(as_of, check_days)
    expected = "(t.quantity * t.price)"
    slack = f"greatest({rule.tolerance_abs!r}, {rule.tolerance_pct / 100!r} * {expected})"
    high = f"{expected} + {slack}"
    low = f"{expected} * {1 - rule.max_discount_pct / 100!r} - {slack}"
    broken = f"(t.total_amount > {high} or t.total_amount < {low})"
    base = f"from curated.transactions as t where {scope} and t.total_amount is not null"
    row = _row(
        runner.query(
            f"select count(*) as n, sum(case when {broken} then 1 else 0 end) as bad, "
            f"sum(case when {broken} and t.total_amount > {expected} then 1 else 0 end) as above "
            f"{base}"
        )
    )
    rows, bad = int(row.get("n") or 0), int(row.get("bad") or 0)
    share = _pct(bad, rows)
    tolerance = f"{rule.tolerance_pct:g}% or {rule.tolerance_abs:g}"
    if rule.max_discount_pct:
        tolerance += f", up to {rule.max_discount_pct:g}% below for discounts"
    if rows < rule.min_rows:
        detail = f"not judged: {rows:,} lines in {_span(first, as_of)} (at least {rule.min_rows})"
        return _result(
            "line_total",
            "curated.transactions",
            rule.severity,
            False,
            share,
            rule.max_share_pct,
            detail,
            "total_amount",
        )
    detail = (
        f"{bad:,} of {rows:,} lines ({share:g}%) of {_span(first, as_of)} have total_amount "
        f"off quantity x price by more than {tolerance}"
    )
    failing = share > rule.max_share_pct
    if bad:
        above = int(row.get("above") or 0)
        examples = runner.query(
            f"select t.transaction_id, t.quantity, t.price, t.total_amount {base} and {broken} "
            f"order by t.transaction_id limit {EXAMPLES}"
        )
        shown = "; ".join(
            f"{r.transaction_id}: {r.quantity:g} x {r.price:,.2f} = "
            f"{r.quantity * r.price:,.2f} but total {r.total_amount:,.2f}"
            for r in examples.itertuples(index=False)
        )
        detail += f" ({above:,} above, {bad - above:,} below), e.g. {shown}."
    else:
        detail += "."
    return _result(
        "line_total",
        "curated.transactions",
        rule.severity,
        failing,
        share,
        rule.max_share_pct,
        detail,
        "total_amount",
    )


def check_catalog_prices(
    runner: SqlRunner, rule: CatalogPriceRule, as_of: date, check_days: int
) -> RuleResult:
    """The unit price paid is within ``tolerance_pct`` of the catalog price."""
    first, scope = _scope(as_of, check_days)
    ratio = "(t.price / p.price)"
    hi, lo = 1 + rule.tolerance_pct / 100, max(0.0, 1 - rule.tolerance_pct / 100)
    broken = f"({ratio} > {hi!r} or {ratio} < {lo!r})"
    base = (
        "from curated.transactions as t join curated.products as p "
        f"on t.product_id = p.product_id where {scope} and p.price > 0 and t.price is not null"
    )
    row = _row(
        runner.query(
            f"select count(*) as n, sum(case when {broken} then 1 else 0 end) as bad {base}"
        )
    )
    rows, bad = int(row.get("n") or 0), int(row.get("bad") or 0)
    share = _pct(bad, rows)
    if rows < rule.min_rows:
        detail = (
            f"not judged: {rows:,} lines with a catalog price in {_span(first, as_of)} "
            f"(at least {rule.min_rows})"
        )
        return _result(
            "catalog_price",
            "curated.transactions",
            rule.severity,
            False,
            share,
            rule.max_share_pct,
            detail,
            "price",
        )
    detail = (
        f"{bad:,} of {rows:,} lines ({share:g}%) of {_span(first, as_of)} paid a unit price "
        f"more than {rule.tolerance_pct:g}% off the catalog price"
    )
    if bad:
        examples = runner.query(
            f"select t.transaction_id, t.product_id, t.price, p.price as catalog {base} "
            f"and {broken} order by t.transaction_id limit {EXAMPLES}"
        )
        shown = "; ".join(
            f"{r.transaction_id} ({r.product_id}): paid {r.price:,.2f}, catalog {r.catalog:,.2f}"
            for r in examples.itertuples(index=False)
        )
        detail += f", e.g. {shown}."
    else:
        detail += "."
    broken_rule = share > rule.max_share_pct
    return _result(
        "catalog_price",
        "curated.transactions",
        rule.severity,
        broken_rule,
        share,
        rule.max_share_pct,
        detail,
        "price",
    )


#: (later step, earlier step it needs) in the funnel.
FUNNEL_PAIRS = (
    ("purchase", "checkout_start"),
    ("checkout_start", "add_to_cart"),
    ("add_to_cart", "product_view"),
)


def check_funnel_order(
    runner: SqlRunner, rule: FunnelOrderRule, as_of: date, check_days: int
) -> RuleResult:
    """No session reaches a later funnel step without the earlier one."""
    first = as_of - timedelta(days=check_days - 1)
    steps = sorted({s for pair in FUNNEL_PAIRS for s in pair})
    flags = ", ".join(
        f"max(case when c.event_type = '{s}' then 1 else 0 end) as has_{s}" for s in steps
    )
    skips = ", ".join(
        f"sum(case when has_{later} = 1 and has_{earlier} = 0 then 1 else 0 end) "
        f"as {later}_without_{earlier}"
        for later, earlier in FUNNEL_PAIRS
    )
    any_skip = " or ".join(f"(has_{a} = 1 and has_{b} = 0)" for a, b in FUNNEL_PAIRS)
    row = _row(
        runner.query(f"""
with sessions as (
    select c.derived_session_id, {flags}
    from curated.clickstream as c
    where c.event_month >= '{first.strftime("%Y-%m")}'
        and c.event_date between date '{first.isoformat()}' and date '{as_of.isoformat()}'
    group by c.derived_session_id
)
select count(*) as n, sum(case when {any_skip} then 1 else 0 end) as bad, {skips}
from sessions
""")
    )
    sessions, bad = int(row.get("n") or 0), int(row.get("bad") or 0)
    share = _pct(bad, sessions)
    span = f"{first.isoformat()}..{as_of.isoformat()}"
    if sessions < rule.min_sessions:
        detail = f"not judged: {sessions:,} sessions in {span} (at least {rule.min_sessions})"
        return _result(
            "funnel_order",
            "curated.clickstream",
            rule.severity,
            False,
            share,
            rule.max_share_pct,
            detail,
            "event_type",
        )
    kinds = [
        f"{int(row.get(f'{a}_without_{b}') or 0):,} {a} without {b}"
        for a, b in FUNNEL_PAIRS
        if row.get(f"{a}_without_{b}")
    ]
    detail = (
        f"{bad:,} of {sessions:,} sessions ({share:g}%) of {span} reached a later funnel step "
        "without the earlier one" + (f": {', '.join(kinds)}." if kinds else ".")
    )
    return _result(
        "funnel_order",
        "curated.clickstream",
        rule.severity,
        share > rule.max_share_pct,
        share,
        rule.max_share_pct,
        detail,
        "event_type",
    )


def check_purchases_vs_lines(
    runner: SqlRunner, rule: PurchasesRule, as_of: date, check_days: int, baseline_days: int
) -> RuleResult:
    """Purchase events per order line on each checked day against the baseline ratio."""
    first = as_of - timedelta(days=check_days - 1)
    start = first - timedelta(days=baseline_days)
    frame = runner.query(f"""
with lines as (
    select t.transaction_date as day, count(*) as lines
    from curated.transactions as t
    where t.transaction_month >= '{start.strftime("%Y-%m")}'
        and t.transaction_date between date '{start.isoformat()}' and date '{as_of.isoformat()}'
    group by t.transaction_date
),

events as (
    select f.date as day, sum(f.purchases) as purchases
    from curated.daily_funnel as f
    where f.date between date '{start.isoformat()}' and date '{as_of.isoformat()}'
    group by f.date
)

select l.day, l.lines, coalesce(e.purchases, 0) as purchases
from lines as l
left join events as e on l.day = e.day
""")
    if frame.empty:
        return _result(
            "purchases_vs_lines",
            "curated.daily_funnel",
            rule.severity,
            False,
            None,
            rule.tolerance_pct,
            "not judged: no order lines in the window",
        )
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["lines"] = pd.to_numeric(frame["lines"]).astype(float)
    frame["purchases"] = pd.to_numeric(frame["purchases"]).astype(float)
    before = frame[frame["day"] < first]
    base_lines = float(before["lines"].sum())
    base_ratio = 100.0 * float(before["purchases"].sum()) / base_lines if base_lines else 0.0
    if base_lines < rule.min_lines or base_ratio < rule.min_ratio_pct:
        detail = (
            f"not judged: the feeds do not line up in the baseline ({base_ratio:.1f} purchase "
            f"events per 100 order lines over {base_lines:,.0f} lines)"
        )
        return _result(
            "purchases_vs_lines",
            "curated.daily_funnel",
            rule.severity,
            False,
            round(base_ratio, 2),
            rule.tolerance_pct,
            detail,
        )
    checked = frame[frame["day"] >= first].sort_values("day")
    off = []
    worst = 0.0
    for day, lines, purchases in checked[["day", "lines", "purchases"]].itertuples(index=False):
        if lines < rule.min_lines:
            continue
        ratio = 100.0 * purchases / lines
        change = 100.0 * (ratio - base_ratio) / base_ratio
        worst = change if abs(change) > abs(worst) else worst
        if abs(change) > rule.tolerance_pct:
            off.append(
                f"{day.isoformat()}: {purchases:,.0f} purchase events for {lines:,.0f} "
                f"lines ({ratio:.1f} per 100, {change:+.0f}%)"
            )
    detail = (
        f"purchase events per 100 order lines: {base_ratio:.1f} over the {baseline_days} "
        f"baseline days; "
        + ("; ".join(off) if off else f"every checked day within {rule.tolerance_pct:g}%")
        + "."
    )
    return _result(
        "purchases_vs_lines",
        "curated.daily_funnel",
        rule.severity,
        bool(off),
        round(worst, 2),
        rule.tolerance_pct,
        detail,
    )


def consistency_rules(
    runner: SqlRunner,
    settings: ConsistencySettings,
    *,
    as_of: date,
    check_days: int,
    baseline_days: int,
    tables: Optional[set[str]] = None,
) -> list[RuleResult]:
    """Every configured consistency rule whose tables the runner has."""

    def has(*names: str) -> bool:
        return tables is None or set(names) <= tables

    results = []
    if settings.line_total and has("curated.transactions"):
        results.append(check_line_totals(runner, settings.line_total, as_of, check_days))
    if settings.catalog_price and has("curated.transactions", "curated.products"):
        results.append(check_catalog_prices(runner, settings.catalog_price, as_of, check_days))
    if settings.funnel_order and has("curated.clickstream"):
        results.append(check_funnel_order(runner, settings.funnel_order, as_of, check_days))
    if settings.purchases_vs_lines and has("curated.transactions", "curated.daily_funnel"):
        results.append(
            check_purchases_vs_lines(
                runner, settings.purchases_vs_lines, as_of, check_days, baseline_days
            )
        )
    return results
