"""coerce_table: every logical type, every date format, nulls, rejects and extra columns."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from pipeline_lib.schemas import CLICKSTREAM, DATE_FORMATS, PRODUCTS, REVIEWS, TRANSACTIONS
from pipeline_lib.schemas.coerce import CoercionError, coerce_table

UTC = dt.timezone.utc


def transactions(**overrides: list[object]) -> pa.Table:
    """A string table of transactions with one column per contract column."""
    n_rows = len(next(iter(overrides.values()))) if overrides else 1
    base: dict[str, list[object]] = {
        "transaction_id": [f"txn_{i}" for i in range(n_rows)],
        "customer_id": ["cust_1"] * n_rows,
        "product_id": ["prod_1"] * n_rows,
        "quantity": ["2"] * n_rows,
        "price": ["9.99"] * n_rows,
        "total_amount": ["19.98"] * n_rows,
        "transaction_date": ["2025-01-15"] * n_rows,
        "status": ["completed"] * n_rows,
    }
    base.update(overrides)
    return pa.table(base)


def test_valid_table_has_contract_types_in_contract_order() -> None:
    result = coerce_table(transactions(), TRANSACTIONS)
    assert result.valid.schema.names == TRANSACTIONS.column_names
    assert [f.type for f in result.valid.schema] == [c.arrow_type for c in TRANSACTIONS.columns]
    assert result.rejects.num_rows == 0
    assert result.valid.to_pylist()[0]["quantity"] == 2


def test_int_accepts_whole_numbers_with_whitespace_and_point_zero_only() -> None:
    result = coerce_table(transactions(quantity=["2", " 3 ", "4.0", "2.5", "x"]), TRANSACTIONS)
    assert result.valid.column("quantity").to_pylist() == [2, 3, 4]
    assert result.rejects.column("_reject_reason").to_pylist() == [
        "unparseable_value:quantity",
        "unparseable_value:quantity",
    ]
    assert result.rejects.column("quantity").to_pylist() == ["2.5", "x"]
    assert result.rejects.column("_row_number").to_pylist() == [4, 5]


def test_float_parses_and_rejects_garbage() -> None:
    result = coerce_table(transactions(price=["1.5", " 2 ", "1e2", "-3", "1,000"]), TRANSACTIONS)
    # Negative prices are a business rule for the ETL, not a type problem.
    assert result.valid.column("price").to_pylist() == [1.5, 2.0, 100.0, -3.0]
    assert result.reject_counts() == {"unparseable_value:price": 1}


@pytest.mark.parametrize("fmt", DATE_FORMATS)
def test_every_date_format_is_accepted(fmt: str) -> None:
    text = dt.datetime(2025, 1, 15, 10, 0, 0).strftime(fmt)
    result = coerce_table(transactions(transaction_date=[text]), TRANSACTIONS)
    assert result.valid.column("transaction_date").to_pylist() == [dt.date(2025, 1, 15)], text


def test_mixed_date_formats_in_one_column_and_a_bad_date() -> None:
    dates = ["2025-01-15", "01/16/2025", "2025/01/17", "18-Jan-2025", "2025-13-45"]
    result = coerce_table(transactions(transaction_date=dates), TRANSACTIONS)
    assert result.valid.column("transaction_date").to_pylist() == [
        dt.date(2025, 1, d) for d in (15, 16, 17, 18)
    ]
    assert result.reject_counts() == {"unparseable_value:transaction_date": 1}


def test_timestamps_without_offset_are_utc_and_offsets_convert() -> None:
    stamps = [
        "2025-01-15T10:30:45Z",
        "2025-01-15T10:30:45+02:00",
        "2025-01-15T10:30:45",
        "2025-01-15 10:30:45",
        "2025-01-15T10:30:45.250Z",
        "yesterday",
    ]
    table = pa.table(
        {
            "session_id": ["sess_1"] * 6,
            "customer_id": [None, "", "cust_1", None, None, None],
            "event_type": ["page_view"] * 6,
            "page": ["/"] * 6,
            "timestamp": stamps,
            "device": ["mobile"] * 6,
        }
    )
    result = coerce_table(table, CLICKSTREAM)
    assert result.valid.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert result.valid.column("timestamp").to_pylist() == [
        dt.datetime(2025, 1, 15, 10, 30, 45, tzinfo=UTC),
        dt.datetime(2025, 1, 15, 8, 30, 45, tzinfo=UTC),
        dt.datetime(2025, 1, 15, 10, 30, 45, tzinfo=UTC),
        dt.datetime(2025, 1, 15, 10, 30, 45, tzinfo=UTC),
        dt.datetime(2025, 1, 15, 10, 30, 45, 250000, tzinfo=UTC),
    ]
    # Empty string is null; a nullable column keeps the row.
    assert result.valid.column("customer_id").to_pylist()[:3] == [None, None, "cust_1"]
    assert result.reject_counts() == {"unparseable_value:timestamp": 1}


def test_missing_required_value_rejects_and_first_reason_wins() -> None:
    table = transactions(customer_id=["", None, "cust_2"], quantity=["x", "1", "1"])
    result = coerce_table(table, TRANSACTIONS, first_row_number=10)
    assert result.rejects.to_pylist()[0]["_reject_reason"] == "missing_required:customer_id"
    assert result.rejects.column("_row_number").to_pylist() == [10, 11]
    assert result.valid.num_rows == 1


def test_nullable_empty_total_amount_is_kept_as_null() -> None:
    result = coerce_table(transactions(total_amount=["", " "]), TRANSACTIONS)
    assert result.valid.column("total_amount").to_pylist() == [None, None]


def test_free_text_is_verbatim_and_formula_like_values_are_data() -> None:
    texts = ["=SUM(A1)", "+1", "-5", "@x", "  padded  "]
    table = pa.table(
        {
            "review_id": [f"rev_{i}" for i in range(5)],
            "product_id": ["prod_1"] * 5,
            "customer_id": ["cust_1"] * 5,
            "rating": ["5"] * 5,
            "review_text": texts,
            "review_date": ["2025-01-16"] * 5,
        }
    )
    result = coerce_table(table, REVIEWS)
    assert result.valid.column("review_text").to_pylist() == texts


def test_extra_columns_are_kept_as_strings_after_contract_columns() -> None:
    table = transactions(quantity=["1", "x"]).append_column("coupon", pa.array([5, 7]))
    result = coerce_table(table, TRANSACTIONS)
    assert result.extra_columns == ["coupon"]
    assert result.valid.schema.names[-1] == "coupon"
    assert result.valid.column("coupon").to_pylist() == ["5"]
    assert result.rejects.column("coupon").to_pylist() == ["7"]


def test_typed_input_from_json_or_parquet() -> None:
    table = pa.table(
        {
            "product_id": ["prod_1", "prod_2", "prod_3"],
            "name": ["José", "Müller", "x"],
            "category": ["Books"] * 3,
            "brand": ["B"] * 3,
            "price": pa.array([1, 2, 3], pa.int64()),
            "stock": pa.array([150.0, 2.5, None], pa.float64()),
        }
    )
    result = coerce_table(table, PRODUCTS)
    assert result.valid.column("price").to_pylist() == [1.0]
    assert result.valid.column("stock").to_pylist() == [150]
    assert result.reject_counts() == {
        "unparseable_value:stock": 1,
        "missing_required:stock": 1,
    }
    assert result.rejects.column("stock").to_pylist() == ["2.5", None]


def test_uncoercible_column_type_raises() -> None:
    table = transactions().set_column(
        3, "quantity", pa.array([{"a": 1}], pa.struct([("a", pa.int64())]))
    )
    with pytest.raises(CoercionError, match="quantity"):
        coerce_table(table, TRANSACTIONS)


def test_missing_contract_column_raises() -> None:
    with pytest.raises(CoercionError, match="status"):
        coerce_table(transactions().drop_columns(["status"]), TRANSACTIONS)


def test_empty_table() -> None:
    empty = pa.table({c: pa.array([], pa.string()) for c in TRANSACTIONS.column_names})
    result = coerce_table(empty, TRANSACTIONS)
    assert result.valid.num_rows == 0 and result.rejects.num_rows == 0


def test_an_optional_column_left_out_of_a_file_reads_as_empty() -> None:
    # Most clickstream feeds have no sample_rate: the log is complete.
    raw = pa.table(
        {
            "session_id": ["s1"],
            "customer_id": [None],
            "event_type": ["page_view"],
            "page": ["/"],
            "timestamp": ["2025-01-15T10:30:45Z"],
            "device": ["mobile"],
        }
    )
    result = coerce_table(raw, CLICKSTREAM)
    assert result.valid.schema.names == CLICKSTREAM.column_names
    assert result.valid.column("sample_rate").to_pylist() == [None]
    assert result.rejects.num_rows == 0 and result.extra_columns == []
    with pytest.raises(CoercionError, match="lacks contract columns \\['device'\\]"):
        coerce_table(raw.drop(["device"]), CLICKSTREAM)
