"""Data quality: rules with severities, the DataQualityChecker, anomaly detection, reports.

Checks run as SQL through a :class:`SqlRunner` (DuckDB over the run's staged tables during
the audit, over the live tables for ``ecom-pipeline quality``; Athena on AWS).
"""

from __future__ import annotations

from pipeline_lib.quality._model import (
    CRITICAL,
    FAIL,
    METRIC,
    MIX,
    PASS,
    RUN_RATE,
    SEVERITIES,
    STATUSES,
    WARN,
    WARNING,
    Anomaly,
    QualityReport,
    RuleResult,
    Unjudged,
    outcome,
)
from pipeline_lib.quality._runner import (
    AthenaRunner,
    DuckDBRunner,
    SqlRunner,
    live_runner,
    live_tables,
    staged_runner,
)

__all__ = [
    "CRITICAL",
    "FAIL",
    "METRIC",
    "MIX",
    "PASS",
    "RUN_RATE",
    "SEVERITIES",
    "STATUSES",
    "WARN",
    "WARNING",
    "Anomaly",
    "AthenaRunner",
    "DuckDBRunner",
    "QualityReport",
    "RuleResult",
    "SqlRunner",
    "Unjudged",
    "live_runner",
    "live_tables",
    "outcome",
    "staged_runner",
]
