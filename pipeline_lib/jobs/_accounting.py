"""Row accounting: for every dataset and stage, rows in = out + rejected + duplicates removed.

Each stage that can drop rows (ingestion, the ETL's cleaning, the merge's reference checks)
records one balanced entry per dataset under ``_meta/runs/<run_id>/accounting/``, and its
rejected rows, with the reason, under ``quarantine/etl_rejects/``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import pandas as pd
import pyarrow as pa

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs._context import JobContext
from pipeline_lib.jobs._inputs import DatasetInput
from pipeline_lib.jobs._merge import MergeResult
from pipeline_lib.storage import Lake, Zone
from pipeline_lib.transform import TransformResult

logger = logging.getLogger(__name__)

STAGES = ("ingestion", "etl", "merge")


@dataclass(frozen=True)
class StageAccounting:
    """Where the rows of one dataset went in one stage of one run."""

    dataset: str
    stage: str
    rows_in: int
    rows_out: int
    rejected: dict[str, int] = field(default_factory=dict)
    duplicates_removed: int = 0
    #: Rows kept with a warning (``ValueNote.to_dict()``: new values, statuses kept as
    #: other, missed identifier patterns, unknown references); the audit reports them.
    notes: list[dict[str, Any]] = field(default_factory=list)
    #: Rows of the live table that this run's rows replaced (later versions of the same
    #: key, merged in by an incremental run). Not rows of this run: outside the balance.
    replaced: int = 0
    #: Rows of the live table an incremental run kept beside its own (the table written
    #: holds ``rows_out + carried`` rows). Not rows of this run: outside the balance.
    carried: int = 0

    def __post_init__(self) -> None:
        accounted = self.rows_out + sum(self.rejected.values()) + self.duplicates_removed
        if accounted != self.rows_in:
            raise PipelineError(
                f"{self.dataset}/{self.stage}: {self.rows_in} rows in but {self.rows_out} out + "
                f"{sum(self.rejected.values())} rejected + {self.duplicates_removed} "
                f"duplicates = {accounted}: rows were lost or counted twice"
            )

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def rows_handed_on(self) -> int:
        """Rows the next stage reads: this run's rows kept plus the live rows carried."""
        return self.rows_out + self.carried


def ingestion_accounting(source: DatasetInput) -> StageAccounting:
    """The ingestion stage of a dataset, from the ledger's per-file counts."""
    return StageAccounting(
        dataset=source.dataset,
        stage="ingestion",
        rows_in=source.rows_read,
        rows_out=len(source.frame),
        rejected=dict(source.ingestion_reject_reasons),
    )


def record_stage(
    ctx: JobContext,
    dataset: str,
    stage: str,
    result: TransformResult,
    *,
    merged: Optional[MergeResult] = None,
) -> StageAccounting:
    """Record a cleaning step's accounting and keep its rejected rows in quarantine.

    ``merged`` is what :func:`~pipeline_lib.jobs.merge_table` did with the step's output:
    the live rows it replaced and those it carried over are recorded beside the balance.
    """
    if stage not in STAGES:
        raise PipelineError(f"unknown stage {stage!r}; use one of {STAGES}")
    entry = StageAccounting(
        dataset=dataset,
        stage=stage,
        rows_in=result.rows_in,
        rows_out=len(result.data),
        rejected=result.reject_counts(),
        duplicates_removed=result.duplicates_removed,
        notes=[note.to_dict() for note in result.notes],
        replaced=merged.replaced if merged else 0,
        carried=merged.version.rows - len(result.data) if merged else 0,
    )
    if len(result.rejects):
        key = f"etl_rejects/{dataset}/run-{ctx.run_id}/{stage}.parquet"
        table = pa.Table.from_pandas(result.rejects, preserve_index=False)
        ctx.lake.write_parquet(Zone.QUARANTINE, key, table.replace_schema_metadata(None))
    save_accounting(ctx, entry)
    return entry


def save_accounting(ctx: JobContext, entry: StageAccounting) -> None:
    key = f"runs/{ctx.run_id}/accounting/{entry.dataset}.{entry.stage}.json"
    ctx.lake.write_bytes(Zone.META, key, json.dumps(asdict(entry), indent=2).encode())


def load_accounting(lake: Lake, run_id: str) -> list[StageAccounting]:
    """Every accounting entry of a run, ordered by dataset then stage."""
    entries = [
        StageAccounting(**json.loads(lake.read_bytes(Zone.META, key)))
        for key in lake.list_keys(Zone.META, f"runs/{run_id}/accounting")
    ]
    return sorted(entries, key=lambda e: (e.dataset, STAGES.index(e.stage)))


def accounting_frame(entries: list[StageAccounting]) -> pd.DataFrame:
    """The accounting as a table for notebooks and reports (one row per dataset and stage)."""
    return pd.DataFrame(
        [
            {
                "dataset": e.dataset,
                "stage": e.stage,
                "rows_in": e.rows_in,
                "rows_out": e.rows_out,
                "rejected": e.rows_rejected,
                "duplicates_removed": e.duplicates_removed,
                "replaced": e.replaced,
                "carried": e.carried,
                "reject_reasons": ", ".join(f"{k}: {v:,}" for k, v in sorted(e.rejected.items())),
            }
            for e in entries
        ]
    )
