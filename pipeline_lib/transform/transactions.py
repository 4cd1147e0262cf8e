"""Transactions: business rules, derived totals and the latest status per order line."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline_lib.schemas import DEFAULT_DOMAINS, TRANSACTIONS, FeedDomains
from pipeline_lib.transform import _frames as fr
from pipeline_lib.transform._result import TransformResult
from pipeline_lib.transform._values import identifier_checks, standardize_values

logger = logging.getLogger(__name__)

NEGATIVE_AMOUNT = "negative_amount"
NON_POSITIVE_QUANTITY = "non_positive_quantity"
NON_POSITIVE_PRICE = "non_positive_price"
UNKNOWN_STATUS = "unknown_status"
UNKNOWN_PRODUCT_ID = "unknown_product_id"

_NORMALIZED_STATUS = "_status_normalized"
IDENTIFIERS = ("transaction_id", "customer_id", "product_id")

#: Columns of the cleaned transactions, in order.
CLEAN_TRANSACTION_COLUMNS = (
    *TRANSACTIONS.column_names,
    "total_amount_derived",
    "processing_date",
)


def clean_transactions(
    df: pd.DataFrame,
    *,
    processing_date: dt.date,
    known_product_ids: Optional[Iterable[str]] = None,
    domains: FeedDomains = DEFAULT_DOMAINS,
) -> TransformResult:
    """Apply the transaction business rules and keep the latest status of each order line.

    Steps, in order:

    1. ``status`` is trimmed, lowercased and mapped to a canonical status by the
       deployment's rule (``domains``; by default ``shipped`` -> ``completed`` and so on,
       an unknown status kept as ``other`` and noted).
    2. Rows are rejected with the first reason that applies: ``invalid_identifier`` (an
       empty id or one with control characters), ``pattern:<column>`` (only when a
       pattern rule says reject), ``negative_amount`` (``total_amount < 0``),
       ``non_positive_quantity`` (``quantity <= 0``), ``non_positive_price``
       (``price <= 0`` or NaN), ``unknown_status`` (only when the status rule says
       reject), ``unknown_product_id`` (only when ``known_product_ids`` is given). Amount
       rules look at the amounts as fed, before any derivation.
    3. Deduplication by ``transaction_id`` keeps the row with the highest ``_source_order``
       (a later row is a status update). It runs on the valid rows only, *after* rejection:
       a broken update (say a status ``"shipped?"``) must not erase the valid record it was
       meant to update; it is kept in the rejects, where it can be investigated, and the
       latest valid version stays in the data.
    4. A missing (or NaN) ``total_amount`` becomes ``round(quantity * price, 2)`` and
       ``total_amount_derived`` is True for that row.
    5. ``processing_date`` is added; rows are sorted by (transaction_date, transaction_id).

    Parameters
    ----------
    df
        Typed transactions per the contract, plus ``_source_order``.
    processing_date
        The run's processing date, stored on every row.
    known_product_ids
        The product ids of the catalog. ``None`` skips the reference check.
    domains
        The deployment's value rules (``feeds:`` of the params file).

    Returns
    -------
    TransformResult
        ``data`` has the columns of ``CLEAN_TRANSACTION_COLUMNS``; ``rejects`` the input
        columns with their original values plus ``_reject_reason``.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "transaction_id": ["txn_1", "txn_1"], "customer_id": ["cust_1"] * 2,
    ...     "product_id": ["prod_1"] * 2, "quantity": [2, 2], "price": [9.99, 9.99],
    ...     "total_amount": [None, None],
    ...     "transaction_date": [dt.date(2025, 1, 15)] * 2,
    ...     "status": ["completed", " Returned"], "_source_order": [1, 2]})
    >>> result = clean_transactions(raw, processing_date=dt.date(2025, 1, 16))
    >>> result.data[["status", "total_amount", "total_amount_derived"]].values.tolist()
    [['returned', 19.98, True]]
    >>> result.duplicates_removed
    1
    """
    frame = fr.contract_frame(df, TRANSACTIONS)
    rows_in = len(frame)
    status = standardize_values(
        frame["status"],
        domains.value_rule("transactions", "status"),
        dataset="transactions",
        column="status",
        days=frame["transaction_date"],
    )
    id_checks, id_notes = identifier_checks(
        frame,
        IDENTIFIERS,
        {c: domains.pattern_rule("transactions", c) for c in IDENTIFIERS},
        dataset="transactions",
    )
    checks: list[fr.RejectCheck] = [
        *id_checks,
        (NEGATIVE_AMOUNT, fr.bool_mask(frame["total_amount"] < 0)),
        (NON_POSITIVE_QUANTITY, fr.bool_mask(frame["quantity"] <= 0)),
        # Written as "not > 0" so that a NaN price is rejected too.
        (NON_POSITIVE_PRICE, ~fr.bool_mask(frame["price"] > 0)),
        (UNKNOWN_STATUS, status.reject),
    ]
    if known_product_ids is not None:
        known = frame["product_id"].isin(sorted(set(known_product_ids)))
        checks.append((UNKNOWN_PRODUCT_ID, ~fr.bool_mask(known)))
    # The standardized status rides along so that rejects keep the status as fed.
    frame[_NORMALIZED_STATUS] = status.values
    valid, rejects = fr.split_rejects(frame, checks)
    rejects = rejects.drop(columns=[_NORMALIZED_STATUS])
    valid["status"] = valid.pop(_NORMALIZED_STATUS)

    latest, duplicates_removed = fr.keep_latest(valid, ["transaction_id"])
    data = _derive_columns(latest, processing_date)
    data = fr.sorted_frame(data, [("transaction_date", True), ("transaction_id", True)])
    result = TransformResult(
        data=data[fr.output_columns(data, CLEAN_TRANSACTION_COLUMNS)],  # feed's extras last
        rejects=rejects,
        duplicates_removed=duplicates_removed,
        rows_in=rows_in,
        notes=[*status.notes, *id_notes],
    )
    logger.info(
        "transactions: %d in, %d clean, %d rejected %s, %d older versions dropped",
        rows_in,
        len(result.data),
        len(rejects),
        result.reject_counts(),
        duplicates_removed,
    )
    return result


def _derive_columns(frame: pd.DataFrame, processing_date: dt.date) -> pd.DataFrame:
    """Fill missing totals from quantity * price and add the derived-flag and run date."""
    amounts = fr.float_values(frame["total_amount"])
    missing = np.isnan(amounts)
    derived = np.round(fr.float_values(frame["quantity"]) * fr.float_values(frame["price"]), 2)
    frame = frame.copy()
    frame["total_amount"] = fr.from_arrow(pa.array(np.where(missing, derived, amounts)))
    frame["total_amount_derived"] = fr.from_arrow(pa.array(missing, type=pa.bool_()))
    frame["processing_date"] = fr.constant(processing_date, fr.DATE, len(frame))
    return frame
