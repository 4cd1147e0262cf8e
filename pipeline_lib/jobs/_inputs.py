"""Inputs of the ETL: the accepted files of a dataset, typed, in arrival order.

A run pins its inputs once, right after validating the incoming files, in
``_meta/runs/<run_id>/inputs.json``: per dataset, every accepted file its tables will
include (``files``), the live version it builds on (``base``: the run whose version of
``processed.<dataset>`` is published) and the files that version does not include yet
(``batch``). Every notebook of the run reads exactly those, so a file ingested while the
run is going waits for the next run instead of reaching only some tables, and the files
of a run that never published are in the next run's batch
(docs/adr/0002-incremental-runs.md).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.ingestion import VALIDATED_PREFIX, open_ledger
from pipeline_lib.jobs._context import JobContext
from pipeline_lib.jobs._feeds import feed_drop_columns, without_dropped_columns
from pipeline_lib.schemas import CONTRACTS, get_contract
from pipeline_lib.schemas.coerce import ROW_NUMBER
from pipeline_lib.storage import Lake, Zone
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


def read_validated(ctx: JobContext, dataset: str, *, batch_only: bool = False) -> DatasetInput:
    """The accepted rows of ``dataset``, typed per contract, with ``_source_order``.

    When the run pinned its inputs (:func:`pin_inputs`), only the pinned files are read:
    with ``batch_only``, only the files the live version does not include yet (the run
    merges them into it); otherwise every pinned file. Without pinned inputs (a notebook
    run by hand) every accepted file is read.

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
    with open_ledger(ctx.lake) as ledger:
        entries = ledger.accepted_files(dataset)
    pinned = run_inputs(ctx.lake, ctx.run_id)
    chosen: Optional[set[str]] = None
    if pinned is not None:
        chosen = set((pinned.batch if batch_only else pinned.files).get(dataset, ()))
    tables: list[pa.Table] = []
    rows_read = rejected = 0
    reasons: dict[str, int] = {}
    # Positions count every accepted file, read or not: a later file always orders later.
    for position, entry in enumerate(entries):
        if chosen is not None and entry.sha256 not in chosen:
            continue
        if entry.validated_uri is None:
            logger.warning(
                "%s has no typed copy (ingested by an older version); skipped", entry.source_path
            )
            continue
        table = ctx.lake.read_parquet(Zone.PROCESSED, _validated_key(ctx, entry.validated_uri))
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
    settings = ctx.settings()
    frame = without_dropped_columns(
        contract_frame(combined, contract),
        dataset,
        feed_drop_columns(settings)[dataset],
        source=settings.source("feeds"),
    )
    return DatasetInput(
        dataset=dataset,
        frame=frame,
        files=len(tables),
        rows_read=rows_read,
        rows_rejected_at_ingestion=rejected,
        ingestion_reject_reasons=reasons,
    )


def _validated_key(ctx: JobContext, uri: str) -> str:
    """The key of a typed copy the ledger recorded by URI. Found from the ``validated/``
    folder on when the URI is another copy of this lake's (a lake copied or moved)."""
    key = ctx.lake.key_of(Zone.PROCESSED, uri)
    if key is not None:
        return key
    marker = f"/{VALIDATED_PREFIX}/"
    if marker not in uri:
        raise PipelineError(f"{uri} is not a typed copy of an ingested file (no {marker})")
    return uri[uri.rindex(marker) + 1 :]


def _inputs_key(run_id: str) -> str:
    return f"runs/{run_id}/{INPUTS_FILE}"


@dataclass(frozen=True)
class RunInputs:
    """What a run reads, per dataset (sha256 of accepted files, in ledger order).

    Attributes
    ----------
    files
        Every accepted file the run's tables include once published.
    batch
        The files the run reads: those its base version does not include (all of
        ``files`` when there is no base).
    base
        The run whose live version of ``processed.<dataset>`` this run merges into; None
        for a full build.
    """

    files: dict[str, list[str]]
    batch: dict[str, list[str]]
    base: dict[str, Optional[str]]
    #: Fingerprint of what decides how a dataset's rows are processed (its feed settings,
    #: the ETL parameters, the package version): a base built otherwise is not merged into.
    settings: dict[str, str] = field(default_factory=dict)

    def base_run(self, dataset: str) -> Optional[str]:
        return self.base.get(dataset)


