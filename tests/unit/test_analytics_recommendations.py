"""Recommendations: a threshold that scales with the baskets, and what the report says."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline_lib.analytics import recommendations
from pipeline_lib.analytics.settings import parse_analytics

HOSTILE = "<b>bold</b>"


def bands(baskets: int, shown: tuple[int, ...] = (0, 0, 40, 60)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "band_start": [1, 5, 25, 50],
            "min_pair_count": [3, 5, 26, 52],
            "max_pair_count": [4, 9, 49, 400],
            "pairs": [1000, 300, 40, 60],
            "pairs_shown": list(shown),
            "max_lift": [900.0, 300.0, 40.0, 12.0],
            "max_excess_baskets": [4.0, 8.9, 45.0, 380.0],
            "baskets": [baskets] * 4,
        }
    )


def pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["p1"],
            "product_name": ["Kettle"],
            "recommended_product_id": ["p2"],
            "recommended_product_name": [HOSTILE],
            "recommended_category": ["Grocery"],
            "pair_count": [400],
            "support": [400 / 500_000],
            "confidence": [0.25],
            "lift": [20.0],
            "excess_baskets": [380.0],
        }
    )


@pytest.mark.parametrize(
    ("baskets", "min_support", "needed"),
    [(517_599, 0.0001, 52), (51_760, 0.0001, 6), (1_000, 0.0001, 1), (10_000, 0.0001, 1)],
)
def test_required_baskets_scale_with_the_data(
    baskets: int, min_support: float, needed: int
) -> None:
    assert recommendations.required_baskets(baskets, min_support) == needed
    # exactly the pairs whose support reaches min_support
    assert needed / baskets >= min_support - 1e-15
    assert needed == 1 or (needed - 1) / baskets < min_support


def test_thresholds_default_to_the_deployments() -> None:
    settings = parse_analytics({"recommendations": {"min_support": 0.0002, "min_lift": 1.2}})
    assert recommendations.thresholds(settings) == {"min_support": 0.0002, "min_lift": 1.2}
    given = recommendations.thresholds(settings, min_support=0.001, min_lift=None)
    assert given == {"min_support": 0.001, "min_lift": 1.2}


def test_evidence_and_conclusions_when_the_bar_is_above_the_floor() -> None:
    facts = recommendations.evidence(bands(500_000), min_support=0.0001, min_lift=1.0)
    assert facts is not None
    assert (facts.baskets, facts.required_baskets, facts.floor) == (500_000, 50, 3)
    assert (facts.candidate_pairs, facts.shown_pairs) == (1400, 100)
    sentences = recommendations.conclusions(facts, pairs(), bands(500_000))
    assert sentences == [
        "500,000 baskets hold 1,400 product pairs bought together in at least 3 baskets.",
        "A pair is shown when at least 0.010% of all baskets hold it (50 baskets here, a bar "
        "that rises with the data) and its lift is at least 1.00: 100 pairs pass.",
        f"Strongest: customers who bought Kettle also bought {HOSTILE} in 25.0% of their "
        "baskets (400 baskets), 20.00 times as often as chance: 380 baskets beyond it.",
        "The highest lift, 900.0, belongs to a pair seen in 3 to 4 baskets: rare products get "
        "a large lift from a handful of baskets, so lift alone does not rank the pairs.",
    ]


def test_conclusions_on_little_data_say_the_floor_decides() -> None:
    facts = recommendations.evidence(bands(2_000), min_support=0.0001, min_lift=1.0)
    assert facts is not None and facts.required_baskets == 1
    second = recommendations.conclusions(facts, pairs().iloc[0:0], bands(2_000))[1]
    assert "(1 basket here: on this little data the pipeline's own floor of 3 baskets per " in (
        second
    )
    assert recommendations.evidence(bands(1).iloc[0:0], min_support=0.1, min_lift=1) is None
    assert recommendations.conclusions(None, pairs(), bands(1)) == [
        "No product pair was bought together often enough to be kept by the ETL."
    ]


def test_frames_and_figures_for_the_report() -> None:
    shown = recommendations.pairs_frame(pairs())
    assert list(shown.columns) == [
        "customers who bought",
        "also bought",
        "category",
        "baskets",
        "support",
        "confidence",
        "lift",
        "excess baskets",
    ]
    assert recommendations.bands_frame(bands(10))["baskets per pair"].tolist() == [
        "3-4",
        "5-9",
        "26-49",
        "52-400",
    ]
    fig = recommendations.pairs_figure(pairs())
    assert list(fig.data[0].y) == ["Kettle → &lt;b&gt;bold&lt;/b&gt;"]  # escaped for plotly
    assert list(fig.data[0].x) == [380.0] and list(fig.data[1].x) == [20.0]
    facts = recommendations.evidence(bands(500_000), min_support=0.0001, min_lift=1.0)
    bars = recommendations.bands_figure(bands(500_000), facts)
    assert [t.name for t in bars.data] == ["shown", "below the thresholds", "highest lift"]
