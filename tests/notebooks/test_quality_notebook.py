"""The data quality notebook runs as a plain notebook (nbmake) and renders to an HTML report.

Like the ETL notebooks, a user opens it in JupyterLab next to a ``lake`` folder and runs it
with its defaults (the live tables, ``run_id = "manual"``); the pipeline runs it with
papermill over a run's staged versions and renders the executed copy.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from pipeline_lib.catalog import read_published
from pipeline_lib.execution.notebooks import run_notebook
from pipeline_lib.quality.report import render_report
from pipeline_lib.storage import LocalLake, Zone
from tests.lake_builder import AS_OF, build_lake
from tests.notebooks.test_etl_notebooks import nbmake, to_ipynb

audit = pytest.importorskip(
    "pipeline_lib.quality.audit",
    reason="pipeline_lib.quality.audit (run_quality, save_report) is not written yet",
)

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quality" / "data_quality.py"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small published ``lake`` and the quality notebook as .ipynb."""
    folder = tmp_path_factory.mktemp("quality_notebook")
    build_lake(folder, transactions=2000)
    to_ipynb(NOTEBOOK, folder)
    return folder


def test_quality_notebook_runs_with_its_defaults_on_the_live_tables(workspace: Path) -> None:
    result = nbmake(workspace, [workspace / "data_quality.ipynb"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout

    lake = LocalLake(workspace / "lake")
    saved = lake.path(Zone.META, "runs/manual/quality.json")
    assert saved.is_file(), "the notebook did not save _meta/runs/manual/quality.json"
    report = audit.load_report(lake, "manual")
    assert report.run_id == "manual"
    assert report.rules, "no rule was evaluated on the live tables"
    assert json.loads(saved.read_text())["status"] == report.status


def test_quality_notebook_on_a_runs_staged_tables_renders_an_offline_report(
    workspace: Path,
) -> None:
    lake = LocalLake(workspace / "lake")
    [run_id] = sorted(set(read_published(lake).tables.values()))
    run = run_notebook(
        NOTEBOOK,
        output_dir=workspace / "executed",
        parameters={
            "lake": str(lake.root),
            "run_id": run_id,
            "as_of": AS_OF.isoformat(),
            "staged": True,
        },
    )
    report = audit.load_report(lake, run_id)
    assert report.as_of == AS_OF.isoformat()

    page = render_report(
        run.executed_path, lake=lake, as_of=AS_OF, reports_dir=workspace / "reports"
    )
    assert page == workspace / "reports" / "quality" / AS_OF.isoformat() / "index.html"
    text = page.read_text(encoding="utf-8")
    assert f'data-status="{report.status}"' in text
    assert f"Run {run_id}" in text
    # history, null rates, reject reasons, reconciliation
    assert text.count('class="plotly-graph-div"') == 4
    assert "run_quality(" not in text  # no input code
    assert "cdn.plot.ly" not in text
    assert not re.search(r"<script\b[^>]*\bsrc=[\"']?(https?:)?//", text)
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")
    assert f'href="quality/{AS_OF.isoformat()}/index.html"' in index
    assert isinstance(AS_OF, date)
