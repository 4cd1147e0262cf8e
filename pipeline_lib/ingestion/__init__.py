"""Ingestion: the file validator, router and dead-letter queue of the raw zone.

Each file is recognized (dataset, format, encoding), validated against its data contract,
then landed unchanged in the raw zone (accepted), or copied to the quarantine zone with an
error record and a dead letter (quarantined), or skipped as a duplicate of content already
accepted. Every outcome is recorded in the ingestion ledger.

Examples
--------
>>> from pipeline_lib.ingestion import ingest_paths  # doctest: +SKIP
>>> report = ingest_paths([Path("data")], lake, settings)  # doctest: +SKIP
>>> report.summary()  # doctest: +SKIP
'2 files: 2 accepted, 0 quarantined, 0 duplicate; 1,500 rows accepted, 0 rejected'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_lib._lazy import lazy_exports

if TYPE_CHECKING:
    from pipeline_lib.ingestion._detect import dataset_for_name
    from pipeline_lib.ingestion._ledger import (
        LEDGER_KEY,
        IngestionLedger,
        Ledger,
        LedgerEntry,
        open_ledger,
    )
    from pipeline_lib.ingestion._quarantine import DEAD_LETTER_KEY
    from pipeline_lib.ingestion._result import (
        ACCEPTED,
        DUPLICATE,
        QUARANTINED,
        FileResult,
        IngestReport,
    )
    from pipeline_lib.ingestion._route import LIGHTWEIGHT, NOTEBOOK, route_for
    from pipeline_lib.ingestion._service import (
        collect_files,
        ingest_file,
        ingest_paths,
        ingest_raw_objects,
        pending_raw_files,
        pending_raw_keys,
    )
    from pipeline_lib.ingestion._store import VALIDATED_PREFIX

__all__ = [
    "ACCEPTED",
    "DEAD_LETTER_KEY",
    "DUPLICATE",
    "LEDGER_KEY",
    "LIGHTWEIGHT",
    "NOTEBOOK",
    "QUARANTINED",
    "VALIDATED_PREFIX",
    "FileResult",
    "IngestReport",
    "IngestionLedger",
    "Ledger",
    "LedgerEntry",
    "collect_files",
    "dataset_for_name",
    "ingest_file",
    "ingest_paths",
    "ingest_raw_objects",
    "open_ledger",
    "pending_raw_files",
    "pending_raw_keys",
    "route_for",
]

if not TYPE_CHECKING:  # imported on first use: see pipeline_lib._lazy
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "._detect": ("dataset_for_name",),
            "._ledger": ("LEDGER_KEY", "IngestionLedger", "Ledger", "LedgerEntry", "open_ledger"),
            "._quarantine": ("DEAD_LETTER_KEY",),
            "._result": ("ACCEPTED", "DUPLICATE", "QUARANTINED", "FileResult", "IngestReport"),
            "._route": ("LIGHTWEIGHT", "NOTEBOOK", "route_for"),
            "._service": (
                "collect_files",
                "ingest_file",
                "ingest_paths",
                "ingest_raw_objects",
                "pending_raw_files",
                "pending_raw_keys",
            ),
            "._store": ("VALIDATED_PREFIX",),
        },
    )
