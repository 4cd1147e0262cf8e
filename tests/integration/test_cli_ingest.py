"""`ecom-pipeline ingest` run as a user runs it: the real console script in a subprocess."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline_lib.ingestion import LEDGER_KEY, IngestionLedger
from pipeline_lib.orchestration.pipeline import run_lock
from pipeline_lib.storage import LocalLake, Zone

pytestmark = pytest.mark.integration

ECOM_PIPELINE = Path(sys.executable).parent / "ecom-pipeline"
TXN_HEADER = (
    "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
)


def txn_csv(n_rows: int, bad_quantity_rows: int = 0) -> str:
    lines = [TXN_HEADER]
    for i in range(1, n_rows + 1):
        quantity = "lots" if i <= bad_quantity_rows else "2"
        lines.append(f"txn_{i},cust_1,prod_1,{quantity},9.99,19.98,2025-01-15,completed")
    return "\n".join(lines) + "\n"


def ingest(lake: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PIPELINE_LAKE", None)
    return subprocess.run(
        [str(ECOM_PIPELINE), "--lake", str(lake), "ingest", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "transactions_a.csv").write_text(txn_csv(100, bad_quantity_rows=2))
    (folder / "transactions_b.csv.gz").write_bytes(gzip.compress(txn_csv(50).encode()))
    (folder / "transactions_copy.csv").write_text(txn_csv(100, bad_quantity_rows=2))
    (folder / "reviews.csv").write_bytes(b"\x00\x01binary\xff\xfe" * 100)
    (folder / "products.json").write_text('[{"product_id": "prod_1",')
    return folder


def test_mixed_folder_prints_table_and_summary_and_exits_0(tmp_path: Path, inbox: Path) -> None:
    done = ingest(tmp_path / "lake", str(inbox))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        "5 files: 2 accepted, 2 quarantined, 1 duplicate; 148 rows accepted, 2 rejected"
        in done.stdout
    )
    for name in ("transactions_a.csv", "reviews.csv", "products.json"):
        assert name in done.stdout
    assert "size_limit" not in done.stdout and "format" in done.stdout
    assert (tmp_path / "lake" / "raw" / "transactions").is_dir()
    assert (tmp_path / "lake" / "_meta" / "dead_letter.jsonl").read_text().count("\n") == 2


def test_strict_exits_1_on_quarantine(tmp_path: Path, inbox: Path) -> None:
    done = ingest(tmp_path / "lake", "--strict", str(inbox / "reviews.csv"))
    assert done.returncode == 1
    assert "1 quarantined" in done.stdout


def test_strict_exits_0_when_all_accepted(tmp_path: Path, inbox: Path) -> None:
    done = ingest(tmp_path / "lake", "--strict", str(inbox / "transactions_a.csv"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_json_output_is_parseable(tmp_path: Path, inbox: Path) -> None:
    done = ingest(tmp_path / "lake", "--json", str(inbox))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"] == {"accepted": 2, "quarantined": 2, "duplicate": 1}
    by_name = {Path(f["source"]).name: f for f in report["files"]}
    assert by_name["transactions_a.csv"]["reject_reasons"] == {"unparseable_value:quantity": 2}
    assert by_name["products.json"]["check"] == "format"
    assert by_name["transactions_copy.csv"]["status"] == "duplicate"


def test_unknown_dataset_option_is_one_line_error(tmp_path: Path, inbox: Path) -> None:
    done = ingest(tmp_path / "lake", "--dataset", "orders", str(inbox))
    assert done.returncode == 1
    assert "unknown dataset 'orders'" in done.stderr and "Traceback" not in done.stderr


def test_missing_path_is_one_line_error(tmp_path: Path) -> None:
    done = ingest(tmp_path / "lake", str(tmp_path / "nope.csv"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_help_has_an_example() -> None:
    done = subprocess.run(
        [str(ECOM_PIPELINE), "ingest", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "Example: ecom-pipeline" in done.stdout and "--strict" in done.stdout


def test_an_accepted_file_copied_under_another_name_stays_the_etl_input(
    tmp_path: Path, inbox: Path
) -> None:
    lake = tmp_path / "lake"
    assert ingest(lake, str(inbox / "transactions_a.csv")).returncode == 0
    renamed = tmp_path / "orders.csv"  # a name no dataset matches
    renamed.write_bytes((inbox / "transactions_a.csv").read_bytes())

    done = ingest(lake, "--json", str(renamed))

    assert done.returncode == 0, done.stderr
    (seen,) = json.loads(done.stdout)["files"]
    assert seen["status"] == "duplicate" and "transactions_a.csv" in seen["reason"]
    with IngestionLedger(lake / "_meta" / LEDGER_KEY) as ledger:
        (entry,) = ledger.accepted_files("transactions")
        assert Path(entry.source_path).name == "transactions_a.csv"
        assert entry.validated_uri is not None and Path(entry.validated_uri).is_file()
        assert [e["status"] for e in ledger.events()] == ["accepted", "duplicate"]


def test_ingest_refuses_while_a_run_holds_the_lake(tmp_path: Path, inbox: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    with run_lock(lake, purpose="run 20261128T000000Z-abc123"):
        done = ingest(lake.root, str(inbox / "transactions_a.csv"))
    assert done.returncode == 1
    assert "busy" in done.stderr and "run 20261128T000000Z-abc123" in done.stderr
    assert "Traceback" not in done.stderr
    assert not lake.path(Zone.RAW).exists()  # nothing landed while the run held the lake


def test_ingest_waits_for_the_run_when_asked(tmp_path: Path, inbox: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    holding = threading.Event()

    def hold_for_a_second() -> None:
        with run_lock(lake, purpose="run"):
            holding.set()
            time.sleep(1.0)

    holder = threading.Thread(target=hold_for_a_second)
    holder.start()
    holding.wait(10)
    done = ingest(lake.root, "--wait", "30", str(inbox / "transactions_a.csv"))
    holder.join()
    assert done.returncode == 0, done.stderr
    assert "1 accepted" in done.stdout
