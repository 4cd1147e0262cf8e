"""Inputs of the ETL: every accepted file of a dataset, typed, in arrival order.

A run pins its inputs once, right after validating the incoming files: the accepted files
of every dataset at that moment go to ``_meta/runs/<run_id>/inputs.json``, and every
notebook of the run reads exactly those. A file ingested while the run is going (by
another process) therefore waits for the next run instead of reaching only some tables.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline_lib.config import load_settings, params_dir
from pipeline_lib.ingestion import LEDGER_KEY, IngestionLedger
from pipeline_lib.jobs._context import JobContext
from pipeline_lib.jobs._feeds import feed_drop_columns, without_dropped_columns
from pipeline_lib.schemas import CONTRACTS, get_contract
from pipeline_lib.schemas.coerce import ROW_NUMBER
from pipeline_lib.storage import LocalLake, Zone
from pipeline_lib.transform import SOURCE_ORDER, contract_frame

logger = logging.getLogger(__name__)

INPUTS_FILE = "inputs.json"

#: Rows per file fit in the low 32 bits of the arrival order; the file's position above.
_FILE_SHIFT = 32


@dataclass(frozen=True)
class DatasetInput:
    """The typed rows of a dataset and where they came from (for the row accounting)."""

    dataset: str
    frame: pd.DataFrame
    files: int
    rows_read: int
    rows_rejected_at_ingestion: int
    ingestion_reject_reasons: dict[str, int] = field(default_factory=dict)


def read_validated(ctx: JobContext, dataset: str) -> DatasetInput:
    """All accepted rows of ``dataset``, typed per contract, with ``_source_order``.

    When the run pinned its inputs (:func:`pin_inputs`), only the pinned files are read.

    Files are taken in the order the ledger accepted them, rows in file order, so a higher
    ``_source_order`` always arrived later (what "keep the latest status" relies on).
    Columns a feed adds beyond the contract are kept, after the contract columns, as they
    came from ingestion (null in the rows of files without them), unless
    ``feeds.<dataset>.drop_columns`` of the run's params (``ctx.env``) lists them or they
    are named like a column the ETL derives (see :mod:`pipeline_lib.jobs._feeds`).

    Examples
    --------
    >>> rows = read_validated(ctx, "transactions")  # doctest: +SKIP
    >>> rows.frame.columns[:3].tolist()  # doctest: +SKIP
    ['transaction_id', 'customer_id', 'product_id']
    """
    contract = get_contract(dataset)
    with IngestionLedger(ctx.lake.path(Zone.META, LEDGER_KEY)) as ledger:
        entries = ledger.accepted_files(dataset)
    pinned = pinned_inputs(ctx.lake, ctx.run_id)
    if pinned is not None:
        chosen = set(pinned.get(dataset, ()))
        entries = [entry for entry in entries if entry.sha256 in chosen]
    tables: list[pa.Table] = []
    rows_read = rejected = 0
    reasons: dict[str, int] = {}
    for position, entry in enumerate(entries):
        if entry.validated_uri is None:
            logger.warning("%s has no typed copy (ingested by an older version); skipped",
                           entry.source_path)  # fmt: skip
            continue
        table = pq.read_table(entry.validated_uri)
        order = pc.add(
            pc.cast(table.column(ROW_NUMBER), pa.int64()),
            pa.scalar(position << _FILE_SHIFT, pa.int64()),
        )
        tables.append(table.drop_columns([ROW_NUMBER]).append_column(SOURCE_ORDER, order))
        rows_read += entry.rows_read
        rejected += entry.rows_rejected
        for reason, count in entry.reject_counts().items():
            reasons[reason] = reasons.get(reason, 0) + count
    if tables:
        combined = pa.concat_tables(tables, promote_options="default")
    else:
        combined = (
            contract.arrow_schema()
            .empty_table()
            .append_column(SOURCE_ORDER, pa.array([], pa.int64()))
        )
    settings = load_settings(env=ctx.env, lake=str(ctx.lake.root))
    frame = without_dropped_columns(
        contract_frame(combined, contract),
        dataset,
        feed_drop_columns(settings)[dataset],
        source=str(params_dir() / f"{ctx.env}.yaml"),
    )
    return DatasetInput(
        dataset=dataset,
        frame=frame,
        files=len(tables),
        rows_read=rows_read,
        rows_rejected_at_ingestion=rejected,
        ingestion_reject_reasons=reasons,
    )


def _inputs_key(run_id: str) -> str:
    return f"runs/{run_id}/{INPUTS_FILE}"


def pin_inputs(lake: LocalLake, run_id: str) -> dict[str, list[str]]:
    """Record the accepted files (sha256 per dataset) the run ``run_id`` will read.

    Called once per run, after the incoming files were validated; a retry of that step
    pins again, which is harmless because no notebook has read anything yet.
    """
    with IngestionLedger(lake.path(Zone.META, LEDGER_KEY)) as ledger:
        pinned = {
            name: [entry.sha256 for entry in ledger.accepted_files(name)] for name in CONTRACTS
        }
    lake.write_bytes(Zone.META, _inputs_key(run_id), json.dumps(pinned, indent=2).encode())
    return pinned


def pinned_inputs(lake: LocalLake, run_id: str) -> Optional[Mapping[str, list[str]]]:
    """The inputs the run pinned, or None when it pinned none (a notebook run by hand)."""
    if not lake.exists(Zone.META, _inputs_key(run_id)):
        return None
    loaded: dict[str, list[str]] = json.loads(lake.read_bytes(Zone.META, _inputs_key(run_id)))
    return loaded
