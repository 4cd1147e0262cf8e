"""The Lake interface: the only place that knows whether data lives on disk or in S3."""

from __future__ import annotations

import abc
import io
from collections.abc import Sequence
from enum import Enum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Optional

from pipeline_lib.exceptions import StorageError

if TYPE_CHECKING:  # pyarrow is imported where it is used: listing keys does not need it
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq


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
    if not key or not path.parts or path.is_absolute() or ".." in path.parts:
        raise StorageError(f"invalid lake key {key!r}: use a relative path without '..'")
    return str(path)


class Lake(abc.ABC):
    """A data lake with zones. Writes are atomic: an object is either whole or absent.

    Small on purpose so that an S3 implementation over awswrangler/boto3 fits it.
    """

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """What opens this lake again (:func:`open_lake`): a folder, or an ``s3://`` URI."""

    @abc.abstractmethod
    def uri(self, zone: Zone, key: str = "") -> str:
        """The location of ``key`` in ``zone`` (a path locally, ``s3://`` on AWS)."""

    @abc.abstractmethod
    def write_bytes(self, zone: Zone, key: str, data: bytes) -> str:
        """Write ``data`` atomically to ``key``; return its URI."""

    def append_bytes(self, zone: Zone, key: str, data: bytes) -> None:
        """Add ``data`` at the end of ``key`` (created when absent), for logs written by one
        process at a time (a run's history, the notifications). Objects stores cannot
        append: the whole object is written again, so keep such logs small."""
        before = self.read_bytes(zone, key) if self.exists(zone, key) else b""
        self.write_bytes(zone, key, before + data)

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

    @abc.abstractmethod
    def share_object(self, zone: Zone, key: str, source_zone: Zone, source_key: str) -> str:
        """Make ``key`` hold the object at ``source_key`` of ``source_zone`` without
        rewriting its bytes where the store can (a hard link locally, a server-side copy
        on S3); return its URI.

        Objects are never changed in place, so sharing is safe: a new table version shares
        the partitions it does not change with the live one this way
        (docs/adr/0002-incremental-runs.md).
        """

    @abc.abstractmethod
    def read_with_token(self, zone: Zone, key: str) -> tuple[Optional[bytes], Optional[str]]:
        """The content of ``key`` and a token naming this very version of it, or
        ``(None, None)`` when there is no such object. Pass the token to
        :meth:`write_if_unchanged`."""

    @abc.abstractmethod
    def write_if_unchanged(self, zone: Zone, key: str, data: bytes, token: Optional[str]) -> bool:
        """Write ``data`` to ``key`` only if ``key`` is still the version ``token`` names
        (``token`` None: only if ``key`` does not exist); return whether it was written.

        Of two writers that read the same version, exactly one wins: this is how a
        publish pointer refuses a run whose base moved (S3 conditional writes, a file lock
        locally).
        """

    @abc.abstractmethod
    def size(self, zone: Zone, key: str) -> int:
        """The size of object ``key`` in bytes; raise StorageError if it does not exist."""

    @abc.abstractmethod
    def delete(self, zone: Zone, key: str) -> None:
        """Remove object ``key`` (nothing happens when it does not exist)."""

    def delete_prefix(self, zone: Zone, prefix: str) -> int:
        """Remove every object under ``prefix``; return how many."""
        keys = self.list_keys(zone, prefix)
        for key in keys:
            self.delete(zone, key)
        return len(keys)

    def key_of(self, zone: Zone, uri: str) -> Optional[str]:
        """The key of ``uri`` when it names an object of ``zone`` (the inverse of
        :meth:`uri`), else None: a file dropped straight into a local lake's folder, or a
        URI the ledger recorded."""
        base = self.uri(zone).rstrip("/") + "/"
        return check_key(uri[len(base) :]) if uri.startswith(base) else None

    def open_input(self, zone: Zone, key: str) -> BinaryIO:
        """Object ``key`` as a binary stream, read sequentially (constant memory)."""
        stream: BinaryIO = self.arrow_filesystem.open_input_stream(self.arrow_path(zone, key))
        return stream

    def has_prefix(self, zone: Zone, prefix: str) -> bool:
        """Whether any object lives under ``prefix`` (a table version, a run's folder)."""
        return bool(self.list_keys(zone, prefix))

    # Parquet through Arrow's file systems: readers prune columns and row groups remotely
    # as well as on disk, without knowing which one they read.

    @property
    @abc.abstractmethod
    def arrow_filesystem(self) -> pafs.FileSystem:
        """The Arrow file system that holds the lake's objects."""

    @abc.abstractmethod
    def arrow_path(self, zone: Zone, key: str) -> str:
        """Where ``key`` is in :attr:`arrow_filesystem`."""

    def write_parquet(
        self, zone: Zone, key: str, table: pa.Table, *, row_group_size: Optional[int] = None
    ) -> str:
        """Write ``table`` as one snappy-compressed Parquet object."""
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy", row_group_size=row_group_size)
        return self.write_bytes(zone, key, buffer.getvalue())

    def read_parquet(
        self, zone: Zone, key: str, columns: Optional[Sequence[str]] = None
    ) -> pa.Table:
        """Object ``key`` as an Arrow table (only ``columns`` when given)."""
        import pyarrow.parquet as pq

        return pq.read_table(
            self.arrow_path(zone, key),
            filesystem=self.arrow_filesystem,
            columns=None if columns is None else list(columns),
            # One object, its own columns: never a column made of its folder's name.
            partitioning=None,
        )

    def parquet_metadata(self, zone: Zone, key: str) -> pq.FileMetaData:
        """The footer of Parquet object ``key`` (row counts, schema), read without its data."""
        import pyarrow.parquet as pq

        with self.arrow_filesystem.open_input_file(self.arrow_path(zone, key)) as handle:
            return pq.ParquetFile(handle).metadata

    def parquet_schema(self, zone: Zone, key: str) -> pa.Schema:
        """The Arrow schema of Parquet object ``key``, without metadata, from its footer."""
        import pyarrow.parquet as pq

        with self.arrow_filesystem.open_input_file(self.arrow_path(zone, key)) as handle:
            schema: pa.Schema = pq.read_schema(handle)
        return schema.remove_metadata()

    def dataset(self, zone: Zone, keys: Sequence[str]) -> ds.Dataset:
        """The Parquet objects ``keys`` as one Arrow dataset (filters prune row groups)."""
        import pyarrow.dataset as ds

        paths = [self.arrow_path(zone, key) for key in keys]
        return ds.dataset(paths, format="parquet", filesystem=self.arrow_filesystem)
