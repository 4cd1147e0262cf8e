"""run_pipeline's control flow on stand-in notebooks (no data): failures end in a run record."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline_lib.config import load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.orchestration.pipeline import MERGE_NOTEBOOK, run_pipeline
from pipeline_lib.storage import LocalLake, Zone
from tests.state_machine import etl_jobs

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
    for name in etl_jobs():
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
        **dict.fromkeys(etl_jobs(), "succeeded"),
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
    assert executed == sorted((*etl_jobs(), MERGE_NOTEBOOK))


def lake_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its content (empty if ``root`` does not exist)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


STARTED = "2026-11-28T06:00:01.123Z"
RECORD = {"run_id": "nightly", "status": "failed", "started_at": STARTED, "error": "boom"}
STARTED_EVENT = {
    "id": 1,
    "timestamp": STARTED,
    "type": "ExecutionStarted",
    "state": None,
    "details": {"input": {"run_id": "nightly"}},
}


@pytest.mark.parametrize(
    ("files", "described"),
    [
        ({"run.json": json.dumps(RECORD)}, f"a failed run started {STARTED}"),
        (
            {"history.jsonl": json.dumps(STARTED_EVENT) + "\n"},
            f"an interrupted run (no run record) started {STARTED}",
        ),
        ({"history.jsonl": ""}, "an interrupted run (no run record)"),
    ],
    ids=["record", "history-only", "empty-history"],
)
def test_a_run_id_that_already_ran_is_refused_before_anything_is_written(
    tmp_path: Path, files: dict[str, str], described: str
) -> None:
    # Re-using a run id would rewrite that run's table versions, which may be the live ones,
    # before the audit has looked at them.
    notebooks = stand_in_notebooks(tmp_path / "etl", "# %%\nprint('no tables')\n")
    lake = LocalLake(tmp_path / "lake")
    for name, text in files.items():
        lake.write_bytes(Zone.META, f"runs/nightly/{name}", text.encode())
    before = lake_files(lake.root)

    with pytest.raises(PipelineError) as raised:
        run_pipeline(
            lake,
            load_settings(env="local"),
            as_of=date(2026, 11, 28),
            run_id="nightly",
            reports_dir=tmp_path / "reports",
            notebooks_dir=notebooks,
        )

    message = str(raised.value)
    assert "run id 'nightly' was already used" in message
    assert described in message
    assert str(lake.path(Zone.META, "runs/nightly")) in message
    assert "pick a new --run-id or omit it" in message
    assert "\n" not in message
    assert lake_files(lake.root) == before
    assert not (tmp_path / "reports").exists()


def test_an_unused_run_id_in_a_lake_with_other_runs_is_accepted(tmp_path: Path) -> None:
    notebooks = stand_in_notebooks(tmp_path / "etl", "# %%\nprint('no tables')\n")
    lake = LocalLake(tmp_path / "lake")
    lake.write_bytes(Zone.META, "runs/nightly/run.json", json.dumps(RECORD).encode())

    result = run_pipeline(
        lake,
        load_settings(env="local"),
        as_of=date(2026, 11, 28),
        run_id="nightly-2",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
    )

    assert result.run_id == "nightly-2" and result.status == "failed"  # the audit: no tables
    assert json.loads(lake.read_bytes(Zone.META, "runs/nightly/run.json")) == RECORD
