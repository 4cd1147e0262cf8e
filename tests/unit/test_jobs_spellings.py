"""A category's spelling over every catalog file: counts carried from run to run, the
catalog respelled when the most used spelling changes (docs/adr/0002-incremental-runs.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Optional

import pandas as pd
import pytest

from pipeline_lib import jobs
from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.storage import LocalLake, Zone
from pipeline_lib.transform import standardize_products

TODAY = date(2026, 11, 28)
PRODUCTS = "processed.products"


def item(product_id: str, category: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "product_id": product_id,
        "name": "Lamp",
        "category": category,
        "brand": "Lumo",
        "price": 20.0,
        "stock": 5,
    }
    return {**row, **overrides}


#: Delivery 1 ties ("LIGHTING" wins by sort order); delivery 2 spells "Lighting" more
#: often, counting a lamp sent three times and a product sent again with a new price: by
#: the rows fed "Lighting" wins 4 to 3, by the products kept it would be a tie.
FIRST = [item("p1", "Lighting"), item("p2", "LIGHTING"), item("p3", "Books")]
SECOND = [
    item("p4", "Lighting"),
    item("p4", "Lighting", stock=4),
    item("p4", "Lighting", stock=3),
    item("p5", "LIGHTING"),
    item("p2", "LIGHTING", price=19.0),
]


def ingest(lake: LocalLake, inbox: Path, name: str, rows: list[dict[str, Any]]) -> None:
    path = inbox / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ingest_paths([path], lake, IngestionSettings(), today=TODAY)
    assert report.counts["accepted"] == 1, report.summary()


def product_run(lake: LocalLake, run_id: str, base: Optional[str]) -> int:
    """What notebooks/etl/product_enrichment.py does in run ``run_id``."""
    jobs.pin_inputs(lake, run_id, base={"products": base})
    ctx = jobs.JobContext(lake=lake, run_id=run_id, as_of=TODAY)
    base_run = jobs.base_run(ctx, "products")
    source = jobs.read_validated(ctx, "products", batch_only=True)
    spellings = jobs.count_spellings(ctx, source, base_run, ["category"])
    result = standardize_products(source.frame, spellings=spellings.usual("category"))
    jobs.merge_table(
        lake, Zone.PROCESSED, "products", run_id, result.data, key="product_id", base_run=base_run
    )
    return jobs.respell_products(lake, run_id, spellings.usual("category"), ctx.domains())


def catalog(lake: LocalLake, run_id: str) -> pd.DataFrame:
    return jobs.read_table(lake, Zone.PROCESSED, "products", run_id)


def categories(lake: LocalLake, run_id: str) -> dict[str, str]:
    frame = catalog(lake, run_id)
    return dict(zip(frame["product_id"], frame["category"]))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def at_once(tmp_path: Path, inbox: Path, *deliveries: list[dict[str, Any]]) -> LocalLake:
    lake = LocalLake(tmp_path / "at_once")
    for n, rows in enumerate(deliveries):
        ingest(lake, inbox, f"products_{n}.jsonl", rows)
    product_run(lake, "all", None)
    return lake


def test_daily_runs_spell_a_category_as_one_run_over_every_file(
    tmp_path: Path, inbox: Path
) -> None:
    lake = LocalLake(tmp_path / "daily")
    ingest(lake, inbox, "products_0.jsonl", FIRST)
    assert product_run(lake, "r1", None) == 0
    assert set(categories(lake, "r1").values()) == {"LIGHTING", "Books"}
    ingest(lake, inbox, "products_1.jsonl", SECOND)
    assert product_run(lake, "r2", "r1") == 1  # p1, the one row the batch did not bring

    everything = at_once(tmp_path, inbox, FIRST, SECOND)
    pd.testing.assert_frame_equal(catalog(lake, "r2"), catalog(everything, "all"))
    assert categories(lake, "r2") == {
        "p1": "Lighting",
        "p2": "Lighting",
        "p3": "Books",
        "p4": "Lighting",
        "p5": "Lighting",
    }
    assert catalog(lake, "r2")["department"].tolist() == [
        "Lighting",
        "Lighting",
        "Media",
        "Lighting",
        "Lighting",
    ]
    counts = {"Books": 1, "LIGHTING": 3, "Lighting": 4}
    assert jobs.load_spellings(lake, "r2", "products") == jobs.Spellings(
        "products", {"category": counts}
    )
    assert jobs.load_spellings(everything, "all", "products") == jobs.load_spellings(
        lake, "r2", "products"
    )
    # The live version is left as it was: a failed run 2 would change nothing.
    assert set(categories(lake, "r1").values()) == {"LIGHTING", "Books"}


def test_a_run_that_never_published_leaves_the_counts_as_they_were(
    tmp_path: Path, inbox: Path
) -> None:
    lake = LocalLake(tmp_path / "daily")
    ingest(lake, inbox, "products_0.jsonl", FIRST)
    product_run(lake, "r1", None)
    ingest(lake, inbox, "products_1.jsonl", SECOND)
    product_run(lake, "failed", "r1")  # its versions are never published: r1 stays live
    third = [item("p6", "LIGHTING"), item("p7", "LIGHTING")]
    ingest(lake, inbox, "products_2.jsonl", third)
    product_run(lake, "r3", "r1")  # reads the files of the failed run again, and the new one

    everything = at_once(tmp_path, inbox, FIRST, SECOND, third)
    pd.testing.assert_frame_equal(catalog(lake, "r3"), catalog(everything, "all"))
    assert set(categories(lake, "r3").values()) == {"LIGHTING", "Books"}  # 5 to 4
    assert jobs.load_spellings(lake, "r3", "products") == jobs.load_spellings(
        everything, "all", "products"
    )


def test_a_base_that_recorded_no_counts_is_recounted_from_every_file(
    tmp_path: Path, inbox: Path
) -> None:
    lake = LocalLake(tmp_path / "daily")
    ingest(lake, inbox, "products_0.jsonl", FIRST)
    product_run(lake, "r1", None)
    lake.path(Zone.META, "runs/r1/spellings/products.json").unlink()  # an older version's run
    ingest(lake, inbox, "products_1.jsonl", SECOND)
    product_run(lake, "r2", "r1")

    everything = at_once(tmp_path, inbox, FIRST, SECOND)
    pd.testing.assert_frame_equal(catalog(lake, "r2"), catalog(everything, "all"))
    assert jobs.load_spellings(lake, "r2", "products") == jobs.load_spellings(
        everything, "all", "products"
    )


def test_rejected_rows_count_and_respell_a_catalog_shared_with_the_live_version(
    tmp_path: Path, inbox: Path
) -> None:
    """A batch of rejected rows only: the merge shares the live file, the respelling writes
    this version's own file and leaves the live one alone."""
    lake = LocalLake(tmp_path / "daily")
    ingest(lake, inbox, "products_0.jsonl", FIRST)
    product_run(lake, "r1", None)
    broken = [item(f"x{n}", "Lighting", price=0.0) for n in range(3)]
    ingest(lake, inbox, "products_1.jsonl", broken)
    assert product_run(lake, "r2", "r1") == 2

    assert set(categories(lake, "r2").values()) == {"Lighting", "Books"}
    assert set(categories(lake, "r1").values()) == {"LIGHTING", "Books"}
    live = lake.path(Zone.PROCESSED, "products/run-r1/part-0.parquet")
    new = lake.path(Zone.PROCESSED, "products/run-r2/part-0.parquet")
    assert live.stat().st_ino != new.stat().st_ino
    record = json.loads(lake.read_bytes(Zone.META, f"runs/r2/tables/{PRODUCTS}.json"))
    assert record["partitions"] == {"part-0.parquet": "r2"}
    everything = at_once(tmp_path, inbox, FIRST, broken)
    pd.testing.assert_frame_equal(catalog(lake, "r2"), catalog(everything, "all"))


def test_a_full_build_counts_from_nothing(tmp_path: Path, inbox: Path) -> None:
    lake = LocalLake(tmp_path / "daily")
    ingest(lake, inbox, "products_0.jsonl", FIRST)
    product_run(lake, "r1", None)
    ingest(lake, inbox, "products_1.jsonl", SECOND)
    product_run(lake, "full", None)  # --full-refresh: every file, no base
    recorded = json.loads(lake.read_bytes(Zone.META, "runs/full/spellings/products.json"))
    assert recorded == {
        "base": None,
        "counts": {"category": {"Books": 1, "LIGHTING": 3, "Lighting": 4}},
        "dataset": "products",
    }
