"""Turn a file's bytes into plain content the readers take: gunzip, then transcode to UTF-8."""

from __future__ import annotations

import gzip
import hashlib
import logging
import zlib
from pathlib import Path
from typing import BinaryIO

from pipeline_lib.exceptions import FileCheckError

logger = logging.getLogger(__name__)

_CHUNK = 4 * 1024 * 1024
HEAD_BYTES = 64 * 1024


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file's content, read in chunks (constant memory)."""
    with path.open("rb") as handle:
        return sha256_of_stream(handle)


def sha256_of_stream(handle: BinaryIO) -> str:
    """The SHA-256 of what ``handle`` holds, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> bytes:
    """The first ``n_bytes`` of the file."""
    with path.open("rb") as handle:
        return handle.read(n_bytes)


def gunzip(source: Path, target: Path, max_bytes: int) -> None:
    """Decompress gzip ``source`` into ``target``.

    Raises
    ------
    FileCheckError
        ``format`` for a truncated or corrupt gzip stream, ``size_limit`` when the content
        grows past ``max_bytes`` (the limit protects the readers, which see the content).
    """
    written = 0
    try:
        with gzip.open(source, "rb") as src, target.open("wb") as dst:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                written += len(chunk)
                if written > max_bytes:
                    raise FileCheckError(
                        "size_limit",
                        f"decompressed content exceeds the limit of {max_bytes:,} bytes",
                        {"limit_bytes": max_bytes},
                    )
                dst.write(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        raise FileCheckError(
            "format",
            f"gzip content is truncated or corrupt ({_one_line(exc)})",
            {"decompressed_bytes_before_error": written},
        ) from None


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Write ``source`` decoded from ``encoding`` into ``target`` as UTF-8, streaming.

    Line endings are kept as they are; a BOM is dropped (``utf-8-sig``, ``utf-16-le/be``).

    Raises
    ------
    FileCheckError
        ``format`` when the content is not valid in ``encoding``.
    """
    offset = 0
    try:
        with (
            source.open("r", encoding=encoding, errors="strict", newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            if encoding.startswith("utf-16"):
                # utf-16-le/be keep the BOM as U+FEFF: drop it like utf-8-sig does.
                first = src.read(1)
                if first and first != "\ufeff":
                    dst.write(first)
            for chunk in iter(lambda: src.read(_CHUNK), ""):
                dst.write(chunk)
                offset += len(chunk)
    except UnicodeDecodeError as exc:
        raise FileCheckError(
            "format",
            f"content is not valid {encoding} text: {exc.reason} near character {offset:,}",
        ) from None
    except LookupError:
        raise FileCheckError("format", f"unsupported text encoding {encoding!r}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
