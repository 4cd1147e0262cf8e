"""The audit step of write-audit-publish: the data quality audit of a run's staged tables.

An audit hook takes the run's staged versions and row accounting and returns a
:class:`~pipeline_lib.quality.QualityReport`; the run publishes only when no critical rule
failed (warnings and anomalies are reported, and publish goes on). The default hook runs
the quality notebook ``notebooks/quality/data_quality.py`` (staged=True), which calls
:func:`pipeline_lib.quality.audit.run_quality` and saves the report; the hook reads it back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Optional

from pipeline_lib.config import Settings, load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.jobs import StageAccounting, TableVersion
from pipeline_lib.quality import QualityReport, staged_runner
from pipeline_lib.resources import resource_path
from pipeline_lib.storage import Lake

logger = logging.getLogger(__name__)

QUALITY_NOTEBOOK = resource_path("notebooks") / "quality" / "data_quality.py"

__all__ = [
    "QUALITY_NOTEBOOK",
    "AuditHook",
    "AuditInput",
    "default_audit",
    "in_process_audit",
]


@dataclass(frozen=True)
class AuditInput:
    """What an audit hook may look at."""

    lake: Lake
    run_id: str
    versions: Sequence[TableVersion]
    accounting: Sequence[StageAccounting]
    as_of: Optional[date] = None
    env: str = "local"
    reports_dir: Optional[Path] = None
    settings: Optional[Settings] = None

    @property
    def day(self) -> date:
        return self.as_of or date.today()


AuditHook = Callable[[AuditInput], QualityReport]


def in_process_audit(audit: AuditInput) -> QualityReport:
    """The quality audit in this process: ``run_quality`` on the staged tables, saved.

    The same rules as :func:`default_audit` without a notebook kernel or an executed
    notebook; the quality benchmarks (``benchmarks/bench_quality.py``) audit with it.
    """
    from pipeline_lib.quality.audit import run_quality, save_report

    runner = staged_runner(audit.lake, audit.versions)
    try:
        report = run_quality(
            runner,
            lake=audit.lake,
            run_id=audit.run_id,
            as_of=audit.day,
            versions=list(audit.versions),
            accounting=list(audit.accounting),
            settings=audit.settings or load_settings(env=audit.env, lake=audit.lake.location),
        )
    finally:
        runner.close()
    save_report(audit.lake, report)
    return report


def default_audit(audit: AuditInput) -> QualityReport:
    """Run the quality notebook on the staged tables and return the report it saved.

    The executed notebook goes to ``audit.reports_dir``. To audit without a notebook
    kernel (same rules, no executed notebook), pass ``audit=in_process_audit`` to
    ``run_pipeline``.
    """
    from pipeline_lib.execution.notebooks import run_notebook
    from pipeline_lib.quality.audit import load_report

    if not QUALITY_NOTEBOOK.is_file():
        raise PipelineError(
            f"the quality notebook {QUALITY_NOTEBOOK} is missing: restore it from git "
            "(nothing was published)"
        )
    parameters = {
        "lake": audit.lake.location,
        "run_id": audit.run_id,
        "as_of": audit.day.isoformat(),
        "env": audit.env,
        "staged": True,
    }
    run_notebook(
        QUALITY_NOTEBOOK, output_dir=audit.reports_dir or Path("reports"), parameters=parameters
    )
    return load_report(audit.lake, audit.run_id)
