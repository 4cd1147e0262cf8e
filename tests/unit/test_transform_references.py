from __future__ import annotations

import pandas as pd

from pipeline_lib.transform._frames import STRING
from pipeline_lib.transform.references import reject_unknown_references


def test_unknown_and_null_keys_are_rejected_in_order() -> None:
    frame = pd.DataFrame(
        {
            "product_id": pd.Series(["prod_1", "prod_9", None, "prod_2"], dtype=STRING),
            "n": [1, 2, 3, 4],
        }
    )
    result = reject_unknown_references(
        frame, column="product_id", known=["prod_2", "prod_1"], reason="unknown_product_id"
    )
    assert result.data["n"].tolist() == [1, 4]
    assert result.rejects["n"].tolist() == [2, 3]
    assert result.reject_counts() == {"unknown_product_id": 2}
    assert result.rows_in == 4


def test_empty_frame_passes_through() -> None:
    frame = pd.DataFrame({"product_id": pd.Series([], dtype=STRING)})
    result = reject_unknown_references(frame, column="product_id", known=[], reason="x")
    assert len(result.data) == 0 and len(result.rejects) == 0
