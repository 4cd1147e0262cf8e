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

from typing import TYPE_CHECKING

from pipeline_lib._lazy import lazy_exports
from pipeline_lib.exceptions import GeneratorError

if TYPE_CHECKING:
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

if not TYPE_CHECKING:  # imported on first use: see pipeline_lib._lazy
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "._config": ("GenerationResult", "GeneratorConfig"),
            "._dirty": ("DIRTY_KINDS",),
            "._orchestrate": ("DATASETS", "MANIFEST_NAME", "generate_all"),
        },
    )
