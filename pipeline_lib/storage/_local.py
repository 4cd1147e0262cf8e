"""LocalLake: the lake as a folder, with atomic writes (temp file + fsync + rename)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Optional

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage._base import Lake, Zone, check_key

if TYPE_CHECKING:  # pyarrow is imported where it is used (see _base)
    import pyarrow as pa
    import pyarrow.fs as pafs

logger = logging.getLogger(__name__)

_COPY_CHUNK = 4 * 1024 * 1024
#: In-flight files of atomic writes are hidden and end with this.
TEMP_SUFFIX = ".tmp"


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through ``write`` so that readers see the whole file or none of it.

    The data goes to a hidden temp file in the same folder, is fsynced, then renamed over
    ``path``; the folder is fsynced too, so that the rename survives a power loss. The
    file gets the mode a plain ``open()`` would give (0666 less the umask), not the 0600
    of a temp file, so that other users and services can read the lake. If ``write``
    raises, the temp file is removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable (POSIX needs the folder synced)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    # Elsewhere the only way is to set it and set it back; the lock keeps threads apart.
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _filesystem_now(folder: Path) -> float:
    """The current time as the file system that holds ``folder`` stamps it.

    Ages of files are measured on the clock that wrote their mtimes: a network file
    system stamps them with its server's clock, which need not agree with ours.
    """
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".clock-", suffix=".probe") as probe:
        return os.fstat(probe.fileno()).st_mtime


def remove_stale_temp_files(root: Path, older_than_seconds: float) -> list[Path]:
    """Delete the temp files of writers that were killed before their rename.

    Only hidden ``*.tmp`` files not modified for ``older_than_seconds`` (on the file
    system's clock) are removed: a writer still at work keeps touching its file. Returns
    the removed paths.
    """
    if not root.is_dir():
        return []
    cutoff = _filesystem_now(root) - older_than_seconds
    removed = []
    for candidate in root.rglob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if candidate.is_file() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed.append(candidate)
    if removed:
        logger.info("removed %d temp files left by interrupted writers", len(removed))
    return removed


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

    @property
    def location(self) -> str:
        return str(self.root)

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

    def append_bytes(self, zone: Zone, key: str, data: bytes) -> None:
        """Append in place: what was written before a crash stays (at worst the last line
        is cut short, which readers of these logs skip)."""
        target = self._object(zone, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab") as handle:
            handle.write(data)

    def put_file(self, zone: Zone, key: str, source: str) -> str:
        target = self._object(zone, key)
        try:
            with open(source, "rb") as src:
                atomic_write(target, lambda dst: shutil.copyfileobj(src, dst, _COPY_CHUNK))
        except OSError as exc:
            raise StorageError(f"cannot copy {source} to {target}: {exc.strerror}") from exc
        return str(target)

    def share_object(self, zone: Zone, key: str, source_zone: Zone, source_key: str) -> str:
        """Hard-link ``source_key`` to ``key``: one inode, no bytes written. Deleting either
        name (pruning an old version) leaves the other whole. Copies where links fail
        (another file system, a store without links)."""
        source, target = self._object(source_zone, source_key), self._object(zone, key)
        if not source.is_file():
            raise StorageError(f"no object {source_key!r} in zone {source_zone.value} ({source})")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Link under a temp name, then rename: the key is whole or absent, as for writes.
        temp = target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")
        try:
            temp.unlink(missing_ok=True)
            os.link(source, temp)
        except OSError:
            return self.put_file(zone, key, str(source))
        os.replace(temp, target)
        fsync_dir(target.parent)
        return str(target)

    def write_parquet(
        self, zone: Zone, key: str, table: pa.Table, *, row_group_size: Optional[int] = None
    ) -> str:
        import pyarrow.parquet as pq

        target = self._object(zone, key)

        def write(handle: BinaryIO) -> None:
            pq.write_table(table, handle, compression="snappy", row_group_size=row_group_size)

        atomic_write(target, write)
        return str(target)

    def read_with_token(self, zone: Zone, key: str) -> tuple[Optional[bytes], Optional[str]]:
        try:
            data = self._object(zone, key).read_bytes()
        except FileNotFoundError:
            return None, None
        return data, hashlib.sha256(data).hexdigest()

    def write_if_unchanged(self, zone: Zone, key: str, data: bytes, token: Optional[str]) -> bool:
        target = self._object(zone, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Check and write under an exclusive lock on a sibling file: writers queue there.
        with open(target.with_name(f".{target.name}.lock"), "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if self.read_with_token(zone, key)[1] != token:
                    return False
                atomic_write(target, lambda handle: handle.write(data))
                return True
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def size(self, zone: Zone, key: str) -> int:
        target = self._object(zone, key)
        try:
            return target.stat().st_size
        except FileNotFoundError:
            raise StorageError(f"no object {key!r} in zone {zone.value} ({target})") from None

    def delete(self, zone: Zone, key: str) -> None:
        self._object(zone, key).unlink(missing_ok=True)

    def delete_prefix(self, zone: Zone, prefix: str) -> int:
        """Remove the folder (or object) ``prefix`` at once."""
        start = self._object(zone, prefix)
        if start.is_file():
            start.unlink()
            return 1
        if not start.is_dir():
            return 0
        count = sum(1 for p in start.rglob("*") if p.is_file() and not p.name.startswith("."))
        shutil.rmtree(start)
        return count

    def has_prefix(self, zone: Zone, prefix: str) -> bool:
        start = self._object(zone, prefix)
        return start.is_file() or (
            start.is_dir()
            and any(p.is_file() and not p.name.startswith(".") for p in start.rglob("*"))
        )

    @property
    def arrow_filesystem(self) -> pafs.FileSystem:
        import pyarrow.fs as pafs

        return pafs.LocalFileSystem()

    def arrow_path(self, zone: Zone, key: str) -> str:
        return str(self._object(zone, key))

    def read_bytes(self, zone: Zone, key: str) -> bytes:
        target = self._object(zone, key)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no object {key!r} in zone {zone.value} ({target})") from None

    def exists(self, zone: Zone, key: str) -> bool:
        return self._object(zone, key).is_file()

    def remove_stale_temp_files(self, older_than_seconds: float = 3600.0) -> list[Path]:
        """Delete temp files that killed writers left anywhere in the lake."""
        return remove_stale_temp_files(self.root, older_than_seconds)

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
