"""Top products by category: one top_products query per category, shares and conclusions."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pipeline_lib.analytics import products

CATEGORIES = pd.DataFrame(
    {
        "category": ["Electronics", "Books", "Grocery"],
        "orders": [10, 6, 2],
        "unique_customers": [8, 5, 2],
        "units_sold": [12, 7, 2],
        "revenue": [600.0, 300.0, 100.0],
        "avg_order_value": [60.0, 50.0, 50.0],
        "revenue_share": [60.0, 30.0, 10.0],
    }
)
TOP = {
    "Electronics": [("Keyboard", 3, 400.0, 3), ("Speaker", 2, 150.0, 2)],
    "Books": [("Novel", 4, 200.0, 4)],
    "Grocery": [],
}


class FakeQuery:
    """Answers top_products from TOP and records the calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, name: str, **params: Any) -> pd.DataFrame:
        assert name == "top_products"
        self.calls.append(params)
        rows = TOP[params["category"]][: params["top_n"]]
        columns = ["name", "total_quantity", "total_revenue", "unique_customers"]
        frame = pd.DataFrame(rows, columns=columns)
        frame.insert(1, "category", params["category"])
        return frame


def test_top_by_category_runs_one_query_per_category_and_computes_shares() -> None:
    query = FakeQuery()
    top = products.top_by_category(query, CATEGORIES, days=30, top_n=2)
    assert [c["category"] for c in query.calls] == ["Electronics", "Books", "Grocery"]
    assert all(c["days"] == 30 and c["top_n"] == 2 for c in query.calls)
    assert list(top.columns) == products.TOP_COLUMNS
    assert top[["category", "rank", "name"]].values.tolist() == [
        ["Electronics", 1, "Keyboard"],
        ["Electronics", 2, "Speaker"],
        ["Books", 1, "Novel"],
    ]
    assert top["category_share"].tolist() == pytest.approx([400 / 6, 25.0, 200 / 3])


def test_one_category_only() -> None:
    query = FakeQuery()
    top = products.top_by_category(query, CATEGORIES, days=7, top_n=5, category="Books")
    assert [c["category"] for c in query.calls] == ["Books"]
    assert top["name"].tolist() == ["Novel"]


def test_conclusions_name_the_leader_and_its_best_seller() -> None:
    top = products.top_by_category(FakeQuery(), CATEGORIES, days=30, top_n=2)
    sentences = products.conclusions(CATEGORIES, top, days=30)
    assert sentences[0] == (
        "Electronics leads the last 30 days with $600.00, 60.0% of completed revenue "
        "($1,000.00 in 3 categories)."
    )
    assert sentences[1] == "The top 3 categories earn 100.0%; the smallest, Grocery, 10.0%."
    assert sentences[2] == (
        "Best seller in Electronics: Keyboard with $400.00 from 3 customers, 66.7% of the category."
    )
    assert sentences[3] == (
        "The top 2 products of each category shown earn 75.0% of all completed revenue."
    )
    assert products.conclusions(CATEGORIES.iloc[0:0], top.iloc[0:0], days=7) == [
        "No completed sales in the last 7 days."
    ]


def test_figures() -> None:
    top = products.top_by_category(FakeQuery(), CATEGORIES, days=30, top_n=2)
    treemap = products.top_products_figure(top).data[0]
    assert list(treemap.parents) == ["", "", "c/Electronics", "c/Electronics", "c/Books"]
    assert list(treemap.values) == [550.0, 200.0, 400.0, 150.0, 200.0]
    bars = products.category_figure(CATEGORIES).data[0]
    assert list(bars.y) == ["Grocery", "Books", "Electronics"]  # biggest on top
