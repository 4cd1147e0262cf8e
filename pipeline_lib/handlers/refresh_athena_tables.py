"""refresh_athena_tables: point the catalog's tables at the published versions.

Locally the DuckDB catalog (``_meta/catalog.duckdb``) is rebuilt from ``published.json``;
for an S3 lake the Glue tables are pointed at the versions the publish pointer names.
Both are idempotent, so a retry or a re-run is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_lib.catalog import read_published, refresh_catalog
from pipeline_lib.handlers._runtime import Runtime, runtime_from_env


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: ``{"run_id"}`` (informational: the catalog follows ``published.json``)."""
    changed = refresh_catalog(runtime.lake)
    live = read_published(runtime.lake).tables
    return {"tables": len(live), "changed": changed}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
