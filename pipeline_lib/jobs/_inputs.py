"""Inputs of the ETL: every accepted file of a dataset, typed, in arrival order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline_lib.ingestion import LEDGER_KEY, IngestionLedger
from pipeline_lib.jobs._context import JobContext
from pipeline_lib.schemas import get_contract
from pipeline_lib.schemas.coerce import ROW_NUMBER
from pipeline_lib.storage import Zone
from pipeline_lib.transform import SOURCE_ORDER, contract_frame

logger = logging.getLogger(__name__)

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

    Files are taken in the order the ledger accepted them, rows in file order, so a higher
    ``_source_order`` always arrived later (what "keep the latest status" relies on).
    Extra columns that only some files carry are kept (null elsewhere).

    Examples
    --------
    >>> rows = read_validated(ctx, "transactions")  # doctest: +SKIP
    >>> rows.frame.columns[:3].tolist()  # doctest: +SKIP
    ['transaction_id', 'customer_id', 'product_id']
    """
    contract = get_contract(dataset)
    with IngestionLedger(ctx.lake.path(Zone.META, LEDGER_KEY)) as ledger:
        entries = ledger.accepted_files(dataset)
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
    return DatasetInput(
        dataset=dataset,
        frame=contract_frame(combined, contract),
        files=len(tables),
        rows_read=rows_read,
        rows_rejected_at_ingestion=rejected,
        ingestion_reject_reasons=reasons,
    )
