"""run_pipeline's control flow on stand-in notebooks (no data): failures end in a run record."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pipeline_lib.config import load_settings
from pipeline_lib.orchestration.pipeline import ETL_NOTEBOOKS, MERGE_NOTEBOOK, run_pipeline
from pipeline_lib.storage import LocalLake, Zone

PARAMETERS_CELL = """\
# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"

"""


def stand_in_notebooks(folder: Path, merge_body: str) -> Path:
    """ETL notebooks that do nothing, and a merge notebook running ``merge_body``."""
    folder.mkdir()
    for name in ETL_NOTEBOOKS:
        (folder / f"{name}.py").write_text(PARAMETERS_CELL + "# %%\nprint('nothing to do')\n")
    (folder / f"{MERGE_NOTEBOOK}.py").write_text(PARAMETERS_CELL + merge_body)
    return folder


def test_a_kernel_that_dies_fails_the_run_instead_of_raising(tmp_path: Path) -> None:
    # A kernel killed mid-cell (out of memory, a native crash) is a failed step like any
    # other: the run must end "failed", with a record, not escape as a traceback.
    notebooks = stand_in_notebooks(
        tmp_path / "etl", "# %%\nimport os\n\n# %%\nos._exit(9)  # the OOM killer, say\n"
    )
    lake = LocalLake(tmp_path / "lake")

    result = run_pipeline(
        lake,
        load_settings(env="local"),
        as_of=date(2026, 11, 28),
        run_id="dies",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
    )

    assert result.status == "failed"
    assert result.error is not None
    assert "notebook master_data_merge failed" in result.error
    assert "`os._exit(9)  # the OOM killer, say`" in result.error
    assert "DeadKernelError" in result.error and "kernel died" in result.error
    steps = {step.name: step.status for step in result.steps}
    assert steps == {
        "ingest": "succeeded",
        **dict.fromkeys(ETL_NOTEBOOKS, "succeeded"),
        MERGE_NOTEBOOK: "failed",
    }
    record = json.loads(lake.read_bytes(Zone.META, "runs/dies/run.json"))
    assert record["status"] == "failed" and record["error"] == result.error
    assert not lake.exists(Zone.META, "published.json")


def test_a_run_whose_jobs_write_nothing_fails_the_audit_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    notebooks = stand_in_notebooks(tmp_path / "etl", "# %%\nprint('no tables')\n")
    lake = LocalLake(tmp_path / "lake")

    result = run_pipeline(
        lake,
        load_settings(env="local"),
        as_of=date(2026, 11, 28),
        run_id="empty",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
    )

    assert result.status == "failed"
    assert result.error == (
        "audit failed, nothing published: rows_produced on run: no dataset was processed"
    )
    assert [s.name for s in result.steps if s.status == "failed"] == ["audit"]
    assert not lake.exists(Zone.META, "published.json")
    executed = sorted(p.stem for p in (tmp_path / "reports" / "runs" / "empty").glob("*.ipynb"))
    assert executed == sorted((*ETL_NOTEBOOKS, MERGE_NOTEBOOK))
