"""s3_trigger: "Object Created" events (alone or in an SQS batch) -> validate -> one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import Runtime, s3_trigger
from pipeline_lib.storage import LocalLake, Zone
from tests.handler_events import (
    TXN_HEADER,
    RecordingStarter,
    dead_letters,
    drop_raw,
    object_created,
    object_created_for,
    runtime_for,
    scheduled_event,
    sqs_batch,
    txn_csv,
    utc_now,
)

KEY = "transactions/ingest_date=2026-11-28/transactions_0900.csv"
KEY_2 = "transactions/ingest_date=2026-11-28/transactions_0915.csv"
BAD_KEY = "transactions/ingest_date=2026-11-28/transactions_0930.csv"


def landed(lake: LocalLake, key: str, content: str | bytes) -> dict[str, Any]:
    """Drop a file into raw/ and return the event S3 sends through EventBridge for it."""
    drop_raw(lake, key, content)
    return object_created_for(lake.path(Zone.RAW), key)


def today() -> str:
    return utc_now().date().isoformat()


def test_one_event_validates_the_file_and_starts_a_run(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    answer = s3_trigger.handle(landed(lake, KEY, txn_csv(3)), runtime)
    assert answer["started"] is True and answer["reason"] == "started"
    name = answer["execution"]
    assert name.startswith("s3-") and len(name) <= 80  # a valid execution name
    assert starter.calls == [
        (
            name,
            {"run_id": name, "as_of": today(), "trigger": "s3", "files": [], "full_refresh": False},
        )
    ]
    (file,) = answer["files"]
    assert (file["key"], file["status"], file["rows_accepted"]) == (KEY, "accepted", 3)
    assert Path(file["validated_uri"]).is_file()


def test_an_sqs_batch_starts_one_run_for_all_its_objects(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    batch = sqs_batch(landed(lake, KEY, txn_csv(3)), landed(lake, KEY_2, txn_csv(2, first=10)))
    answer = s3_trigger.handle(batch, runtime)
    assert answer["started"] is True
    assert [(f["key"], f["status"]) for f in answer["files"]] == [
        (KEY, "accepted"),
        (KEY_2, "accepted"),
    ]
    assert [name for name, _ in starter.calls] == [answer["execution"]]
    assert len(lake.list_keys(Zone.PROCESSED, "validated/transactions")) == 2


def test_the_name_depends_on_the_objects_not_on_their_order(
    lake: LocalLake, starter: RecordingStarter
) -> None:
    first, second = landed(lake, KEY, txn_csv(3)), landed(lake, KEY_2, txn_csv(2, first=10))
    # Two lakes: the same objects landing in two places must get the same name.
    one = s3_trigger.handle(sqs_batch(first, second), runtime_for(lake, start_execution=starter))
    other_lake = LocalLake(lake.root.parent / "other")
    drop_raw(other_lake, KEY, txn_csv(3))
    drop_raw(other_lake, KEY_2, txn_csv(2, first=10))
    other = RecordingStarter()
    two = s3_trigger.handle(
        sqs_batch(second, first), runtime_for(other_lake, start_execution=other)
    )
    assert one["execution"] == two["execution"] == starter.calls[0][0] == other.calls[0][0]


def test_a_bad_file_is_quarantined_and_starts_nothing(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    answer = s3_trigger.handle(landed(lake, BAD_KEY, TXN_HEADER + "\n"), runtime)
    assert answer["started"] is False and answer["execution"] is None
    assert starter.calls == []
    (file,) = answer["files"]
    assert file["status"] == "quarantined" and "no data rows" in file["reason"]
    (letter,) = dead_letters(lake)
    assert letter["reason"] == file["reason"]
    assert any(k.endswith("transactions_0930.csv") for k in lake.list_keys(Zone.QUARANTINE))


def test_a_batch_with_a_bad_and_a_good_file_starts_a_run(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    batch = sqs_batch(landed(lake, BAD_KEY, b""), landed(lake, KEY, txn_csv(3)))
    answer = s3_trigger.handle(batch, runtime)
    assert [f["status"] for f in answer["files"]] == ["quarantined", "accepted"]
    assert answer["started"] is True and len(starter.calls) == 1


def test_the_same_event_twice_starts_one_run(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    event = landed(lake, KEY, txn_csv(3))
    first = s3_trigger.handle(event, runtime)
    again = s3_trigger.handle(event, runtime)
    assert first["started"] is True
    # Delivered again, the file is a duplicate (of itself): the same name is asked for,
    # and Step Functions refuses it, so no second execution.
    assert again["files"][0]["status"] == "duplicate"
    assert again["started"] is False and again["execution"] == first["execution"]
    assert again["reason"] == "an execution of this name already ran"
    assert [name for name, _ in starter.calls] == [first["execution"]] * 2
    assert len(lake.list_keys(Zone.PROCESSED, "validated")) == 1


def test_a_redelivery_after_a_failed_start_still_starts_the_run(
    lake: LocalLake, starter: RecordingStarter
) -> None:
    def refused(name: str, execution_input: Any) -> bool:
        raise PermanentError("StartExecution: AccessDeniedException")

    event = sqs_batch(landed(lake, KEY, txn_csv(3)))
    with pytest.raises(PermanentError):
        s3_trigger.handle(event, runtime_for(lake, start_execution=refused))
    # SQS delivers the message again: the file was accepted the first time, the run
    # was not started, so it must be started now.
    answer = s3_trigger.handle(event, runtime_for(lake, start_execution=starter))
    assert answer["started"] is True
    assert [name for name, _ in starter.calls] == [answer["execution"]]


def test_a_copy_of_accepted_content_under_a_new_key_starts_nothing(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    s3_trigger.handle(landed(lake, KEY, txn_csv(3)), runtime)
    answer = s3_trigger.handle(landed(lake, KEY_2, txn_csv(3)), runtime)
    assert answer["files"][0]["status"] == "duplicate"
    assert answer["started"] is False and answer["execution"] is None
    assert len(starter.calls) == 1


def test_a_large_file_is_left_to_the_run_and_named_once(
    lake: LocalLake, starter: RecordingStarter
) -> None:
    runtime = runtime_for(lake, lightweight_max_bytes=10, start_execution=starter)
    event = landed(lake, KEY, txn_csv(3))
    first = s3_trigger.handle(event, runtime)
    again = s3_trigger.handle(event, runtime)
    assert first["files"] == [{"key": KEY, "status": "pending", "route": "notebook"}]
    assert (first["started"], again["started"]) == (True, False)
    assert starter.calls[0] == (
        first["execution"],
        {
            "run_id": first["execution"],
            "as_of": today(),
            "trigger": "s3",
            "files": [KEY],
            "full_refresh": False,
        },
    )
    assert [name for name, _ in starter.calls] == [first["execution"]] * 2
    assert not lake.list_keys(Zone.PROCESSED)  # validated by the run, not here


def test_temporary_and_hidden_objects_are_ignored(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter
) -> None:
    batch = sqs_batch(
        object_created("transactions/ingest_date=2026-11-28/.part-0001", 10),
        object_created("transactions/ingest_date=2026-11-28/upload.tmp", 10),
    )
    answer = s3_trigger.handle(batch, runtime)
    assert [f["status"] for f in answer["files"]] == ["ignored", "ignored"]
    assert answer["started"] is False and starter.calls == []


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (
            object_created(KEY, 10, detail_type="Object Deleted", reason="DeleteObject"),
            "got detail-type 'Object Deleted'",
        ),
        (
            object_created(KEY, 10, detail_type="Object Restore Completed"),
            "got detail-type 'Object Restore Completed'",
        ),
        (scheduled_event("2026-11-29T06:00:00Z"), "got detail-type 'Scheduled Event'"),
        (
            {**object_created(KEY, 10), "detail": {"bucket": {"name": "b"}}},
            "malformed 'Object Created' event .*expected detail.object with a 'key'",
        ),
        (
            {**object_created(KEY, 10), "detail": {"object": {"key": KEY, "size": "many"}}},
            "malformed 'Object Created' event .*an integer 'size'",
        ),
    ],
)
def test_anything_but_object_created_is_permanent(
    runtime: Runtime, starter: RecordingStarter, event: dict[str, Any], error: str
) -> None:
    with pytest.raises(PermanentError, match=error):
        s3_trigger.handle(event, runtime)
    assert starter.calls == []


@pytest.mark.parametrize(
    "body",
    [
        object_created(KEY, 10, detail_type="Object Deleted"),
        "not json",
        "[1, 2]",
        '"Object Created"',
        {**object_created(KEY, 10), "detail": {"bucket": {"name": "b"}}},
    ],
)
def test_a_bad_message_in_a_batch_is_reported_and_the_rest_goes_on(
    lake: LocalLake, runtime: Runtime, starter: RecordingStarter, body: Any
) -> None:
    good = landed(lake, KEY, txn_csv(3))
    batch = sqs_batch(body, good)
    bad_id = batch["Records"][0]["messageId"]

    answer = s3_trigger.handle(batch, runtime)

    # SQS retries only the reported message, then moves it to the dead-letter queue.
    assert answer["batchItemFailures"] == [{"itemIdentifier": bad_id}]
    assert answer["started"] is True and len(starter.calls) == 1
    assert [f["status"] for f in answer["files"]] == ["failed", "accepted"]
    assert answer["files"][0]["message_id"] == bad_id and answer["files"][0]["reason"]


def test_without_a_state_machine_a_new_file_is_permanent(lake: LocalLake) -> None:
    with pytest.raises(PermanentError, match="STATE_MACHINE_ARN"):
        s3_trigger.handle(landed(lake, KEY, txn_csv(3)), runtime_for(lake))
