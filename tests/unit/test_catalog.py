"""The catalog: schema evolution rules, atomic publish, DuckDB views, history and pruning."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline_lib.catalog import (
    LocalCatalog,
    SchemaChange,
    SchemaEvolutionError,
    compare_schemas,
    publish,
    read_published,
)
from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import TableVersion, write_table
from pipeline_lib.storage import LocalLake, Zone

AS_OF = date(2026, 11, 28)


# --- compare_schemas ------------------------------------------------------------------


def test_identical_columns_are_no_change() -> None:
    change = compare_schemas({"a": "INTEGER", "b": "VARCHAR"}, {"a": "INTEGER", "b": "VARCHAR"})
    assert change == SchemaChange()
    assert (change.kind, change.describe()) == ("none", "no change")


def test_added_column_is_additive() -> None:
    change = compare_schemas({"a": "INTEGER"}, {"a": "INTEGER", "b": "VARCHAR"})
    assert change.added == {"b": "VARCHAR"}
    assert (change.kind, change.describe()) == ("additive", "added b VARCHAR")


def test_integer_widened_to_bigint_is_additive() -> None:
    change = compare_schemas({"a": "INTEGER"}, {"a": "BIGINT"})
    assert change.widened == {"a": ("INTEGER", "BIGINT")}
    assert (change.kind, change.describe()) == ("additive", "widened a INTEGER->BIGINT")


def test_removed_column_is_breaking() -> None:
    change = compare_schemas({"a": "INTEGER", "b": "VARCHAR"}, {"a": "INTEGER"})
    assert change.removed == ["b"]
    assert (change.kind, change.describe()) == ("breaking", "removed b")


def test_varchar_to_bigint_is_incompatible_and_breaking() -> None:
    change = compare_schemas({"a": "VARCHAR"}, {"a": "BIGINT"})
    assert change.incompatible == {"a": ("VARCHAR", "BIGINT")}
    assert (change.kind, change.describe()) == ("breaking", "changed a VARCHAR->BIGINT")


def test_narrowing_bigint_to_integer_is_breaking() -> None:
    assert compare_schemas({"a": "BIGINT"}, {"a": "INTEGER"}).kind == "breaking"


def test_a_break_outweighs_an_addition() -> None:
    change = compare_schemas({"a": "INTEGER", "b": "VARCHAR"}, {"a": "BIGINT", "c": "DOUBLE"})
    assert change.kind == "breaking"
    assert change.describe() == "added c DOUBLE; widened a INTEGER->BIGINT; removed b"


# --- publish and the DuckDB catalog ---------------------------------------------------


def products(run: str, **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "product_id": ["prod_1", "prod_2", "prod_3"],
            "name": [f"{run} one", f"{run} two", f"{run} three"],
            "price": [1.5, 2.5, 3.5],
        }
    )
    for column, values in extra.items():
        frame[column] = values
    return frame


def write_products(lake: LocalLake, run: str, frame: pd.DataFrame) -> TableVersion:
    return write_table(lake, Zone.CURATED, "products", run, frame)


def query(lake: LocalLake, sql: str) -> list[tuple[object, ...]]:
    with LocalCatalog(lake).connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def columns_of(lake: LocalLake, view: str) -> list[str]:
    return [str(row[0]) for row in query(lake, f"DESCRIBE {view}")]


def test_publish_makes_the_views_queryable_read_only(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    version = write_products(lake, "r1", products("r1"))

    result = publish(lake, "r1", [version], as_of=AS_OF)

    assert result.published == ["curated.products"] and result.stopped == {}
    assert [(c.table, c.version, c.change) for c in result.changes] == [
        ("curated.products", 1, "new")
    ]
    assert query(lake, "SELECT product_id, name FROM curated.products ORDER BY 1") == [
        ("prod_1", "r1 one"),
        ("prod_2", "r1 two"),
        ("prod_3", "r1 three"),
    ]
    state = read_published(lake)
    assert (state.run_id, state.as_of, state.tables) == (
        "r1",
        "2026-11-28",
        {"curated.products": "r1"},
    )
    assert {row[0] for row in query(lake, "SELECT schema_name FROM duckdb_schemas()")} >= {
        "raw",
        "processed",
        "curated",
    }


def test_partitioned_table_view_exposes_the_month_as_text(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    frame = pd.DataFrame(
        {
            "transaction_id": ["txn_1", "txn_2"],
            "transaction_date": [date(2026, 10, 3), date(2026, 11, 4)],
        }
    )
    version = write_table(lake, Zone.CURATED, "transactions", "r1", frame)
    result = publish(lake, "r1", [version], as_of=AS_OF)

    assert result.changes[0].partitions == 2
    assert query(
        lake,
        "SELECT transaction_month, count(*) FROM curated.transactions "
        "WHERE transaction_month = '2026-11' GROUP BY ALL",
    ) == [("2026-11", 1)]


def test_additive_column_is_published_as_version_2(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    publish(lake, "r1", [write_products(lake, "r1", products("r1"))], as_of=AS_OF)
    v2 = write_products(lake, "r2", products("r2", stock=[5, 6, 7]))

    result = publish(lake, "r2", [v2], as_of=AS_OF)

    assert result.published == ["curated.products"]
    assert columns_of(lake, "curated.products") == ["product_id", "name", "price", "stock"]
    assert query(lake, "SELECT sum(stock) FROM curated.products") == [(18,)]
    history = LocalCatalog(lake).history("curated.products")
    assert [(h["version"], h["run_id"], h["change"]) for h in history] == [
        (1, "r1", "new"),
        (2, "r2", "additive"),
    ]
    assert history[1]["description"] == "added stock BIGINT"
    assert LocalCatalog(lake).latest_columns("curated.products") == {
        "product_id": "VARCHAR",
        "name": "VARCHAR",
        "price": "DOUBLE",
        "stock": "BIGINT",
    }


def test_republishing_the_same_schema_adds_no_history_version(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    publish(lake, "r1", [write_products(lake, "r1", products("r1"))], as_of=AS_OF)
    result = publish(lake, "r2", [write_products(lake, "r2", products("r2"))], as_of=AS_OF)

    assert [(c.version, c.change) for c in result.changes] == [(1, "none")]
    assert [h["version"] for h in LocalCatalog(lake).history("curated.products")] == [1]
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r2 one",)]


def test_breaking_change_is_not_published_and_is_quarantined(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    publish(lake, "r1", [write_products(lake, "r1", products("r1"))], as_of=AS_OF)
    rows_before = query(lake, "SELECT * FROM curated.products ORDER BY ALL")
    dropped = write_products(lake, "r2", products("r2").drop(columns=["name"]))

    result = publish(lake, "r2", [dropped], as_of=AS_OF)

    assert result.published == []
    assert result.stopped == {"curated.products": "removed name"}
    assert read_published(lake).tables == {"curated.products": "r1"}
    assert query(lake, "SELECT * FROM curated.products ORDER BY ALL") == rows_before
    assert [h["version"] for h in LocalCatalog(lake).history("curated.products")] == [1]
    record_path = tmp_path / "quarantine" / "schema" / "curated.products" / "run-r2.error.json"
    record = json.loads(record_path.read_text())
    assert record["table"] == "curated.products"
    assert record["run_id"] == "r2"
    assert record["reason"] == "breaking schema change: removed name"
    assert record["removed"] == ["name"]
    # The stopped version is kept for diagnosis.
    assert (tmp_path / "curated" / "products" / "run-r2").is_dir()


def test_breaking_change_of_one_table_does_not_stop_the_others(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    ratings = pd.DataFrame({"product_id": ["prod_1"], "rating": [4.5]})
    publish(
        lake,
        "r1",
        [
            write_products(lake, "r1", products("r1")),
            write_table(lake, Zone.CURATED, "product_ratings", "r1", ratings),
        ],
        as_of=AS_OF,
    )
    retyped = products("r2").assign(price=["cheap", "mid", "dear"])
    result = publish(
        lake,
        "r2",
        [
            write_products(lake, "r2", retyped),
            write_table(lake, Zone.CURATED, "product_ratings", "r2", ratings.assign(rating=[3.0])),
        ],
        as_of=AS_OF,
    )

    assert result.published == ["curated.product_ratings"]
    assert result.stopped == {"curated.products": "changed price DOUBLE->VARCHAR"}
    assert read_published(lake).tables == {
        "curated.products": "r1",
        "curated.product_ratings": "r2",
    }
    assert query(lake, "SELECT rating FROM curated.product_ratings") == [(3.0,)]


def test_prune_keeps_the_live_and_previous_versions_only(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    for run in ("r1", "r2", "r3"):
        publish(lake, run, [write_products(lake, run, products(run))], as_of=AS_OF)
    # A run that failed before publishing left versions behind in both zones.
    write_products(lake, "failed", products("failed"))
    write_table(lake, Zone.PROCESSED, "products", "failed", products("failed"))

    publish(lake, "r4", [write_products(lake, "r4", products("r4"))], as_of=AS_OF)

    curated = sorted(p.name for p in (tmp_path / "curated" / "products").iterdir())
    assert curated == ["run-r3", "run-r4"]
    assert list((tmp_path / "processed" / "products").iterdir()) == []
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r4 one",)]


def test_prune_keeps_tables_another_run_published(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    ratings = pd.DataFrame({"product_id": ["prod_1"], "rating": [4.5]})
    publish(
        lake, "r1", [write_table(lake, Zone.CURATED, "product_ratings", "r1", ratings)], as_of=AS_OF
    )
    for run in ("r2", "r3", "r4"):
        publish(lake, run, [write_products(lake, run, products(run))], as_of=AS_OF)

    assert read_published(lake).tables["curated.product_ratings"] == "r1"
    assert (tmp_path / "curated" / "product_ratings" / "run-r1").is_dir()
    assert query(lake, "SELECT count(*) FROM curated.product_ratings") == [(1,)]


def test_read_only_connect_without_a_catalog_says_how_to_build_it(tmp_path: Path) -> None:
    from pipeline_lib.exceptions import PipelineError

    with pytest.raises(PipelineError, match="ecom-pipeline run"):
        LocalCatalog(LocalLake(tmp_path)).connect(read_only=True)


# --- raw views: schema evolution of the feeds -----------------------------------------

TXN_HEADER = (
    "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
)


def test_raw_view_gains_a_column_when_a_feed_adds_one(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    plain = inbox / "transactions_1.csv"
    plain.write_text(f"{TXN_HEADER}\ntxn_1,cust_1,prod_1,2,9.99,19.98,2026-11-20,completed\n")
    ingest_paths([plain], lake, IngestionSettings(), today=AS_OF)
    catalog = LocalCatalog(lake)
    catalog.refresh()
    assert "coupon_code" not in columns_of(lake, "raw.transactions")

    extended = inbox / "transactions_2.csv"
    extended.write_text(
        f"{TXN_HEADER},coupon_code\ntxn_2,cust_2,prod_2,1,5.00,5.00,2026-11-21,completed,XMAS\n"
    )
    report = ingest_paths([extended], lake, IngestionSettings(), today=AS_OF)
    assert report.counts["accepted"] == 1, report.summary()
    changes = {c.table: c for c in catalog.refresh()}

    assert changes["raw.transactions"].change == "additive"
    assert changes["raw.transactions"].version == 2
    assert "added coupon_code VARCHAR" in changes["raw.transactions"].description
    assert "coupon_code" in columns_of(lake, "raw.transactions")
    assert query(lake, "SELECT transaction_id, coupon_code FROM raw.transactions ORDER BY 1") == [
        ("txn_1", None),
        ("txn_2", "XMAS"),
    ]
    assert [h["change"] for h in catalog.history("raw.transactions")] == ["new", "additive"]


def test_a_reader_holding_the_catalog_open_never_blocks_a_publish(tmp_path: Path) -> None:
    import subprocess
    import sys

    lake = LocalLake(tmp_path)
    publish(lake, "r1", [write_products(lake, "r1", products("r1"))], as_of=AS_OF)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(LocalCatalog(lake).path)!r}, read_only=True)\n"
            "print(con.execute('select min(name) from curated.products').fetchone()[0])\n"
            "sys.stdout.flush(); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "r1 one"  # the reader holds the file open
        publish(lake, "r2", [write_products(lake, "r2", products("r2"))], as_of=AS_OF)
        assert query(lake, "select min(name) from curated.products") == [("r2 one",)]
    finally:
        reader.kill()
        reader.wait()
    assert [p.name for p in (tmp_path / "_meta").iterdir() if p.name.endswith(".tmp")] == []


# --- a publish whose catalog build fails: all or nothing ------------------------------


class Killed(BaseException):
    """Stands in for the process being killed (not an Exception: nothing may catch it)."""


def fail_registering(
    monkeypatch: pytest.MonkeyPatch, table: str, error: BaseException
) -> list[str]:
    """Make the catalog build raise ``error`` when it reaches ``table``; return the tables
    it registered before (so a test can check the failure came partway through)."""
    original = LocalCatalog._register
    registered: list[str] = []

    def register(self: LocalCatalog, con: object, qualified: str, *args: object) -> object:
        if qualified == table:
            raise error
        registered.append(qualified)
        return original(self, con, qualified, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalCatalog, "_register", register)
    return registered


def publish_two_tables(lake: LocalLake, run: str) -> None:
    ratings = pd.DataFrame({"product_id": ["prod_1"], "rating": [float(run[1:])]})
    publish(
        lake,
        run,
        [
            write_table(lake, Zone.CURATED, "product_ratings", run, ratings),
            write_products(lake, run, products(run)),
        ],
        as_of=AS_OF,
    )


def meta_leftovers(lake: LocalLake) -> list[str]:
    return sorted(p.name for p in lake.path(Zone.META).iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    "error",
    [
        OSError(28, "No space left on device"),
        SchemaEvolutionError("raw.transactions: breaking schema change: removed status"),
        Killed(),
    ],
    ids=["disk-full", "schema-refusal", "killed"],
)
def test_a_catalog_build_failing_partway_leaves_the_previous_run_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    lake = LocalLake(tmp_path)
    publish_two_tables(lake, "r1")
    published_before = lake.read_bytes(Zone.META, "published.json")
    catalog_before = lake.read_bytes(Zone.META, "catalog.duckdb")
    registered = fail_registering(monkeypatch, "curated.products", error)

    with pytest.raises(type(error)):
        publish_two_tables(lake, "r2")

    assert registered == ["curated.product_ratings"]  # it failed partway, not up front
    assert lake.read_bytes(Zone.META, "published.json") == published_before
    assert lake.read_bytes(Zone.META, "catalog.duckdb") == catalog_before
    state = read_published(lake)
    assert (state.run_id, state.tables) == (
        "r1",
        {"curated.products": "r1", "curated.product_ratings": "r1"},
    )
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r1 one",)]
    assert query(lake, "SELECT rating FROM curated.product_ratings") == [(1.0,)]
    assert meta_leftovers(lake) == []  # no half-built catalog left next to the live one

    monkeypatch.undo()  # the disk has room again: the next publish goes through
    publish_two_tables(lake, "r3")
    assert set(read_published(lake).tables.values()) == {"r3"}
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r3 one",)]
    assert query(lake, "SELECT rating FROM curated.product_ratings") == [(3.0,)]


def test_a_failed_publish_does_not_make_the_next_prune_delete_the_live_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = LocalLake(tmp_path)
    for run in ("r1", "r2"):
        publish(lake, run, [write_products(lake, run, products(run))], as_of=AS_OF)
    with monkeypatch.context() as patched:
        fail_registering(patched, "curated.products", OSError(28, "No space left on device"))
        with pytest.raises(OSError):
            publish(lake, "r3", [write_products(lake, "r3", products("r3"))], as_of=AS_OF)
    versions = tmp_path / "curated" / "products"
    # Nothing is pruned by a failed publish: r2 is live, r1 its rollback.
    assert sorted(p.name for p in versions.iterdir()) == ["run-r1", "run-r2", "run-r3"]

    publish(lake, "r4", [write_products(lake, "r4", products("r4"))], as_of=AS_OF)

    # r2 was live when r4 was published, so it is the rollback version kept; the failed r3
    # was never live and goes.
    assert sorted(p.name for p in versions.iterdir()) == ["run-r2", "run-r4"]
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r4 one",)]


def test_killed_between_the_switch_and_published_json_readers_follow_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The catalog file is the one switch; published.json is its export, written after the
    # rename. A kill in between must not leave readers split between two runs.
    import pipeline_lib.catalog._local as local

    lake = LocalLake(tmp_path)
    publish(lake, "r1", [write_products(lake, "r1", products("r1"))], as_of=AS_OF)
    published_r1 = lake.read_bytes(Zone.META, "published.json")

    def killed(*args: object) -> None:
        raise Killed()

    with monkeypatch.context() as patched:
        patched.setattr(local, "write_published", killed)
        with pytest.raises(Killed):
            publish(lake, "r2", [write_products(lake, "r2", products("r2"))], as_of=AS_OF)

    assert lake.read_bytes(Zone.META, "published.json") == published_r1  # not written
    assert query(lake, "SELECT min(name) FROM curated.products") == [("r2 one",)]
    state = read_published(lake)  # follows the catalog in place, not the stale export
    assert (state.run_id, state.tables) == ("r2", {"curated.products": "r2"})

    LocalCatalog(lake).refresh()  # any later refresh (or publish) rewrites the export
    assert json.loads(lake.read_bytes(Zone.META, "published.json"))["run_id"] == "r2"
    assert read_published(lake) == state
