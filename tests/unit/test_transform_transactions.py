"""clean_transactions: each reject reason, status normalization, derived totals, dedup."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline_lib.schemas import TRANSACTIONS, domains_from_params
from pipeline_lib.transform import REJECT_REASON, SOURCE_ORDER, clean_transactions, contract_frame
from pipeline_lib.transform.transactions import CLEAN_TRANSACTION_COLUMNS

RUN_DATE = dt.date(2025, 2, 1)
STRICT_STATUS = domains_from_params(
    {"transactions": {"values": {"status": {"action": "reject", "other": None}}}}
)


def line(transaction_id: str, order: int, **overrides: Any) -> dict[str, Any]:
    """One valid transaction line; ``order`` is its arrival order."""
    row: dict[str, Any] = {
        "transaction_id": transaction_id,
        "customer_id": "cust_1",
        "product_id": "prod_1",
        "quantity": 2,
        "price": 10.0,
        "total_amount": 20.0,
        "transaction_date": dt.date(2025, 1, 15),
        "status": "completed",
        SOURCE_ORDER: order,
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return contract_frame(pd.DataFrame(list(rows)), TRANSACTIONS)


def test_each_reject_reason_in_priority_order() -> None:
    raw = frame(
        line("txn_1", 1, total_amount=-5.0, quantity=0),  # both: amount rule comes first
        line("txn_2", 2, quantity=0),
        line("txn_3", 3, quantity=-1, total_amount=None),
        line("txn_4", 4, price=0.0),
        line("txn_5", 5, price=float("nan")),
        line("txn_6", 6, status="lost in transit"),
        line("txn_7", 7, product_id="prod_999"),
        line("txn_8", 8),
    )
    result = clean_transactions(
        raw, processing_date=RUN_DATE, known_product_ids=["prod_1"], domains=STRICT_STATUS
    )
    reasons = dict(zip(result.rejects["transaction_id"], result.rejects[REJECT_REASON]))
    assert reasons == {
        "txn_1": "negative_amount",
        "txn_2": "non_positive_quantity",
        "txn_3": "non_positive_quantity",
        "txn_4": "non_positive_price",
        "txn_5": "non_positive_price",
        "txn_6": "unknown_status",
        "txn_7": "unknown_product_id",
    }
    assert result.reject_counts() == {
        "negative_amount": 1,
        "non_positive_price": 2,
        "non_positive_quantity": 2,
        "unknown_product_id": 1,
        "unknown_status": 1,
    }
    assert result.data["transaction_id"].tolist() == ["txn_8"]
    assert result.rows_in == 8


def test_unknown_product_check_only_with_known_ids() -> None:
    result = clean_transactions(
        frame(line("txn_1", 1, product_id="prod_9")), processing_date=RUN_DATE
    )
    assert len(result.data) == 1
    assert result.rejects.empty


def test_status_words_map_to_canonical_ones_and_unknown_ones_are_kept_as_other() -> None:
    raw = frame(
        line("txn_1", 1, status="  Completed "),
        line("txn_2", 2, status="SHIPPED"),
        line("txn_3", 3, status="canceled"),
        line("txn_4", 4, status=" Lost ", transaction_date=dt.date(2025, 1, 9)),
        line("txn_5", 5, status="lost"),
    )
    result = clean_transactions(raw, processing_date=RUN_DATE)
    assert result.data["status"].tolist() == [
        "other",
        "completed",
        "completed",
        "cancelled",
        "other",
    ]
    assert result.rejects.empty
    (note,) = result.notes
    # Both spellings are one unknown word, first seen on the earliest of their days.
    assert (note.column, note.kind, note.value, note.rows, note.first_day) == (
        "status",
        "kept_as_other",
        "lost",
        2,
        "2025-01-09",
    )


def test_a_deployment_can_reject_unknown_statuses_and_rejects_keep_the_original() -> None:
    raw = frame(line("txn_1", 1, status="  Completed "), line("txn_2", 2, status=" Lost "))
    result = clean_transactions(raw, processing_date=RUN_DATE, domains=STRICT_STATUS)
    assert result.data["status"].tolist() == ["completed"]
    assert result.rejects["status"].tolist() == [" Lost "]
    assert result.rejects[REJECT_REASON].tolist() == ["unknown_status"]
    assert list(result.rejects.columns) == [*TRANSACTIONS.column_names, SOURCE_ORDER, REJECT_REASON]


@pytest.mark.parametrize("bad_id", ["", "   ", "txn\t1", "txn\n1", "txn\x001"])
def test_an_identifier_must_be_non_empty_text_without_control_characters(bad_id: str) -> None:
    result = clean_transactions(frame(line(bad_id, 1), line("a1b2c3", 2)), processing_date=RUN_DATE)
    assert result.rejects[REJECT_REASON].tolist() == ["invalid_identifier"]
    assert result.data["transaction_id"].tolist() == ["a1b2c3"]  # any style of id is fine


def test_identifier_patterns_warn_or_reject_as_configured() -> None:
    raw = frame(line("txn_1", 1), line("9f86d081", 2))
    warned = clean_transactions(
        raw,
        processing_date=RUN_DATE,
        domains=domains_from_params(
            {"transactions": {"patterns": {"transaction_id": {"regex": "^txn_[0-9]+$"}}}}
        ),
    )
    assert len(warned.data) == 2
    assert [(n.kind, n.value, n.rows) for n in warned.notes] == [
        ("pattern_mismatch", "9f86d081", 1)
    ]
    rejected = clean_transactions(
        raw,
        processing_date=RUN_DATE,
        domains=domains_from_params(
            {
                "transactions": {
                    "patterns": {"transaction_id": {"regex": "^txn_[0-9]+$", "action": "reject"}}
                }
            }
        ),
    )
    assert rejected.reject_counts() == {"pattern:transaction_id": 1}


def test_missing_total_is_derived_and_flagged() -> None:
    raw = frame(
        line("txn_1", 1, quantity=3, price=19.99, total_amount=None),
        line("txn_2", 2, quantity=3, price=19.99, total_amount=59.97),
        line("txn_3", 3, quantity=1, price=0.125, total_amount=float("nan")),
    )
    data = clean_transactions(raw, processing_date=RUN_DATE).data
    assert data["total_amount"].tolist() == [59.97, 59.97, 0.12]
    assert data["total_amount_derived"].tolist() == [True, False, True]


def test_dedup_keeps_latest_source_order_not_latest_row() -> None:
    raw = frame(
        line("txn_1", 5, status="returned"),
        line("txn_1", 2, status="completed"),
        line("txn_1", 9, status="refunded", quantity=0),  # latest but invalid: rejected
        line("txn_2", 1),
    )
    result = clean_transactions(raw, processing_date=RUN_DATE)
    assert result.data["transaction_id"].tolist() == ["txn_1", "txn_2"]
    assert result.data["status"].tolist() == ["returned", "completed"]
    assert result.duplicates_removed == 1
    assert result.reject_counts() == {"non_positive_quantity": 1}
    assert result.rows_in == len(result.data) + len(result.rejects) + result.duplicates_removed


def test_output_columns_types_and_order() -> None:
    raw = frame(
        line("txn_10", 1, transaction_date=dt.date(2025, 1, 2)),
        line("txn_9", 2, transaction_date=dt.date(2025, 1, 2)),
        line("txn_1", 3, transaction_date=dt.date(2025, 1, 3)),
    )
    data = clean_transactions(raw, processing_date=RUN_DATE).data
    assert tuple(data.columns) == CLEAN_TRANSACTION_COLUMNS
    assert data["transaction_id"].tolist() == ["txn_10", "txn_9", "txn_1"]
    assert data["processing_date"].tolist() == [RUN_DATE] * 3
    assert data.dtypes["transaction_date"] == pd.ArrowDtype(pa.date32())
    assert data.dtypes["total_amount_derived"] == pd.ArrowDtype(pa.bool_())
    assert list(data.index) == [0, 1, 2]


def test_accepts_plain_pandas_dtypes_and_is_deterministic() -> None:
    raw = pd.DataFrame([line("txn_2", 2), line("txn_1", 1, total_amount=None)])
    first = clean_transactions(raw, processing_date=RUN_DATE)
    second = clean_transactions(raw.copy(), processing_date=RUN_DATE)
    pd.testing.assert_frame_equal(first.data, second.data)
    assert first.data["transaction_id"].tolist() == ["txn_1", "txn_2"]


def test_empty_input() -> None:
    result = clean_transactions(frame(line("txn_1", 1)).iloc[:0], processing_date=RUN_DATE)
    assert result.rows_in == 0
    assert result.data.empty and result.rejects.empty
    assert tuple(result.data.columns) == CLEAN_TRANSACTION_COLUMNS


@pytest.mark.slow
def test_large_frame_stays_vectorized() -> None:
    n_rows = 200_000
    rng = np.random.default_rng(7)
    raw = pd.DataFrame(
        {
            "transaction_id": [f"txn_{i}" for i in rng.integers(0, 150_000, n_rows)],
            "customer_id": "cust_1",
            "product_id": [f"prod_{i}" for i in rng.integers(0, 500, n_rows)],
            "quantity": rng.integers(-1, 5, n_rows),
            "price": rng.random(n_rows) * 50,
            "total_amount": np.where(rng.random(n_rows) < 0.1, np.nan, rng.random(n_rows) * 100),
            "transaction_date": dt.date(2025, 1, 1),
            "status": rng.choice(["completed", " Returned", "bogus"], n_rows),
            SOURCE_ORDER: np.arange(n_rows),
        }
    )
    result = clean_transactions(raw, processing_date=RUN_DATE)
    assert result.rows_in == n_rows
    assert result.data["transaction_id"].is_unique
