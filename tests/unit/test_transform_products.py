"""standardize_products, category_dimension and inventory_metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline_lib.schemas import CATEGORIES, PRODUCTS, domains_from_params
from pipeline_lib.transform import (
    REJECT_REASON,
    SOURCE_ORDER,
    category_dimension,
    contract_frame,
    inventory_metrics,
    standardize_products,
)
from pipeline_lib.transform._values import spelling_counts, usual_spellings
from pipeline_lib.transform.products import CLEAN_PRODUCT_COLUMNS, respell_categories

AS_OF = dt.date(2025, 3, 31)


def product(product_id: str, order: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "product_id": product_id,
        "name": "Wireless Mouse",
        "category": "Electronics",
        "brand": "TechBrand",
        "price": 10.0,
        "stock": 100,
        SOURCE_ORDER: order,
    }
    row.update(overrides)
    return row


def products(*rows: dict[str, Any]) -> pd.DataFrame:
    return contract_frame(pd.DataFrame(list(rows)), PRODUCTS)


def test_category_dimension_covers_every_category_once() -> None:
    dimension = category_dimension()
    assert dimension["category"].tolist() == list(CATEGORIES)
    assert dimension["category_id"].is_unique
    ids = dict(zip(dimension["category"], dimension["category_id"]))
    departments = dict(zip(dimension["category"], dimension["department"]))
    assert ids["Home & Kitchen"] == "home-kitchen"
    assert ids["Sports & Outdoors"] == "sports-outdoors"
    assert departments["Electronics"] == "Technology"
    assert departments["Grocery"] == "Food"


def test_categories_matched_case_insensitively_and_text_trimmed() -> None:
    raw = products(
        product(
            "prod_2", 1, category="  home &  KITCHEN ", name="  Big   Pan ", brand=" Cook\tCo "
        ),
        product("prod_1", 2, category="electronics"),
    )
    result = standardize_products(raw)
    data = result.data
    assert tuple(data.columns) == CLEAN_PRODUCT_COLUMNS
    assert data["product_id"].tolist() == ["prod_1", "prod_2"]
    assert data["category"].tolist() == ["Electronics", "Home & Kitchen"]
    assert data["category_id"].tolist() == ["electronics", "home-kitchen"]
    assert data["department"].tolist() == ["Technology", "Home"]
    assert data["name"].tolist() == ["Wireless Mouse", "Big Pan"]
    assert data["brand"].tolist() == ["TechBrand", "Cook Co"]


def test_a_new_category_is_kept_as_fed_and_noted_with_its_count() -> None:
    raw = products(
        product("a1", 1, category=" garden  furniture "),
        product("a2", 2, category="Garden furniture"),
        product("a3", 3, category="Garden furniture"),
        product("a4", 4, category="electronics"),
    )
    result = standardize_products(raw)
    data = result.data
    # One category, in the spelling most rows use; known ones keep their canonical spelling.
    assert data["category"].tolist() == ["Garden furniture"] * 3 + ["Electronics"]
    assert data["category_id"].tolist() == ["garden-furniture"] * 3 + ["electronics"]
    assert data["department"].tolist() == ["Garden furniture"] * 3 + ["Technology"]
    assert [(n.kind, n.value, n.rows) for n in result.notes] == [
        ("new_value", "Garden furniture", 3)
    ]


def test_whitespace_variants_are_one_spelling_when_counting() -> None:
    # "Pet Supplies" twice (once with a leading space) beats "PET SUPPLIES" once.
    raw = products(
        product("a1", 1, category="Pet Supplies"),
        product("a2", 2, category="PET SUPPLIES"),
        product("a3", 3, category=" Pet  Supplies"),
    )
    assert standardize_products(raw).data["category"].tolist() == ["Pet Supplies"] * 3


def test_spellings_counted_over_more_rows_decide_over_the_batch() -> None:
    """A daily run's batch spells a category one way; the whole history another."""
    batch = products(product("a1", 1, category="LIGHTING"), product("a2", 2, category="Lamps"))
    result = standardize_products(batch, spellings={"lighting": "Lighting", "electronics": "x"})
    # The history's spelling wins; a value it lacks keeps the batch's; known stay canonical.
    assert result.data["category"].tolist() == ["Lighting", "Lamps"]
    assert result.data["department"].tolist() == ["Lighting", "Lamps"]
    assert [(n.value, n.rows) for n in result.notes] == [("Lamps", 1), ("Lighting", 1)]
    known = standardize_products(
        products(product("a1", 1, category="ELECTRONICS")), spellings={"electronics": "x"}
    )
    assert known.data["category"].tolist() == ["Electronics"]


