"""Lake storage: zones raw/processed/curated/quarantine, local folder or S3."""

from __future__ import annotations

from pipeline_lib.storage._base import Lake, Zone, check_key
from pipeline_lib.storage._local import LocalLake, atomic_write, fsync_dir

__all__ = ["Lake", "LocalLake", "Zone", "atomic_write", "check_key", "fsync_dir"]
