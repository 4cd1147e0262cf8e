"""Imperfections real feeds have, injected on purpose and recorded in the manifest.

Each kind hits about ``dirty_rate`` of its dataset's rows (at least one when the rate is
positive); kinds never share a row, so each can be checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline_lib.generators._ids import IdFormat
from pipeline_lib.generators._products import Catalog
from pipeline_lib.generators._rng import random_stream
from pipeline_lib.generators._transactions import COMPLETED, REFUNDED, RETURNED, Lines
from pipeline_lib.schemas import CATEGORIES, DATE_FORMATS

MISSING_TOTAL_AMOUNT = "missing_total_amount"
DUPLICATE_STATUS_UPDATE = "duplicate_status_update"
NEGATIVE_AMOUNT = "negative_amount"
MIXED_DATE_FORMAT = "mixed_date_format"
CATEGORY_WHITESPACE_CASE = "category_whitespace_case"
UNKNOWN_PRODUCT_ID = "unknown_product_id"
DIRTY_KINDS = (
    MISSING_TOTAL_AMOUNT,
    DUPLICATE_STATUS_UPDATE,
    NEGATIVE_AMOUNT,
    MIXED_DATE_FORMAT,
    CATEGORY_WHITESPACE_CASE,
    UNKNOWN_PRODUCT_ID,
)


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class DirtyPlan:
    """Which rows get which imperfection (row indices into the clean datasets)."""

    missing_total: np.ndarray = field(default_factory=_empty)
    negative_total: np.ndarray = field(default_factory=_empty)
    mixed_date: np.ndarray = field(default_factory=_empty)
    #: Index into DATE_FORMATS (never 0, the ISO format) per ``mixed_date`` row.
    date_format: np.ndarray = field(default_factory=_empty)
    unknown_product: np.ndarray = field(default_factory=_empty)
    unknown_product_number: np.ndarray = field(default_factory=_empty)
    #: Completed lines that get a later status-update row, and that row's status.
    duplicate: np.ndarray = field(default_factory=_empty)
    duplicate_status: np.ndarray = field(default_factory=_empty)
    messy_category: np.ndarray = field(default_factory=_empty)
    messy_category_text: list[str] = field(default_factory=list)

    def manifest_entries(self, transaction_ids: IdFormat, product_ids: IdFormat) -> dict[str, Any]:
        """The manifest's ``injected`` section: dataset, count and affected business keys."""
        transaction_rows = {
            MISSING_TOTAL_AMOUNT: self.missing_total,
            DUPLICATE_STATUS_UPDATE: self.duplicate,
            NEGATIVE_AMOUNT: self.negative_total,
            MIXED_DATE_FORMAT: self.mixed_date,
            UNKNOWN_PRODUCT_ID: self.unknown_product,
        }
        entries: dict[str, Any] = {}
        for kind in DIRTY_KINDS:
            if kind == CATEGORY_WHITESPACE_CASE:
                rows, dataset, ids = self.messy_category, "products", product_ids
            else:
                rows, dataset, ids = transaction_rows[kind], "transactions", transaction_ids
            numbers = np.sort(rows) + 1
            entries[kind] = {
                "dataset": dataset,
                "count": len(numbers),
                "ids": ids.format_all(numbers.tolist()),
            }
        return entries


def affected_count(dirty_rate: float, n_rows: int) -> int:
    """Rows one kind affects: ``round(dirty_rate * n_rows)``, at least 1 if the rate is > 0."""
    if dirty_rate <= 0.0 or n_rows == 0:
        return 0
    return max(1, round(dirty_rate * n_rows))


def _messy_category(rng: np.random.Generator, category: str) -> str:
    """The category with stray whitespace and changed case (strip + casefold restores it)."""
    variants = (
        f"  {category.lower()} ",
        f"{category.upper()}  ",
        f" {category.swapcase()}",
        f"\t{category.lower()}",
    )
    return variants[int(rng.integers(0, len(variants)))]


def plan_dirty(
    dirty_rate: float, lines: Lines, catalog: Catalog, dates_are_text: bool, seed: int
) -> DirtyPlan:
    """Choose the rows of each imperfection kind, deterministically from ``seed``.

    Parameters
    ----------
    dirty_rate
        Share of rows per kind; 0 returns an empty plan.
    lines, catalog
        The clean transactions and products.
    dates_are_text
        False for typed output (parquet), where a date has no format to mix up.
    seed
        Seed of the plan's random stream.

    Returns
    -------
    DirtyPlan
        Disjoint row sets per kind.
    """
    if dirty_rate <= 0.0:
        return DirtyPlan()
    rng = random_stream(seed, "dirty")
    wanted = affected_count(dirty_rate, lines.size)
    shuffled = rng.permutation(lines.size)
    # A status update needs a completed line to update; take those first so the other
    # kinds (which accept any line) cannot use them up.
    completed = shuffled[lines.status[shuffled] == COMPLETED]
    duplicate = completed[:wanted]
    remaining = shuffled[~np.isin(shuffled, duplicate)]

    taken = 0

    def take(count: int) -> np.ndarray:
        """The next ``count`` unused rows (sorted), so kinds never share a row."""
        nonlocal taken
        rows = remaining[taken : taken + count]
        taken += len(rows)
        return np.sort(rows)

    missing_total = take(wanted)
    negative_total = take(wanted)
    mixed_date = take(wanted if dates_are_text else 0)
    unknown_product = take(wanted)
    messy_category = np.sort(
        rng.permutation(catalog.size)[: affected_count(dirty_rate, catalog.size)]
    )
    return DirtyPlan(
        missing_total=missing_total,
        negative_total=negative_total,
        mixed_date=mixed_date,
        date_format=rng.integers(1, len(DATE_FORMATS), size=len(mixed_date)),
        unknown_product=unknown_product,
        # Numbers past the catalog (which ends at catalog.size) are unknown by construction.
        unknown_product_number=catalog.size
        + 1
        + rng.integers(0, catalog.size, len(unknown_product)),
        duplicate=np.sort(duplicate),
        duplicate_status=np.where(rng.random(len(duplicate)) < 2 / 3, RETURNED, REFUNDED),
        messy_category=messy_category,
        messy_category_text=[
            _messy_category(rng, CATEGORIES[int(catalog.category[row])]) for row in messy_category
        ],
    )
