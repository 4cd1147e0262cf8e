"""Product recommendations: co-purchase pairs that have enough baskets behind them.

A *basket* is the set of distinct products one customer bought in completed lines on one
day (the feeds carry no order id, so two orders of a customer on one day are one basket).
For a pair of products a -> b:

- support = baskets with both / all baskets;
- confidence = baskets with both / baskets with a ("bought a, also bought b");
- lift = confidence / share of baskets with b (1 = as often as by chance);
- excess baskets = baskets with both - the baskets chance would give.

A pair is shown when its support reaches ``min_support`` (so the baskets it needs grow with
the data) and its lift ``min_lift``; pairs are ranked by excess baskets, which never exceed
the pair's own baskets, so pairs seen in a handful of baskets cannot top the list with the
large lift that rarity alone gives them. Inputs are the rows of the named queries
``co_purchase_bands`` and ``product_recommendations``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.analytics import display as d
from pipeline_lib.analytics.settings import AnalyticsSettings


@dataclass(frozen=True)
class Evidence:
    """How many baskets there are, and how many a pair needs to be shown."""

    baskets: int
    min_support: float
    min_lift: float
    required_baskets: int
    #: The fewest baskets of any pair the ETL kept (etl.affinity_min_pair_count applied).
    floor: int
    candidate_pairs: int
    shown_pairs: int


def thresholds(
    settings: AnalyticsSettings,
    *,
    min_support: Optional[float] = None,
    min_lift: Optional[float] = None,
) -> dict[str, float]:
    """Query parameters: the values given, else the deployment's (``analytics.recommendations``)."""
    own = settings.recommendations
    return {
        "min_support": own.min_support if min_support is None else float(min_support),
        "min_lift": own.min_lift if min_lift is None else float(min_lift),
    }


def required_baskets(baskets: int, min_support: float) -> int:
    """The fewest baskets a pair needs for ``support >= min_support`` (at least 1)."""
    return max(1, math.ceil(min_support * baskets - 1e-9))


def evidence(bands: pd.DataFrame, *, min_support: float, min_lift: float) -> Optional[Evidence]:
    """What ``co_purchase_bands`` says about the threshold; None when no pair was kept."""
    if bands.empty:
        return None
    baskets = int(bands["baskets"].max())
    return Evidence(
        baskets=baskets,
        min_support=min_support,
        min_lift=min_lift,
        required_baskets=required_baskets(baskets, min_support),
        floor=int(bands["min_pair_count"].min()),
        candidate_pairs=int(bands["pairs"].sum()),
        shown_pairs=int(bands["pairs_shown"].sum()),
    )


def bands_frame(bands: pd.DataFrame) -> pd.DataFrame:
    """``co_purchase_bands`` for reading: a ``baskets`` range label per band."""
    columns = ["baskets per pair", "pairs", "pairs shown", "highest lift", "most excess baskets"]
    if bands.empty:
        return pd.DataFrame(columns=columns)
    ranges = [
        f"{low:,}" if low == high else f"{low:,}-{high:,}"
        for low, high in zip(bands["min_pair_count"], bands["max_pair_count"])
    ]
    return pd.DataFrame(
        {
            "baskets per pair": ranges,
            "pairs": bands["pairs"].to_numpy(),
            "pairs shown": bands["pairs_shown"].to_numpy(),
            "highest lift": bands["max_lift"].to_numpy(),
            "most excess baskets": bands["max_excess_baskets"].to_numpy(),
        }
    )


def pairs_frame(recommendations: pd.DataFrame) -> pd.DataFrame:
    """``product_recommendations`` for reading: names, baskets, support, confidence, lift."""
    columns = [
        "customers who bought",
        "also bought",
        "category",
        "baskets",
        "support",
        "confidence",
        "lift",
        "excess baskets",
    ]
    if recommendations.empty:
        return pd.DataFrame(columns=columns)
    r = recommendations
    return pd.DataFrame(
        {
            "customers who bought": r["product_name"].to_numpy(),
            "also bought": r["recommended_product_name"].to_numpy(),
            "category": r["recommended_category"].to_numpy(),
            "baskets": r["pair_count"].to_numpy(),
            "support": r["support"].to_numpy(),
            "confidence": r["confidence"].to_numpy(),
            "lift": r["lift"].to_numpy(),
            "excess baskets": r["excess_baskets"].to_numpy(),
        }
    )


#: Formats of :func:`pairs_frame` for :func:`pipeline_lib.analytics.display.table`.
PAIR_FORMATS = {
    "baskets": "count",
    "support": "share",
    "confidence": "ratio",
    "lift": "lift",
    "excess baskets": "number",
}
BAND_FORMATS = {
    "pairs": "count",
    "pairs shown": "count",
    "highest lift": "lift",
    "most excess baskets": "number",
}


