"""What ingestion reports: one FileResult per input file, gathered in an IngestReport."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
STATUSES = (ACCEPTED, QUARANTINED, DUPLICATE)


@dataclass
class FileResult:
    """The outcome of ingesting one file.

    ``status`` is ``accepted``, ``quarantined`` or ``duplicate``. ``stored_uri`` is where the
    accepted copy (raw zone) or the quarantined copy (quarantine zone) is. ``reason`` is a
    one-line human reason for quarantined and duplicate files, ``check`` the name of the
    failed check for quarantined ones and ``detail`` where the problem is when known.
    ``validated_uri`` is the typed Parquet copy of the accepted rows that the ETL reads.
    ``notes`` records what was tolerated (content format differing from the extension, the
    delimiter of a non-comma CSV, a transcoded encoding).
    """

    source: Path
    dataset: Optional[str] = None
    status: str = QUARANTINED
    sha256: Optional[str] = None
    size_bytes: int = 0
    file_format: Optional[str] = None
    compressed: bool = False
    encoding: Optional[str] = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    route: Optional[str] = None
    stored_uri: Optional[str] = None
    rejects_uri: Optional[str] = None
    validated_uri: Optional[str] = None
    reason: Optional[str] = None
    check: Optional[str] = None
    detail: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The object ``source`` is a downloaded copy of (a file that landed in an S3 raw
    #: zone): recorded as the file's origin, and never copied into raw again.
    source_uri: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""
        return {
            "source": str(self.source),
            "dataset": self.dataset,
            "status": self.status,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "file_format": self.file_format,
            "compressed": self.compressed,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "reject_reasons": dict(self.reject_reasons),
            "extra_columns": list(self.extra_columns),
            "route": self.route,
            "stored_uri": self.stored_uri,
            "rejects_uri": self.rejects_uri,
            "validated_uri": self.validated_uri,
            "reason": self.reason,
            "check": self.check,
            "detail": dict(self.detail),
            "notes": list(self.notes),
        }


@dataclass
class IngestReport:
    """The outcome of one ingestion run: one result per input file, in input order."""

    results: list[FileResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Number of files per status (every status present, zero included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def rows_accepted(self) -> int:
        return sum(r.rows_accepted for r in self.results)

    @property
    def rows_rejected(self) -> int:
        return sum(r.rows_rejected for r in self.results)

    def summary(self) -> str:
        """One line, e.g. ``5 files: 3 accepted, 1 quarantined, 1 duplicate; 99,950 rows ...``."""
        counts = self.counts
        n_files = len(self.results)
        return (
            f"{n_files} file{'' if n_files == 1 else 's'}: "
            f"{counts[ACCEPTED]} accepted, {counts[QUARANTINED]} quarantined, "
            f"{counts[DUPLICATE]} duplicate; "
            f"{self.rows_accepted:,} rows accepted, {self.rows_rejected:,} rejected"
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "counts": self.counts,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "files": [r.to_dict() for r in self.results],
        }
