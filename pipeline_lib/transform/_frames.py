"""Frame plumbing shared by the transforms: canonical dtypes, keys, sorting, rejects, dedup.

Every frame the transforms return uses Arrow-backed pandas dtypes (``pd.ArrowDtype``) that
match the contract's Arrow types one to one (strings ``string``, ints ``int64``, amounts
``double``, dates ``date32``, timestamps ``timestamp[us, UTC]``, flags ``bool``): writing a
frame to Parquet gives back exactly the contract schema, and nulls are real nulls.

pandas operations on Arrow-backed columns are slow for sorting and grouping at millions of
rows, so the heavy lifting here works on integer codes with numpy (``np.lexsort``,
``np.unique``) and on Arrow arrays with ``pyarrow.compute``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Optional, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas import DatasetContract
from pipeline_lib.transform._result import REJECT_REASON

#: Bookkeeping column: increasing in arrival order; a higher value arrived later.
SOURCE_ORDER = "_source_order"

STRING = pd.ArrowDtype(pa.string())
INT64 = pd.ArrowDtype(pa.int64())
FLOAT64 = pd.ArrowDtype(pa.float64())
DATE = pd.ArrowDtype(pa.date32())
TIMESTAMP = pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
BOOL = pd.ArrowDtype(pa.bool_())

ArrowData = Union[pa.Array, pa.ChunkedArray]
#: A reject rule: (reason, boolean mask of the rows that break it).
RejectCheck = tuple[str, np.ndarray]


def contract_frame(data: Union[pd.DataFrame, pa.Table], contract: DatasetContract) -> pd.DataFrame:
    """Return ``data`` with the contract columns in the canonical Arrow-backed dtypes.

    Use it to turn a coerced Arrow table (or any frame with the contract columns) into the
    input the transforms expect. Contract columns come first, in contract order, then
    ``_source_order`` (int64; the row position when absent, i.e. arrival order = row order),
    then any extra columns unchanged.

    Parameters
    ----------
    data
        A pandas DataFrame or an Arrow table holding every contract column.
    contract
        The dataset contract.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh ``RangeIndex``.

    Raises
    ------
    ContractError
        If a contract column is missing.
    """
    if isinstance(data, pa.Table):
        frame = data.to_pandas(types_mapper=pd.ArrowDtype)
    else:
        frame = data.reset_index(drop=True)
    require_columns(frame, contract.required_columns, contract.name)
    columns: dict[str, pd.Series] = {}
    for column in contract.columns:
        dtype = pd.ArrowDtype(column.arrow_type)
        if column.name in frame.columns:
            columns[column.name] = as_dtype(frame[column.name], dtype)
        else:  # an optional column the feed (or data validated before it existed) leaves out
            columns[column.name] = pd.Series(pd.array([None] * len(frame), dtype=dtype))
    if SOURCE_ORDER in frame.columns:
        columns[SOURCE_ORDER] = as_dtype(frame[SOURCE_ORDER], INT64)
    else:
        columns[SOURCE_ORDER] = pd.Series(np.arange(len(frame), dtype=np.int64), dtype=INT64)
    for name in frame.columns:
        if name not in columns:
            columns[name] = frame[name]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def feed_columns(frame: pd.DataFrame, known: Iterable[str]) -> list[str]:
    """The columns a feed added: in ``frame`` but not in ``known``, and not internal
    (bookkeeping columns start with ``_``), in frame order.

    They travel through the transforms after the known columns, with the values and type
    they came with (docs/PIPELINE_GUIDE.md, "Columns a feed adds").

    Examples
    --------
    >>> frame = pd.DataFrame(columns=["id", "coupon_code", "_source_order"])
    >>> feed_columns(frame, ["id"])
    ['coupon_code']
    """
    names = set(known)
    return [str(c) for c in frame.columns if c not in names and not str(c).startswith("_")]


def output_columns(frame: pd.DataFrame, known: Sequence[str]) -> list[str]:
    """``known`` followed by the columns a feed added (:func:`feed_columns`): what a
    transform selects for its output."""
    return [*known, *feed_columns(frame, known)]


def move_to_end(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` (those it has) moved after all the others, order kept.

    A step that adds columns to a frame carrying a feed's extra columns uses it to keep
    those last, as the table contracts expect (documented columns first).
    """
    moved = [c for c in columns if c in frame.columns]
    if not moved:
        return frame
    return frame[[c for c in frame.columns if c not in set(moved)] + moved]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ContractError naming the columns of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ContractError(f"{what}: frame lacks columns {missing}; it has {list(frame.columns)}")


