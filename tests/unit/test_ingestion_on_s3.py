"""Ingestion into an S3 lake (moto): the same outcomes as locally, in buckets and DynamoDB.

Accepted files land in the raw bucket with their typed copy in the processed bucket and an
entry in the DynamoDB ledger; a broken file goes to the quarantine bucket with its
``.error.json``, and its dead letter to the SQS queue; the job layer then reads the typed
rows from S3 exactly as it reads them from disk.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion import ingest_paths, open_ledger
from pipeline_lib.jobs import JobContext, read_validated
from pipeline_lib.storage import LocalLake, Zone
from tests.moto_server import MotoServer
from tests.unit.test_ingestion_ledger_contract import dynamodb_table
from tests.unit.test_storage_contract import s3_lake

#: The AWS target's tests (a moto server): `make test-aws`.
pytestmark = pytest.mark.aws

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "second_shop"
TODAY = date(2026, 12, 1)


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    shutil.copy(SHOP / "reviews_export.csv", folder / "reviews_export.csv")
    (folder / "transactions_export.csv").write_text("order,amount\n1,2\n", encoding="utf-8")
    return folder


def test_files_land_in_buckets_the_ledger_and_the_dead_letter_queue(
    moto_server: MotoServer, feeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = s3_lake(moto_server)
    monkeypatch.setenv("PIPELINE_LEDGER_TABLE", dynamodb_table(moto_server))
    sqs = moto_server.client("sqs")
    queue = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]  # type: ignore[attr-defined]
    monkeypatch.setenv("PIPELINE_DEAD_LETTER_QUEUE_URL", queue)

    report = ingest_paths([feeds], lake, IngestionSettings(), today=TODAY)

    assert [r.status for r in report.results] == ["accepted", "quarantined"]
    accepted, broken = report.results
    raw_key = "reviews/ingest_date=2026-12-01/reviews_export.csv"
    assert accepted.stored_uri == lake.uri(Zone.RAW, raw_key)
    assert lake.read_bytes(Zone.RAW, raw_key) == (feeds / "reviews_export.csv").read_bytes()
    assert accepted.validated_uri is not None and accepted.validated_uri.startswith("s3://")
    assert [key.endswith(".error.json") for key in lake.list_keys(Zone.QUARANTINE)] == [
        False,
        True,
    ]
    letters = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]  # type: ignore[attr-defined]
    assert [json.loads(m["Body"])["file"] for m in letters] == [str(broken.source)]
    with open_ledger(lake) as ledger:
        assert [e.sha256 for e in ledger.accepted_files("reviews")] == [accepted.sha256]

    # The same content again is a duplicate, whatever its name.
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(feeds / "reviews_export.csv", again / "reviews_export_copy.csv")
    assert [
        r.status
        for r in ingest_paths(
            [again], lake, IngestionSettings(), today=TODAY, dataset="reviews"
        ).results
    ] == ["duplicate"]

    # The job layer reads the typed rows from S3 as it reads them from disk.
    local = LocalLake(tmp_path / "local")
    ingest_paths([feeds / "reviews_export.csv"], local, IngestionSettings(), today=TODAY)
    from_s3 = read_validated(JobContext(lake=lake, run_id="r1", as_of=TODAY), "reviews")
    from_disk = read_validated(JobContext(lake=local, run_id="r1", as_of=TODAY), "reviews")
    assert from_s3.frame.equals(from_disk.frame)
    assert (from_s3.rows_read, from_s3.files) == (from_disk.rows_read, 1)
