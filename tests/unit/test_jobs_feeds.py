"""feeds.<dataset>.drop_columns: read and validated from params, applied by read_validated;
and the audit's table contract check, which lets a feed's extra columns through."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from pipeline_lib.config import ENVIRONMENTS, IngestionSettings, Settings, load_settings, params_dir
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import JobContext, feed_drop_columns, read_validated, write_table
from pipeline_lib.quality._table_contracts import check_table_contracts
from pipeline_lib.schemas import TABLES, TRANSACTIONS
from pipeline_lib.storage import LocalLake, Zone
from pipeline_lib.transform import SOURCE_ORDER

TODAY = date(2026, 11, 28)


def settings(feeds: Any) -> Settings:
    return Settings(env="local", lake="lake", params={"feeds": feeds})


# --- the params reader --------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_shipped_params_drop_nothing(env: str) -> None:
    dropped = feed_drop_columns(load_settings(env=env))
    assert dropped == {"transactions": (), "products": (), "clickstream": (), "reviews": ()}


def test_drop_columns_are_read_per_dataset() -> None:
    feeds = {
        "transactions": {"drop_columns": ["coupon_code", "gift_note", "coupon_code"]},
        # The value rules sit beside drop_columns in the same section (one reader for both).
        "products": {"values": {"category": {"action": "warn"}}},
        "clickstream": None,
        "reviews": {"drop_columns": None},
    }
    assert feed_drop_columns(settings(feeds)) == {
        "transactions": ("coupon_code", "gift_note"),
        "products": (),
        "clickstream": (),
        "reviews": (),
    }
    assert feed_drop_columns(Settings(env="local", lake="lake")) == feed_drop_columns(settings({}))


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        (["transactions"], "`feeds` must be a mapping of dataset -> settings"),
        (
            {"orders": {"drop_columns": []}},
            "feeds.orders: no such dataset; use one of transactions",
        ),
        ({"transactions": ["coupon_code"]}, "feeds.transactions must be a mapping"),
        (
            {"transactions": {"drop_columns": "coupon_code"}},
            "feeds.transactions.drop_columns must be a list of column names, e.g. [coupon_code]",
        ),
        (
            {"reviews": {"drop_columns": [3]}},
            "feeds.reviews.drop_columns must be a list of column names",
        ),
        (
            {"transactions": {"drop_columns": ["coupon_code", "status"]}},
            "feeds.transactions.drop_columns: status: contract columns of transactions cannot "
            "be dropped; list only columns the feed adds",
        ),
    ],
)
def test_invalid_drop_columns_say_where_and_what_to_do(feeds: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        feed_drop_columns(settings(feeds))
    text = str(raised.value)
    assert text.startswith("params/local.yaml: "), text  # settings built in code
    assert message in text


# --- read_validated applies it --------------------------------------------------------------

HEADER = ",".join(TRANSACTIONS.column_names)


def ingest_csv(lake: LocalLake, folder: Path, name: str, header: str, lines: list[str]) -> None:
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    report = ingest_paths([path], lake, IngestionSettings(), today=TODAY)
    assert report.counts["accepted"] == 1, report.summary()


@pytest.fixture
def coupon_lake(tmp_path: Path) -> LocalLake:
    """A transactions file without coupon_code, then one with it (and a clashing column)."""
    lake = LocalLake(tmp_path / "lake")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    row = "cust_1,prod_1,1,5.00,5.00,2026-11-20,completed"
    ingest_csv(lake, inbox, "transactions_1.csv", HEADER, [f"txn_1,{row}"])
    ingest_csv(
        lake,
        inbox,
        "transactions_2.csv",
        f"{HEADER},coupon_code,processing_date",
        [f"txn_2,{row},SAVE10,2020-01-01", f"txn_3,{row},,2020-01-01"],
    )
    return lake


def params_dropping(folder: Path, dataset: str, columns: list[str]) -> Path:
    shutil.copytree(params_dir(), folder)
    local = folder / "local.yaml"
    params = yaml.safe_load(local.read_text())
    params.setdefault("feeds", {}).setdefault(dataset, {})["drop_columns"] = columns
    local.write_text(yaml.safe_dump(params, sort_keys=False))
    return folder


def test_read_validated_keeps_extra_columns_unless_params_drop_them(
    coupon_lake: LocalLake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = JobContext(lake=coupon_lake, run_id="r1", as_of=TODAY)
    caplog.set_level(logging.INFO, logger="pipeline_lib.jobs._feeds")

    frame = read_validated(ctx, "transactions").frame

    # The column named like the derived processing_date is left out, with a warning.
    assert list(frame.columns) == [*TRANSACTIONS.column_names, SOURCE_ORDER, "coupon_code"]
    coupons = frame["coupon_code"]
    assert coupons.isna().tolist()[0]  # the first file has no coupon_code
    assert coupons.tolist()[1] == "SAVE10"
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "processing_date" in warning.getMessage()
    assert "rename" in warning.getMessage()

    caplog.clear()
    monkeypatch.setenv(
        "PIPELINE_PARAMS_DIR",
        str(params_dropping(tmp_path / "params", "transactions", ["coupon_code"])),
    )
    dropped = read_validated(ctx, "transactions").frame

    assert list(dropped.columns) == [*TRANSACTIONS.column_names, SOURCE_ORDER]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and "coupon_code" in infos[0] and "drop_columns" in infos[0]


def test_a_contract_column_in_drop_columns_stops_the_read(
    coupon_lake: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = params_dropping(tmp_path / "params", "transactions", ["quantity"])
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    ctx = JobContext(lake=coupon_lake, run_id="r1", as_of=TODAY)
    with pytest.raises(ConfigError, match=r"feeds\.transactions\.drop_columns: quantity"):
        read_validated(ctx, "transactions")


# --- the audit's table contract check ------------------------------------------------------


def reviews_version(lake: LocalLake, run_id: str, schema: pa.Schema) -> Any:
    return write_table(lake, Zone.PROCESSED, "reviews", run_id, schema.empty_table())


def test_table_contracts_allow_nullable_extra_columns_after_the_documented_ones(
    lake: LocalLake,
) -> None:
    documented = TABLES["processed.reviews"].arrow_schema()
    with_extra = documented.append(pa.field("helpful_votes", pa.string()))
    versions = [
        reviews_version(lake, "extra", with_extra),
        reviews_version(lake, "retyped", with_extra.set(3, pa.field("rating", pa.string()))),
        reviews_version(lake, "missing", with_extra.remove(4)),
        reviews_version(lake, "strict", documented.append(pa.field("x", pa.int64(), False))),
        reviews_version(lake, "first", pa.schema([with_extra.field(6), *documented])),
    ]

    results = {
        r.table + "@" + v.run_id: r for r, v in zip(check_table_contracts(lake, versions), versions)
    }

    extra = results["processed.reviews@extra"]
    assert extra.status == "pass", extra.detail
    assert extra.detail == "6 columns as documented, plus 1 a feed added: helpful_votes"
    expected = {
        "retyped": "rating is string, not int64",
        "missing": "review_text string missing",
        "strict": "extra column x is not nullable",
        "first": "column order",
    }
    for run_id, problem in expected.items():
        result = results[f"processed.reviews@{run_id}"]
        assert result.status == "fail" and problem in result.detail, (run_id, result.detail)
