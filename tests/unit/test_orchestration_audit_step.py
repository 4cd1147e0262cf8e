"""The audit step of write-audit-publish: the quality notebook must be there to audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.orchestration import audit_step
from pipeline_lib.storage import LocalLake


def test_a_missing_quality_notebook_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_step, "QUALITY_NOTEBOOK", tmp_path / "missing.py")
    with pytest.raises(PipelineError, match=r"missing\.py is missing: restore it from git"):
        audit_step.default_audit(audit_step.AuditInput(LocalLake(tmp_path / "lake"), "r1", [], []))
