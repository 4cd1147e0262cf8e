"""Findings in words: what moved, by how much, against which history, where to look next.

Every anomaly (a daily metric, a mix, a run-level rate) and every consistency rule is
written for a data analyst who did not write the audit: the explanation names the metric
and what it measures, the observed and expected values, the change, the range and the
history it came from, then where to look first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional

import pandas as pd

from pipeline_lib.quality._metrics import MetricSpec, fmt

#: Where to look first when a rule warns or fails, by rule name.
RULE_HINTS: dict[str, str] = {
    "line_total": "the day's transactions file: a total_amount that includes tax or "
    "shipping, a discount the shop now applies, or price and total in different units",
    "catalog_price": "the product catalog (a stuck or late price feed?) and the unit prices "
    "of those lines (a currency or unit change?)",
    "funnel_order": "the clickstream of those sessions: a tracking tag removed from the "
    "page of the missing step, or an event renamed",
    "purchases_vs_lines": "whether both feeds are whole for that day: purchase tracking "
    "(thank-you page tag) against the transactions file",
    "duplicate_rate": "the files of this run: a file delivered twice, or an export that "
    "repeats its lines",
    "reject_rate": "the rejected rows in quarantine/etl_rejects/ and their reason",
    "row_count": "whether the day's files arrived, and arrived whole",
    "freshness": "whether the latest files arrived (a late or missing delivery?), or "
    "dates in the future (a time zone or date format change?)",
    "null_pct": "the columns the feed left empty (an export or mapping change?)",
    "new_values": "whether the new values are real (a new category) or a renamed one",
    "unknown_values_kept": "the feed's words for statuses; map them with "
    "feeds.transactions.values.status.synonyms",
    "unknown_references": "whether the catalog file arrived, or the product ids changed format",
    "referential_integrity": "whether the parent feed arrived whole, or ids changed format",
}


def weekday_plural(day: pd.Timestamp, points: int) -> str:
    name = day.strftime("%A")
    return f"{name}s" if points != 1 else name


def days_after(age: int) -> str:
    return "the same day" if age == 0 else f"{age} day{'s' if age != 1 else ''} after them"


def change(observed: float, expected: float, kind: str) -> tuple[Optional[float], str]:
    """The change as a percent of the expected value, and in words."""
    if kind == "rate":
        points = observed - expected
        pct = 100.0 * points / expected if expected else None
        return pct, f"{points:+.2f} points"
    if not expected or math.isnan(expected):
        return None, f"from {fmt(expected, kind)}"
    pct = 100.0 * (observed - expected) / abs(expected)
    if observed > 0 and expected > 0 and (observed / expected >= 3 or expected / observed >= 3):
        ratio = observed / expected
        return pct, f"{ratio:,.3g}x the expected value"
    return pct, f"{pct:+.0f}%"


def metric_explanation(
    metric: str,
    spec: MetricSpec,
    day: pd.Timestamp,
    observed: float,
    expected: float,
    low: float,
    high: float,
    baseline: str,
) -> tuple[str, str, Optional[float]]:
    """(explanation, next steps, change in percent) of a daily metric's anomaly."""
    direction = "below" if observed < low else "above"
    pct, moved = change(observed, expected, spec.kind)
    what = f"{metric} ({spec.label})" if spec.label else metric
    text = (
        f"{what} on {day.strftime('%a %Y-%m-%d')} was {fmt(observed, spec.kind)}, "
        f"{direction} the expected {fmt(expected, spec.kind)} "
        f"(range {fmt(low, spec.kind)}-{fmt(high, spec.kind)} from the median of {baseline}; "
        f"{moved})."
    )
    if spec.look_at:
        text += f" Look at {spec.look_at}."
    return text, spec.look_at, pct


def mix_explanation(
    dimension: str,
    day: pd.Timestamp,
    shift: float,
    threshold: float,
    baseline: str,
    movers: Sequence[tuple[str, float, float]],
    look_at: str,
) -> str:
    """The explanation of a mix shift; ``movers`` are (value, share now, usual share)."""
    moved = ", ".join(f"{v} {now:.1f}% (usually {usual:.1f}%)" for v, now, usual in movers)
    return (
        f"the {dimension} mix on {day.strftime('%a %Y-%m-%d')} moved {shift:.1f} points "
        f"from its usual shares (at most {threshold:.1f} expected, from {baseline}): "
        f"{moved}. Look at {look_at}."
    )


def rule_hint(rule: str) -> str:
    """Where to look first when ``rule`` warns or fails ("" when there is no hint)."""
    return RULE_HINTS.get(rule, "")
