"""Referential checks across datasets: rows whose foreign key is unknown are kept or rejected."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas import ReferenceRule
from pipeline_lib.schemas._domains import REJECT
from pipeline_lib.transform._frames import split_rejects, to_arrow
from pipeline_lib.transform._result import TransformResult
from pipeline_lib.transform._values import reference_note


def reject_unknown_references(
    df: pd.DataFrame, *, column: str, known: Iterable[str], reason: str
) -> TransformResult:
    """Reject rows whose ``column`` is not in ``known``; keep the rest in order.

    The merge applies this once every dataset is clean (the ETL jobs run in parallel and do
    not see each other), e.g. transactions and reviews of products missing from the catalog.

    Examples
    --------
    >>> frame = pd.DataFrame({"product_id": ["prod_1", "prod_9"]})
    >>> reject_unknown_references(frame, column="product_id", known=["prod_1"],
    ...                           reason="unknown_product_id").reject_counts()
    {'unknown_product_id': 1}
    """
    values = to_arrow(df[column]) if len(df) else pa.array([], pa.string())
    known_set = pa.array(sorted(set(known)), pa.string())
    is_known = pc.fill_null(pc.is_in(values, value_set=known_set), False)
    unknown = np.asarray(pc.invert(is_known).to_numpy(zero_copy_only=False), dtype=bool)
    valid, rejects = split_rejects(df, [(reason, unknown)])
    return TransformResult(data=valid, rejects=rejects, duplicates_removed=0, rows_in=len(df))


def check_references(
    df: pd.DataFrame,
    *,
    dataset: str,
    column: str,
    known: Iterable[str],
    reason: str,
    rule: ReferenceRule,
) -> TransformResult:
    """Apply the deployment's reference rule to ``df[column]`` against ``known`` keys.

    ``rule.action == "reject"`` rejects rows whose key is unknown (reason ``reason``);
    ``"keep"`` keeps every row and notes how many have an unknown key, for the audit (a
    catalog that arrives late or partial should not drop sales).

    Examples
    --------
    >>> frame = pd.DataFrame({"product_id": ["prod_1", "prod_9"]})
    >>> kept = check_references(frame, dataset="transactions", column="product_id",
    ...                         known=["prod_1"], reason="unknown_product_id",
    ...                         rule=ReferenceRule())
    >>> len(kept.data), [(n.kind, n.rows) for n in kept.notes]
    (2, [('unknown_reference', 1)])
    """
    if rule.action == REJECT:
        return reject_unknown_references(df, column=column, known=known, reason=reason)
    values = to_arrow(df[column]) if len(df) else pa.array([], pa.string())
    known_set = pa.array(sorted(set(known)), pa.string())
    is_known = pc.fill_null(pc.is_in(values, value_set=known_set), False)
    unknown = np.asarray(pc.invert(is_known).to_numpy(zero_copy_only=False), dtype=bool)
    data, rejects = split_rejects(df, [])  # every row kept; an empty rejects frame
    return TransformResult(
        data=data,
        rejects=rejects,
        duplicates_removed=0,
        rows_in=len(df),
        notes=reference_note(dataset, column, unknown, df[column].reset_index(drop=True)),
    )
