"""lightweight_transform: a small file validated and converted at once; others refused."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import Runtime, lightweight_transform
from pipeline_lib.storage import LocalLake, Zone
from tests.handler_events import dead_letters, drop_raw, runtime_for, txn_csv

KEY = "transactions/ingest_date=2026-11-28/transactions_0900.csv"


def test_a_small_file_is_accepted_with_a_typed_copy(lake: LocalLake, runtime: Runtime) -> None:
    content = txn_csv(4).replace("txn_2,cust_1,prod_1,2,", "txn_2,cust_1,prod_1,two,")
    drop_raw(lake, KEY, content)
    answer = lightweight_transform.handle({"key": KEY}, runtime)
    json.dumps(answer)
    assert answer["key"] == KEY
    assert (answer["status"], answer["dataset"], answer["reason"]) == (
        "accepted",
        "transactions",
        None,
    )
    assert (answer["rows_accepted"], answer["rows_rejected"]) == (3, 1)
    validated = Path(answer["validated_uri"])
    assert validated.is_file()
    assert validated.is_relative_to(lake.path(Zone.PROCESSED, "validated/transactions"))
    table = pq.read_table(validated)
    assert table.schema.field("quantity").type == pa.int64()
    assert table.column("transaction_id").to_pylist() == ["txn_1", "txn_3", "txn_4"]


def test_the_same_file_again_is_a_duplicate(lake: LocalLake, runtime: Runtime) -> None:
    drop_raw(lake, KEY, txn_csv(2))
    lightweight_transform.handle({"key": KEY}, runtime)
    again = lightweight_transform.handle({"key": KEY}, runtime)
    assert again["status"] == "duplicate" and again["validated_uri"] is None
    assert len(lake.list_keys(Zone.PROCESSED, "validated")) == 1


def test_a_bad_small_file_is_quarantined_not_raised(lake: LocalLake, runtime: Runtime) -> None:
    path = drop_raw(lake, KEY, b"\x00\x01binary" * 50)
    answer = lightweight_transform.handle({"key": KEY}, runtime)
    assert answer["status"] == "quarantined" and answer["validated_uri"] is None
    assert answer["reason"]
    (letter,) = dead_letters(lake)
    assert letter["file"] == str(path) and letter["reason"] == answer["reason"]


def test_at_the_threshold_is_still_lightweight(lake: LocalLake) -> None:
    size = drop_raw(lake, KEY, txn_csv(2)).stat().st_size
    runtime = runtime_for(lake, lightweight_max_bytes=size)
    answer = lightweight_transform.handle({"key": KEY}, runtime)
    assert answer["status"] == "accepted"


def test_a_file_above_the_threshold_is_refused(lake: LocalLake) -> None:
    size = drop_raw(lake, KEY, txn_csv(2)).stat().st_size
    runtime = runtime_for(lake, lightweight_max_bytes=size - 1)
    with pytest.raises(PermanentError, match="lightweight_max_bytes"):
        lightweight_transform.handle({"key": KEY}, runtime)
    # Refused before any validation: the file waits in raw/ for the Glue path.
    assert not lake.list_keys(Zone.PROCESSED) and not lake.list_keys(Zone.QUARANTINE)
    assert dead_letters(lake) == []


@pytest.mark.parametrize(
    "key",
    ["../x", "../x.csv", "transactions/../../x.csv", "/etc/hosts", "."],
)
def test_a_key_escaping_raw_is_permanent(lake: LocalLake, runtime: Runtime, key: str) -> None:
    (lake.root / "x.csv").parent.mkdir(parents=True, exist_ok=True)
    (lake.root / "x.csv").write_text(txn_csv(1), encoding="utf-8")  # exists, but not in raw/
    with pytest.raises(PermanentError, match="not a key inside the raw zone"):
        lightweight_transform.handle({"key": key}, runtime)


@pytest.mark.parametrize("event", [{}, {"key": ""}, {"key": None}])
def test_a_missing_key_is_permanent(runtime: Runtime, event: dict[str, object]) -> None:
    with pytest.raises(PermanentError, match="key"):
        lightweight_transform.handle(event, runtime)


def test_a_file_gone_from_raw_is_permanent(runtime: Runtime) -> None:
    with pytest.raises(PermanentError, match="not in the raw zone"):
        lightweight_transform.handle({"key": KEY}, runtime)
