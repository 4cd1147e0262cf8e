"""refresh_athena_tables: point the catalog's tables at the published versions.

Locally the DuckDB catalog (``_meta/catalog.duckdb``) is rebuilt from ``published.json``;
rebuilding is idempotent, so a retry or a re-run is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.handlers._runtime import Runtime, runtime_from_env


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: ``{"run_id"}`` (informational: the catalog follows ``published.json``)."""
    changes = LocalCatalog(runtime.lake).refresh()
    live = read_published(runtime.lake).tables
    return {"tables": len(live), "changed": [c.table for c in changes if c.change != "none"]}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
