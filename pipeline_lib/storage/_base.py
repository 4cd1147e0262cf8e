"""The Lake interface: the only place that knows whether data lives on disk or in S3."""

from __future__ import annotations

import abc
import io
from enum import Enum
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_lib.exceptions import StorageError


class Zone(str, Enum):
    """The lake's zones. ``META`` holds the ledger and logs, never data."""

    RAW = "raw"
    PROCESSED = "processed"
    CURATED = "curated"
    QUARANTINE = "quarantine"
    META = "_meta"


def check_key(key: str) -> str:
    """Return ``key`` normalized to a relative POSIX path, or raise StorageError.

    Keys are object names inside a zone: ``transactions/ingest_date=2025-01-15/a.csv``.
    """
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts:
        raise StorageError(f"invalid lake key {key!r}: use a relative path without '..'")
    return str(path)


class Lake(abc.ABC):
    """A data lake with zones. Writes are atomic: an object is either whole or absent.

    Small on purpose so that an S3 implementation over awswrangler/boto3 fits it.
    """

    @abc.abstractmethod
    def uri(self, zone: Zone, key: str = "") -> str:
        """The location of ``key`` in ``zone`` (a path locally, ``s3://`` on AWS)."""

    @abc.abstractmethod
    def write_bytes(self, zone: Zone, key: str, data: bytes) -> str:
        """Write ``data`` atomically to ``key``; return its URI."""

    @abc.abstractmethod
    def put_file(self, zone: Zone, key: str, source: str) -> str:
        """Copy the local file ``source`` atomically to ``key``; return its URI."""

    @abc.abstractmethod
    def read_bytes(self, zone: Zone, key: str) -> bytes:
        """Return the content of ``key``; raise StorageError if it does not exist."""

    @abc.abstractmethod
    def exists(self, zone: Zone, key: str) -> bool:
        """Whether ``key`` exists in ``zone``."""

    @abc.abstractmethod
    def list_keys(self, zone: Zone, prefix: str = "") -> list[str]:
        """Sorted keys under ``prefix`` in ``zone`` (complete objects only)."""

    def share_object(self, zone: Zone, key: str, source_zone: Zone, source_key: str) -> str:
        """Make ``key`` hold the object at ``source_key`` of ``source_zone`` without
        rewriting its bytes where the store can (a hard link locally); return its URI.

        Objects are never changed in place, so sharing is safe: a new table version shares
        the partitions it does not change with the live one this way
        (docs/adr/0002-incremental-runs.md). This fallback copies.
        """
        return self.write_bytes(zone, key, self.read_bytes(source_zone, source_key))

    def write_parquet(self, zone: Zone, key: str, table: pa.Table) -> str:
        """Write ``table`` as one snappy-compressed Parquet object."""
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy")
        return self.write_bytes(zone, key, buffer.getvalue())

    def read_parquet(self, zone: Zone, key: str) -> pa.Table:
        return pq.read_table(io.BytesIO(self.read_bytes(zone, key)))