def test_counts_of_two_batches_add_up_to_the_counts_of_both() -> None:
    first = ["Lighting", "LIGHTING", "Garden", None]
    second = ["Lighting", " lighting", "Lighting", "LIGHTING", "LIGHTING"]
    both = pd.Series(first + second, dtype=pd.ArrowDtype(pa.string()))
    added = spelling_counts(pd.Series(first))
    for spelled, rows in spelling_counts(pd.Series(second)).items():
        added[spelled] = added.get(spelled, 0) + rows
    assert (
        added == spelling_counts(both) == {"Garden": 1, "LIGHTING": 3, "Lighting": 3, "lighting": 1}
    )
    # A tie goes to the first spelling in sort order, as standardize_products decides.
    assert usual_spellings(added)["lighting"] == "LIGHTING"
    rows = products(*(product(f"p{n}", n, category=c) for n, c in enumerate(first[:3] + second)))
    assert set(standardize_products(rows).data["category"]) == {"Garden", "LIGHTING"}


def test_respelling_the_catalog_follows_the_usual_spelling() -> None:
    catalog = standardize_products(
        products(
            product("a1", 1, category="LIGHTING"),
            product("a2", 2, category="Books"),
            product("a3", 3, category="Garden"),
            product("a4", 4, category="Lighting", color="red"),
        )
    ).data
    assert catalog["category"].tolist() == ["LIGHTING", "Books", "Garden", "LIGHTING"]
    respelled, changed = respell_categories(catalog, {"lighting": "Lighting", "books": "BOOKS"})
    assert changed == 2
    assert respelled["category"].tolist() == ["Lighting", "Books", "Garden", "Lighting"]
    assert respelled["department"].tolist() == ["Lighting", "Media", "Garden", "Lighting"]
    assert respelled["category_id"].tolist() == catalog["category_id"].tolist()
    assert respelled.dtypes.equals(catalog.dtypes) and respelled.columns.equals(catalog.columns)
    # What a run over every row with those spellings gives.
    again = standardize_products(
        products(
            product("a1", 1, category="LIGHTING"),
            product("a2", 2, category="Books"),
            product("a3", 3, category="Garden"),
            product("a4", 4, category="Lighting"),
        ),
        spellings={"lighting": "Lighting"},
    ).data
    pd.testing.assert_frame_equal(respelled[again.columns], again)
    unchanged, none = respell_categories(respelled, {"lighting": "Lighting"})
    assert none == 0 and unchanged is respelled
    lower = domains_from_params({"products": {"values": {"category": {"case": "lower"}}}})
    assert respell_categories(catalog, {"lighting": "Lighting"}, domains=lower)[1] == 0


def test_a_deployment_with_its_own_categories_knows_them() -> None:
    shop = domains_from_params(
        {"products": {"values": {"category": {"known": ["Garden Furniture", "Tools"]}}}}
    )
    result = standardize_products(
        products(product("a1", 1, category="garden furniture"), product("a2", 2, category="TOOLS")),
        domains=shop,
    )
    assert result.data["category"].tolist() == ["Garden Furniture", "Tools"]
    assert result.notes == []


def test_product_reject_reasons() -> None:
    raw = products(
        product("prod_1", 1, category="Gadgets", price=0.0),
        product("prod_2", 2, price=-1.0),
        product("prod_3", 3, stock=-5),
        product("prod_4", 4),
    )
    closed = domains_from_params(
        {"products": {"values": {"category": {"allowed": list(CATEGORIES), "action": "reject"}}}}
    )
    result = standardize_products(raw, domains=closed)
    assert dict(zip(result.rejects["product_id"], result.rejects[REJECT_REASON])) == {
        "prod_1": "unknown_category",
        "prod_2": "non_positive_price",
        "prod_3": "negative_stock",
    }
    assert result.rejects["category"].tolist()[0] == "Gadgets"
    assert result.data["product_id"].tolist() == ["prod_4"]


