"""The file router: which processing path an accepted file takes, and where it lands."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from pipeline_lib.config import IngestionSettings
from pipeline_lib.ingestion._store import place_original
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)

LIGHTWEIGHT = "lightweight"
NOTEBOOK = "notebook"


def route_for(size_bytes: int, settings: IngestionSettings) -> str:
    """``lightweight`` (Lambda on AWS) up to the threshold, else ``notebook`` (Glue job)."""
    return LIGHTWEIGHT if size_bytes <= settings.lightweight_max_bytes else NOTEBOOK


def store_accepted(
    lake: LocalLake, source: Path, dataset: str, sha256: str, ingest_date: date
) -> str:
    """Copy the accepted original, unchanged, to ``raw/<dataset>/ingest_date=<D>/``."""
    folder = f"{dataset}/ingest_date={ingest_date.isoformat()}"
    return place_original(lake, Zone.RAW, folder, source, sha256)
