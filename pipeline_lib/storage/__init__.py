"""Lake storage: zones raw/processed/curated/quarantine, local folder or S3."""

from __future__ import annotations

from pipeline_lib.storage._base import Lake, Zone, check_key
from pipeline_lib.storage._duckdb import ParquetFolder, create_parquet_view
from pipeline_lib.storage._lease import (
    LOCK_TABLE_ENV,
    RUN_LEASE_SECONDS,
    DynamoDBLease,
    run_holder,
)
from pipeline_lib.storage._local import LocalLake, atomic_write, fsync_dir
from pipeline_lib.storage._s3 import S3Lake


def open_lake(location: str) -> Lake:
    """The lake at ``location``: an ``s3://`` URI (:class:`S3Lake`) or a folder."""
    if location.startswith("s3://"):
        return S3Lake(location)
    if "://" in location:
        from pipeline_lib.exceptions import ConfigError

        raise ConfigError(f"unsupported lake location {location!r}: use a folder or s3://")
    return LocalLake(location)


__all__ = [
    "LOCK_TABLE_ENV",
    "RUN_LEASE_SECONDS",
    "DynamoDBLease",
    "Lake",
    "LocalLake",
    "ParquetFolder",
    "S3Lake",
    "Zone",
    "atomic_write",
    "check_key",
    "create_parquet_view",
    "fsync_dir",
    "open_lake",
    "run_holder",
]
