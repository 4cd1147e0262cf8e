"""LocalLake: the lake as a folder, with atomic writes (temp file + fsync + rename)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage._base import Lake, Zone, check_key

logger = logging.getLogger(__name__)

_COPY_CHUNK = 4 * 1024 * 1024


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through ``write`` so that readers see the whole file or none of it.

    The data goes to a hidden temp file in the same folder, is fsynced, then renamed over
    ``path``. If ``write`` raises, the temp file is removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class LocalLake(Lake):
    """A lake rooted at a local folder with one sub-folder per zone.

    Examples
    --------
    >>> lake = LocalLake("/tmp/lake")  # doctest: +SKIP
    >>> lake.write_bytes(Zone.RAW, "reviews/ingest_date=2025-01-16/reviews.csv", b"...")
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalLake({str(self.root)!r})"

    def path(self, zone: Zone, key: str = "") -> Path:
        """The local path of ``key`` (the zone folder when ``key`` is empty)."""
        base = self.root / zone.value
        return base / check_key(key) if key else base

    def uri(self, zone: Zone, key: str = "") -> str:
        return str(self.path(zone, key))

    def _object(self, zone: Zone, key: str) -> Path:
        # Unlike path(), an object key may never be empty (that would be the zone itself).
        return self.root / zone.value / check_key(key)

    def write_bytes(self, zone: Zone, key: str, data: bytes) -> str:
        target = self._object(zone, key)
        atomic_write(target, lambda handle: handle.write(data))
        return str(target)

    def put_file(self, zone: Zone, key: str, source: str) -> str:
        target = self._object(zone, key)
        try:
            with open(source, "rb") as src:
                atomic_write(target, lambda dst: shutil.copyfileobj(src, dst, _COPY_CHUNK))
        except OSError as exc:
            raise StorageError(f"cannot copy {source} to {target}: {exc.strerror}") from exc
        return str(target)

    def write_parquet(self, zone: Zone, key: str, table: pa.Table) -> str:
        target = self._object(zone, key)
        atomic_write(target, lambda handle: pq.write_table(table, handle, compression="snappy"))
        return str(target)

    def read_bytes(self, zone: Zone, key: str) -> bytes:
        target = self._object(zone, key)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no object {key!r} in zone {zone.value} ({target})") from None

    def exists(self, zone: Zone, key: str) -> bool:
        return self._object(zone, key).is_file()

    def list_keys(self, zone: Zone, prefix: str = "") -> list[str]:
        base = self.path(zone)
        start = self.path(zone, prefix) if prefix else base
        if start.is_file():
            return [check_key(prefix)]
        if not start.is_dir():
            return []
        keys = [
            p.relative_to(base).as_posix()
            for p in start.rglob("*")
            # Hidden names are in-flight temp files of atomic writes: never complete objects.
            if p.is_file() and not p.name.startswith(".")
        ]
        return sorted(keys)
