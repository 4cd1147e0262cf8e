"""Orchestration: the state machine run locally, its history, triggers and notifications.

``asl`` loads and checks the Step Functions definition, ``executor`` runs it,
``local_resources`` says what its tasks are on a laptop, ``pipeline`` is one run
(``ecom-pipeline run``), ``history`` the runs' records, ``notify`` the notifiers,
``watch`` and ``schedule`` the local triggers, ``notebooks`` the papermill runner.
"""

from __future__ import annotations

from pipeline_lib.orchestration.notebooks import (
    NotebookError,
    NotebookRun,
    declared_parameters,
    load_notebook,
    run_notebook,
)

__all__ = ["NotebookError", "NotebookRun", "declared_parameters", "load_notebook", "run_notebook"]
