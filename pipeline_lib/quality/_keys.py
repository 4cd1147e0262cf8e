"""Business keys and validated identifiers of the contract tables.

SQL built by the quality checks names tables and columns only through these helpers, so a
name that is not in a contract never reaches a query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas import TABLES, TableSchema

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
#: A partition value that may be spliced into SQL ("2026-11", "2026-11-28").
_PARTITION = re.compile(r"^[0-9A-Za-z_.-]+$")
_GRAIN = re.compile(r"^one row per (?:reviewed )?([a-z_]+)$")

#: Keys a grain sentence does not name as a column.
_KEY_OVERRIDES: dict[str, tuple[str, ...]] = {
    "daily_funnel": ("date",),
    "product_affinity": ("product_a", "product_b"),
}


def contract(table: str) -> TableSchema:
    """The contract of a qualified table name, or ContractError naming the known ones."""
    try:
        return TABLES[table]
    except KeyError:
        raise ContractError(
            f"unknown table {table!r}; quality checks run on contract tables: "
            f"{', '.join(sorted(TABLES))}"
        ) from None


def table_name(table: str) -> str:
    """``table`` checked against the contracts, safe to splice into SQL."""
    schema = contract(table)
    zone, name = schema.qualified_name.split(".")
    if not (_IDENTIFIER.match(zone) and _IDENTIFIER.match(name)):  # pragma: no cover
        raise ContractError(f"table {table!r} is not a plain identifier")
    return schema.qualified_name


def column_name(table: str, column: str) -> str:
    """``column`` checked against the table's contract, safe to splice into SQL."""
    names = contract(table).column_names
    if column not in names or not _IDENTIFIER.match(column):
        raise ContractError(f"{table} has no column {column!r}; columns: {', '.join(names)}")
    # Quoted: `date` and `timestamp` are column names and SQL keywords.
    return f'"{column}"'


def partition_filter(table: str, partitions: Optional[Sequence[str]]) -> str:
    """`` WHERE <partition column> IN (...)`` keeping ``partitions`` of ``table``.

    Empty when ``partitions`` is None or the table is not partitioned (all rows); a value
    that is not a plain partition value is left out, so an empty list keeps no row.
    """
    column = contract(table).partition_column
    if partitions is None or not column:
        return ""
    if not _IDENTIFIER.match(column):  # pragma: no cover - the contracts name them
        raise ContractError(f"{table}'s partition column {column!r} is not a plain identifier")
    values = ", ".join(f"'{p}'" for p in partitions if _PARTITION.match(p))
    # The partition column is the folder layout's (transaction_month=2026-11), not a column
    # of the contract.
    return f' WHERE "{column}" IN ({values or "NULL"})'


def business_key(table: str) -> tuple[str, ...]:
    """The columns that identify a row of ``table`` (empty for event tables).

    Read from the contract's grain ("one row per transaction_id"), with overrides for the
    grains that are not a column name.
    """
    schema = contract(table)
    if schema.name in _KEY_OVERRIDES:
        return _KEY_OVERRIDES[schema.name]
    match = _GRAIN.match(schema.grain)
    if match and match.group(1) in schema.column_names:
        return (match.group(1),)
    return ()
