"""TransformResult accounting and the shared frame helpers (contract_frame)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from pipeline_lib.exceptions import ContractError
from pipeline_lib.schemas import CLICKSTREAM, REVIEWS
from pipeline_lib.transform import REJECT_REASON, SOURCE_ORDER, TransformResult, contract_frame


def rejects(*reasons: str) -> pd.DataFrame:
    return pd.DataFrame({"x": range(len(reasons)), REJECT_REASON: list(reasons)})


def test_rows_in_invariant_holds() -> None:
    result = TransformResult(pd.DataFrame({"x": [1, 2]}), rejects("a"), 3, 6)
    assert result.rows_in == 6


def test_rows_in_invariant_violation_raises() -> None:
    with pytest.raises(ValueError, match="row accounting broken"):
        TransformResult(pd.DataFrame({"x": [1, 2]}), rejects("a"), 0, 4)


def test_rejects_need_a_reason_column() -> None:
    with pytest.raises(ValueError, match="_reject_reason"):
        TransformResult(pd.DataFrame(), pd.DataFrame({"x": [1]}), 0, 1)


def test_reject_counts_sorted_by_reason() -> None:
    result = TransformResult(pd.DataFrame(), rejects("z", "a", "z"), 0, 3)
    assert result.reject_counts() == {"a": 1, "z": 2}
    assert TransformResult(pd.DataFrame(), rejects(), 0, 0).reject_counts() == {}


def test_contract_frame_from_arrow_table_casts_to_contract_types() -> None:
    table = pa.table(
        {
            "review_id": ["rev_1"],
            "product_id": ["prod_1"],
            "customer_id": ["cust_1"],
            "rating": pa.array([5], pa.int32()),
            "review_text": [None],
            "review_date": [dt.date(2025, 1, 1)],
            "extra": ["kept"],
        }
    )
    frame = contract_frame(table, REVIEWS)
    assert list(frame.columns) == [*REVIEWS.column_names, SOURCE_ORDER, "extra"]
    assert frame.dtypes["rating"] == pd.ArrowDtype(pa.int64())
    assert frame[SOURCE_ORDER].tolist() == [0]  # row order when absent


def test_contract_frame_reads_naive_timestamps_as_utc() -> None:
    frame = contract_frame(
        pd.DataFrame(
            {
                "session_id": ["sess_1"],
                "customer_id": [None],
                "event_type": ["page_view"],
                "page": ["/"],
                "timestamp": pd.to_datetime(["2025-01-01 10:00:00"]),
                "device": ["mobile"],
                SOURCE_ORDER: [7],
            }
        ),
        CLICKSTREAM,
    )
    assert frame.dtypes["timestamp"] == pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-01-01 10:00:00", tz="UTC")
    assert frame[SOURCE_ORDER].tolist() == [7]


def test_contract_frame_names_missing_columns() -> None:
    with pytest.raises(ContractError, match="rating"):
        contract_frame(pd.DataFrame({"review_id": ["rev_1"]}), REVIEWS)
