from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pytest

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage import LocalLake, Zone, atomic_write


def test_write_read_list_round_trip(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    uri = lake.write_bytes(Zone.RAW, "reviews/ingest_date=2025-01-16/r.csv", b"abc")
    assert Path(uri) == tmp_path / "raw" / "reviews" / "ingest_date=2025-01-16" / "r.csv"
    assert lake.read_bytes(Zone.RAW, "reviews/ingest_date=2025-01-16/r.csv") == b"abc"
    assert lake.exists(Zone.RAW, "reviews/ingest_date=2025-01-16/r.csv")
    assert not lake.exists(Zone.CURATED, "reviews/ingest_date=2025-01-16/r.csv")
    assert lake.list_keys(Zone.RAW) == ["reviews/ingest_date=2025-01-16/r.csv"]
    assert lake.list_keys(Zone.RAW, "reviews") == ["reviews/ingest_date=2025-01-16/r.csv"]
    assert lake.list_keys(Zone.RAW, "products") == []


def test_parquet_round_trip_is_snappy(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    lake = LocalLake(tmp_path)
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})
    uri = lake.write_parquet(Zone.PROCESSED, "t/part.parquet", table)
    assert lake.read_parquet(Zone.PROCESSED, "t/part.parquet").equals(table)
    assert pq.ParquetFile(uri).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_put_file_copies_and_leaves_the_source(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(b"a,b\n1,2\n")
    lake = LocalLake(tmp_path / "lake")
    lake.put_file(Zone.RAW, "x/in.csv", str(source))
    assert lake.read_bytes(Zone.RAW, "x/in.csv") == b"a,b\n1,2\n"
    assert source.read_bytes() == b"a,b\n1,2\n"


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../b"])
def test_keys_cannot_escape_the_zone(tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError, match="invalid lake key"):
        LocalLake(tmp_path).write_bytes(Zone.RAW, key, b"x")


def test_missing_object_error_names_key_and_zone(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"no object 'nope\.csv' in zone raw"):
        LocalLake(tmp_path).read_bytes(Zone.RAW, "nope.csv")


def test_failed_write_keeps_the_previous_version_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old version")

    def half_write_then_fail(handle: BinaryIO) -> None:
        handle.write(b"new but incomplete")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, half_write_then_fail)
    assert target.read_bytes() == b"old version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_killed_writer_never_leaves_a_partial_object(tmp_path: Path) -> None:
    """A process killed mid-write leaves no object, and listings skip its temp file."""
    root = tmp_path / "lake"
    script = textwrap.dedent(
        f"""
        import sys, time
        from pipeline_lib.storage import atomic_write
        from pathlib import Path

        def slow(handle):
            for _ in range(10_000):
                handle.write(b"x" * 1024)
                handle.flush()
                print("writing", flush=True)
                time.sleep(0.01)

        atomic_write(Path({str(root / "raw" / "big.bin")!r}), slow)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()  # the writer has started writing
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    lake = LocalLake(root)
    assert not lake.exists(Zone.RAW, "big.bin")
    assert lake.list_keys(Zone.RAW) == []
    leftovers = list((root / "raw").iterdir())
    assert leftovers and all(p.name.startswith(".big.bin.") for p in leftovers)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_get_the_mode_the_umask_allows(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        uri = LocalLake(tmp_path).write_bytes(Zone.RAW, "x/a.csv", b"a")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(Path(uri).stat().st_mode) == mode


def test_the_folder_is_synced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[bool, bool]] = []  # (is a folder, target exists yet)
    real_fsync = os.fsync
    target = tmp_path / "raw" / "x" / "a.csv"

    def recording_fsync(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    LocalLake(tmp_path).write_bytes(Zone.RAW, "x/a.csv", b"a")
    assert synced == [(False, False), (True, True)]  # the data, then the renamed entry


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    lake.write_bytes(Zone.CURATED, "t/run-1/part.parquet", b"data")
    folder = lake.path(Zone.CURATED, "t/run-1")
    stale = folder / ".part-2.parquet.abc123.tmp"
    fresh = folder / ".part-3.parquet.def456.tmp"  # a writer still at work
    hidden_data = folder / ".keep"
    for path in (stale, fresh, hidden_data):
        path.write_bytes(b"partial")
    # Ages are measured on the file system's clock, which stamped the files just written.
    an_hour_ago = fresh.stat().st_mtime - 3700
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(hidden_data, (an_hour_ago, an_hour_ago))

    removed = lake.remove_stale_temp_files(older_than_seconds=3600)

    assert removed == [stale]
    assert not stale.exists() and fresh.exists() and hidden_data.exists()
    assert lake.read_bytes(Zone.CURATED, "t/run-1/part.parquet") == b"data"


def test_temp_file_ages_come_from_the_file_systems_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process whose clock runs a month ahead (or a file server whose clock lags) must not
    # take a writer's fresh temp file for a killed writer's.
    folder = tmp_path / "curated" / "t"
    folder.mkdir(parents=True)
    fresh = folder / ".part-1.parquet.abc123.tmp"
    fresh.write_bytes(b"partial")
    month_ahead = time.time() + 31 * 86400
    monkeypatch.setattr(time, "time", lambda: month_ahead)

    assert LocalLake(tmp_path).remove_stale_temp_files(older_than_seconds=3600) == []
    assert fresh.exists()
    assert [p.name for p in folder.iterdir()] == [fresh.name]  # the clock probe is gone


def test_a_shared_object_is_the_same_file_and_outlives_its_source(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    lake.write_bytes(Zone.PROCESSED, "t/run-a/part-0.parquet", b"rows")

    lake.share_object(
        Zone.CURATED, "t/run-b/part-0.parquet", Zone.PROCESSED, "t/run-a/part-0.parquet"
    )

    source = lake.path(Zone.PROCESSED, "t/run-a/part-0.parquet")
    shared = lake.path(Zone.CURATED, "t/run-b/part-0.parquet")
    assert shared.stat().st_ino == source.stat().st_ino  # no bytes written
    source.unlink()  # pruning the old version
    assert lake.read_bytes(Zone.CURATED, "t/run-b/part-0.parquet") == b"rows"
    assert not [p for p in shared.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_sharing_a_missing_object_names_it(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"no object 't/x' in zone processed"):
        LocalLake(tmp_path).share_object(Zone.CURATED, "t/y", Zone.PROCESSED, "t/x")
