"""The after-publish hook of run_pipeline: the analytics reports, which never fail a run."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Optional

import pytest

from pipeline_lib.config import Settings, load_settings
from pipeline_lib.orchestration.pipeline import (
    ANALYTICS_STEP,
    StepResult,
    _after_publish,
    analytics_reports,
    run_pipeline,
)
from pipeline_lib.storage import LocalLake
from tests.unit.test_orchestration_pipeline import stand_in_notebooks

AS_OF = date(2026, 11, 28)


class Recorder:
    """An after-publish hook that records its calls."""

    def __init__(self, step: Optional[StepResult] = None, error: Optional[Exception] = None):
        self.calls: list[tuple[Any, ...]] = []
        self.step, self.error = step, error

    def __call__(
        self, lake: LocalLake, settings: Settings, as_of: date, reports_dir: Path
    ) -> Optional[StepResult]:
        self.calls.append((lake, settings, as_of, reports_dir))
        if self.error is not None:
            raise self.error
        return self.step


def test_a_failed_run_renders_no_report(tmp_path: Path) -> None:
    notebooks = stand_in_notebooks(tmp_path / "etl", "# %%\nprint('no tables')\n")
    hook = Recorder(StepResult(ANALYTICS_STEP))
    result = run_pipeline(
        LocalLake(tmp_path / "lake"),
        load_settings(env="local"),
        as_of=AS_OF,
        run_id="empty",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
        after_publish=hook,
    )
    assert result.status == "failed"
    assert hook.calls == []
    assert ANALYTICS_STEP not in [s.name for s in result.steps]


def test_the_hook_gets_the_runs_lake_settings_day_and_reports(tmp_path: Path) -> None:
    lake, settings = LocalLake(tmp_path / "lake"), load_settings(env="local")
    done = StepResult(ANALYTICS_STEP, detail="5 reports")
    progress: list[tuple[str, str]] = []
    steps = _after_publish(
        Recorder(done),
        lake,
        settings,
        AS_OF,
        tmp_path / "r",
        lambda step, event: progress.append((step, event)),
    )
    assert steps == [done]
    assert progress == [(ANALYTICS_STEP, "started"), (ANALYTICS_STEP, "finished")]
    assert _after_publish(Recorder(None), lake, settings, AS_OF, tmp_path, None) == []


def test_a_hook_that_raises_is_a_failed_step_not_an_exception(tmp_path: Path) -> None:
    hook = Recorder(error=RuntimeError("kernel gone"))
    [step] = _after_publish(
        hook, LocalLake(tmp_path), load_settings(env="local"), AS_OF, tmp_path, None
    )
    assert (step.name, step.status, step.detail) == (ANALYTICS_STEP, "failed", "kernel gone")


def test_the_default_hook_follows_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_ANALYTICS_REPORTS", "off")
    assert analytics_reports(LocalLake(tmp_path), load_settings(), AS_OF, tmp_path) is None
    assert not (tmp_path / "analytics").exists()
