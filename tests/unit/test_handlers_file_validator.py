"""file_validator (ValidateIncomingFiles): every new file in raw/ accepted or quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import Runtime, file_validator
from pipeline_lib.storage import LocalLake, Zone
from tests.handler_events import (
    TXN_HEADER,
    dead_letters,
    drop_raw,
    selected_fields,
    state_payload,
    txn_csv,
)

STATE = "ValidateIncomingFiles"
GOOD = "transactions/ingest_date=2026-11-28/transactions_0900.csv"
BAD = "transactions/ingest_date=2026-11-28/transactions_0930.csv"


def payload(files: list[str] | None = None) -> dict[str, object]:
    return state_payload(STATE, "daily-2026-11-28", "2026-11-28", files=files)


def test_the_payload_is_what_the_state_machine_sends() -> None:
    assert payload() == {
        "run_id": "daily-2026-11-28",
        "as_of": "2026-11-28",
        "files": [],
        "full_refresh": False,
    }


def test_a_valid_and_an_invalid_file(lake: LocalLake, runtime: Runtime) -> None:
    good = drop_raw(lake, GOOD, txn_csv(5))
    bad = drop_raw(lake, BAD, TXN_HEADER + "\n")  # a header and no rows
    answer = file_validator.handle(payload(), runtime)

    assert selected_fields(STATE) <= set(answer)
    assert (answer["accepted"], answer["rejected"], answer["duplicates"]) == (1, 1, 0)
    assert (answer["rows_accepted"], answer["rows_rejected"]) == (5, 0)
    assert answer["datasets"] == ["transactions"]
    (quarantined,) = answer["quarantined"]
    assert quarantined["source"] == str(bad)
    assert quarantined["check"] == "no_rows" and "no data rows" in quarantined["reason"]
    json.dumps(answer)  # the Lambda's answer must be JSON

    # The bad file: a copy in quarantine with its error record, and one dead letter.
    copies = [k for k in lake.list_keys(Zone.QUARANTINE, "files") if k.endswith(".csv")]
    assert len(copies) == 1
    copy = lake.path(Zone.QUARANTINE, copies[0])
    assert copy.read_bytes() == bad.read_bytes()
    record = json.loads(Path(f"{copy}.error.json").read_text(encoding="utf-8"))
    assert record["reason"] == quarantined["reason"] and record["check"] == "no_rows"
    (letter,) = dead_letters(lake)
    assert letter["event"] == "ingestion_failed"
    assert (letter["file"], letter["reason"]) == (str(bad), quarantined["reason"])

    # The good file: stays where it landed; its rows get a typed copy for the ETL.
    assert good.is_file()
    (validated,) = lake.list_keys(Zone.PROCESSED, "validated/transactions")
    rows = pq.read_table(lake.path(Zone.PROCESSED, validated))
    assert rows.column("transaction_id").to_pylist() == [f"txn_{i}" for i in range(1, 6)]


def test_a_second_call_finds_nothing_new(lake: LocalLake, runtime: Runtime) -> None:
    drop_raw(lake, GOOD, txn_csv(5))
    drop_raw(lake, BAD, TXN_HEADER + "\n")
    file_validator.handle(payload(), runtime)
    snapshot = {zone: lake.list_keys(zone) for zone in (Zone.PROCESSED, Zone.QUARANTINE)}

    again = file_validator.handle(payload(), runtime)
    assert (again["accepted"], again["rejected"], again["duplicates"]) == (0, 0, 0)
    assert again["datasets"] == [] and again["quarantined"] == []
    assert {zone: lake.list_keys(zone) for zone in (Zone.PROCESSED, Zone.QUARANTINE)} == snapshot
    assert len(dead_letters(lake)) == 1


def test_an_empty_raw_zone_validates_nothing(runtime: Runtime) -> None:
    answer = file_validator.handle(payload(), runtime)
    assert (answer["accepted"], answer["rejected"], answer["duplicates"]) == (0, 0, 0)
    assert answer["datasets"] == []


def test_files_named_by_the_trigger_are_the_ones_validated(
    lake: LocalLake, runtime: Runtime
) -> None:
    drop_raw(lake, GOOD, txn_csv(5))
    other = "reviews/ingest_date=2026-11-28/reviews_0900.csv"
    drop_raw(lake, other, b"")
    answer = file_validator.handle(payload([GOOD]), runtime)
    assert (answer["accepted"], answer["rejected"]) == (1, 0)
    # The file not named stays pending for the next call with no list.
    rest = file_validator.handle(payload(), runtime)
    assert (rest["accepted"], rest["rejected"]) == (0, 1)
    assert rest["quarantined"][0]["check"] == "empty_file"


def test_a_copy_of_an_accepted_file_is_a_duplicate(lake: LocalLake, runtime: Runtime) -> None:
    drop_raw(lake, GOOD, txn_csv(5))
    file_validator.handle(payload(), runtime)
    drop_raw(lake, "transactions/ingest_date=2026-11-28/transactions_copy.csv", txn_csv(5))
    answer = file_validator.handle(payload(), runtime)
    assert (answer["accepted"], answer["rejected"], answer["duplicates"]) == (0, 0, 1)


@pytest.mark.parametrize("key", ["../x.csv", "../../etc/passwd", "/etc/passwd", "."])
def test_a_key_outside_the_raw_zone_is_permanent(runtime: Runtime, key: str) -> None:
    with pytest.raises(PermanentError, match="raw zone"):
        file_validator.handle(payload([key]), runtime)
