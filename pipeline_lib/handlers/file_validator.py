"""file_validator: the state machine's first step: validate every file waiting in raw/.

Each file is sniffed, schema-checked and hashed; duplicates are skipped, bad files move to
quarantine with their reason and a dead-letter record, accepted rows get a typed Parquet
copy for the ETL (see :mod:`pipeline_lib.ingestion`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline_lib.catalog import read_published
from pipeline_lib.exceptions import PermanentError, StorageError, TransientError
from pipeline_lib.handlers._runtime import Runtime, runtime_from_env
from pipeline_lib.ingestion import (
    ACCEPTED,
    DUPLICATE,
    QUARANTINED,
    IngestReport,
    ingest_raw_objects,
    pending_raw_keys,
)
from pipeline_lib.jobs import pin_inputs, processing_fingerprints
from pipeline_lib.schemas import CONTRACTS
from pipeline_lib.storage import RUN_LEASE_SECONDS, check_key, run_holder

#: Quarantined files listed in the answer (the state's output stays small; all are counted).
MAX_LISTED = 50


def raw_key(key: str, runtime: Runtime) -> str:
    """``key`` checked as an object key of the raw zone (``transactions/ingest_date=.../x.csv``)."""
    try:
        return check_key(key)
    except StorageError:
        raise PermanentError(
            f"{key!r} is not a key inside the raw zone: give the object's key relative to "
            "raw/, like 'transactions/ingest_date=2026-11-28/transactions_0900.csv'"
        ) from None


def validate(keys: Sequence[str], runtime: Runtime) -> IngestReport:
    """Validate and land the raw objects ``keys`` (default: every one the ledger has not
    seen)."""
    chosen = list(keys) or pending_raw_keys(runtime.lake)
    report = (
        ingest_raw_objects(chosen, runtime.lake, runtime.settings.ingestion)
        if chosen
        else IngestReport()
    )
    runtime.outcomes.ingest = report
    return report


def summarize(report: IngestReport) -> dict[str, Any]:
    counts = report.counts
    accepted = [r for r in report.results if r.status == ACCEPTED]
    return {
        "accepted": counts[ACCEPTED],
        "rejected": counts[QUARANTINED],
        "duplicates": counts[DUPLICATE],
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "datasets": sorted({r.dataset for r in accepted if r.dataset}),
        "quarantined": [
            {"source": str(r.source), "check": r.check, "reason": r.reason}
            for r in report.results
            if r.status == QUARANTINED
        ][:MAX_LISTED],
    }


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: ``{"run_id", "as_of", "files": [raw key, ...], "full_refresh": bool}`` (no
    files: all pending).

    With a ``run_id``, the run's inputs are pinned once the files are validated: every
    notebook of the run then reads the same accepted files (see :func:`pin_inputs`). A
    run merges what arrived into the published tables; with ``full_refresh`` it rebuilds
    them from every accepted file.

    On AWS the run first takes the lake's lease (one run at a time); while another run
    holds it this step fails with a TransientError, which the state machine retries, and
    nothing is validated: the files wait for the next run.
    """
    files = (event.get("files") or []) if isinstance(event, Mapping) else []
    run_id = event.get("run_id") if isinstance(event, Mapping) else None
    if run_id and runtime.run_lease is not None:
        holder = runtime.run_lease.acquire(run_holder(str(run_id)), seconds=RUN_LEASE_SECONDS)
        if holder is not None:
            raise TransientError(
                f"the lake is busy: {holder} holds its lease in {runtime.run_lease.table}; "
                f"run {run_id} waits (its files stay for the next run)"
            )
    answer = summarize(validate([raw_key(str(f), runtime) for f in files], runtime))
    if run_id:
        full_refresh = bool(event.get("full_refresh")) if isinstance(event, Mapping) else False
        pin_inputs(
            runtime.lake,
            str(run_id),
            base=live_versions(runtime, full_refresh),
            settings=processing_fingerprints(runtime.settings.params),
        )
    return answer


def live_versions(runtime: Runtime, full_refresh: bool) -> dict[str, Any]:
    """Per dataset, the run whose published ``processed.<dataset>`` a run merges into."""
    if full_refresh:
        return dict.fromkeys(CONTRACTS)
    tables = read_published(runtime.lake).tables
    return {name: tables.get(f"processed.{name}") for name in CONTRACTS}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
