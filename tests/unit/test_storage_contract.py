"""Every lake keeps the same promises: LocalLake on disk, S3Lake on a moto server.

The pipeline only talks to ``Lake``; these tests hold both implementations to the same
behaviour, so a job that passes locally behaves the same in S3.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage import Lake, LocalLake, S3Lake, Zone, open_lake
from tests.moto_server import MotoServer

ZONES = ("raw", "processed", "curated", "quarantine")


def s3_lake(moto_server: MotoServer, *, kms_key_id: str | None = None) -> S3Lake:
    """A fresh lake with one bucket per zone, as Terraform creates them."""
    name = f"lake-{uuid.uuid4().hex[:8]}"
    client = moto_server.client("s3")
    for zone in ZONES:
        client.create_bucket(Bucket=f"{name}-{zone}")  # type: ignore[attr-defined]
    return S3Lake(f"s3://{name}-{{zone}}", kms_key_id=kms_key_id)


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    if request.param == "local":
        yield LocalLake(tmp_path)
    else:
        yield s3_lake(request.getfixturevalue("moto_server"))


def test_objects_round_trip_and_list_by_folder(lake: Lake) -> None:
    lake.write_bytes(Zone.RAW, "reviews/ingest_date=2026-12-01/a.csv", b"abc")
    lake.write_bytes(Zone.RAW, "reviews2/b.csv", b"d")
    assert lake.read_bytes(Zone.RAW, "reviews/ingest_date=2026-12-01/a.csv") == b"abc"
    assert lake.size(Zone.RAW, "reviews/ingest_date=2026-12-01/a.csv") == 3
    assert lake.exists(Zone.RAW, "reviews2/b.csv")
    assert not lake.exists(Zone.CURATED, "reviews2/b.csv")
    assert lake.list_keys(Zone.RAW) == ["reviews/ingest_date=2026-12-01/a.csv", "reviews2/b.csv"]
    # A folder prefix never matches a sibling that merely starts the same way.
    assert lake.list_keys(Zone.RAW, "reviews") == ["reviews/ingest_date=2026-12-01/a.csv"]
    assert lake.list_keys(Zone.RAW, "reviews2/b.csv") == ["reviews2/b.csv"]
    assert lake.has_prefix(Zone.RAW, "reviews") and not lake.has_prefix(Zone.RAW, "review")


def test_meta_is_a_zone_of_its_own(lake: Lake) -> None:
    lake.write_bytes(Zone.META, "runs/r1/run.json", b"{}")
    lake.write_bytes(Zone.PROCESSED, "runs/r1/run.json", b"[]")
    assert lake.read_bytes(Zone.META, "runs/r1/run.json") == b"{}"
    assert lake.list_keys(Zone.META) == ["runs/r1/run.json"]
    assert lake.list_keys(Zone.PROCESSED) == ["runs/r1/run.json"]


def test_missing_objects_raise_storage_errors_naming_them(lake: Lake) -> None:
    with pytest.raises(StorageError, match=r"nope\.csv"):
        lake.read_bytes(Zone.RAW, "nope.csv")
    with pytest.raises(StorageError, match=r"nope\.csv"):
        lake.size(Zone.RAW, "nope.csv")
    with pytest.raises(StorageError, match=r"nope\.csv"):
        lake.share_object(Zone.CURATED, "x.csv", Zone.RAW, "nope.csv")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../../b"])
def test_keys_cannot_escape_the_zone(lake: Lake, key: str) -> None:
    with pytest.raises(StorageError):
        lake.write_bytes(Zone.RAW, key, b"x")


def test_shared_objects_outlive_their_source(lake: Lake) -> None:
    lake.write_bytes(Zone.PROCESSED, "t/run-1/part-0.parquet", b"rows")
    lake.share_object(
        Zone.CURATED, "t/run-1/part-0.parquet", Zone.PROCESSED, "t/run-1/part-0.parquet"
    )
    assert lake.delete_prefix(Zone.PROCESSED, "t/run-1") == 1
    assert not lake.has_prefix(Zone.PROCESSED, "t")
    assert lake.read_bytes(Zone.CURATED, "t/run-1/part-0.parquet") == b"rows"


def test_delete_removes_one_object_and_tolerates_a_missing_one(lake: Lake) -> None:
    lake.write_bytes(Zone.RAW, "a/1", b"1")
    lake.write_bytes(Zone.RAW, "a/2", b"2")
    lake.delete(Zone.RAW, "a/1")
    lake.delete(Zone.RAW, "a/1")
    assert lake.list_keys(Zone.RAW) == ["a/2"]


def test_put_file_uploads_a_local_file(lake: Lake, tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    source.write_bytes(b"x,y\n1,2\n")
    lake.put_file(Zone.RAW, "in/source.csv", str(source))
    assert lake.read_bytes(Zone.RAW, "in/source.csv") == b"x,y\n1,2\n"
    assert source.exists()


def test_parquet_is_read_with_column_and_row_group_pruning(lake: Lake) -> None:
    table = pa.table({"day": list(range(100)), "name": [f"n{i}" for i in range(100)]})
    lake.write_parquet(Zone.PROCESSED, "t/run-1/part-0.parquet", table, row_group_size=10)
    metadata = lake.parquet_metadata(Zone.PROCESSED, "t/run-1/part-0.parquet")
    assert (metadata.num_rows, metadata.num_row_groups) == (100, 10)
    assert metadata.row_group(0).column(0).compression == "SNAPPY"
    assert lake.read_parquet(Zone.PROCESSED, "t/run-1/part-0.parquet", ["name"]).num_rows == 100
    rows = lake.dataset(Zone.PROCESSED, ["t/run-1/part-0.parquet"]).to_table(
        filter=ds.field("day") >= 95
    )
    assert rows.column("name").to_pylist() == ["n95", "n96", "n97", "n98", "n99"]


def test_open_lake_picks_the_implementation_from_the_location(tmp_path: Path) -> None:
    assert isinstance(open_lake(str(tmp_path)), LocalLake)
    lake = open_lake("s3://shop-{zone}-dev")
    assert isinstance(lake, S3Lake)
    assert lake.uri(Zone.RAW, "a/b.csv") == "s3://shop-raw-dev/a/b.csv"
    assert lake.uri(Zone.META, "runs/r1") == "s3://shop-processed-dev/_meta/runs/r1"
    one_bucket = S3Lake("s3://one-bucket/lake")
    assert one_bucket.uri(Zone.CURATED, "t") == "s3://one-bucket/lake/curated/t"
    assert open_lake(one_bucket.location).uri(Zone.RAW) == "s3://one-bucket/lake/raw"


def test_every_s3_write_names_the_lakes_key(moto_server: MotoServer) -> None:
    kms = moto_server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["Arn"]  # type: ignore[attr-defined]
    lake = s3_lake(moto_server, kms_key_id=key_id)
    lake.write_bytes(Zone.RAW, "a.csv", b"1")
    lake.write_parquet(Zone.PROCESSED, "t/p.parquet", pa.table({"a": [1]}))
    lake.share_object(Zone.CURATED, "t/p.parquet", Zone.PROCESSED, "t/p.parquet")
    s3 = moto_server.client("s3")
    for zone, key in (
        (Zone.RAW, "a.csv"),
        (Zone.PROCESSED, "t/p.parquet"),
        (Zone.CURATED, "t/p.parquet"),
    ):
        head = s3.head_object(Bucket=lake.bucket(zone), Key=key)  # type: ignore[attr-defined]
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == key_id


def test_of_two_writers_that_read_the_same_version_one_wins(lake: Lake) -> None:
    assert lake.read_with_token(Zone.META, "published.json") == (None, None)
    assert lake.write_if_unchanged(Zone.META, "published.json", b"run-1", None)
    assert not lake.write_if_unchanged(Zone.META, "published.json", b"late", None)
    content, token = lake.read_with_token(Zone.META, "published.json")
    assert content == b"run-1" and token is not None
    assert lake.write_if_unchanged(Zone.META, "published.json", b"run-2", token)
    assert not lake.write_if_unchanged(Zone.META, "published.json", b"run-3", token)
    assert lake.read_bytes(Zone.META, "published.json") == b"run-2"
