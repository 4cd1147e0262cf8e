"""Another shop's feeds, end to end: its own categories, id styles, statuses and events.

The files in tests/fixtures/second_shop/ come from a garden and home store (see
tests/fixtures/make_second_shop.py): hexadecimal order ids, UUID customers and sessions,
SKU product ids, ten categories of which two are ours, statuses such as shipped and
cancelled, search/login/remove_from_cart events, a smart-TV device, a coupon_code column
and sales of two products the catalog never listed. A user ingests and runs them with the
default settings: the run must publish, say what was new, and account for every row.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.catalog import LocalCatalog
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import CLI, RunCli

pytestmark = pytest.mark.integration

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "second_shop"
AS_OF = "2026-11-28"
COMPLETED_WORDS = {"shipped", "delivered"}


@dataclass
class ShopRun:
    lake: LocalLake
    record: dict[str, Any]
    stdout: str


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory: pytest.TempPathFactory) -> ShopRun:
    folder = tmp_path_factory.mktemp("second_shop")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PIPELINE_LAKE", None)
    env.pop("PIPELINE_ENV", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [CLI, "--lake", str(folder / "lake"), *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    ingested = cli("ingest", str(SHOP))
    assert "4 files: 4 accepted" in ingested.stdout
    ran = cli("run", "--date", AS_OF, "--run-id", "shop2", "--reports", str(folder / "reports"))
    lake = LocalLake(folder / "lake")
    record = json.loads(lake.read_bytes(Zone.META, "runs/shop2/run.json"))
    return ShopRun(lake=lake, record=record, stdout=ran.stdout)


def feed_rows(name: str) -> list[dict[str, str]]:
    with (SHOP / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def warnings(run: ShopRun) -> dict[tuple[str, str], str]:
    return {
        (rule["rule"], f"{rule['table']}.{rule['column']}"): rule["detail"]
        for rule in run.record["audit"]
        if rule["status"] == "warn"
    }


def test_the_run_publishes_with_default_settings(shop_run: ShopRun) -> None:
    assert shop_run.record["status"] == "succeeded", shop_run.record["error"]
    assert shop_run.record["quality"]["status"] == "warn"
    assert "run shop2 succeeded" in shop_run.stdout


def test_the_warnings_name_the_new_values_with_counts(shop_run: ShopRun) -> None:
    found = warnings(shop_run)
    categories = found[("new_values", "products.category")]
    assert categories.startswith("8 new category values: Garden 4 rows")
    events = found[("new_values", "clickstream.event_type")]
    for event in ("login", "search", "remove_from_cart"):
        assert f"{event} " in events
    assert "smart_tv" in found[("new_values", "clickstream.device")]
    backorders = sum(r["status"] == "backorder" for r in feed_rows("transactions_export.csv"))
    assert found[("unknown_values_kept", "transactions.status")] == (
        f"1 unknown status value kept as other: backorder {backorders} rows (first 2026-10-03)"
    )
    missing = found[("unknown_references", "transactions.product_id")]
    assert missing.startswith("3 of 170 rows (1.76%) name a product_id missing from the catalog")


def test_every_row_is_accounted_for_and_none_is_lost(shop_run: ShopRun) -> None:
    reconciliation = [r for r in shop_run.record["audit"] if r["rule"].startswith("row")]
    assert reconciliation and all(r["status"] == "pass" for r in reconciliation)
    stages = {(a["dataset"], a["stage"]): a for a in shop_run.record["accounting"]}
    assert stages[("transactions", "ingestion")]["rows_in"] == len(
        feed_rows("transactions_export.csv")
    )
    for stage in stages.values():  # nothing of this shop is an error: nothing is rejected
        assert stage["rejected"] == {}, stage
    tables = {t["table"]: t["rows"] for t in shop_run.record["tables"]}
    assert tables["curated.transactions"] == 170


def test_statuses_are_mapped_and_revenue_counts_completed_sales(
    shop_run: ShopRun, run_cli: RunCli
) -> None:
    with LocalCatalog(shop_run.lake).connect(read_only=True) as con:
        statuses = dict(
            con.execute("SELECT status, count(*) FROM curated.transactions GROUP BY 1").fetchall()
        )
        coupons = con.execute(
            "SELECT count(*) FROM curated.transactions WHERE coupon_code IS NOT NULL"
        ).fetchone()
    assert set(statuses) == {"completed", "cancelled", "refunded", "pending", "other"}
    lines = feed_rows("transactions_export.csv")
    assert statuses["completed"] == sum(r["status"] in COMPLETED_WORDS for r in lines)
    assert coupons == (sum(bool(r["coupon_code"]) for r in lines),)

    answer = run_cli(
        "--lake",
        str(shop_run.lake.root),
        "query",
        "revenue_by_category",
        "-p",
        "days=365",
        "--format",
        "json",
    )
    by_category = {row["category"]: row["revenue"] for row in json.loads(answer.stdout)}
    assert "Garden" in by_category and "Outdoor Furniture" in by_category
    expected = sum(
        float(r["total_amount"] or int(r["quantity"]) * float(r["price"]))
        for r in lines
        if r["status"] in COMPLETED_WORDS
    )
    assert sum(by_category.values()) == pytest.approx(expected, abs=0.05)


def test_the_funnel_and_top_products_answer(shop_run: ShopRun, run_cli: RunCli) -> None:
    lake = str(shop_run.lake.root)
    funnel = json.loads(
        run_cli(
            "--lake", lake, "query", "conversion_funnel", "-p", "days=60", "--format", "json"
        ).stdout
    )
    assert funnel and sum(day["purchases"] for day in funnel) > 0
    for day in funnel:  # search, login and remove_from_cart events do not enter the funnel
        assert day["page_views"] >= day["product_views"] >= day["add_to_carts"]
    top = json.loads(
        run_cli(
            "--lake", lake, "query", "top_products", "-p", "days=365", "--format", "json"
        ).stdout
    )
    assert top and {"name", "category", "total_revenue"} <= set(top[0])
