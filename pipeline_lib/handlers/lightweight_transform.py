"""lightweight_transform: validate and convert one small file at once, without Glue.

A file up to ``ingestion.lightweight_max_bytes`` is checked and its accepted rows written
as typed Parquet to ``processed/validated/`` in the Lambda itself, seconds after it lands.
A larger file is refused (PermanentError): it belongs to the Glue path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env
from pipeline_lib.handlers.file_validator import raw_key, validate
from pipeline_lib.ingestion import LIGHTWEIGHT, FileResult, route_for
from pipeline_lib.storage import Zone

EVENT = '{"key": "<dataset>/ingest_date=YYYY-MM-DD/<file>"}'


def transform(key: str, runtime: Runtime) -> FileResult:
    """Validate and land the raw object ``key``; PermanentError if it is not a small file."""
    key = raw_key(key, runtime)
    if not runtime.lake.exists(Zone.RAW, key):
        raise PermanentError(f"{key!r} is not in the raw zone (moved or deleted since it landed)")
    size = runtime.lake.size(Zone.RAW, key)
    if route_for(size, runtime.settings.ingestion) != LIGHTWEIGHT:
        limit = runtime.settings.ingestion.lightweight_max_bytes
        raise PermanentError(
            f"{key!r} is {size:,} bytes, above lightweight_max_bytes "
            f"({limit:,}): the Glue path handles it"
        )
    return validate([key], runtime).results[0]


def describe(key: str, result: FileResult) -> dict[str, Any]:
    """The handler's answer for ``key``."""
    return {
        "key": key,
        "status": result.status,
        "dataset": result.dataset,
        "rows_accepted": result.rows_accepted,
        "rows_rejected": result.rows_rejected,
        "validated_uri": result.validated_uri,
        "reason": result.reason,
    }


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT`."""
    key = str(require(event, "key", EVENT))
    return describe(key, transform(key, runtime))


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
