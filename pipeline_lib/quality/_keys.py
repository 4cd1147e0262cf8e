"""Business keys and validated identifiers of the contract tables.

SQL built by the quality checks names tables and columns only through these helpers, so a
name that is not in a contract never reaches a query.
"""

from __future__ import annotations

import re

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas import TABLES, TableSchema

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
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
