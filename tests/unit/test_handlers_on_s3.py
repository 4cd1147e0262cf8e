"""The ingestion handlers on an S3 lake (moto): what the Lambdas do after S3 -> EventBridge.

An object lands in the raw bucket; s3_trigger validates it where it is (downloaded to a
temporary folder, never copied into raw again), records it under its s3:// URI, starts one
run, and a second delivery of the same event starts nothing new. file_validator pins the
run's inputs in the lake's _meta.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline_lib.config import load_settings
from pipeline_lib.exceptions import PermanentError, TransientError
from pipeline_lib.handlers import (
    Runtime,
    file_validator,
    lightweight_transform,
    run_summary,
    s3_trigger,
)
from pipeline_lib.ingestion import open_ledger
from pipeline_lib.storage import DynamoDBLease, S3Lake, Zone
from tests.handler_events import RecordingStarter, object_created, txn_csv
from tests.moto_server import MotoServer
from tests.unit.test_ingestion_ledger_contract import dynamodb_table
from tests.unit.test_storage_contract import s3_lake
from tests.unit.test_storage_lease import lock_table

#: The AWS target's tests (a moto server): `make test-aws`.
pytestmark = pytest.mark.aws

KEY = "transactions/ingest_date=2026-11-28/transactions_0900.csv"
KEY_2 = "transactions/ingest_date=2026-11-28/transactions_0915.csv"


@pytest.fixture
def lake(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> S3Lake:
    monkeypatch.setenv("PIPELINE_LEDGER_TABLE", dynamodb_table(moto_server))
    return s3_lake(moto_server)


def runtime_on(lake: S3Lake, tmp_path: Path, starter: RecordingStarter) -> Runtime:
    return Runtime(
        lake=lake,
        settings=load_settings(env="local", lake=lake.location),
        reports_dir=tmp_path / "reports",
        start_execution=starter,
    )


def land(lake: S3Lake, key: str, content: str) -> dict[str, object]:
    lake.write_bytes(Zone.RAW, key, content.encode())
    return object_created(key, len(content.encode()), bucket=lake.bucket(Zone.RAW))


def test_an_object_in_the_raw_bucket_is_validated_where_it_landed(
    lake: S3Lake, tmp_path: Path
) -> None:
    starter = RecordingStarter()
    runtime = runtime_on(lake, tmp_path, starter)
    event = land(lake, KEY, txn_csv(3))

    answer = s3_trigger.handle(event, runtime)

    assert answer["started"] is True
    (file,) = answer["files"]
    assert (file["status"], file["rows_accepted"]) == ("accepted", 3)
    assert str(file["validated_uri"]).startswith(f"s3://{lake.bucket(Zone.PROCESSED)}/validated/")
    assert lake.list_keys(Zone.RAW) == [KEY]  # not copied again
    with open_ledger(lake) as ledger:
        (entry,) = ledger.accepted_files("transactions")
    assert entry.source_path == entry.stored_uri == lake.uri(Zone.RAW, KEY)
    # The same event again (an SQS retry): the object is a duplicate of itself, and the
    # run it asks for is the one already started.
    again = s3_trigger.handle(event, runtime)
    assert again["execution"] == answer["execution"] and again["started"] is False
    assert len(starter.calls) == 2


def test_the_run_validates_pending_objects_and_pins_its_inputs(
    lake: S3Lake, tmp_path: Path
) -> None:
    runtime = runtime_on(lake, tmp_path, RecordingStarter())
    lake.write_bytes(Zone.RAW, KEY, txn_csv(3).encode())
    lake.write_bytes(Zone.RAW, KEY_2, b"not,a,transactions,file\n1,2,3,4\n")

    answer = file_validator.handle({"run_id": "r1", "as_of": "2026-11-28"}, runtime)

    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    inputs = json.loads(lake.read_bytes(Zone.META, "runs/r1/inputs.json"))
    assert len(inputs["batch"]["transactions"]) == 1
    assert any(k.endswith(".error.json") for k in lake.list_keys(Zone.QUARANTINE))
    # Nothing is pending any more: a second validation finds no new object.
    assert file_validator.handle({}, runtime)["accepted"] == 0


def test_a_small_object_is_transformed_at_once_and_a_missing_one_is_permanent(
    lake: S3Lake, tmp_path: Path
) -> None:
    runtime = runtime_on(lake, tmp_path, RecordingStarter())
    lake.write_bytes(Zone.RAW, KEY, txn_csv(2).encode())
    answer = lightweight_transform.handle({"key": KEY}, runtime)
    assert (answer["status"], answer["rows_accepted"]) == ("accepted", 2)
    with pytest.raises(PermanentError, match="not in the raw zone"):
        lightweight_transform.handle({"key": KEY_2}, runtime)


def test_a_run_holds_the_lakes_lease_from_validation_to_its_summary(
    lake: S3Lake, tmp_path: Path, moto_server: MotoServer
) -> None:
    """On AWS the steps of one execution share the lease; a second execution waits."""
    table = lock_table(moto_server)
    first = replace(runtime_on(lake, tmp_path, RecordingStarter()), run_lease=DynamoDBLease(table))
    second = replace(first, run_lease=DynamoDBLease(table))
    lake.write_bytes(Zone.RAW, KEY, txn_csv(3).encode())

    file_validator.handle({"run_id": "r1", "as_of": "2026-11-28"}, first)
    file_validator.handle({"run_id": "r1", "as_of": "2026-11-28"}, first)  # a retried step
    lake.write_bytes(Zone.RAW, KEY_2, txn_csv(2).encode())
    with pytest.raises(TransientError, match=r"busy: run r1 \(until .*\) holds its lease"):
        file_validator.handle({"run_id": "r2", "as_of": "2026-11-28"}, second)
    assert not lake.exists(Zone.META, "runs/r2/inputs.json")  # r2 validated nothing

    summary = run_summary.handle({"run_id": "r1", "status": "succeeded"}, first)
    assert summary["message"]["lease_released"] is True
    answer = file_validator.handle({"run_id": "r2", "as_of": "2026-11-28"}, second)
    assert answer["accepted"] == 1  # the file that waited
    # A failed run's summary gives back only its own lease.
    assert (
        run_summary.handle({"run_id": "r1", "status": "failed"}, first)["message"]["lease_released"]
        is False
    )
    assert DynamoDBLease(table).holder() is not None
