"""Type coercion of a raw table against a dataset contract, vectorized with pyarrow.compute.

Every contract column is converted to its contract Arrow type. A row whose required value is
missing, or whose value cannot be converted, is moved to the rejects with the first reason
found (in contract column order). Business rules (allowed values, ranges, references) are not
checked here: the ETL applies them later on typed data.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.exceptions import CoercionError
from pipeline_lib.schemas._contracts import DATE_FORMATS, TIMESTAMP_FORMATS
from pipeline_lib.schemas._model import Column, DatasetContract

logger = logging.getLogger(__name__)

ROW_NUMBER = "_row_number"
REJECT_REASON = "_reject_reason"
MISSING_REQUIRED = "missing_required"
UNPARSEABLE_VALUE = "unparseable_value"

_TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")
# Integers may come as "2" or "2.0" (spreadsheet exports); 18 digits keep the cast in int64.
_INT_TEXT = r"^[+-]?[0-9]{1,18}(\.0*)?$"
_FLOAT_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?(?i:inf|infinity|nan)$"
# Fractional seconds are not expressible in the strptime formats: they are split off first.
_FRACTION = r"^(.*:[0-9]{2})\.([0-9]+)(.*)$"


@dataclass(frozen=True)
class CoercionResult:
    """The outcome of :func:`coerce_table`.

    Attributes
    ----------
    valid
        Rows that passed: contract columns with contract types in contract order, then the
        extra columns as strings.
    rejects
        Rejected rows: every input column as a string (original values), plus
        ``_row_number`` (int64, 1-based data row) and ``_reject_reason``.
    extra_columns
        Input columns that the contract does not know, in input order.
    valid_row_numbers
        The file row number of each row of ``valid`` (int64), to keep arrival order.
    """

    valid: pa.Table
    rejects: pa.Table
    extra_columns: list[str] = field(default_factory=list)
    valid_row_numbers: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))

    def reject_counts(self) -> dict[str, int]:
        """Number of rejected rows per reason."""
        if self.rejects.num_rows == 0:
            return {}
        counts = pc.value_counts(self.rejects.column(REJECT_REASON)).to_pylist()
        return {str(item["values"]): int(item["counts"]) for item in counts}


@dataclass(frozen=True)
class _Converted:
    values: pa.Array
    missing: pa.Array  # bool, True where the input was null or empty
    unparseable: pa.Array  # bool, True where a present value could not be converted


def coerce_table(
    table: pa.Table,
    contract: DatasetContract,
    *,
    first_row_number: int = 1,
    row_numbers: Optional[pa.Array] = None,
) -> CoercionResult:
    """Convert ``table`` to the types of ``contract``, splitting valid rows from rejects.

    Parameters
    ----------
    table
        Raw rows. Columns may be strings (CSV) or already typed (JSON numbers, Parquet).
        Every contract column must be present.
    contract
        The dataset contract to convert to.
    first_row_number
        The file row number of the table's first row (1 = first data row).
    row_numbers
        Explicit file row numbers, one per row (e.g. JSON line numbers when malformed lines
        were dropped before); overrides ``first_row_number``.

    Returns
    -------
    CoercionResult
        Valid typed rows, rejected rows with reasons, and the extra column names.

    Raises
    ------
    CoercionError
        If a contract column is missing or has a type that cannot be converted at all.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from pipeline_lib.schemas import REVIEWS
    >>> raw = pa.table({c: ["x"] for c in REVIEWS.column_names})
    >>> coerce_table(raw, REVIEWS).reject_counts()
    {'unparseable_value:rating': 1}
    """
    missing_columns = [c for c in contract.required_columns if c not in table.column_names]
    if missing_columns:
        raise CoercionError(f"table lacks contract columns {missing_columns}")
    n_rows = table.num_rows
    for absent in (c for c in contract.column_names if c not in table.column_names):
        table = table.append_column(absent, pa.nulls(n_rows, pa.string()))  # optional: empty
    if row_numbers is None:
        numbers = pa.array(np.arange(first_row_number, first_row_number + n_rows, dtype=np.int64))
    else:
        numbers = row_numbers.cast(pa.int64())
        if len(numbers) != n_rows:
            raise ValueError(f"row_numbers has {len(numbers)} values for {n_rows} rows")

    reason: pa.Array = pa.nulls(n_rows, pa.string())
    converted: list[pa.Array] = []
    for column in contract.columns:
        result = _convert_column(_as_array(table.column(column.name)), column)
        converted.append(result.values)
        if not column.nullable:
            reason = _first_reason(reason, result.missing, f"{MISSING_REQUIRED}:{column.name}")
        reason = _first_reason(reason, result.unparseable, f"{UNPARSEABLE_VALUE}:{column.name}")

    extra_columns = [c for c in table.column_names if c not in contract.column_names]
    rejected = pc.is_valid(reason)
    accepted = pc.invert(rejected)

    valid_arrays = [pc.filter(a, accepted) for a in converted]
    valid_arrays += [
        pc.filter(_to_text(_as_array(table.column(c))), accepted) for c in extra_columns
    ]
    valid_fields = [pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in contract.columns]
    valid_fields += [pa.field(c, pa.string()) for c in extra_columns]
    valid = pa.Table.from_arrays(valid_arrays, schema=_nullable(pa.schema(valid_fields)))

    reject_arrays = [pc.filter(_to_text(_as_array(col)), rejected) for col in table.columns]
    reject_arrays += [pc.filter(numbers, rejected), pc.filter(reason, rejected)]
    rejects = pa.Table.from_arrays(
        reject_arrays, names=[*table.column_names, ROW_NUMBER, REJECT_REASON]
    )
    logger.debug(
        "coerced %s: %d rows valid, %d rejected", contract.name, valid.num_rows, rejects.num_rows
    )
    return CoercionResult(
        valid=valid,
        rejects=rejects,
        extra_columns=extra_columns,
        valid_row_numbers=pc.filter(numbers, accepted),
    )


def _nullable(schema: pa.Schema) -> pa.Schema:
    # Non-nullable is enforced by rejecting rows; Arrow's flag would only make writers strict.
    return pa.schema([f.with_nullable(True) for f in schema])


def _as_array(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 0:
        return pa.array([], type=column.type)
    return column.combine_chunks()


def _constant_mask(n_rows: int, value: bool) -> pa.Array:
    return pa.array(np.full(n_rows, value, dtype=bool))


def _first_reason(reason: pa.Array, problem: pa.Array, text: str) -> pa.Array:
    if not pc.any(problem).as_py():
        return reason
    take = pc.and_(problem, pc.is_null(reason))
    return pc.if_else(take, pa.scalar(text, pa.string()), reason)


def _to_text(array: pa.Array) -> pa.Array:
    """The values as strings, for rejects and extra columns (nested values as JSON)."""
    if pa.types.is_string(array.type):
        return array
    try:
        return pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()],
            type=pa.string(),
        )


def _convert_column(array: pa.Array, column: Column) -> _Converted:
    if pa.types.is_null(array.type):
        values = pa.nulls(len(array), column.arrow_type)
        n_rows = len(array)
        return _Converted(values, _constant_mask(n_rows, True), _constant_mask(n_rows, False))
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    if column.dtype == "string":
        return _convert_text(array, column)
    if pa.types.is_string(array.type):
        # Surrounding whitespace is noise in typed values (" 2 "), not in free text.
        stripped = pc.utf8_trim_whitespace(array)
        present = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
        parse = _TEXT_PARSERS[column.dtype]
        values = parse(present)
        return _Converted(
            values,
            missing=pc.is_null(present),
            unparseable=pc.and_(pc.is_valid(present), pc.is_null(values)),
        )
    values = _convert_typed(array, column)
    return _Converted(
        values,
        missing=pc.is_null(array),
        unparseable=pc.and_(pc.is_valid(array), pc.is_null(values)),
    )


def _convert_text(array: pa.Array, column: Column) -> _Converted:
    if not pa.types.is_string(array.type):
        if pa.types.is_nested(array.type) or pa.types.is_binary(array.type):
            raise CoercionError(f"column {column.name!r} has type {array.type}; expected text")
        array = pc.cast(array, pa.string())
    # Only the empty string means "no value"; free text is kept verbatim (never trimmed).
    values = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return _Converted(values, pc.is_null(values), _constant_mask(len(values), False))


def _convert_typed(array: pa.Array, column: Column) -> pa.Array:
    """Convert an already typed (non-text) array; the result is null where it cannot."""
    source = array.type
    target = column.arrow_type
    if column.dtype == "int64":
        if pa.types.is_integer(source):
            return pc.cast(array, target)
        if pa.types.is_floating(source) or pa.types.is_decimal(source):
            as_float = pc.cast(array, pa.float64())
            whole = pc.and_(pc.is_finite(as_float), pc.equal(as_float, pc.floor(as_float)))
            in_range = pc.less(pc.abs(as_float), 9.0e18)
            keep = pc.and_(whole, in_range)
            return pc.cast(pc.if_else(keep, as_float, pa.scalar(None, pa.float64())), target)
    elif column.dtype == "float64":
        if (
            pa.types.is_integer(source)
            or pa.types.is_floating(source)
            or pa.types.is_decimal(source)
        ):
            return pc.cast(array, target)
    elif column.dtype == "date":
        if pa.types.is_date(source):
            return pc.cast(array, target)
        if pa.types.is_timestamp(source):
            return pc.cast(array, target, safe=False)
    elif column.dtype == "timestamp":
        if pa.types.is_timestamp(source):
            if source.tz is None:
                # A timestamp without zone is UTC by contract: reinterpret, don't shift.
                return pc.cast(pc.cast(array, pa.timestamp("us")), target)
            return pc.cast(array, target)
        if pa.types.is_date(source):
            return pc.cast(pc.cast(array, pa.timestamp("us")), target)
    raise CoercionError(
        f"column {column.name!r} has type {source}, which cannot be converted to {column.dtype}"
    )


def _parse_int(text: pa.Array) -> pa.Array:
    try:
        return pc.cast(text, pa.int64())
    except pa.ArrowInvalid:
        pass
    ok = pc.match_substring_regex(text, _INT_TEXT)
    whole = pc.replace_substring_regex(text, r"\.0*$", "")
    return pc.cast(pc.if_else(ok, whole, pa.scalar(None, pa.string())), pa.int64())


def _parse_float(text: pa.Array) -> pa.Array:
    try:
        return pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        pass
    ok = pc.match_substring_regex(text, _FLOAT_TEXT)
    return pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())


def _parse_date(text: pa.Array) -> pa.Array:
    try:
        # Fast path: ISO dates, the first of DATE_FORMATS and what feeds send most.
        return pc.cast(text, pa.date32())
    except pa.ArrowInvalid:
        pass
    result = pa.nulls(len(text), pa.date32())
    for fmt in DATE_FORMATS:
        pending = pc.and_(pc.is_valid(text), pc.is_null(result))
        if not pc.any(pending).as_py():
            break
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        # First match wins: only fill rows no earlier format parsed.
        result = pc.coalesce(result, pc.cast(parsed, pa.date32(), safe=False))
    return result


def _parse_timestamp(text: pa.Array) -> pa.Array:
    try:
        # Fast path: ISO-8601 with an offset ("...Z"), which is what the website sends.
        return pc.cast(text, _TIMESTAMP_UTC)
    except pa.ArrowInvalid:
        pass
    has_fraction = pc.match_substring_regex(text, _FRACTION)
    base = pc.replace_substring_regex(text, _FRACTION, r"\1\3")
    digits = pc.replace_substring_regex(
        pc.if_else(has_fraction, text, pa.scalar(None, pa.string())), _FRACTION, r"\2"
    )
    micros = pc.cast(pc.utf8_slice_codeunits(pc.utf8_rpad(digits, 6, "0"), 0, 6), pa.int64())
    result = pa.nulls(len(text), _TIMESTAMP_UTC)
    for fmt in TIMESTAMP_FORMATS:
        pending = pc.and_(pc.is_valid(base), pc.is_null(result))
        if not pc.any(pending).as_py():
            break
        parsed = pc.strptime(base, format=fmt, unit="us", error_is_null=True)
        if parsed.type.tz is None:
            parsed = pc.cast(parsed, _TIMESTAMP_UTC)  # no offset: UTC by contract
        result = pc.coalesce(result, parsed)
    offset = pc.cast(pc.coalesce(micros, pa.scalar(0, pa.int64())), pa.duration("us"))
    return pc.add(result, offset)


_TEXT_PARSERS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "int64": _parse_int,
    "float64": _parse_float,
    "date": _parse_date,
    "timestamp": _parse_timestamp,
}
