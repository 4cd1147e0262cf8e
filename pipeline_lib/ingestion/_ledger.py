"""The ingestion ledger: which file contents (by SHA-256) were seen, and what became of them.

Locally a SQLite file in the lake's meta zone. The interface is small on purpose (get one
entry by key, put one entry, append one event) so that a DynamoDB table keyed by sha256
plus an events table can implement it on AWS.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Optional, Protocol

from pipeline_lib.ingestion._result import ACCEPTED, DUPLICATE, FileResult
from pipeline_lib.storage import Lake, LocalLake, Zone

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    dataset TEXT,
    source_path TEXT NOT NULL,
    stored_uri TEXT,
    status TEXT NOT NULL,
    file_format TEXT,
    compressed INTEGER NOT NULL DEFAULT 0,
    encoding TEXT,
    size_bytes INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    reject_reasons TEXT NOT NULL,
    extra_columns TEXT NOT NULL,
    route TEXT,
    check_name TEXT,
    reason TEXT,
    ingested_at TEXT NOT NULL,
    validated_uri TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT,
    source_path TEXT NOT NULL,
    dataset TEXT,
    status TEXT NOT NULL,
    check_name TEXT,
    reason TEXT,
    at TEXT NOT NULL
);
"""


_FILE_COLUMNS = (
    "sha256, dataset, source_path, stored_uri, status, file_format, compressed, encoding,"
    " size_bytes, rows_read, rows_accepted, rows_rejected, reject_reasons, extra_columns,"
    " route, check_name, reason, ingested_at, validated_uri"
)
_UPDATE_ALL = ", ".join(
    f"{name} = excluded.{name}" for name in (c.strip() for c in _FILE_COLUMNS.split(","))
)
_ENTRY_COLUMNS = (
    "sha256, dataset, source_path, stored_uri, status, rows_read, rows_accepted,"
    " rows_rejected, route, check_name, reason, ingested_at, validated_uri, reject_reasons"
)


class Ledger(Protocol):
    """What the pipeline asks of a ledger: SQLite locally, DynamoDB on AWS."""

    def __enter__(self) -> Ledger: ...

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...

    def close(self) -> None: ...

    def get(self, sha256: str) -> Optional[LedgerEntry]: ...

    def accepted_files(self, dataset: str) -> list[LedgerEntry]: ...

    def known_paths(self) -> set[str]: ...

    def record(self, result: FileResult, at: Optional[datetime] = None) -> bool: ...

    def events(self) -> list[dict[str, Optional[str]]]: ...


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger knows about one file content."""

    sha256: str
    dataset: Optional[str]
    source_path: str
    stored_uri: Optional[str]
    status: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    route: Optional[str]
    check: Optional[str]
    reason: Optional[str]
    ingested_at: str
    validated_uri: Optional[str] = None
    reject_reasons: str = "{}"  # JSON object: reason -> rows

    def reject_counts(self) -> dict[str, int]:
        """Rows rejected at ingestion per reason."""
        return {str(k): int(v) for k, v in json.loads(self.reject_reasons or "{}").items()}


class IngestionLedger:
    """SQLite ledger of ingested files (keyed by sha256) and an append-only event log.

    Examples
    --------
    >>> with IngestionLedger(Path("/tmp/lake/_meta/ingestion.sqlite")) as ledger:  # doctest: +SKIP
    ...     ledger.get("ab12...")
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=30)
        # WAL lets readers (dashboards, a second CLI) see the ledger while a run writes.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(files)")}
        if "validated_uri" not in columns:  # ledgers written before typed copies existed
            self._conn.execute("ALTER TABLE files ADD COLUMN validated_uri TEXT")
        self._conn.commit()

    def __enter__(self) -> IngestionLedger:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def get(self, sha256: str) -> Optional[LedgerEntry]:
        """The entry of the file content ``sha256``, or None if never seen."""
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM files WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else LedgerEntry(*row)

    def accepted_files(self, dataset: str) -> list[LedgerEntry]:
        """Accepted files of ``dataset`` in arrival order (the order status updates apply)."""
        rows = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM files WHERE dataset = ? AND status = 'accepted'"
            " ORDER BY ingested_at, rowid",
            (dataset,),
        ).fetchall()
        return [LedgerEntry(*row) for row in rows]

    def known_paths(self) -> set[str]:
        """Every source path and stored copy the ledger has seen (to find new raw files)."""
        rows = self._conn.execute("SELECT source_path, stored_uri FROM files").fetchall()
        rows += self._conn.execute("SELECT source_path, NULL FROM events").fetchall()
        return {path for row in rows for path in row if path}

    def record(self, result: FileResult, at: Optional[datetime] = None) -> bool:
        """Store ``result``: upsert the file entry and append an event.

        An accepted entry is never replaced: the ETL reads accepted files from here, so a
        later sighting of the same content (a duplicate, or a copy under a name no dataset
        matches, which is quarantined) is only an event. A quarantined entry can be
        replaced, e.g. by an accepted one when the same content comes with ``--dataset``.
        Returns False when an accepted entry kept the file entry from being written.
        """
        when = (at or datetime.now(timezone.utc)).isoformat()
        written = True
        with self._conn:
            if result.status != DUPLICATE and result.sha256 is not None:
                cursor = self._conn.execute(
                    f"INSERT INTO files ({_FILE_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    f" ON CONFLICT(sha256) DO UPDATE SET {_UPDATE_ALL}"
                    f" WHERE files.status != '{ACCEPTED}'",
                    (
                        result.sha256,
                        result.dataset,
                        source_path_of(result),
                        result.stored_uri,
                        result.status,
                        result.file_format,
                        int(result.compressed),
                        result.encoding,
                        result.size_bytes,
                        result.rows_read,
                        result.rows_accepted,
                        result.rows_rejected,
                        json.dumps(result.reject_reasons, sort_keys=True),
                        json.dumps(result.extra_columns),
                        result.route,
                        result.check,
                        result.reason,
                        when,
                        result.validated_uri,
                    ),
                )
                written = cursor.rowcount > 0
            self._conn.execute(
                "INSERT INTO events (sha256, source_path, dataset, status, check_name, reason, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    result.sha256,
                    source_path_of(result),
                    result.dataset,
                    result.status,
                    result.check,
                    result.reason,
                    when,
                ),
            )

        return written

    def events(self) -> list[dict[str, Optional[str]]]:
        """Every event, oldest first."""
        rows = self._conn.execute(
            "SELECT sha256, source_path, dataset, status, check_name, reason, at"
            " FROM events ORDER BY id"
        ).fetchall()
        keys = ("sha256", "source_path", "dataset", "status", "check", "reason", "at")
        return [dict(zip(keys, row)) for row in rows]


def source_path_of(result: FileResult) -> str:
    """Where the file came from: the object it was downloaded from, or its absolute path
    (so that "same content as <path>" stays meaningful from any working folder)."""
    return result.source_uri or str(result.source.resolve())


#: The SQLite ledger of a local lake, in its meta zone.
LEDGER_KEY = "ingestion.sqlite"


def open_ledger(lake: Lake) -> Ledger:
    """The lake's ledger: a SQLite file beside a local lake, the DynamoDB table of an S3 one
    (named by ``PIPELINE_LEDGER_TABLE``)."""
    if isinstance(lake, LocalLake):
        return IngestionLedger(lake.path(Zone.META, LEDGER_KEY))
    from pipeline_lib.ingestion._dynamodb_ledger import DynamoDBLedger

    return DynamoDBLedger()
