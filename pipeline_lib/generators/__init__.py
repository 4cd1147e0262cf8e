"""Realistic, reproducible sample data for the four raw datasets.

Example
-------
>>> from datetime import date
>>> from pathlib import Path
>>> from pipeline_lib.generators import GeneratorConfig, generate_all
>>> config = GeneratorConfig(transactions=10_000, seed=7, end_date=date(2026, 11, 28))
>>> result = generate_all(Path("data"), config)  # doctest: +SKIP
"""

from __future__ import annotations

from pipeline_lib.exceptions import GeneratorError
from pipeline_lib.generators._config import GenerationResult, GeneratorConfig
from pipeline_lib.generators._dirty import DIRTY_KINDS
from pipeline_lib.generators._orchestrate import DATASETS, MANIFEST_NAME, generate_all

__all__ = [
    "DATASETS",
    "DIRTY_KINDS",
    "MANIFEST_NAME",
    "GenerationResult",
    "GeneratorConfig",
    "GeneratorError",
    "generate_all",
]
