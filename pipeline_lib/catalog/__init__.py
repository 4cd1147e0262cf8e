"""The catalog: which table versions are live, views over them, and their schema history.

Locally a DuckDB file (``_meta/catalog.duckdb``) with schemas ``raw``, ``processed`` and
``curated``; on AWS the Glue Data Catalog plays this part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_lib._lazy import lazy_exports

if TYPE_CHECKING:
    from pipeline_lib.catalog._evolution import SAFE_WIDENING, SchemaChange, compare_schemas
    from pipeline_lib.catalog._glue import (
        DATABASE_ENV,
        GlueCatalog,
        PublishConflictError,
        refresh_catalog,
    )
    from pipeline_lib.catalog._local import (
        CATALOG_KEY,
        PUBLISHED_KEY,
        LocalCatalog,
        PublishedState,
        SchemaEvolutionError,
        TableChange,
        read_published,
        write_published,
    )
    from pipeline_lib.catalog._publish import PublishResult, prune_versions, publish

__all__ = [
    "CATALOG_KEY",
    "DATABASE_ENV",
    "PUBLISHED_KEY",
    "SAFE_WIDENING",
    "GlueCatalog",
    "LocalCatalog",
    "PublishConflictError",
    "PublishResult",
    "PublishedState",
    "SchemaChange",
    "SchemaEvolutionError",
    "TableChange",
    "compare_schemas",
    "prune_versions",
    "publish",
    "read_published",
    "refresh_catalog",
    "write_published",
]

if not TYPE_CHECKING:  # imported on first use: see pipeline_lib._lazy
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "._evolution": ("SAFE_WIDENING", "SchemaChange", "compare_schemas"),
            "._glue": ("DATABASE_ENV", "GlueCatalog", "PublishConflictError", "refresh_catalog"),
            "._local": (
                "CATALOG_KEY",
                "PUBLISHED_KEY",
                "LocalCatalog",
                "PublishedState",
                "SchemaEvolutionError",
                "TableChange",
                "read_published",
                "write_published",
            ),
            "._publish": ("PublishResult", "prune_versions", "publish"),
        },
    )
