"""The file router: which processing path an accepted file takes, and where it lands."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Optional

import pyarrow as pa

from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion._store import VALIDATED_PREFIX, place_original
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

LIGHTWEIGHT = "lightweight"
NOTEBOOK = "notebook"


def route_for(size_bytes: int, settings: IngestionSettings) -> str:
    """``lightweight`` (Lambda on AWS) up to the threshold, else ``notebook`` (Glue job)."""
    return LIGHTWEIGHT if size_bytes <= settings.lightweight_max_bytes else NOTEBOOK


def store_accepted(
    lake: Lake,
    source: Path,
    dataset: str,
    sha256: str,
    ingest_date: date,
    origin: Optional[str] = None,
) -> str:
    """Copy the accepted original, unchanged, to ``raw/<dataset>/ingest_date=<D>/`` (a file
    already in the raw zone, ``origin`` for a downloaded object, stays where it is)."""
    folder = f"{dataset}/ingest_date={ingest_date.isoformat()}"
    return place_original(lake, Zone.RAW, folder, source, sha256, origin)


def validated_key(dataset: str, sha256: str, ingest_date: date) -> str:
    """Key (processed zone) of the typed copy of a file's accepted rows."""
    return (
        f"{VALIDATED_PREFIX}/{dataset}/ingest_date={ingest_date.isoformat()}/{sha256[:16]}.parquet"
    )


def store_validated(
    lake: Lake, rows: pa.Table, dataset: str, sha256: str, ingest_date: date
) -> str:
    """Write the accepted rows, typed per contract, where the ETL reads them.

    The raw zone keeps the original bytes for audit; this copy saves every ETL run from
    parsing text again (5M JSON lines take seconds to parse, their Parquet copy a fraction).
    """
    return lake.write_parquet(Zone.PROCESSED, validated_key(dataset, sha256, ingest_date), rows)
