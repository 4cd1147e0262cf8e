from __future__ import annotations

import re

import pyarrow as pa
import pytest

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas import CONTRACTS, DEFAULT_DOMAINS, Column, DatasetContract, get_contract

# The mission's sample files, column for column.
MISSION_COLUMNS = {
    "transactions": [
        "transaction_id",
        "customer_id",
        "product_id",
        "quantity",
        "price",
        "total_amount",
        "transaction_date",
        "status",
    ],
    "products": ["product_id", "name", "category", "brand", "price", "stock"],
    "clickstream": ["session_id", "customer_id", "event_type", "page", "timestamp", "device"],
    "reviews": ["review_id", "product_id", "customer_id", "rating", "review_text", "review_date"],
}


@pytest.mark.parametrize("name", sorted(MISSION_COLUMNS))
def test_contract_columns_match_the_mission_samples(name: str) -> None:
    # A file with exactly the mission's columns is complete; optional columns come after.
    contract = get_contract(name)
    assert contract.required_columns == MISSION_COLUMNS[name]
    assert contract.column_names[: len(MISSION_COLUMNS[name])] == MISSION_COLUMNS[name]


def test_every_column_is_documented_with_an_example_matching_its_rules() -> None:
    for contract in CONTRACTS.values():
        for column in contract.columns:
            assert column.description and column.example, (contract.name, column.name)
            if column.pattern:
                assert re.match(column.pattern, column.example), (contract.name, column.name)
            if column.allowed_values:
                assert column.example in column.allowed_values


def test_foreign_keys_point_at_existing_columns() -> None:
    for contract in CONTRACTS.values():
        for column in contract.columns:
            if column.references:
                dataset, target = column.references.split(".")
                assert target in get_contract(dataset).column_names


def test_arrow_schema_uses_contract_types_and_nullability() -> None:
    schema = get_contract("transactions").arrow_schema()
    assert schema.field("quantity").type == pa.int64()
    assert schema.field("transaction_date").type == pa.date32()
    assert schema.field("total_amount").nullable
    assert not schema.field("transaction_id").nullable
    ts = get_contract("clickstream").arrow_schema().field("timestamp").type
    assert ts == pa.timestamp("us", tz="UTC")


def test_contracts_describe_structure_and_leave_values_to_the_deployment() -> None:
    for contract in CONTRACTS.values():
        for column in contract.columns:
            assert column.pattern is None and column.allowed_values is None, column.name
    # The default vocabulary: the mission's statuses map in, the five funnel steps are known.
    status = DEFAULT_DOMAINS.value_rule("transactions", "status")
    assert {"completed", "returned", "refunded", "pending"} <= set(status.allowed or ())
    assert status.other == "other" and status.action == "warn"
    event_type = DEFAULT_DOMAINS.value_rule("clickstream", "event_type")
    assert event_type.is_open and event_type.known == (
        "page_view",
        "product_view",
        "add_to_cart",
        "checkout_start",
        "purchase",
    )


def test_unknown_dataset_error_lists_the_known_ones() -> None:
    with pytest.raises(ContractError, match="known datasets: clickstream, products"):
        get_contract("orders")


def test_unknown_column_error_names_the_dataset() -> None:
    with pytest.raises(ContractError, match="'reviews' has no column 'stars'"):
        get_contract("reviews").column("stars")


def test_inconsistent_contracts_are_refused() -> None:
    with pytest.raises(ContractError, match="an optional column must be nullable"):
        Column("x", "string", "d", "e", optional=True)
    with pytest.raises(ContractError, match="unknown type"):
        Column("x", "decimal", "d", "1")
    with pytest.raises(ContractError, match="business key 'y' is no column"):
        DatasetContract(
            name="t",
            description="d",
            file_format="csv",
            file_patterns=("t*.csv",),
            columns=(Column("x", "string", "d", "a"),),
            business_key=("y",),
            event_date_column=None,
            partition_note="",
        )
