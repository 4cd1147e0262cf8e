"""A column a feed adds travels to the tables built from it, as a user meets it.

A transactions file with an extra ``coupon_code`` column lands beside a small generated
data set. Run once with ``feeds.transactions.drop_columns: [coupon_code]``: the column is
only in ``raw.transactions``. Run again without it: ``processed.transactions`` and
``curated.transactions`` carry it (the values of the rows that had it, NULL elsewhere) and
the catalog's version history records it as an additive change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline_lib.config import IngestionSettings, load_settings, params_dir
from pipeline_lib.generators import GeneratorConfig, generate_all
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.orchestration.pipeline import run_pipeline
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake
from tests.integration.test_cli_run import AS_OF, ingested_lake, query

pytestmark = pytest.mark.integration

COUPON_FILE = "transactions_coupons.csv"
COUPONS = {"txn_990000001": "SAVE10", "txn_990000002": "WELCOME5", "txn_990000003": "SAVE10"}
TABLES_WITH_COUPONS = ("processed.transactions", "curated.transactions")


def coupon_transactions(folder: Path, known: pd.DataFrame) -> Path:
    """Transaction lines of known products and customers, with a coupon_code column."""
    header = "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,"
    lines = [
        f"{txn},{row.customer_id},{row.product_id},1,10.00,10.00,{AS_OF},completed,{coupon}"
        for (txn, coupon), row in zip(COUPONS.items(), known.itertuples())
    ]
    path = folder / COUPON_FILE
    path.write_text("\n".join([header + "status,coupon_code", *lines]) + "\n", encoding="utf-8")
    return path


def params_dropping_coupons(folder: Path) -> Path:
    """A copy of params/ whose local.yaml drops coupon_code from the transactions feed."""
    shutil.copytree(params_dir(), folder)
    local = folder / "local.yaml"
    params = yaml.safe_load(local.read_text())
    params.setdefault("feeds", {}).setdefault("transactions", {})["drop_columns"] = ["coupon_code"]
    local.write_text(yaml.safe_dump(params, sort_keys=False))
    return folder


def columns(lake: LocalLake, table: str) -> list[str]:
    """The view's columns, without the partition column (read from the folder names)."""
    partition = TABLES[table].partition_column if table in TABLES else "ingest_date"
    return [str(row[0]) for row in query(lake, f"DESCRIBE {table}") if row[0] != partition]


def test_a_column_a_feed_adds_reaches_processed_and_curated_unless_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated = generate_all(
        tmp_path / "data",
        GeneratorConfig(transactions=400, seed=5, end_date=AS_OF, days=30, products=40),
    )
    lake = ingested_lake(tmp_path, generated)
    known = pd.read_csv(generated.files["transactions"], nrows=len(COUPONS), dtype=str)
    coupons = coupon_transactions(tmp_path, known)
    report = ingest_paths([coupons], lake, IngestionSettings(), today=AS_OF)
    assert report.counts["accepted"] == 1, report.summary()

    # Dropped on purpose: only the raw view shows it.
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(params_dropping_coupons(tmp_path / "params")))
    dropped = run_pipeline(
        lake,
        load_settings(env="local", lake=str(lake.root)),
        as_of=AS_OF,
        run_id="dropped",
        reports_dir=tmp_path / "reports",
    )

    assert dropped.succeeded, dropped.error
    assert "coupon_code" in columns(lake, "raw.transactions")
    for table in TABLES_WITH_COUPONS:
        assert "coupon_code" not in columns(lake, table), table
        assert columns(lake, table)[: len(TABLES[table].columns)] == TABLES[table].column_names

    # Kept (the default): it travels, and the catalog records an additive change.
    monkeypatch.delenv("PIPELINE_PARAMS_DIR")
    kept = run_pipeline(
        lake,
        load_settings(env="local", lake=str(lake.root)),
        as_of=AS_OF,
        run_id="kept",
        reports_dir=tmp_path / "reports",
    )

    assert kept.succeeded, kept.error
    assert kept.publish is not None and not kept.publish.stopped
    for table in TABLES_WITH_COUPONS:
        assert columns(lake, table) == [*TABLES[table].column_names, "coupon_code"], table
        with_coupon = query(
            lake,
            f"SELECT transaction_id, coupon_code FROM {table} WHERE coupon_code IS NOT NULL "
            "ORDER BY transaction_id",
        )
        assert dict(with_coupon) == COUPONS, table
        (without,) = query(lake, f"SELECT count(*) FROM {table} WHERE coupon_code IS NULL")
        (total,) = query(lake, f"SELECT count(*) FROM {table}")
        assert without[0] == total[0] - len(COUPONS) > 300, table

    history = query(
        lake,
        "SELECT table_name, change, description, run_id FROM catalog_meta.table_versions "
        "WHERE table_name IN ('processed.transactions', 'curated.transactions') "
        "ORDER BY table_name, version",
    )
    for table in TABLES_WITH_COUPONS:
        versions = [row[1:] for row in history if row[0] == table]
        assert versions[0][0] == "new" and versions[0][2] == "dropped"
        assert versions[-1] == ("additive", "added coupon_code VARCHAR", "kept"), versions
