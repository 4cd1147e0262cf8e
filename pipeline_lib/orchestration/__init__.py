"""Orchestration: the notebook runner (papermill); later the local ASL executor and triggers."""

from __future__ import annotations

from pipeline_lib.orchestration.notebooks import (
    NotebookError,
    NotebookRun,
    declared_parameters,
    load_notebook,
    run_notebook,
)

__all__ = ["NotebookError", "NotebookRun", "declared_parameters", "load_notebook", "run_notebook"]
