"""The funnel by device: steps, rates, the biggest drop-off and conclusions."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline_lib.analytics import funnel

BY_DEVICE = pd.DataFrame(
    {
        "device": ["mobile", "desktop"],
        "sessions": [1000, 500],
        "page_views": [1000, 500],
        "product_views": [500, 300],
        "add_to_carts": [50, 60],
        "checkouts": [30, 40],
        "purchases": [10, 20],
        "product_view_rate": [50.0, 60.0],
        "add_to_cart_rate": [5.0, 12.0],
        "checkout_rate": [3.0, 8.0],
        "conversion_rate": [1.0, 4.0],
    }
)


def test_funnel_steps_per_device_and_in_total() -> None:
    steps = funnel.funnel_steps(BY_DEVICE)
    assert steps["device"].unique().tolist() == ["mobile", "desktop", "all devices"]
    total = steps[steps["device"] == "all devices"].set_index("step")
    assert total["sessions"].tolist() == [1500, 800, 110, 70, 30]
    assert total["share_of_sessions"].tolist() == pytest.approx(
        [100, 800 / 15, 110 / 15, 70 / 15, 2.0]
    )
    assert math.isnan(total.loc["Page view", "step_rate"])
    assert total.loc["Add to cart", "step_rate"] == pytest.approx(100 * 110 / 800)
    drop = funnel.biggest_drop(steps)
    assert drop["step"] == "Add to cart"
    assert funnel.biggest_drop(steps, "desktop")["step"] == "Add to cart"


def test_conclusions() -> None:
    steps = funnel.funnel_steps(BY_DEVICE)
    assert funnel.conclusions(BY_DEVICE, steps, days=30) == [
        "1,500 sessions in the last 30 days on 2 devices; mobile brings 66.7% of them. "
        "2.00% of all sessions end in a purchase.",
        "desktop sessions convert best (4.00%), mobile least (1.00%), 4.0 times as often.",
        "Biggest drop-off: of the sessions that reached product view, 13.8% went on to add "
        "to cart.",
    ]
    empty = BY_DEVICE.iloc[0:0]
    assert funnel.conclusions(empty, funnel.funnel_steps(empty), days=7) == [
        "No sessions in the last 7 days."
    ]


def test_funnel_figure_has_one_series_per_device() -> None:
    fig = funnel.funnel_figure(funnel.funnel_steps(BY_DEVICE))
    assert [t.name for t in fig.data] == ["mobile", "desktop", "all devices"]
    assert list(fig.data[0].x) == [name for _, name in funnel.STEPS]