def as_dtype(series: pd.Series, dtype: pd.ArrowDtype) -> pd.Series:
    """``series`` converted to the Arrow-backed ``dtype`` (unchanged if it already is)."""
    if series.dtype == dtype:
        return series
    values = to_arrow(series).cast(dtype.pyarrow_dtype)
    return from_arrow(values, index=series.index, name=series.name)


def to_arrow(series: pd.Series) -> pa.Array:
    """The values of ``series`` as one Arrow array (zero-copy for Arrow-backed columns)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        values = pa.array(series.array)
    elif isinstance(series.dtype, pd.DatetimeTZDtype):
        # Hand Arrow the UTC instants; the cast only labels them as UTC.
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        values = pa.array(utc).cast(pa.timestamp(series.dtype.unit, tz="UTC"))
    else:
        values = pa.array(series, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values


def from_arrow(
    values: ArrowData, *, index: Optional[pd.Index] = None, name: object = None
) -> pd.Series:
    """An Arrow-backed Series around ``values``."""
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=index, name=name)


def constant(value: object, dtype: pd.ArrowDtype, length: int) -> pd.Series:
    """A Series repeating ``value`` ``length`` times."""
    scalar = pa.scalar(value, type=dtype.pyarrow_dtype)
    return from_arrow(pa.repeat(scalar, length))


def bool_mask(series: pd.Series) -> np.ndarray:
    """A numpy bool array from a boolean Series; null counts as False."""
    return np.asarray(series.to_numpy(dtype=bool, na_value=False), dtype=bool)


def int_values(series: pd.Series, *, null: int = 0) -> np.ndarray:
    """int64 numpy values of an integer, bool, date or timestamp column (dates: days since
    the epoch, timestamps: microseconds); nulls become ``null``."""
    return _int_array(to_arrow(series), null)


def _int_array(values: pa.Array, null: int) -> np.ndarray:
    if pa.types.is_date32(values.type):
        values = values.cast(pa.int32())
    elif pa.types.is_boolean(values.type):
        values = values.cast(pa.int8())
    values = values.cast(pa.int64())
    return np.asarray(pc.fill_null(values, null).to_numpy(zero_copy_only=False), dtype=np.int64)


def float_values(series: pd.Series) -> np.ndarray:
    """float64 numpy values of a numeric column; nulls become NaN."""
    values = to_arrow(series).cast(pa.float64())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def codes(series: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, int]:
    """Integer codes of a column's values and the number of distinct values.

    Equal values get equal codes; nulls get -1. With ``sort=True`` codes follow the value
    order, so sorting by codes sorts by value.
    """
    if _is_temporal(series.dtype):
        keys: Union[pd.Series, np.ndarray] = int_values(series, null=np.iinfo(np.int64).min)
    else:
        keys = series
    value_codes, uniques = pd.factorize(keys, sort=sort)
    return np.asarray(value_codes, dtype=np.int64), len(uniques)


def sort_keys(series: pd.Series, *, ascending: bool = True) -> np.ndarray:
    """A numpy array that sorts like ``series`` (nulls last) for use with ``np.lexsort``."""
    arrow_type = series.dtype.pyarrow_dtype if isinstance(series.dtype, pd.ArrowDtype) else None
    if arrow_type is not None and pa.types.is_floating(arrow_type):
        values = float_values(series)
        # NaN (null) sorts last in np.lexsort whatever the sign.
        return values if ascending else -values
    if arrow_type is not None and (
        pa.types.is_integer(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_temporal(arrow_type)
    ):
        values = to_arrow(series)
        nulls = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        keys = _int_array(values, 0)
        return np.where(nulls, np.iinfo(np.int64).max, keys if ascending else -keys)
    value_codes, n_values = codes(series, sort=True)
    value_codes = np.where(value_codes < 0, n_values, value_codes)
    return (
        value_codes
        if ascending
        else np.where(value_codes == n_values, n_values, n_values - 1 - value_codes)
    )


def sort_order(frame: pd.DataFrame, keys: Sequence[tuple[str, bool]]) -> np.ndarray:
    """Row positions that sort ``frame`` by ``keys`` ((column, ascending) pairs, most
    significant first); stable, so ties keep their input order."""
    if not keys or len(frame) == 0:
        return np.arange(len(frame))
    arrays = [sort_keys(frame[column], ascending=ascending) for column, ascending in keys]
    if _in_key_order(arrays):
        # Frames often arrive already sorted (e.g. in arrival order): one linear check is
        # much cheaper than sorting millions of rows to find nothing to move.
        return np.arange(len(frame))
    return np.lexsort(arrays[::-1])


def _in_key_order(arrays: Sequence[np.ndarray]) -> bool:
    """Whether rows are already in ascending order of the sort keys ``arrays`` (most
    significant first), i.e. the stable sort would keep every row in place. NaN compares
    false, so keys with NaN answer False (and the caller sorts)."""
    in_order = np.zeros(len(arrays[0]) - 1, dtype=bool)  # decided by some key
    tied = np.ones(len(arrays[0]) - 1, dtype=bool)  # equal on every key so far
    for keys in arrays:
        earlier, later = keys[:-1], keys[1:]
        in_order |= tied & (earlier < later)
        tied &= earlier == later
    return bool(np.all(in_order | tied))


def sorted_frame(frame: pd.DataFrame, keys: Sequence[tuple[str, bool]]) -> pd.DataFrame:
    """``frame`` sorted by ``keys`` (see :func:`sort_order`) with a fresh RangeIndex."""
    return take_rows(frame, sort_order(frame, keys))


def take_rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions``, with a fresh RangeIndex."""
    if len(positions) == len(frame) and np.array_equal(positions, np.arange(len(frame))):
        # Moving millions of Arrow strings is the costliest step: skip it when it is a no-op.
        return frame.reset_index(drop=True)
    return frame.take(positions).reset_index(drop=True)


