"""Daily runs give what one run over all the files gives (docs/adr/0002-incremental-runs.md).

The second sample shop's feeds (tests/fixtures/second_shop, not our generator's data) are
cut into five deliveries by date, with what real daily feeds bring on top: late status
updates for orders of the first delivery sent with the last one, order lines sent again a
delivery later, a session whose events straddle midnight across two deliveries, and a
catalog delivery that spells a new category differently, more often, than the first. One
lake ingests and runs them day by day; another ingests them all and runs once. Every
published table and the answer of every named query must be the same, apart from
``processing_date`` (the date of the run that last wrote a row).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline_lib.catalog import read_published
from pipeline_lib.query import DuckDBEngine, load_query
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import CLI

pytestmark = pytest.mark.integration

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "second_shop"
SQL = Path(__file__).resolve().parents[2] / "sql"
#: First day of each delivery after the first (the shop's data spans 2026-09-30..11-28;
#: the first delivery is the backfill, big enough for the audit's minimum row counts).
CUTS = ("2026-11-07", "2026-11-12", "2026-11-17", "2026-11-23")
RUN_DAYS = ("2026-11-06", "2026-11-11", "2026-11-16", "2026-11-22", "2026-11-28")
LAST_DAY = RUN_DAYS[-1]
#: Clickstream events of delivery 2 that delivery 3 sends again.
RESENT_EVENTS = 10
#: Run metadata: the date of the run that last wrote the row.
RUN_COLUMNS = ("processing_date",)


def delivery_of(day: str) -> int:
    return sum(day >= cut for cut in CUTS)


def read_csv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    return read_csv_file(SHOP / name)


def read_csv_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def midnight_session() -> list[dict[str, Any]]:
    """A visit from 23:40 on the last day of delivery 3 to 00:12 on the first of 4."""
    base = {"session_id": "5f0c1e2a-midnight", "customer_id": None, "device": "desktop"}
    steps = [
        ("2026-11-16T23:40:00+00:00", "page_view", "/"),
        ("2026-11-16T23:48:00+00:00", "product_view", "/p/hose-reel"),
        ("2026-11-16T23:57:00+00:00", "add_to_cart", "/cart"),
        ("2026-11-17T00:04:00+00:00", "checkout_start", "/checkout"),
        ("2026-11-17T00:12:00+00:00", "page_view", "/checkout/done"),
    ]
    return [{**base, "timestamp": t, "event_type": e, "page": p} for t, e, p in steps]


def late_visit(first_delivery: list[str]) -> dict[str, Any]:
    """One page view of the busiest signed-in customer, a day before their first event."""
    signed_in = [e for e in map(json.loads, first_delivery) if e.get("customer_id")]
    busiest = max(
        sorted({e["customer_id"] for e in signed_in}),
        key=lambda c: sum(e["customer_id"] == c for e in signed_in),
    )
    first = min(e["timestamp"] for e in signed_in if e["customer_id"] == busiest)
    day_before = (datetime.fromisoformat(first) - timedelta(days=1)).isoformat()
    return {
        "session_id": "late-backlog-1",
        "customer_id": busiest,
        "event_type": "page_view",
        "page": "/",
        "timestamp": day_before,
        "device": "desktop",
    }


def make_deliveries(folder: Path) -> list[Path]:
    """Five delivery folders with the shop's files cut by date, plus late and repeated rows."""
    days = [folder / f"day{n + 1}" for n in range(len(CUTS) + 1)]
    header, lines = read_csv("transactions_export.csv")
    per_day: list[list[dict[str, str]]] = [[] for _ in days]
    for line in lines:
        per_day[delivery_of(line["transaction_date"])].append(line)
    # Late status updates: three October orders of the first delivery are refunded weeks later.
    for line in [line for line in per_day[0] if line["transaction_date"] < "2026-11"][:3]:
        per_day[-1].append({**line, "status": "refund"})
    # The same order lines sent again with the next delivery (a re-export).
    per_day[2].extend(dict(line) for line in per_day[1][:4])
    for day, rows in zip(days, per_day):
        write_csv(day / "transactions_export.csv", header, rows)

    header, reviews = read_csv("reviews_export.csv")
    for n, day in enumerate(days):
        write_csv(
            day / "reviews_export.csv",
            header,
            [r for r in reviews if delivery_of(r["review_date"]) == n],
        )

    events: list[list[str]] = [[] for _ in days]
    with (SHOP / "clickstream_events.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            events[delivery_of(json.loads(line)["timestamp"][:10])].append(line.rstrip("\n"))
    for event in midnight_session():
        events[delivery_of(event["timestamp"][:10])].append(json.dumps(event))
    # Events of delivery 2 sent again with delivery 3 (a tracker's retry).
    events[2].extend(events[1][:RESENT_EVENTS])
    # A tracker's backlog: the busiest customer's visit a day before their first one,
    # delivered last. It becomes their first session and renumbers every later one.
    events[-1].append(json.dumps(late_visit(events[0])))
    for day, rows in zip(days, events):
        (day / "clickstream_events.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")

    (days[0] / "products_catalog.jsonl").write_bytes((SHOP / "products_catalog.jsonl").read_bytes())
    (days[2] / "products_catalog.jsonl").write_text(
        "".join(json.dumps(p) + "\n" for p in later_lamps()), encoding="utf-8"
    )
    return days


def later_lamps() -> list[dict[str, Any]]:
    """Catalog rows of delivery 3 that spell the new category "Lighting" more often than
    delivery 1 (one "Lighting", one "LIGHTING": a tie, which "LIGHTING" wins by sort order).

    Counted over every row fed, as one run over all the files counts them, "Lighting" wins
    4 to 3: its lamp is sent three times (two older copies dropped as duplicates) and
    "String Lights" is sent again as "LIGHTING" (a new price: it replaces the live row).
    The rows kept would say otherwise (two products each), so the count must include
    duplicates and replaced rows, and the products of delivery 1 must be respelled.
    """
    lines = (SHOP / "products_catalog.jsonl").read_text(encoding="utf-8").splitlines()
    string_lights = next(p for p in map(json.loads, lines) if p["category"] == "LIGHTING")
    lamp = {
        "product_id": "SKU-LAMP01",
        "name": "Desk Lamp",
        "category": "Lighting",
        "brand": "Lumo",
        "price": 49.5,
        "stock": 40,
        "color": None,
    }
    return [
        lamp,
        {**lamp, "stock": 38},
        {**lamp, "stock": 35},
        {**lamp, "product_id": "SKU-LAMP02", "name": "Floor Lamp", "category": "LIGHTING"},
        {**string_lights, "price": 379.0},
    ]


@dataclass
class Lakes:
    daily: LocalLake
    at_once: LocalLake
    refreshed: LocalLake
    feeds: Path
    cli: Any


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> Lakes:
    folder = tmp_path_factory.mktemp("incremental")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PIPELINE_LAKE", None)
    env.pop("PIPELINE_ENV", None)

    def cli(lake: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [CLI, "--lake", str(folder / lake), *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    days = make_deliveries(folder / "feeds")
    reports = str(folder / "reports")
    for n, (day, run_day) in enumerate(zip(days, RUN_DAYS)):
        cli("daily", "ingest", str(day))
        cli("daily", "run", "--date", run_day, "--run-id", f"day{n + 1}", "--reports", reports)
    for day in days:
        cli("at_once", "ingest", str(day))
    cli("at_once", "run", "--date", LAST_DAY, "--run-id", "all", "--reports", reports)
    # The recovery path on a copy of the daily lake: everything rebuilt from its raw zone.
    shutil.copytree(folder / "daily", folder / "refreshed")
    cli(
        "refreshed",
        "run",
        "--date",
        LAST_DAY,
        "--run-id",
        "full",
        "--full-refresh",
        "--reports",
        reports,
    )
    return Lakes(
        LocalLake(folder / "daily"),
        LocalLake(folder / "at_once"),
        LocalLake(folder / "refreshed"),
        folder / "feeds",
        cli,
    )


def published_tables(lake: LocalLake) -> list[str]:
    return sorted(read_published(lake).tables)


def table_rows(lake: LocalLake, table: str) -> pd.DataFrame:
    """Every row of a published table (run metadata left out), in one canonical order."""
    with duckdb.connect(str(lake.path(Zone.META, "catalog.duckdb")), read_only=True) as db:
        frame = db.sql(f"select * from {table}").df()
    frame = frame.drop(columns=[c for c in RUN_COLUMNS if c in frame.columns])
    frame = frame[sorted(frame.columns)]
    return frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)


def query_answer(lake: LocalLake, name: str) -> list[dict[str, Any]]:
    engine = DuckDBEngine(lake, as_of=date.fromisoformat(LAST_DAY))
    return engine.run(name).to_records()


def named_queries() -> Iterator[str]:
    yield from sorted(path.stem for path in SQL.glob("*.sql"))


def test_every_daily_run_published(lakes: Lakes) -> None:
    for n in range(1, len(RUN_DAYS) + 1):
        record = json.loads(lakes.daily.read_bytes(Zone.META, f"runs/day{n}/run.json"))
        assert record["status"] == "succeeded", (n, record["error"])


def test_the_full_refresh_read_every_file(lakes: Lakes) -> None:
    inputs = json.loads(lakes.refreshed.read_bytes(Zone.META, "runs/full/inputs.json"))
    assert inputs["base"]["transactions"] is None
    assert inputs["batch"]["transactions"] == inputs["files"]["transactions"]
    assert len(inputs["files"]["transactions"]) == len(RUN_DAYS)


def test_daily_runs_read_only_the_files_that_arrived(lakes: Lakes) -> None:
    inputs = json.loads(lakes.daily.read_bytes(Zone.META, "runs/day3/inputs.json"))
    assert inputs["base"]["transactions"] == "day2"
    assert len(inputs["files"]["transactions"]) == 3
    assert len(inputs["batch"]["transactions"]) == 1
    record = json.loads(lakes.daily.read_bytes(Zone.META, "runs/day3/run.json"))
    etl = {(a["dataset"], a["stage"]): a for a in record["accounting"]}
    ingested = etl[("transactions", "ingestion")]
    assert ingested["rows_in"] == ingested["rows_out"] < 171  # one delivery, not the history


def test_a_late_status_update_rewrites_only_its_month(lakes: Lakes) -> None:
    """Delivery 5 holds late-November orders and three refunds of early orders."""
    _, first = read_csv_file(lakes.feeds / "day1" / "transactions_export.csv")
    _, last = read_csv_file(lakes.feeds / "day5" / "transactions_export.csv")
    early_ids = {line["transaction_id"]: line["transaction_date"][:7] for line in first}
    refunded_months = {
        early_ids[t["transaction_id"]] for t in last if t["transaction_id"] in early_ids
    }
    assert refunded_months and "2026-11" not in refunded_months
    record = json.loads(
        lakes.daily.read_bytes(Zone.META, "runs/day5/tables/processed.transactions.json")
    )
    rewritten = sorted(p for p, run in record["partitions"].items() if run == "day5")
    months = sorted(refunded_months | {"2026-11"})
    assert rewritten == [f"transaction_month={m}/part-0.parquet" for m in months]
    shared = sorted(set(record["partitions"]) - set(rewritten))
    assert shared, "an untouched month is shared with the live version"
    for part in shared:  # the very same file, not a copy
        live = lakes.daily.path(Zone.PROCESSED, f"transactions/run-day4/{part}")
        new = lakes.daily.path(Zone.PROCESSED, f"transactions/run-day5/{part}")
        assert new.stat().st_ino == live.stat().st_ino
    run = json.loads(lakes.daily.read_bytes(Zone.META, "runs/day5/run.json"))
    etl = {(a["dataset"], a["stage"]): a for a in run["accounting"]}
    assert etl[("transactions", "etl")]["replaced"] == 3


def test_a_daily_clickstream_run_shares_the_months_it_does_not_touch(lakes: Lakes) -> None:
    """Delivery 4 holds late-November events and the second half of the midnight visit."""
    record = json.loads(
        lakes.daily.read_bytes(Zone.META, "runs/day4/tables/processed.clickstream.json")
    )
    written_by = {part.split("/")[0]: run for part, run in record["partitions"].items()}
    assert written_by["event_month=2026-11"] == "day4"
    assert {written_by["event_month=2026-09"], written_by["event_month=2026-10"]} == {"day1"}
    sessions = lakes.daily.path(Zone.PROCESSED, "sessions/run-day4")
    midnight = duckdb.sql(
        f"select event_count, session_start, session_end from "
        f"read_parquet('{sessions}/*/*.parquet') "
        f"where session_id = '5f0c1e2a-midnight'"
    ).fetchall()
    assert len(midnight) == 1 and midnight[0][0] == 5, midnight


def test_resent_events_replace_their_copies(lakes: Lakes) -> None:
    run = json.loads(lakes.daily.read_bytes(Zone.META, "runs/day3/run.json"))
    etl = {(a["dataset"], a["stage"]): a for a in run["accounting"]}
    assert etl[("clickstream", "etl")]["replaced"] == RESENT_EVENTS


def test_a_late_visit_renumbers_the_customers_later_sessions(lakes: Lakes) -> None:
    late = json.loads(
        (lakes.feeds / "day5" / "clickstream_events.jsonl").read_text().splitlines()[-1]
    )
    rows = table_rows(lakes.daily, "curated.sessions")
    theirs = rows[rows["customer_id"] == late["customer_id"]].sort_values("session_start")
    assert len(theirs) >= 3
    assert theirs["session_id"].iloc[0] == late["session_id"]
    expected = [f"{late['customer_id']}-{n}" for n in range(1, len(theirs) + 1)]
    assert theirs["derived_session_id"].tolist() == expected
    record = json.loads(
        lakes.daily.read_bytes(Zone.META, "runs/day5/tables/processed.sessions.json")
    )
    assert record["partitions"][f"session_month={late['timestamp'][:7]}/part-0.parquet"] == "day5"


def test_a_spelling_used_more_often_later_respells_the_catalog(lakes: Lakes) -> None:
    """Delivery 3 spells "Lighting" more often than delivery 1: run 3 counts its rows on top
    of the counts run 2 carried, and respells the products delivery 1 brought."""
    lighting = {p["category"] for p in later_lamps()}
    counts = {}
    for run in ("day2", "day3", "day5"):
        record = json.loads(
            lakes.daily.read_bytes(Zone.META, f"runs/{run}/spellings/products.json")
        )
        counts[run] = {k: v for k, v in record["counts"]["category"].items() if k in lighting}
    assert counts == {
        "day2": {"LIGHTING": 1, "Lighting": 1},
        "day3": {"LIGHTING": 3, "Lighting": 4},
        "day5": {"LIGHTING": 3, "Lighting": 4},
    }
    run = json.loads(lakes.daily.read_bytes(Zone.META, "runs/day3/run.json"))
    etl = {(a["dataset"], a["stage"]): a for a in run["accounting"]}
    products = etl[("products", "etl")]
    assert (products["rows_in"], products["duplicates_removed"], products["replaced"]) == (5, 2, 1)
    catalog = table_rows(lakes.daily, "curated.products")
    lamps = catalog[catalog["category"].str.lower() == "lighting"]
    assert len(lamps) == 4
    assert set(lamps["category"]) == set(lamps["department"]) == {"Lighting"}


@pytest.mark.parametrize("which", ["daily", "refreshed"])
def test_every_published_table_matches_one_run_over_all_files(lakes: Lakes, which: str) -> None:
    lake = getattr(lakes, which)
    assert published_tables(lake) == published_tables(lakes.at_once)
    for table in published_tables(lakes.at_once):
        pd.testing.assert_frame_equal(
            table_rows(lake, table), table_rows(lakes.at_once, table), obj=table
        )


@pytest.mark.parametrize("name", list(named_queries()))
def test_every_named_query_answers_the_same(lakes: Lakes, name: str) -> None:
    assert query_answer(lakes.daily, name) == query_answer(lakes.at_once, name)


def test_the_named_queries_have_answers_to_compare(lakes: Lakes) -> None:
    """Equal empty answers prove nothing: every query answers, unless it reads a table this
    small shop leaves empty (no pair of products is in three baskets: no affinity)."""
    empty_tables = {
        t for t in published_tables(lakes.at_once) if table_rows(lakes.at_once, t).empty
    }
    for name in named_queries():
        if not set(load_query(name).tables) & empty_tables:
            assert query_answer(lakes.at_once, name), f"{name} answers nothing"
