"""pipeline_lib: the logic behind the e-commerce analytics pipeline's notebooks and jobs."""

from __future__ import annotations

__version__ = "0.1.0"
