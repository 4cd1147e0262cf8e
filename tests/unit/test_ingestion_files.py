"""ingest_paths on good and bad files built here: every file ends accepted, quarantined or
duplicate, originals are preserved byte for byte, and quarantines leave a record."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion import (
    DEAD_LETTER_KEY,
    LEDGER_KEY,
    FileResult,
    IngestReport,
    ingest_paths,
)
from pipeline_lib.storage import LocalLake, Zone

TODAY = dt.date(2025, 1, 20)
TXN_HEADER = (
    "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
)
REVIEWS_HEADER = "review_id,product_id,customer_id,rating,review_text,review_date"


def txn_csv(n_rows: int = 3, delimiter: str = ",") -> str:
    lines = [TXN_HEADER.replace(",", delimiter)]
    for i in range(1, n_rows + 1):
        fields = [f"txn_{i}", "cust_1", "prod_1", "2", "9.99", "19.98", "2025-01-15", "completed"]
        lines.append(delimiter.join(fields))
    return "\n".join(lines) + "\n"


def click_line(i: int) -> str:
    return json.dumps(
        {
            "session_id": f"sess_{i}",
            "customer_id": None,
            "event_type": "page_view",
            "page": "/",
            "timestamp": "2025-01-15T10:30:45Z",
            "device": "mobile",
        }
    )


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def run(
    lake: LocalLake, *paths: Path, settings: IngestionSettings | None = None, **kwargs: object
) -> IngestReport:
    originals = {p: p.read_bytes() for p in paths if p.is_file()}
    report = ingest_paths(list(paths), lake, settings or IngestionSettings(), today=TODAY, **kwargs)  # type: ignore[arg-type]
    counts = report.counts
    assert sum(counts.values()) == len(report.results)
    for path, content in originals.items():
        assert path.read_bytes() == content, f"{path} was modified"
    for result in report.results:
        if result.reason is not None:
            assert "\n" not in result.reason
    return report


def assert_quarantined(lake: LocalLake, result: FileResult, check: str) -> dict[str, object]:
    """The result is quarantined by ``check`` with a copy, an error record and a dead letter."""
    assert result.status == "quarantined", result
    assert result.check == check, result.reason
    assert result.reason and "\n" not in result.reason
    assert result.route is None
    stored = Path(str(result.stored_uri))
    assert stored.is_relative_to(lake.path(Zone.QUARANTINE, "files"))
    assert stored.read_bytes() == result.source.read_bytes()
    error = json.loads(Path(f"{stored}.error.json").read_text(encoding="utf-8"))
    assert error["check"] == check and error["reason"] == result.reason
    assert set(error) >= {
        "file",
        "dataset",
        "check",
        "reason",
        "detail",
        "sha256",
        "size_bytes",
        "quarantined_at",
    }
    letters = [
        json.loads(line)
        for line in lake.path(Zone.META, DEAD_LETTER_KEY).read_text(encoding="utf-8").splitlines()
    ]
    matching = [d for d in letters if d["file"] == str(result.source) and d["check"] == check]
    assert matching and matching[-1]["event"] == "ingestion_failed"
    assert not lake.list_keys(Zone.RAW), "a quarantined file must not reach the raw zone"
    return error


def read_back_csv(uri: str) -> pa.Table:
    """Read a landed raw file back the way the ETL would (through its own encoding)."""
    return pa_csv.read_csv(uri)


# --- quarantines --------------------------------------------------------------------------


def test_empty_file(lake: LocalLake, inbox: Path) -> None:
    (result,) = run(lake, write(inbox, "transactions_1.csv", b"")).results
    assert_quarantined(lake, result, "empty_file")


def test_header_only_file(lake: LocalLake, inbox: Path) -> None:
    (result,) = run(lake, write(inbox, "transactions_1.csv", TXN_HEADER + "\n")).results
    assert_quarantined(lake, result, "no_rows")
    assert "no data rows" in str(result.reason)


def test_binary_garbage_named_csv(lake: LocalLake, inbox: Path) -> None:
    garbage = bytes(range(256)) * 40 + os.urandom(2000)
    (result,) = run(lake, write(inbox, "reviews.csv", garbage)).results
    assert_quarantined(lake, result, "format")


def test_control_characters_without_nul_are_binary(lake: LocalLake, inbox: Path) -> None:
    content = (REVIEWS_HEADER + "\n" + "\x01\x02\x03\x04" * 200).encode()
    (result,) = run(lake, write(inbox, "reviews.csv", content)).results
    assert_quarantined(lake, result, "format")


def test_truncated_gzip(lake: LocalLake, inbox: Path) -> None:
    whole = gzip.compress(txn_csv(2000).encode())
    (result,) = run(lake, write(inbox, "transactions.csv.gz", whole[: len(whole) // 2])).results
    assert_quarantined(lake, result, "format")
    assert "gzip" in str(result.reason)


def test_invalid_json_array(lake: LocalLake, inbox: Path) -> None:
    content = '[{"product_id": "prod_1", "name": "Mouse",\n {"product_id": '
    (result,) = run(lake, write(inbox, "products.json", content)).results
    error = assert_quarantined(lake, result, "format")
    assert error["detail"] == {"line": 2, "column": 2}


def test_missing_required_column(lake: LocalLake, inbox: Path) -> None:
    content = txn_csv().replace(",status", "").replace(",completed", "")
    (result,) = run(lake, write(inbox, "transactions.csv", content)).results
    assert_quarantined(lake, result, "schema")
    assert "missing required columns status" in str(result.reason)
    assert "columns found: transaction_id" in str(result.reason)


def test_file_over_size_limit(lake: LocalLake, inbox: Path) -> None:
    path = write(inbox, "transactions.csv", txn_csv(100))
    settings = IngestionSettings(max_file_bytes=1000)
    (result,) = run(lake, path, settings=settings).results
    assert_quarantined(lake, result, "size_limit")
    assert "1,000" in str(result.reason)


def test_parquet_with_missing_columns(lake: LocalLake, inbox: Path) -> None:
    path = inbox / "reviews.parquet"
    pq.write_table(pa.table({"review_id": ["rev_1"], "rating": [5]}), path)
    (result,) = run(lake, path).results
    assert_quarantined(lake, result, "schema")
    assert result.file_format == "parquet"


def test_parquet_with_uncoercible_column_type(lake: LocalLake, inbox: Path) -> None:
    columns: dict[str, pa.Array] = {
        "review_id": pa.array(["rev_1"]),
        "product_id": pa.array(["prod_1"]),
        "customer_id": pa.array(["cust_1"]),
        "rating": pa.array([[5]], pa.list_(pa.int64())),
        "review_text": pa.array(["ok"]),
        "review_date": pa.array([dt.date(2025, 1, 16)]),
    }
    path = inbox / "reviews.parquet"
    pq.write_table(pa.table(columns), path)
    (result,) = run(lake, path).results
    assert_quarantined(lake, result, "schema")
    assert "rating" in str(result.reason)


def test_name_matching_no_dataset(lake: LocalLake, inbox: Path) -> None:
    (result,) = run(lake, write(inbox, "orders_2025.csv", txn_csv())).results
    assert_quarantined(lake, result, "dataset")
    assert "transactions*.csv" in str(result.reason) and "--dataset" in str(result.reason)
    assert "/_unknown/" in str(result.stored_uri)


def test_dataset_argument_overrides_name(lake: LocalLake, inbox: Path) -> None:
    (result,) = run(
        lake, write(inbox, "orders_2025.csv", txn_csv()), dataset="transactions"
    ).results
    assert result.status == "accepted" and result.dataset == "transactions"


def test_every_row_rejected_quarantines_the_file(lake: LocalLake, inbox: Path) -> None:
    content = txn_csv(3).replace(",2,9.99", ",many,9.99")
    (result,) = run(lake, write(inbox, "transactions.csv", content)).results
    error = assert_quarantined(lake, result, "all_rows_rejected")
    assert error["detail"] == {"row": 1, "reason": "unparseable_value:quantity"}


# --- accepted -----------------------------------------------------------------------------


def assert_accepted(lake: LocalLake, result: FileResult, dataset: str) -> Path:
    assert result.status == "accepted", result.reason
    assert result.dataset == dataset and result.reason is None and result.check is None
    assert result.route == "lightweight"
    stored = Path(str(result.stored_uri))
    expected_folder = lake.path(Zone.RAW, f"{dataset}/ingest_date={TODAY.isoformat()}")
    assert stored.parent == expected_folder
    assert stored.read_bytes() == result.source.read_bytes()
    assert result.rows_read == result.rows_accepted + result.rows_rejected
    return stored


def test_good_csv_is_accepted_and_recorded(lake: LocalLake, inbox: Path) -> None:
    (result,) = run(lake, write(inbox, "transactions_2025.csv", txn_csv(5))).results
    assert_accepted(lake, result, "transactions")
    assert (result.rows_accepted, result.rows_rejected) == (5, 0)
    assert (result.file_format, result.encoding, result.compressed) == ("csv", "utf-8", False)
    assert not lake.list_keys(Zone.QUARANTINE)


def test_one_malformed_json_line_rejects_only_that_line(lake: LocalLake, inbox: Path) -> None:
    lines = [click_line(1), click_line(2), '{"session_id": "sess_3", "oops', click_line(4)]
    (result,) = run(lake, write(inbox, "clickstream.jsonl", "\n".join(lines) + "\n")).results
    assert_accepted(lake, result, "clickstream")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 3, 1)
    assert result.reject_reasons == {"malformed_json": 1}
    rejects = pq.read_table(str(result.rejects_uri)).to_pylist()
    assert [(r["_row_number"], r["_reject_reason"]) for r in rejects] == [(3, "malformed_json")]
    assert rejects[0]["_raw_record"] == lines[2]
    assert rejects[0]["_source_file"] == "clickstream.jsonl"


def test_semicolon_delimited_csv_is_accepted(lake: LocalLake, inbox: Path) -> None:
    content = txn_csv(3, delimiter=";").replace("9.99", '"9.99"')
    (result,) = run(lake, write(inbox, "transactions.csv", content)).results
    assert_accepted(lake, result, "transactions")
    assert result.rows_accepted == 3 and "delimiter ';'" in result.notes


def test_extra_column_is_accepted_and_reported(lake: LocalLake, inbox: Path) -> None:
    lines = txn_csv(2).splitlines()
    content = "\n".join([lines[0] + ",coupon_code"] + [ln + ",SAVE10" for ln in lines[1:]])
    (result,) = run(lake, write(inbox, "transactions.csv", content + "\n")).results
    assert_accepted(lake, result, "transactions")
    assert result.extra_columns == ["coupon_code"] and result.rows_accepted == 2


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-8-sig"])
def test_non_utf8_files_with_accented_names(lake: LocalLake, inbox: Path, encoding: str) -> None:
    names = ["Müller", "José à la carte", "Ça va très bien, naïve"]
    rows = [
        f'rev_{i},prod_1,cust_{i},5,"{text}",2025-01-16' for i, text in enumerate(names, start=1)
    ]
    content = REVIEWS_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n"
    (result,) = run(lake, write(inbox, "reviews_févr.csv", content, encoding)).results
    stored = assert_accepted(lake, result, "reviews")
    assert result.rows_accepted == 3 and result.encoding not in (None, "utf-8")
    back = pa_csv.read_csv(
        stored, read_options=pa_csv.ReadOptions(encoding=encoding.replace("-sig", ""))
    )
    assert back.column("review_text").to_pylist() == names
    assert stored.name == "reviews_févr.csv"


def test_formula_like_cells_are_kept_verbatim(lake: LocalLake, inbox: Path) -> None:
    texts = ["=SUM(A1)", "+1", "-5", "@x", "=cmd|' /C calc'!A0"]
    rows = [f'rev_{i},prod_1,cust_1,4,"{t}",2025-01-16' for i, t in enumerate(texts, start=1)]
    path = write(inbox, "reviews.csv", REVIEWS_HEADER + "\n" + "\n".join(rows) + "\n")
    (result,) = run(lake, path).results
    stored = assert_accepted(lake, result, "reviews")
    assert result.rows_accepted == 5
    assert read_back_csv(str(stored)).column("review_text").to_pylist() == texts


def test_gzip_csv_is_accepted(lake: LocalLake, inbox: Path) -> None:
    path = write(inbox, "transactions_2025.csv.gz", gzip.compress(txn_csv(10).encode()))
    (result,) = run(lake, path).results
    stored = assert_accepted(lake, result, "transactions")
    assert result.compressed and result.rows_accepted == 10
    assert stored.name == "transactions_2025.csv.gz"


def test_unparseable_values_reject_only_their_rows(lake: LocalLake, inbox: Path) -> None:
    content = (
        txn_csv(6)
        .replace("txn_2,cust_1,prod_1,2,", "txn_2,cust_1,prod_1,two,")
        .replace(
            "txn_4,cust_1,prod_1,2,9.99,19.98,2025-01-15", "txn_4,,prod_1,2,9.99,19.98,someday"
        )
        .replace(
            "txn_5,cust_1,prod_1,2,9.99,19.98,2025-01-15",
            "txn_5,cust_1,prod_1,2,9.99,19.98,31/31/2025",
        )
    )
    (result,) = run(lake, write(inbox, "transactions.csv", content)).results
    assert_accepted(lake, result, "transactions")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (6, 3, 3)
    assert result.reject_reasons == {
        "unparseable_value:quantity": 1,
        "missing_required:customer_id": 1,
        "unparseable_value:transaction_date": 1,
    }
    key = f"rejects/transactions/ingest_date={TODAY.isoformat()}/{str(result.sha256)[:16]}.parquet"
    rejects = lake.read_parquet(Zone.QUARANTINE, key).to_pylist()
    assert [r["_row_number"] for r in rejects] == [2, 4, 5]
    assert rejects[0]["quantity"] == "two" and rejects[2]["transaction_date"] == "31/31/2025"
    with sqlite3.connect(lake.path(Zone.META, LEDGER_KEY)) as conn:
        read, accepted, rejected, reasons = conn.execute(
            "SELECT rows_read, rows_accepted, rows_rejected, reject_reasons FROM files"
        ).fetchone()
    assert read == accepted + rejected == 6 and rejected == 3
    assert json.loads(reasons) == result.reject_reasons


def test_content_differing_from_extension_is_accepted_and_noted(
    lake: LocalLake, inbox: Path
) -> None:
    content = "\n".join(click_line(i) for i in range(3)) + "\n"
    (result,) = run(lake, write(inbox, "clickstream.json", content)).results
    assert_accepted(lake, result, "clickstream")
    path = inbox / "reviews_export.csv"
    pq.write_table(
        pa.table(
            {
                "review_id": ["rev_1"],
                "product_id": ["prod_1"],
                "customer_id": ["cust_1"],
                "rating": [5],
                "review_text": [None],
                "review_date": [dt.date(2025, 1, 16)],
            }
        ),
        path,
    )
    (result,) = run(lake, path).results
    assert result.status == "accepted" and result.file_format == "parquet"
    assert any("parquet" in note for note in result.notes)


def test_json_array_products_with_typed_values(lake: LocalLake, inbox: Path) -> None:
    products = [
        {
            "product_id": "prod_1",
            "name": "Mouse",
            "category": "Electronics",
            "brand": "B",
            "price": 29.99,
            "stock": 150,
        },
        {
            "product_id": "prod_2",
            "name": "Lamp",
            "category": "Home & Kitchen",
            "brand": "B",
            "price": "12",
            "stock": "n/a",
        },
    ]
    (result,) = run(lake, write(inbox, "products.json", json.dumps(products))).results
    assert_accepted(lake, result, "products")
    assert result.reject_reasons == {"unparseable_value:stock": 1}


# --- duplicates and runs ------------------------------------------------------------------


def test_same_file_twice_is_a_duplicate_and_writes_nothing(lake: LocalLake, inbox: Path) -> None:
    path = write(inbox, "transactions.csv", txn_csv(3))
    first = run(lake, path).results[0]
    assert first.status == "accepted"
    snapshot = {z: lake.list_keys(z) for z in (Zone.RAW, Zone.QUARANTINE)}
    copy = write(inbox, "transactions_copy.csv", path.read_bytes())
    second = run(lake, copy).results[0]
    assert second.status == "duplicate" and second.check is None
    assert str(path.resolve()) in str(second.reason)
    assert {z: lake.list_keys(z) for z in (Zone.RAW, Zone.QUARANTINE)} == snapshot
    with sqlite3.connect(lake.path(Zone.META, LEDGER_KEY)) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM events ORDER BY id")]
        n_files = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert statuses == ["accepted", "duplicate"] and n_files == 1


def test_same_name_with_new_content_keeps_both(lake: LocalLake, inbox: Path) -> None:
    day1 = inbox / "day1"
    day2 = inbox / "day2"
    day1.mkdir()
    day2.mkdir()
    first = run(lake, write(day1, "transactions.csv", txn_csv(2))).results[0]
    second = run(lake, write(day2, "transactions.csv", txn_csv(3))).results[0]
    assert first.status == second.status == "accepted"
    assert Path(str(second.stored_uri)).name == f"transactions.{str(second.sha256)[:16]}.csv"
    assert Path(str(first.stored_uri)).read_bytes() == (day1 / "transactions.csv").read_bytes()


def test_quarantined_content_is_validated_again(lake: LocalLake, inbox: Path) -> None:
    path = write(inbox, "orders.csv", txn_csv(2))
    assert run(lake, path).results[0].check == "dataset"
    assert run(lake, path, dataset="transactions").results[0].status == "accepted"


def test_folder_mix_counts_and_order(lake: LocalLake, inbox: Path) -> None:
    sub = inbox / "nested"
    sub.mkdir()
    write(inbox, "transactions_a.csv", txn_csv(4))
    write(inbox, "transactions_b.csv", b"")
    write(sub, "clickstream.jsonl", click_line(1) + "\n")
    write(inbox, "manifest.json", "{}")
    write(inbox, ".hidden.csv", txn_csv(1))
    write(inbox, "transactions_c.csv", txn_csv(4))  # same content as _a
    report = run(lake, inbox)
    names = [r.source.name for r in report.results]
    assert names == [
        "clickstream.jsonl",
        "transactions_a.csv",
        "transactions_b.csv",
        "transactions_c.csv",
    ]
    assert report.counts == {"accepted": 2, "quarantined": 1, "duplicate": 1}
    assert report.summary() == (
        "4 files: 2 accepted, 1 quarantined, 1 duplicate; 5 rows accepted, 0 rejected"
    )


def test_unexpected_error_quarantines_and_run_goes_on(
    lake: LocalLake, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline_lib.ingestion import _service

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    bad = write(inbox, "reviews.csv", REVIEWS_HEADER + "\nrev_1,prod_1,cust_1,5,ok,2025-01-16\n")
    good = write(inbox, "transactions.csv", txn_csv(2))
    real = _service._read_rows

    def flaky(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "reviews.csv":
            explode()
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_service, "_read_rows", flaky)
    bad_result, good_result = run(lake, bad, good).results
    assert bad_result.check == "unexpected"
    assert bad_result.reason == "unexpected error: RuntimeError: disk on fire"
    assert good_result.status == "accepted"


# --- the typed copy the ETL reads ---------------------------------------------------------


def test_accepted_rows_get_a_typed_parquet_copy_with_row_numbers(
    lake: LocalLake, inbox: Path
) -> None:
    content = txn_csv(3).replace("txn_2,cust_1,prod_1,2,", "txn_2,cust_1,prod_1,two,")
    (result,) = run(lake, write(inbox, "transactions.csv", content)).results
    assert result.status == "accepted" and result.rows_rejected == 1
    validated = Path(str(result.validated_uri))
    assert validated.is_relative_to(lake.path(Zone.PROCESSED, "validated/transactions"))
    table = pq.read_table(validated)
    assert table.schema.field("quantity").type == pa.int64()
    assert table.schema.field("transaction_date").type == pa.date32()
    assert table.column("transaction_id").to_pylist() == ["txn_1", "txn_3"]
    assert table.column("_row_number").to_pylist() == [1, 3]


def test_quarantined_and_duplicate_files_get_no_typed_copy(lake: LocalLake, inbox: Path) -> None:
    good = write(inbox, "transactions.csv", txn_csv(2))
    run(lake, good)
    report = run(lake, good, write(inbox, "transactions_bad.csv", TXN_HEADER + "\n"))
    assert [r.validated_uri for r in report.results] == [None, None]
    assert len(lake.list_keys(Zone.PROCESSED, "validated")) == 1
