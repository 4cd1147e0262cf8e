"""The spellings of an open, as-fed vocabulary, counted over every file a table includes.

A new value of such a vocabulary (``products.category``: "PET SUPPLIES" and "Pet
Supplies" are one category) takes the spelling most rows use. A run over every file counts
every row it is fed; a daily run reads only its batch, so it carries the counts over: each
run records the counts of every file its version of the table includes, in
``_meta/runs/<run_id>/spellings/<dataset>.json``, as the base's counts plus its batch's.
They are read only through the run's published version (the next run's base), so a run
that never publishes changes nothing and a full refresh (no base) counts from scratch
(docs/adr/0002-incremental-runs.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from pipeline_lib.jobs._context import JobContext
from pipeline_lib.jobs._inputs import DatasetInput, read_validated
from pipeline_lib.jobs._tables import read_table, write_table
from pipeline_lib.schemas import FeedDomains
from pipeline_lib.storage import Lake, Zone
from pipeline_lib.transform._values import spelling_counts, usual_spellings
from pipeline_lib.transform.products import respell_categories

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spellings:
    """Rows per spelling of some columns of a dataset, over every file a version includes.

    Attributes
    ----------
    dataset
        The dataset.
    counts
        Column -> spelling (trimmed, inner whitespace collapsed) -> rows fed with it, every
        row of every file counted (rows later rejected and older duplicates too: a run
        over all the files standardizes the column before it drops any row).
    """

    dataset: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def usual(self, column: str) -> dict[str, str]:
        """The spelling each value of ``column`` (lowercased) takes: the most used one."""
        return usual_spellings(self.counts.get(column, {}))


def count_spellings(
    ctx: JobContext, source: DatasetInput, base_run: Optional[str], columns: Sequence[str]
) -> Spellings:
    """The spellings of ``columns`` over every file this run's version of the dataset
    includes, recorded with the run for the run after it.

    The base version's counts plus those of the batch ``source`` (the files the run read);
    from the batch alone when there is no base (a full build). A base that recorded no
    counts (written before they were kept) is recounted from every file of the run.

    Examples
    --------
    >>> spellings = count_spellings(ctx, source, base_run, ["category"])  # doctest: +SKIP
    >>> spellings.usual("category")["pet supplies"]  # doctest: +SKIP
    'Pet Supplies'
    """
    dataset = source.dataset
    prior = load_spellings(ctx.lake, base_run, dataset) if base_run else Spellings(dataset)
    if prior is None or any(column not in prior.counts for column in columns):
        logger.info(
            "%s: run %s recorded no spelling counts of %s; counting every file",
            dataset,
            base_run,
            ", ".join(columns),
        )
        every_file = read_validated(ctx, dataset).frame
        counts = {column: spelling_counts(every_file[column]) for column in columns}
    else:
        counts = {
            column: _added(prior.counts[column], spelling_counts(source.frame[column]))
            for column in columns
        }
    spellings = Spellings(dataset, counts)
    record: dict[str, Any] = {"dataset": dataset, "base": base_run, "counts": counts}
    ctx.lake.write_bytes(
        Zone.META,
        _spellings_key(ctx.run_id, dataset),
        json.dumps(record, indent=2, sort_keys=True).encode(),
    )
    return spellings


def load_spellings(lake: Lake, run_id: str, dataset: str) -> Optional[Spellings]:
    """The counts run ``run_id`` recorded for ``dataset``, or None when it recorded none."""
    key = _spellings_key(run_id, dataset)
    if not lake.exists(Zone.META, key):
        return None
    record = json.loads(lake.read_bytes(Zone.META, key))
    counts = {
        column: {str(k): int(v) for k, v in spelled.items()}
        for column, spelled in record["counts"].items()
    }
    return Spellings(dataset, counts)


def respell_products(
    lake: Lake, run_id: str, spellings: Mapping[str, str], domains: FeedDomains
) -> int:
    """Give the categories of version ``run_id`` of ``processed.products`` the spellings
    ``spellings`` (:meth:`Spellings.usual`); return how many rows changed.

    The version is rewritten only when a row changes: when the run's rows made another
    spelling of a category the most used one. Its file may be shared with the live
    version (a batch without valid rows): the rewrite replaces this version's file, never
    the live one's.
    """
    catalog = read_table(lake, Zone.PROCESSED, "products", run_id)  # small: the catalog
    respelled, changed = respell_categories(catalog, spellings, domains=domains)
    if not changed:
        return 0
    write_table(lake, Zone.PROCESSED, "products", run_id, respelled)
    logger.info("processed.products version %s: %d rows respelled", run_id, changed)
    return changed


def _added(first: Mapping[str, int], second: Mapping[str, int]) -> dict[str, int]:
    total = dict(first)
    for spelled, rows in second.items():
        total[spelled] = total.get(spelled, 0) + rows
    return dict(sorted(total.items()))


def _spellings_key(run_id: str, dataset: str) -> str:
    return f"runs/{run_id}/spellings/{dataset}.json"
