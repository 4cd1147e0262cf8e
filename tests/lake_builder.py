"""Build a small published lake for tests of the API and the dashboard (about 10 s)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable, Optional

from pipeline_lib.config import IngestionSettings, load_settings
from pipeline_lib.generators import GenerationResult, GeneratorConfig, generate_all
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.orchestration.pipeline import run_pipeline
from pipeline_lib.storage import LocalLake

AS_OF = date(2026, 11, 28)


def build_lake(
    root: Path,
    *,
    transactions: int = 3000,
    as_of: date = AS_OF,
    edit: Optional[Callable[[GenerationResult], None]] = None,
) -> LocalLake:
    """Generate, ingest and run the pipeline under ``root``; return the published lake.

    ``edit`` may change the generated files before they are ingested (e.g. hostile names).
    """
    generated = generate_all(
        root / "data", GeneratorConfig(transactions=transactions, seed=20261128, end_date=as_of)
    )
    if edit is not None:
        edit(generated)
    lake = LocalLake(root / "lake")
    ingest_paths([generated.manifest_path.parent], lake, IngestionSettings(), today=as_of)
    settings = load_settings(env="local", lake=str(lake.root))
    result = run_pipeline(lake, settings, as_of=as_of, reports_dir=root / "reports")
    assert result.succeeded, result.error
    return lake
