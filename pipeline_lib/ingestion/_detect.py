"""Detection from names and bytes: the dataset of a file, its format and its text encoding."""

from __future__ import annotations

import codecs
import csv
import fnmatch
import logging
import re
from pathlib import Path
from typing import Optional

import charset_normalizer

from pipeline_lib.exceptions import FileCheckError
from pipeline_lib.schemas import CONTRACTS

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 4 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters other than tab, newline, carriage return and form feed; a few may be
# stray noise in free text, many mean the file is not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_MAX_CONTROL_SHARE = 0.01


def dataset_patterns(dataset: str) -> tuple[str, ...]:
    """File name patterns of ``dataset``: its contract's, plus the same stem as ``.parquet``."""
    patterns = list(CONTRACTS[dataset].file_patterns)
    for pattern in CONTRACTS[dataset].file_patterns:
        parquet = pattern.rsplit(".", 1)[0] + ".parquet"
        if parquet not in patterns:
            patterns.append(parquet)
    return tuple(patterns)


def dataset_for_name(name: str) -> Optional[str]:
    """The dataset whose file patterns match ``name`` (a trailing ``.gz`` allowed), or None.

    Examples
    --------
    >>> dataset_for_name("transactions_2025.csv.gz")
    'transactions'
    >>> dataset_for_name("orders.csv") is None
    True
    """
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[: -len(".gz")]
    for dataset in CONTRACTS:
        if any(fnmatch.fnmatchcase(lowered, p) for p in dataset_patterns(dataset)):
            return dataset
    return None


def recognized_names() -> str:
    """The recognized file name patterns, for messages."""
    return ", ".join(p for d in CONTRACTS for p in dataset_patterns(d))


def sniff_kind(head: bytes) -> str:
    """The format of uncompressed content from its first bytes: parquet, json, jsonl or csv."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    text_start = head
    for bom, _ in _BOMS:
        if head.startswith(bom):
            text_start = head[len(bom) :].decode(_bom_encoding(bom), errors="ignore").encode()
            break
    stripped = text_start.lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    return "csv"


def _bom_encoding(bom: bytes) -> str:
    return dict(_BOMS)[bom]


def scan_utf8(path: Path) -> tuple[bool, bool]:
    """Stream ``path`` once: (whether it is strict UTF-8, whether it holds NUL bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    is_utf8 = True
    has_nul = False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            has_nul = has_nul or b"\x00" in chunk
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if has_nul and not is_utf8:
                break
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return is_utf8, has_nul


def detect_encoding(path: Path, head: bytes) -> str:
    """The text encoding of ``path``: BOM, else strict UTF-8, else charset-normalizer's guess.

    Raises
    ------
    FileCheckError
        ``format`` when the content is binary rather than text.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    is_utf8, has_nul = scan_utf8(path)
    if has_nul:
        raise FileCheckError("format", "content holds NUL bytes: binary data, not a text file")
    if is_utf8:
        return "utf-8"
    best = charset_normalizer.from_bytes(head).best()
    if best is None:
        raise FileCheckError("format", "content is not text in any known encoding (binary?)")
    guess = str(best.encoding)
    if _is_western_single_byte(guess) and _decodes(head, "cp1252"):
        # Short Western samples are often guessed as cp1250 or mac_roman, which turn "à"
        # into "ŕ"; the feeds are Western exports, and cp1252 covers Latin-1's letters.
        return "cp1252"
    return guess


def _is_western_single_byte(encoding: str) -> bool:
    name = encoding.lower().replace("-", "_")
    return name.startswith(("cp125", "iso8859", "latin", "mac_", "cp437", "cp850", "windows"))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(data)
    except UnicodeDecodeError:
        return False
    return True


def check_is_text(sample: str) -> None:
    """Raise ``format`` if decoded ``sample`` has the control characters of binary data."""
    if not sample:
        return
    n_control = len(_CONTROL.findall(sample))
    if n_control and n_control / len(sample) > _MAX_CONTROL_SHARE:
        raise FileCheckError(
            "format",
            f"content is binary, not text ({n_control} control characters in the first "
            f"{len(sample):,} characters)",
        )


def header_fields(first_line: str, delimiter: str) -> list[str]:
    """The column names of a delimited header line, surrounding whitespace removed."""
    rows = list(csv.reader([first_line], delimiter=delimiter))
    return [name.strip() for name in rows[0]] if rows else []


def detect_delimiter(first_line: str, expected_columns: list[str]) -> str:
    """The delimiter among ``, ; TAB |`` that splits the header into the most known columns.

    Ties go to the delimiter that occurs most often, then to the comma.
    """
    expected = set(expected_columns)

    def score(delimiter: str) -> tuple[int, int]:
        names = header_fields(first_line, delimiter)
        return (sum(1 for n in names if n in expected), first_line.count(delimiter))

    return max(DELIMITERS, key=score)
