"""IngestionLedger: entries keyed by sha256, upserts, append-only events, WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline_lib.ingestion import FileResult, IngestionLedger


def result(status: str, sha: str = "ab" * 32, **fields: object) -> FileResult:
    return FileResult(
        source=Path("in/transactions.csv"),
        dataset="transactions",
        status=status,
        sha256=sha,
        size_bytes=10,
        **fields,
    )  # type: ignore[arg-type]


def test_unknown_hash_is_none(tmp_path: Path) -> None:
    with IngestionLedger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.get("00" * 32) is None


def test_record_then_get_and_upsert(tmp_path: Path) -> None:
    path = tmp_path / "meta" / "ledger.sqlite"
    with IngestionLedger(path) as ledger:
        ledger.record(result("quarantined", check="schema", reason="missing status"))
        entry = ledger.get("ab" * 32)
        assert entry is not None and entry.status == "quarantined" and entry.check == "schema"
        ledger.record(
            result("accepted", rows_read=5, rows_accepted=4, rows_rejected=1, route="lightweight")
        )
        ledger.record(result("duplicate", reason="same content"))
    with IngestionLedger(path) as reopened:
        entry = reopened.get("ab" * 32)
        assert entry is not None
        assert (entry.status, entry.rows_read, entry.rows_accepted, entry.route) == (
            "accepted",
            5,
            4,
            "lightweight",
        )
        assert entry.source_path == str(Path("in/transactions.csv").resolve())
        assert [e["status"] for e in reopened.events()] == ["quarantined", "accepted", "duplicate"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1


def test_result_without_hash_only_logs_an_event(tmp_path: Path) -> None:
    with IngestionLedger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record(result("quarantined", sha=None, check="size_limit"))  # type: ignore[arg-type]
        assert len(ledger.events()) == 1
        assert ledger.get("ab" * 32) is None


def test_accepted_files_come_in_arrival_order_per_dataset(tmp_path: Path) -> None:
    import datetime as dt

    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    with IngestionLedger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record(result("accepted", sha="02" * 32), at=start + dt.timedelta(hours=2))
        ledger.record(result("accepted", sha="01" * 32), at=start + dt.timedelta(hours=1))
        ledger.record(result("quarantined", sha="03" * 32), at=start)
        other = FileResult(
            source=Path("in/reviews.csv"),
            dataset="reviews",
            status="accepted",
            sha256="04" * 32,
            size_bytes=1,
        )
        ledger.record(other, at=start)
        assert [e.sha256 for e in ledger.accepted_files("transactions")] == ["01" * 32, "02" * 32]
        assert ledger.known_paths() == {
            str(Path("in/transactions.csv").resolve()),
            str(Path("in/reviews.csv").resolve()),
        }


def test_a_ledger_from_before_typed_copies_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with IngestionLedger(path) as ledger:
        ledger.record(result("accepted"))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE files DROP COLUMN validated_uri")
    conn.commit()
    conn.close()
    with IngestionLedger(path) as reopened:
        reopened.record(result("accepted", sha="cd" * 32, validated_uri="/x.parquet"))
        entry = reopened.get("cd" * 32)
        assert entry is not None and entry.validated_uri == "/x.parquet"
        old = reopened.get("ab" * 32)
        assert old is not None and old.validated_uri is None


def test_an_accepted_entry_is_never_downgraded(tmp_path: Path) -> None:
    # The same content seen again under a name no dataset matches is quarantined, but the
    # accepted entry (and so the ETL's input) must stay; the sighting is an event.
    with IngestionLedger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record(result("accepted", rows_read=5, rows_accepted=5, validated_uri="/v.parquet"))
        later = FileResult(
            source=Path("in/orders.csv"),
            dataset=None,
            status="quarantined",
            sha256="ab" * 32,
            size_bytes=10,
            check="dataset",
            reason="file name matches no dataset",
        )
        ledger.record(later)
        entry = ledger.get("ab" * 32)
        assert entry is not None
        assert (entry.status, entry.validated_uri, entry.rows_accepted) == (
            "accepted",
            "/v.parquet",
            5,
        )
        assert entry.source_path == str(Path("in/transactions.csv").resolve())
        assert [e.sha256 for e in ledger.accepted_files("transactions")] == ["ab" * 32]
        assert [(e["status"], e["check"]) for e in ledger.events()] == [
            ("accepted", None),
            ("quarantined", "dataset"),
        ]
