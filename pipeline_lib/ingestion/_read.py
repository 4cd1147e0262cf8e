"""Readers from plain UTF-8 (or Parquet) content to Arrow, keeping malformed records apart."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from pipeline_lib.exceptions import FileCheckError
from pipeline_lib.schemas import DatasetContract
from pipeline_lib.schemas.coerce import REJECT_REASON, ROW_NUMBER

logger = logging.getLogger(__name__)

RAW_RECORD = "_raw_record"
MALFORMED_JSON = "malformed_json"
MALFORMED_ROW = "malformed_row"
_MALFORMED_SCHEMA = pa.schema(
    [(RAW_RECORD, pa.string()), (ROW_NUMBER, pa.int64()), (REJECT_REASON, pa.string())]
)
_TEXT_TYPES = ("string", "date", "timestamp")
_CSV_BLOCK_BYTES = 16 * 1024 * 1024


@dataclass
class RawRows:
    """Rows as read, before coercion.

    ``row_numbers`` are the file row numbers of ``table``'s rows when they are not simply
    1..n (records were dropped as malformed); ``malformed`` holds those dropped records.
    """

    table: pa.Table
    row_numbers: Optional[pa.Array] = None
    malformed: Optional[pa.Table] = None

    @property
    def n_malformed(self) -> int:
        return 0 if self.malformed is None else self.malformed.num_rows


def read_csv(path: Path, delimiter: str, header: list[str]) -> RawRows:
    """Read delimited UTF-8 text with every column as a string and only "" as null.

    Rows with the wrong number of fields are kept apart as ``malformed_row`` records.
    """
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise FileCheckError("schema", f"header repeats column names {duplicates}")
    table, invalid = _read_csv_once(path, delimiter, header, use_threads=True)
    if not invalid:
        return RawRows(table)
    # Line numbers of bad rows are only known to a single-threaded read.
    table, invalid = _read_csv_once(path, delimiter, header, use_threads=False)
    # The header is line 1, so the data row of physical line L is L - 1.
    bad_rows = np.array([(line or 0) - 1 for line, _ in invalid], dtype=np.int64)
    all_rows = np.arange(1, table.num_rows + len(invalid) + 1, dtype=np.int64)
    kept = np.setdiff1d(all_rows, bad_rows)[: table.num_rows]
    malformed = pa.table(
        {
            RAW_RECORD: [text for _, text in invalid],
            ROW_NUMBER: pa.array(bad_rows),
            REJECT_REASON: [MALFORMED_ROW] * len(invalid),
        },
        schema=_MALFORMED_SCHEMA,
    )
    return RawRows(table, row_numbers=pa.array(kept), malformed=malformed)


def _read_csv_once(
    path: Path, delimiter: str, header: list[str], *, use_threads: bool
) -> tuple[pa.Table, list[tuple[Optional[int], str]]]:
    invalid: list[tuple[Optional[int], str]] = []

    def keep_apart(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                column_names=header,
                skip_rows=1,
                use_threads=use_threads,
                block_size=_CSV_BLOCK_BYTES,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=keep_apart
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FileCheckError("format", f"cannot parse delimited text: {_one_line(exc)}") from None
    return table, invalid


def read_json_lines(path: Path, contract: DatasetContract, first_record: dict[str, Any]) -> RawRows:
    """Read JSON lines with pyarrow; on a malformed line, parse line by line instead.

    Contract text, date and timestamp columns present in ``first_record`` are read as
    strings so that coercion, not the JSON reader's guess, decides how they are parsed.
    """
    explicit = pa.schema(
        [
            (c.name, pa.string())
            for c in contract.columns
            if c.dtype in _TEXT_TYPES and c.name in first_record
        ]
    )
    try:
        table = pa_json.read_json(
            path,
            parse_options=pa_json.ParseOptions(
                explicit_schema=explicit,
                unexpected_field_behavior="infer",
                newlines_in_values=False,
            ),
        )
        return RawRows(table)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        logger.info("%s: fast JSON reader failed (%s); parsing line by line", path.name, exc)
    return _read_json_lines_slowly(path)


def _read_json_lines_slowly(path: Path) -> RawRows:
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    bad_text: list[str] = []
    bad_numbers: list[int] = []
    with path.open("r", encoding="utf-8", newline="") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                records.append(record)
                numbers.append(line_number)
            else:
                bad_text.append(line.rstrip("\r\n"))
                bad_numbers.append(line_number)
    if not records:
        raise FileCheckError(
            "format",
            "no line holds a JSON object (not JSON lines)",
            {"line": bad_numbers[0] if bad_numbers else None},
        )
    malformed = pa.table(
        {
            RAW_RECORD: bad_text,
            ROW_NUMBER: pa.array(bad_numbers, pa.int64()),
            REJECT_REASON: [MALFORMED_JSON] * len(bad_text),
        },
        schema=_MALFORMED_SCHEMA,
    )
    return RawRows(
        records_to_table(records), row_numbers=pa.array(numbers, pa.int64()), malformed=malformed
    )


def read_json_array(path: Path) -> RawRows:
    """Read a JSON array of objects; elements that are not objects are malformed records."""
    try:
        with path.open("r", encoding="utf-8") as handle:
            loaded = json.load(handle)
    except json.JSONDecodeError as exc:
        raise FileCheckError(
            "format",
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            {"line": exc.lineno, "column": exc.colno},
        ) from None
    if not isinstance(loaded, list):
        raise FileCheckError("format", "JSON content is not an array of objects")
    records = [r for r in loaded if isinstance(r, dict)]
    numbers = [i for i, r in enumerate(loaded, start=1) if isinstance(r, dict)]
    bad = [(i, r) for i, r in enumerate(loaded, start=1) if not isinstance(r, dict)]
    malformed = pa.table(
        {
            RAW_RECORD: [json.dumps(r) for _, r in bad],
            ROW_NUMBER: pa.array([i for i, _ in bad], pa.int64()),
            REJECT_REASON: [MALFORMED_JSON] * len(bad),
        },
        schema=_MALFORMED_SCHEMA,
    )
    return RawRows(
        records_to_table(records), row_numbers=pa.array(numbers, pa.int64()), malformed=malformed
    )


def records_to_table(records: list[dict[str, Any]]) -> pa.Table:
    """Columns of ``records`` (the union of keys, first seen first), typed where consistent.

    A column of mixed types (``5`` and ``"five"``) or nested values becomes strings (JSON
    text for non-strings), which coercion then parses or rejects row by row.
    """
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            names.setdefault(str(key), None)
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [record.get(name) for record in records]
        columns[name] = _column_of(values)
    return pa.table(columns) if columns else pa.table({})


def _column_of(values: list[Any]) -> pa.Array:
    if not any(isinstance(v, (dict, list)) for v in values):
        try:
            array = pa.array(values)
            if not pa.types.is_boolean(array.type):
                return array
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    return pa.array(
        [v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string()
    )


def read_parquet(path: Path) -> RawRows:
    """Read a Parquet file whole."""
    try:
        return RawRows(pq.read_table(path))
    except (pa.ArrowException, OSError) as exc:
        raise FileCheckError("format", f"unreadable Parquet: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
