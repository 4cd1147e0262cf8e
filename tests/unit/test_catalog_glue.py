"""Publishing to an S3 lake (moto): a conditional pointer, Glue tables, schema evolution.

Two runs that publish from the same state cannot both win; a breaking schema change stops
its table; Glue tables point at the published versions with projected monthly partitions;
old versions are pruned.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import Any

import pandas as pd
import pytest

from pipeline_lib.catalog import publish, read_published
from pipeline_lib.catalog._glue import PublishConflictError, read_pointer
from pipeline_lib.jobs import version_files, write_table
from pipeline_lib.storage import S3Lake, Zone
from tests.moto_server import MotoServer
from tests.unit.test_storage_contract import s3_lake

#: The AWS target's tests (a moto server): `make test-aws`.
pytestmark = pytest.mark.aws

AS_OF = date(2026, 12, 1)


def lines(run: str, *, amount_type: str = "float") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "transaction_id": ["t1", "t2", "t3"],
            "transaction_date": [date(2026, 10, 3), date(2026, 11, 5), date(2026, 11, 9)],
            "total_amount": [10.0, 20.0, 30.0],
            "note": [run] * 3,
        }
    )
    if amount_type == "text":
        frame["total_amount"] = frame["total_amount"].astype(str)
    return frame


@pytest.fixture
def lake(moto_server: MotoServer) -> S3Lake:
    glue = moto_server.client("glue")
    for zone in ("raw", "processed", "curated"):
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # type: ignore[attr-defined]
            glue.create_database(DatabaseInput={"Name": zone})  # type: ignore[attr-defined]
    return s3_lake(moto_server)


def test_a_publish_moves_the_pointer_and_points_glue_at_the_version(
    lake: S3Lake, moto_server: MotoServer
) -> None:
    version = write_table(lake, Zone.CURATED, "transactions", "r1", lines("r1"))
    result = publish(lake, "r1", [version], as_of=AS_OF)

    assert result.published == ["curated.transactions"]
    assert read_published(lake).tables == {"curated.transactions": "r1"}
    table = moto_server.client("glue").get_table(  # type: ignore[attr-defined]
        DatabaseName="curated", Name="transactions"
    )["Table"]
    assert (
        table["StorageDescriptor"]["Location"]
        == lake.uri(Zone.CURATED, "transactions/run-r1") + "/"
    )
    assert [k["Name"] for k in table["PartitionKeys"]] == ["transaction_month"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.transaction_month.range"] == "2026-10,2026-11"
    assert parameters["pipeline_run_id"] == "r1"
    history = read_pointer(lake).history["curated.transactions"]
    assert [(h["version"], h["change"]) for h in history] == [(1, "new")]


def test_of_two_runs_publishing_from_the_same_state_one_is_refused(lake: S3Lake) -> None:
    publish(
        lake,
        "r1",
        [write_table(lake, Zone.CURATED, "transactions", "r1", lines("r1"))],
        as_of=AS_OF,
    )
    stale = read_pointer(lake)
    publish(
        lake,
        "r2",
        [write_table(lake, Zone.CURATED, "transactions", "r2", lines("r2"))],
        as_of=AS_OF,
    )

    from pipeline_lib.catalog._glue import write_pointer

    stale.state = stale.state.__class__(run_id="r3", tables={"curated.transactions": "r3"})
    with pytest.raises(PublishConflictError, match="run r2 published"):
        write_pointer(lake, stale)
    assert read_published(lake).tables == {"curated.transactions": "r2"}
    # r1 was live before r2: kept for rollback; nothing older exists.
    assert {k.split("/")[1] for k in lake.list_keys(Zone.CURATED)} == {"run-r1", "run-r2"}


def test_a_breaking_change_keeps_the_live_version_and_says_why(lake: S3Lake) -> None:
    publish(
        lake,
        "r1",
        [write_table(lake, Zone.CURATED, "transactions", "r1", lines("r1"))],
        as_of=AS_OF,
    )
    broken = write_table(
        lake,
        Zone.CURATED,
        "transactions",
        "r2",
        lines("r2", amount_type="text").drop(columns=["note"]),
    )

    result = publish(lake, "r2", [broken], as_of=AS_OF)

    assert "curated.transactions" in result.stopped
    assert read_published(lake).tables == {"curated.transactions": "r1"}
    record = json.loads(
        lake.read_bytes(Zone.QUARANTINE, "schema/curated.transactions/run-r2.error.json")
    )
    assert "note" in record["removed"]
    assert version_files(lake, Zone.CURATED, "transactions", "r2")  # kept for diagnosis


def test_publish_registers_the_raw_tables_over_the_typed_copies_without_a_crawler(
    lake: S3Lake, moto_server: MotoServer
) -> None:
    # No Glue crawler exists (docs/adr/0004-glue-tables-registered-on-publish.md): the
    # publish itself registers raw.<dataset>, and its ingest_date partitions are projected,
    # so a new day is queryable without a crawler run or MSCK REPAIR TABLE.
    import pyarrow as pa

    for day in ("2026-11-30", "2026-12-01"):
        lake.write_parquet(
            Zone.PROCESSED,
            f"validated/reviews/ingest_date={day}/{day}.parquet",
            pa.table({"review_id": ["r1"], "rating": [4]}),
        )
    publish(
        lake,
        "r1",
        [write_table(lake, Zone.CURATED, "transactions", "r1", lines("r1"))],
        as_of=AS_OF,
    )

    glue: Any = moto_server.client("glue")
    table = glue.get_table(DatabaseName="raw", Name="reviews")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["review_id", "rating"]
    assert table["StorageDescriptor"]["Location"].endswith("/validated/reviews/")
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.ingest_date.range"] == "2026-11-30,NOW"
    assert glue.get_partitions(DatabaseName="raw", TableName="reviews")["Partitions"] == []
    assert glue.get_crawlers()["Crawlers"] == []
