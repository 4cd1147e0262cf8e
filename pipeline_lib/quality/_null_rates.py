"""The null percentage of every checked column, read from every kind of null rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.quality._model import PASS, RuleResult
from pipeline_lib.quality._style import STATUS_ORDER, empty_figure, number, status_color

_COLUMN_PERCENT = re.compile(r"'([A-Za-z_]\w*)':\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_ROWS_OF_TOTAL = re.compile(r"([\d,]+)\s+of\s+([\d,]+)\s+rows")


def null_rates_frame(rules: Iterable[RuleResult], *, match: str = "null") -> pd.DataFrame:
    """The null percentage of every checked column, one row per ``table.column``.

    A rule is a null check when its name contains ``match`` (case-insensitive) and it names
    a column. Several rules may check the same column (the configured ``null_pct`` rules,
    the contracts' ``not_null``, Great Expectations' ``expect_column_values_to_not_be_null``);
    each gives the percentage of null rows its own way, read here from:

    - an ``observed`` mapping with ``unexpected_percent`` (Great Expectations);
    - a ``detail`` with per-column percentages ``{'col': 1.5, ...}`` for a rule over a
      comma-separated list of columns (``null_pct``);
    - a ``detail`` reading ``"<n> of <total> rows"`` (null rows of all rows);
    - else ``observed`` itself when the rule's name says it is a percentage (``pct``).

    Rules none of these fit are left out. Per column: the highest percentage, the worst
    status, the strictest percentage threshold (the ``pct`` rules' maximum, or 0 for a rule
    that allows none) and the rules' names.

    Returns
    -------
    pandas.DataFrame
        Columns ``table, column, subject, null_pct, threshold, status, rules``, highest
        percentage first (then worst status, then subject).
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules:
        if not rule.column or match.lower() not in rule.rule.lower():
            continue
        for column, percent, status in _null_percentages(rule):
            entry = found.setdefault(
                (rule.table, column),
                {"null_pct": percent, "thresholds": [], "status": PASS, "rules": []},
            )
            entry["null_pct"] = max(entry["null_pct"], percent)
            if STATUS_ORDER.get(status, 3) < STATUS_ORDER.get(entry["status"], 3):
                entry["status"] = status
            if rule.rule not in entry["rules"]:
                entry["rules"].append(rule.rule)
            threshold = number(rule.threshold)
            if threshold is not None and (threshold == 0 or "pct" in rule.rule.lower()):
                entry["thresholds"].append(threshold)
    rows = [
        {
            "table": table,
            "column": column,
            "subject": f"{table}.{column}",
            "null_pct": entry["null_pct"],
            "threshold": min(entry["thresholds"]) if entry["thresholds"] else None,
            "status": entry["status"],
            "rules": ", ".join(entry["rules"]),
        }
        for (table, column), entry in found.items()
    ]
    columns = ["table", "column", "subject", "null_pct", "threshold", "status", "rules"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame["threshold"] = pd.to_numeric(frame["threshold"], errors="coerce")
    frame["_status"] = frame["status"].map(lambda s: STATUS_ORDER.get(s, 3))
    frame = frame.sort_values(["null_pct", "_status", "subject"], ascending=[False, True, True])
    return frame.drop(columns="_status").reset_index(drop=True)


def _null_percentages(rule: RuleResult) -> list[tuple[str, float, str]]:
    """(column, percent of null rows, status) a null rule reports; empty if it cannot say.

    A rule over several columns broke only for the columns above its threshold: the others
    pass.
    """
    columns = [c.strip() for c in str(rule.column).split(",") if c.strip()]
    if isinstance(rule.observed, Mapping):
        percent = number(rule.observed.get("unexpected_percent"))
        return [(c, percent, rule.status) for c in columns] if percent is not None else []
    if len(columns) > 1:
        named = {c: float(v) for c, v in _COLUMN_PERCENT.findall(rule.detail)}
        if set(columns) <= set(named):
            limit = number(rule.threshold)
            return [
                (c, named[c], PASS if limit is not None and named[c] <= limit else rule.status)
                for c in columns
            ]
    counted = _ROWS_OF_TOTAL.search(rule.detail)
    if counted and len(columns) == 1:
        nulls, total = (int(g.replace(",", "")) for g in counted.groups())
        return [(columns[0], 100.0 * nulls / total if total else 0.0, rule.status)]
    observed = number(rule.observed)
    if observed is not None and "pct" in rule.rule.lower():
        return [(c, observed, rule.status) for c in columns]
    return []


def null_rates_figure(rules: Iterable[RuleResult], *, match: str = "null") -> go.Figure:
    """Null percentage of the columns that have nulls or a broken null rule.

    Bars (``meta["role"] == "null_pct"``) are coloured by the worst status of the column's
    null rules; ticks (``"threshold"``) mark the strictest threshold. Columns without nulls
    whose rules passed are only counted in the title, so a healthy lake shows a short
    message rather than hundreds of empty bars.
    """
    frame = null_rates_frame(rules, match=match)
    title = "Null rates per table and column"
    if frame.empty:
        return empty_figure(title, "No null checks in this report")
    shown = frame[(frame["null_pct"] > 0) | (frame["status"] != PASS)]
    if shown.empty:
        return empty_figure(title, f"No nulls in the {len(frame)} checked columns")
    title += f" ({len(shown)} of {len(frame)} checked columns have nulls or failed)"
    # Horizontal bars list bottom-up: reverse so the highest rate is at the top.
    shown = shown.iloc[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=shown["null_pct"],
            y=shown["subject"],
            orientation="h",
            marker={"color": [status_color(s) for s in shown["status"]]},
            name="null rows (%)",
            customdata=shown[["status", "rules"]].to_numpy(),
            hovertemplate="%{y}: %{x:.3g}% null (%{customdata[0]}; %{customdata[1]})"
            "<extra></extra>",
            meta={"role": "null_pct"},
        )
    )
    limits = shown[shown["threshold"].notna()]
    if not limits.empty:
        fig.add_trace(
            go.Scatter(
                x=limits["threshold"],
                y=limits["subject"],
                mode="markers",
                marker={
                    "symbol": "line-ns-open",
                    "size": 22,
                    "color": "#202124",
                    "line": {"width": 3},
                },
                name="threshold",
                hovertemplate="%{y}: at most %{x:.3g}%<extra></extra>",
                meta={"role": "threshold"},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="null rows (%)",
        xaxis_rangemode="tozero",
        height=max(260, 140 + 28 * len(shown)),
        showlegend=False,
        margin={"l": 240},
    )
    return fig
