"""Data contracts: the one source of truth for every dataset's columns, types and keys."""

from __future__ import annotations

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas._contracts import (
    CATEGORIES,
    CLICKSTREAM,
    CONTRACTS,
    DATE_FORMATS,
    DEVICES,
    EVENT_TYPES,
    PRODUCTS,
    REVIEWS,
    TIMESTAMP_FORMATS,
    TRANSACTION_STATUSES,
    TRANSACTIONS,
)
from pipeline_lib.schemas._domains import (
    DEFAULT_DOMAINS,
    RETURN_STATUSES,
    FeedDomains,
    PatternRule,
    ReferenceRule,
    ValueRule,
    domains_from_params,
)
from pipeline_lib.schemas._model import ATHENA_TYPES, LOGICAL_TYPES, Column, DatasetContract
from pipeline_lib.schemas._tables import (
    PARTITIONS,
    RFM_SEGMENTS,
    TABLES,
    VALUE_SEGMENTS,
    TableSchema,
    with_domains,
)

__all__ = [
    "ATHENA_TYPES",
    "CATEGORIES",
    "CLICKSTREAM",
    "CONTRACTS",
    "DATE_FORMATS",
    "DEFAULT_DOMAINS",
    "DEVICES",
    "EVENT_TYPES",
    "LOGICAL_TYPES",
    "PARTITIONS",
    "PRODUCTS",
    "RETURN_STATUSES",
    "REVIEWS",
    "RFM_SEGMENTS",
    "TABLES",
    "TIMESTAMP_FORMATS",
    "TRANSACTIONS",
    "TRANSACTION_STATUSES",
    "VALUE_SEGMENTS",
    "Column",
    "DatasetContract",
    "FeedDomains",
    "PatternRule",
    "ReferenceRule",
    "TableSchema",
    "ValueRule",
    "domains_from_params",
    "get_contract",
    "with_domains",
]


def get_contract(name: str) -> DatasetContract:
    """Return the contract of dataset ``name`` or raise ContractError naming the known ones."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise ContractError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(CONTRACTS))}"
        ) from None