def split_rejects(
    frame: pd.DataFrame, checks: Sequence[RejectCheck]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (valid rows, rejected rows with ``_reject_reason``).

    A row breaking several checks gets the reason of the first one in ``checks``.
    Both parts keep the input row order and get a fresh RangeIndex.
    """
    reason_index = np.zeros(len(frame), dtype=np.int64)
    for position in range(len(checks) - 1, -1, -1):
        reason_index[checks[position][1]] = position + 1
    rejected = reason_index > 0
    valid = take_rows(frame, np.flatnonzero(~rejected))
    rejects = take_rows(frame, np.flatnonzero(rejected))
    reasons = np.array([reason for reason, _ in checks], dtype=object)
    rejects[REJECT_REASON] = from_arrow(
        pa.array(reasons[reason_index[rejected] - 1].tolist(), type=pa.string())
    )
    return valid, rejects


def keep_latest(frame: pd.DataFrame, key: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Keep the row with the highest ``_source_order`` per ``key``; return it and the number
    of older rows dropped. Kept rows stay in input order.

    Key columns are compared one at a time, cheap (numeric, temporal) ones first, and a row
    whose partial key is already unique leaves the candidates: the expensive string columns
    are only hashed for the few rows that may be duplicates.
    """
    n_rows = len(frame)
    if n_rows == 0:
        return frame.reset_index(drop=True), 0
    rows = np.arange(n_rows)
    ids = np.zeros(n_rows, dtype=np.int64)
    ordered = sorted(key, key=lambda name: 0 if _is_numeric(frame[name].dtype) else 1)
    for position, column in enumerate(ordered):
        values = frame[column] if len(rows) == n_rows else frame[column].iloc[rows]
        if position == 0 and _is_temporal(values.dtype):
            # The same grouping as codes() (equal instants, nulls together), but sorting
            # int64 beats hashing them several times over, above all for timestamps that
            # arrive nearly in order.
            group_keys = int_values(values, null=np.iinfo(np.int64).min)
        else:
            column_codes, n_values = codes(values)
            group_keys = ids * (n_values + 1) + (column_codes + 1)
        ids, counts = _dense_ids(group_keys)
        shared = counts[ids] >= 2
        rows, ids = rows[shared], ids[shared].astype(np.int64)
        if len(rows) == 0:
            return frame.reset_index(drop=True), 0
    arrival = int_values(frame[SOURCE_ORDER])[rows]
    # Stable: with equal _source_order the row further down the input is the later one.
    order = np.lexsort((arrival, ids))
    sorted_ids = ids[order]
    is_last = np.append(sorted_ids[1:] != sorted_ids[:-1], True)
    keep = np.ones(n_rows, dtype=bool)
    keep[rows[order[~is_last]]] = False
    return take_rows(frame, np.flatnonzero(keep)), int(n_rows - keep.sum())


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_counts=True)[1:]``: the rank of each
    key among the distinct keys, and how often each distinct key occurs.

    A stable sort (timsort) is near linear on the nearly ordered keys of data that arrives
    in time order, where np.unique's quicksort is not: several times faster on such input.
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts_group = np.ones(len(keys), dtype=bool)
    starts_group[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_of_sorted = np.cumsum(starts_group) - 1
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = group_of_sorted
    return ids, np.bincount(group_of_sorted)


def _is_numeric(dtype: object) -> bool:
    if isinstance(dtype, pd.ArrowDtype):
        arrow_type = dtype.pyarrow_dtype
        return bool(
            pa.types.is_integer(arrow_type)
            or pa.types.is_floating(arrow_type)
            or pa.types.is_temporal(arrow_type)
        )
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))


