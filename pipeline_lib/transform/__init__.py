"""Pure DataFrame transforms that turn typed raw data into the processed and curated tables.

Every function takes pandas DataFrames (Arrow-backed dtypes, see :func:`contract_frame`) and
returns new ones: no I/O, no global state, and the same input always gives the same output,
row order included. Cleaning steps return a :class:`TransformResult` that accounts for every
input row (kept, rejected with a reason, or dropped as an older duplicate).
"""

from __future__ import annotations

from pipeline_lib.transform._frames import SOURCE_ORDER, contract_frame, keep_latest
from pipeline_lib.transform._result import REJECT_REASON, TransformResult
from pipeline_lib.transform.clickstream import (
    build_sessions,
    clean_clickstream,
    daily_funnel,
    sessionize,
    sessionize_with_codes,
)
from pipeline_lib.transform.enrich import enrich_transactions
from pipeline_lib.transform.products import (
    category_dimension,
    inventory_metrics,
    standardize_products,
)
from pipeline_lib.transform.reviews import clean_reviews
from pipeline_lib.transform.transactions import clean_transactions

__all__ = [
    "REJECT_REASON",
    "SOURCE_ORDER",
    "TransformResult",
    "build_sessions",
    "category_dimension",
    "clean_clickstream",
    "clean_reviews",
    "clean_transactions",
    "contract_frame",
    "daily_funnel",
    "enrich_transactions",
    "inventory_metrics",
    "keep_latest",
    "sessionize",
    "sessionize_with_codes",
    "standardize_products",
]
