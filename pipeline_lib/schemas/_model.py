"""The contract model: what a dataset's columns are, and what their values may be."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Optional

from pipeline_lib.exceptions import ContractError

if TYPE_CHECKING:  # pyarrow is imported when a contract's Arrow types are asked for
    import pyarrow as pa

#: Logical column types, by name (``Column.arrow_type`` is the Arrow type each is stored as).
LOGICAL_TYPES: tuple[str, ...] = ("string", "int64", "float64", "date", "timestamp", "bool")


@cache
def _arrow_type(dtype: str) -> pa.DataType:
    """The Arrow type logical type ``dtype`` (one of ``LOGICAL_TYPES``) is stored as."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "bool": pa.bool_(),
    }
    return types[dtype]


#: The Athena (Trino) type of each logical type, for the docs and the Glue catalog.
ATHENA_TYPES: dict[str, str] = {
    "string": "varchar",
    "int64": "bigint",
    "float64": "double",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column of a dataset contract.

    Parameters
    ----------
    name
        Column name exactly as it appears in the source files.
    dtype
        Logical type, one of ``LOGICAL_TYPES``.
    description
        What the value means, for the data dictionary.
    example
        A typical value, as it appears in the source file.
    nullable
        Whether a row may leave the value empty. Non-nullable values are required.
    allowed_values
        The closed set of valid values, if any.
    normalized
        If True, ``allowed_values`` is compared after trimming whitespace and case-folding
        (raw feeds send " electronics "; the ETL standardizes it).
    min_value, max_value
        Inclusive numeric bounds, if any.
    pattern
        A regular expression a string value must match, if any.
    references
        Foreign key as ``"dataset.column"``, if any.
    optional
        If True, a file may leave the column out altogether; it then reads as empty.
        Only nullable columns can be optional.
    """

    name: str
    dtype: str
    description: str
    example: str
    nullable: bool = False
    allowed_values: Optional[tuple[str, ...]] = None
    normalized: bool = False
    min_value: Optional[float] = None
    max_value: Optional[float] = None
    pattern: Optional[str] = None
    references: Optional[str] = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in LOGICAL_TYPES:
            raise ContractError(
                f"column {self.name!r}: unknown type {self.dtype!r}; "
                f"use one of {sorted(LOGICAL_TYPES)}"
            )
        if self.optional and not self.nullable:
            raise ContractError(f"column {self.name!r}: an optional column must be nullable")

    @property
    def arrow_type(self) -> pa.DataType:
        return _arrow_type(self.dtype)

    @property
    def athena_type(self) -> str:
        return ATHENA_TYPES[self.dtype]


@dataclass(frozen=True)
class DatasetContract:
    """The contract of one raw dataset: file naming, format, columns, keys and partitioning.

    Examples
    --------
    >>> from pipeline_lib.schemas import get_contract
    >>> get_contract("transactions").business_key
    ('transaction_id',)
    """

    name: str
    description: str
    file_format: str
    file_patterns: tuple[str, ...]
    columns: tuple[Column, ...]
    business_key: tuple[str, ...]
    event_date_column: Optional[str]
    partition_note: str
    dedup_note: str = ""
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {c.name: c for c in self.columns}
        if len(by_name) != len(self.columns):
            raise ContractError(f"dataset {self.name!r}: duplicate column names")
        for key in self.business_key:
            if key not in by_name:
                raise ContractError(f"dataset {self.name!r}: business key {key!r} is no column")
        if self.event_date_column is not None and self.event_date_column not in by_name:
            raise ContractError(
                f"dataset {self.name!r}: event date column {self.event_date_column!r} is no column"
            )
        object.__setattr__(self, "_by_name", by_name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must contain (all but the optional ones; nullable ones may be empty)."""
        return [c.name for c in self.columns if not c.optional]

    def column(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise ContractError(
                f"dataset {self.name!r} has no column {name!r}; columns: {self.column_names}"
            ) from None

    def arrow_schema(self) -> pa.Schema:
        """The typed Arrow schema of the contract columns, in contract order."""
        import pyarrow as pa

        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns]
        )