def normalized_text(series: pd.Series) -> pd.Series:
    """Whitespace trimmed and lowercased (nulls stay null)."""
    values = pc.utf8_lower(pc.utf8_trim_whitespace(to_arrow(series).cast(pa.string())))
    return from_arrow(values, index=series.index, name=series.name)


def collapsed_text(series: pd.Series) -> pd.Series:
    """Whitespace trimmed and internal runs of whitespace collapsed to one space."""
    values = pc.utf8_trim_whitespace(to_arrow(series).cast(pa.string()))
    values = pc.replace_substring_regex(values, pattern=r"\s+", replacement=" ")
    return from_arrow(values, index=series.index, name=series.name)


def percent(numerator: np.ndarray, denominator: np.ndarray) -> pd.Series:
    """``100 * numerator / denominator`` rounded to 2 decimals; null where the denominator
    is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    has_base = denominator > 0
    rates = np.full(len(numerator), np.nan)
    np.divide(100.0 * numerator, denominator, out=rates, where=has_base)
    rates = np.round(rates, 2)
    return from_arrow(pa.array(rates, mask=~has_base, type=pa.float64()))


def _is_temporal(dtype: object) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_temporal(dtype.pyarrow_dtype)


def lookup(keys: pd.Series, table_keys: pd.Series) -> np.ndarray:
    """Position in ``table_keys`` of each value of ``keys``; -1 where it is absent.

    Raises
    ------
    ValueError
        If ``table_keys`` has duplicates (the lookup would be ambiguous).
    """
    index = pd.Index(as_dtype(table_keys, STRING))
    if not index.is_unique:
        duplicated = index[index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"lookup keys are not unique, e.g. {duplicated}")
    return np.asarray(index.get_indexer(as_dtype(keys, STRING)), dtype=np.int64)


def take_or_null(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """``values`` at ``positions``; null where the position is -1."""
    indices = pa.array(positions, mask=positions < 0, type=pa.int64())
    return from_arrow(to_arrow(values).take(indices))