def test_product_dedup_keeps_latest_record() -> None:
    raw = products(
        product("prod_1", 3, price=12.0),
        product("prod_1", 1, price=10.0),
        product("prod_1", 2, price=11.0),
    )
    result = standardize_products(raw)
    assert result.data["price"].tolist() == [12.0]
    assert result.duplicates_removed == 2
    assert result.rows_in == 3


def sale(product_id: str, quantity: int, day: dt.date, status: str = "completed") -> dict[str, Any]:
    return {
        "product_id": product_id,
        "quantity": quantity,
        "transaction_date": day,
        "status": status,
    }


def test_inventory_window_and_stock_status_boundaries() -> None:
    catalog = standardize_products(
        products(
            product("prod_1", 1, stock=0),  # out of stock even with sales
            product("prod_2", 2, stock=139),  # cover 13.9 days -> low
            product("prod_3", 3, stock=140),  # cover exactly 14 -> ok
            product("prod_4", 4, stock=1800),  # cover exactly 180 -> ok
            product("prod_5", 5, stock=1801),  # cover 180.1 -> overstock
            product("prod_6", 6, stock=5),  # no sales -> overstock
        )
    ).data
    window_start = AS_OF - dt.timedelta(days=29)  # first day of the 30-day window
    sales = pd.DataFrame(
        [
            sale("prod_1", 30, AS_OF),
            *[sale(pid, 300, window_start) for pid in ("prod_2", "prod_3", "prod_4", "prod_5")],
            sale("prod_6", 50, window_start - dt.timedelta(days=1)),  # before the window
            sale("prod_6", 50, AS_OF + dt.timedelta(days=1)),  # after as_of
            sale("prod_6", 50, AS_OF, status="returned"),  # not a sale
        ]
    )
    result = inventory_metrics(catalog, sales, as_of=AS_OF, window_days=30)
    assert list(result.columns) == [
        *CLEAN_PRODUCT_COLUMNS,
        "stock_value",
        "units_sold_window",
        "avg_daily_units",
        "days_of_cover",
        "stock_status",
    ]
    assert result["units_sold_window"].tolist() == [30, 300, 300, 300, 300, 0]
    assert result["avg_daily_units"].tolist() == [1.0, 10.0, 10.0, 10.0, 10.0, 0.0]
    cover = result["days_of_cover"].tolist()
    assert cover[:5] == [0.0, 13.9, 14.0, 180.0, 180.1]
    assert cover[5] is pd.NA
    assert result["stock_status"].tolist() == [
        "out_of_stock",
        "low",
        "ok",
        "ok",
        "overstock",
        "overstock",
    ]
    assert result["stock_value"].tolist() == [0.0, 1390.0, 1400.0, 18000.0, 18010.0, 50.0]


def test_inventory_rejects_bad_window() -> None:
    with pytest.raises(ValueError, match="window_days"):
        inventory_metrics(pd.DataFrame(), pd.DataFrame(), as_of=AS_OF, window_days=0)


@pytest.mark.slow
def test_large_catalog_stays_vectorized() -> None:
    n_rows = 200_000
    rng = np.random.default_rng(3)
    raw = pd.DataFrame(
        {
            "product_id": [f"prod_{i}" for i in rng.integers(0, 100_000, n_rows)],
            "name": " Thing  x ",
            "category": rng.choice([" books", "GROCERY", "Toys & Games", "nope"], n_rows),
            "brand": "B",
            "price": rng.random(n_rows) * 10,
            "stock": rng.integers(-1, 500, n_rows),
            SOURCE_ORDER: np.arange(n_rows),
        }
    )
    result = standardize_products(raw)
    assert result.rows_in == n_rows
    sales = pd.DataFrame(
        {
            "product_id": [f"prod_{i}" for i in rng.integers(0, 100_000, n_rows)],
            "quantity": rng.integers(1, 4, n_rows),
            "transaction_date": AS_OF,
            "status": "completed",
        }
    )
    metrics = inventory_metrics(result.data, sales, as_of=AS_OF)
    assert len(metrics) == len(result.data)