def conclusions(
    facts: Optional[Evidence], recommendations: pd.DataFrame, bands: pd.DataFrame
) -> list[str]:
    """What a basket is here, what the threshold asks, and the strongest pairs."""
    if facts is None:
        return ["No product pair was bought together often enough to be kept by the ETL."]
    if facts.required_baskets > facts.floor:
        bar = f"{d.plural(facts.required_baskets, 'basket')} here, a bar that rises with the data"
    else:
        bar = (
            f"{d.plural(facts.required_baskets, 'basket')} here: on this little data the "
            f"pipeline's own floor of {d.plural(facts.floor, 'basket')} per pair decides"
        )
    sentences = [
        f"{d.plural(facts.baskets, 'basket')} hold "
        f"{d.plural(facts.candidate_pairs, 'product pair')} bought together in at least "
        f"{d.plural(facts.floor, 'basket')}.",
        f"A pair is shown when at least {d.ratio(facts.min_support, 3)} of all baskets hold it "
        f"({bar}) and its lift is at least {d.number(facts.min_lift)}: "
        f"{d.plural(facts.shown_pairs, 'pair')} pass.",
    ]
    if not recommendations.empty:
        top = recommendations.iloc[0]
        sentences.append(
            f"Strongest: customers who bought {top['product_name']} also bought "
            f"{top['recommended_product_name']} in {d.ratio(top['confidence'])} of their "
            f"baskets ({d.plural(top['pair_count'], 'basket')}), {d.number(top['lift'])} times "
            f"as often as chance: {d.plural(top['excess_baskets'], 'basket')} beyond it."
        )
    if not bands.empty:
        noisiest = bands.loc[bands["max_lift"].idxmax()]
        if int(noisiest["min_pair_count"]) < facts.required_baskets:
            sentences.append(
                f"The highest lift, {d.number(noisiest['max_lift'], 1)}, belongs to a pair "
                f"seen in {d.count(noisiest['min_pair_count'])} to "
                f"{d.count(noisiest['max_pair_count'])} baskets: rare products get a large "
                "lift from a handful of baskets, so lift alone does not rank the pairs."
            )
    return sentences


def bands_figure(bands: pd.DataFrame, facts: Optional[Evidence]) -> go.Figure:
    """Pairs by the baskets behind them: shown or not, and the highest lift in each band."""
    title = "Co-purchase pairs by the number of baskets behind them"
    if bands.empty or facts is None:
        return d.empty_figure(title, "No product pair was kept")
    names = bands_frame(bands)["baskets per pair"]
    hidden = bands["pairs"] - bands["pairs_shown"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=bands["pairs_shown"], name="shown", marker_color=d.PALETTE[2]))
    fig.add_trace(go.Bar(x=names, y=hidden, name="below the thresholds", marker_color="#dadce0"))
    fig.add_trace(
        go.Scatter(
            x=names,
            y=bands["max_lift"],
            name="highest lift",
            yaxis="y2",
            mode="lines+markers",
            line={"color": d.PALETTE[4]},
            hovertemplate="%{x} baskets: highest lift %{y:,.1f}<extra></extra>",
        )
    )
    fig.update_layout(
        barmode="stack",
        yaxis={"title": {"text": "pairs"}, "type": "log"},
        yaxis2={
            "title": {"text": "highest lift"},
            "overlaying": "y",
            "side": "right",
            "type": "log",
            "showgrid": False,
        },
        xaxis={"title": {"text": f"baskets per pair (shown from {facts.required_baskets:,})"}},
    )
    return d.layout(fig, title, height=420)


def pairs_figure(recommendations: pd.DataFrame) -> go.Figure:
    """The pairs shown: baskets with both, split into chance and beyond chance."""
    title = "Strongest pairs: baskets with both products, beyond chance and by chance"
    if recommendations.empty:
        return d.empty_figure(title, "No pair passes the thresholds")
    rows = recommendations.iloc[::-1]
    names = [
        f"{d.label(a)} → {d.label(b)}"
        for a, b in zip(rows["product_name"], rows["recommended_product_name"])
    ]
    chance = rows["pair_count"] - rows["excess_baskets"]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=rows["excess_baskets"],
            orientation="h",
            name="beyond chance",
            marker_color=d.PALETTE[0],
            customdata=rows[["lift", "confidence"]].to_numpy(),
            hovertemplate="%{x:,.0f} baskets beyond chance · lift %{customdata[0]:.2f}"
            " · confidence %{customdata[1]:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=chance,
            orientation="h",
            name="by chance",
            marker_color="#c6dafc",
            hovertemplate="%{x:,.1f} baskets expected by chance<extra></extra>",
        )
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="baskets with both products")
    return d.layout(fig, title, height=max(320, 28 * len(rows) + 140))