def processing_fingerprints(params: Mapping[str, Any]) -> dict[str, str]:
    """Per dataset, a digest of the settings that decide how its rows are processed.

    ``feeds.<dataset>`` (value rules, patterns, dropped columns...), the ``etl`` job
    parameters and the package version: when any of them changed since the published
    version was built, merging new rows into it would mix two rule sets, so that dataset is
    rebuilt from every file instead (the same rows a full refresh gives).
    """
    try:
        version = importlib.metadata.version("ecom-pipeline")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        version = "source"
    feeds = params.get("feeds") or {}
    shared = {"etl": params.get("etl") or {}, "version": version}
    return {
        name: hashlib.sha256(
            json.dumps({**shared, "feed": feeds.get(name)}, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        for name in CONTRACTS
    }


def pin_inputs(
    lake: Lake,
    run_id: str,
    base: Optional[Mapping[str, Optional[str]]] = None,
    settings: Optional[Mapping[str, str]] = None,
) -> RunInputs:
    """Record the accepted files the run ``run_id`` will include and read.

    ``base`` names, per dataset, the run whose published version of the dataset's
    processed table the run merges into (None or absent: build from every file, the full
    refresh). ``settings`` are the run's :func:`processing_fingerprints`. A dataset is
    built in full, whatever ``base`` says, when the base's inputs are unknown (a version
    written by hand) or it was built with other settings.

    Called once per run, after the incoming files were validated; a retry of that step
    pins again, which is harmless because no notebook has read anything yet.
    """
    with open_ledger(lake) as ledger:
        files = {name: [e.sha256 for e in ledger.accepted_files(name)] for name in CONTRACTS}
    bases: dict[str, Optional[str]] = {}
    batch: dict[str, list[str]] = {}
    fingerprints = dict(settings or {})
    for name, shas in files.items():
        base_run = (base or {}).get(name)
        included = run_inputs(lake, base_run) if base_run else None
        if included is not None and included.settings.get(name) != fingerprints.get(name):
            logger.info(
                "%s: settings or version changed since run %s; rebuilding it from every file",
                name,
                base_run,
            )
            included = None
        if included is None:
            bases[name], batch[name] = None, list(shas)
            continue
        done = set(included.files.get(name, ()))
        bases[name], batch[name] = base_run, [sha for sha in shas if sha not in done]
    inputs = RunInputs(files=files, batch=batch, base=bases, settings=fingerprints)
    record = {"files": files, "batch": batch, "base": bases, "settings": fingerprints}
    lake.write_bytes(Zone.META, _inputs_key(run_id), json.dumps(record, indent=2).encode())
    return inputs


def run_inputs(lake: Lake, run_id: str) -> Optional[RunInputs]:
    """The inputs the run pinned, or None when it pinned none (a notebook run by hand)."""
    if not lake.exists(Zone.META, _inputs_key(run_id)):
        return None
    loaded: dict[str, Any] = json.loads(lake.read_bytes(Zone.META, _inputs_key(run_id)))
    if "files" not in loaded:  # pinned before incremental runs: every file, no base
        return RunInputs(files=loaded, batch=loaded, base=dict.fromkeys(loaded))
    return RunInputs(
        files=loaded["files"],
        batch=loaded["batch"],
        base=loaded["base"],
        settings=loaded.get("settings", {}),
    )


def base_run(ctx: JobContext, dataset: str) -> Optional[str]:
    """The run whose live version of ``dataset``'s table this run merges into (None: build
    it from every file)."""
    inputs = run_inputs(ctx.lake, ctx.run_id)
    return None if inputs is None else inputs.base_run(dataset)


def pinned_inputs(lake: Lake, run_id: str) -> Optional[Mapping[str, list[str]]]:
    """Every file the run's tables include, per dataset, or None when it pinned none."""
    inputs = run_inputs(lake, run_id)
    return None if inputs is None else inputs.files
