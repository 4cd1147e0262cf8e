"""Top products by category: each category's revenue share and its best-selling products.

Inputs are the rows of the named queries ``revenue_by_category`` and ``top_products``
(completed lines of the last N days).
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.analytics import display as d

#: Runs a named query: ``query(name, **params) -> rows`` (``Analysis.query``).
QueryFunction = Callable[..., pd.DataFrame]

TOP_COLUMNS = [
    "category",
    "rank",
    "name",
    "total_quantity",
    "total_revenue",
    "unique_customers",
    "category_share",
]


def top_by_category(
    query: QueryFunction,
    categories: pd.DataFrame,
    *,
    days: int,
    top_n: int,
    category: str = "",
) -> pd.DataFrame:
    """The ``top_n`` products of each category (or of ``category`` only), ranked by revenue.

    Parameters
    ----------
    query
        Runs a named query (``Analysis.query``); ``top_products`` is run once per category.
    categories
        ``revenue_by_category`` rows (category, revenue...), biggest first.
    days, top_n
        Passed to ``top_products``.
    category
        Only this category ('' = every category in ``categories``).

    Returns
    -------
    pandas.DataFrame
        ``TOP_COLUMNS``: category_share is the product's percent of its category's revenue.
    """
    names = [c for c in categories["category"].dropna().tolist() if not category or c == category]
    if category and category not in names:
        names = [category]
    revenue = dict(zip(categories["category"], categories["revenue"]))
    parts = []
    for name in names:
        rows = query("top_products", days=days, category=name, top_n=top_n)
        if rows.empty:
            continue
        rows = rows.copy()
        rows["rank"] = range(1, len(rows) + 1)
        total = float(revenue.get(name) or 0)
        rows["category_share"] = 100.0 * rows["total_revenue"] / total if total else float("nan")
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=TOP_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TOP_COLUMNS]


def conclusions(categories: pd.DataFrame, top: pd.DataFrame, *, days: int) -> list[str]:
    """Sentences about category shares and best sellers, computed from the frames."""
    sold = categories.dropna(subset=["category"])
    sold = sold[sold["revenue"] > 0]
    if sold.empty:
        return [f"No completed sales in the last {days} days."]
    total = float(categories["revenue"].sum())
    lead = sold.iloc[0]
    sentences = [
        f"{lead['category']} leads the last {days} days with {d.money(lead['revenue'])}, "
        f"{d.percent(lead['revenue_share'])} of completed revenue ({d.money(total)} in "
        f"{len(sold)} categories)."
    ]
    if len(sold) > 1:
        last = sold.iloc[-1]
        top3 = float(sold["revenue"].head(3).sum())
        sentences.append(
            f"The top {min(3, len(sold))} categories earn {d.percent(100 * top3 / total)}; "
            f"the smallest, {last['category']}, {d.percent(last['revenue_share'])}."
        )
    leaders = top[top["category"] == lead["category"]]
    if not leaders.empty:
        best = leaders.iloc[0]
        sentences.append(
            f"Best seller in {lead['category']}: {best['name']} with "
            f"{d.money(best['total_revenue'])} from {d.count(best['unique_customers'])} "
            f"customers, {d.percent(best['category_share'])} of the category."
        )
    if not top.empty and total:
        per_category = int(top.groupby("category")["rank"].max().max())
        share = 100.0 * float(top["total_revenue"].sum()) / total
        sentences.append(
            f"The top {per_category} products of each category shown earn "
            f"{d.percent(share)} of all completed revenue."
        )
    return sentences


def category_figure(categories: pd.DataFrame) -> go.Figure:
    """Completed revenue per category with its share, biggest on top."""
    title = "Completed revenue per category"
    rows = categories.dropna(subset=["category"])
    if rows.empty:
        return d.empty_figure(title, "No completed sales in this window")
    rows = rows.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=rows["revenue"],
            y=d.labels(rows["category"]),
            orientation="h",
            marker_color=d.PALETTE[0],
            text=[d.percent(s) for s in rows["revenue_share"]],
            textposition="auto",
            customdata=rows[["orders", "unique_customers"]].to_numpy(),
            hovertemplate="%{y}<br>%{x:$,.2f} · %{customdata[0]:,} orders · "
            "%{customdata[1]:,} customers<extra></extra>",
        )
    )
    fig.update_xaxes(tickprefix="$", separatethousands=True)
    return d.layout(fig, title, height=max(300, 40 * len(rows) + 120))


def top_products_figure(top: pd.DataFrame) -> go.Figure:
    """Categories and their top products as nested rectangles sized by revenue."""
    title = "Top products within each category (area = revenue)"
    if top.empty:
        return d.empty_figure(title, "No product sold in this window")
    category_revenue = top.groupby("category", sort=False)["total_revenue"].sum()
    ids = [f"c/{c}" for c in category_revenue.index]
    parents = [""] * len(category_revenue)
    names = d.labels(category_revenue.index)
    values = category_revenue.tolist()
    for row in top.itertuples(index=False):
        ids.append(f"p/{row.category}/{row.rank}")
        parents.append(f"c/{row.category}")
        names.append(d.label(row.name))
        values.append(row.total_revenue)
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=names,
            parents=parents,
            values=values,
            branchvalues="total",
            hovertemplate="%{label}<br>%{value:$,.2f}<extra></extra>",
            textinfo="label+value",
            texttemplate="%{label}<br>%{value:$,.0f}",
        )
    )
    return d.layout(fig, title, height=620)
