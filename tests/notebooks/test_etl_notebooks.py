"""The ETL notebooks run as plain notebooks (nbmake) with their default parameters.

A user opening a notebook in JupyterLab next to a ``lake`` folder runs it with the defaults
(``lake = "lake"``, ``run_id = "manual"``): this test does the same on a small lake.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import jupytext
import pytest

from pipeline_lib.config import IngestionSettings
from pipeline_lib.generators import GeneratorConfig, generate_all
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import load_accounting, load_versions
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake, Zone

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "etl"
ETL = ("transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl")
MERGE = "master_data_merge"
TODAY = date(2026, 11, 28)
CURATED_TABLES = tuple(sorted(t.name for t in TABLES.values() if t.zone == "curated"))


def to_ipynb(source: Path, folder: Path) -> Path:
    notebook = jupytext.read(str(source))
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    target = folder / f"{source.stem}.ipynb"
    jupytext.write(notebook, str(target), fmt="ipynb")
    return target


def nbmake(folder: Path, notebooks: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbmake",
            "-p",
            "no:cacheprovider",
            "-q",
            *[n.name for n in notebooks],
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small ingested ``lake`` and the ETL notebooks as .ipynb."""
    folder = tmp_path_factory.mktemp("notebooks")
    generated = generate_all(
        folder / "data",
        GeneratorConfig(
            transactions=2000, seed=11, end_date=TODAY, days=120, products=200, dirty_rate=0.02
        ),
    )
    report = ingest_paths(
        [folder / "data"], LocalLake(folder / "lake"), IngestionSettings(), today=TODAY
    )
    assert report.counts["accepted"] == len(generated.files), report.summary()
    for name in (*ETL, MERGE):
        to_ipynb(NOTEBOOKS / f"{name}.py", folder)
    return folder


def test_etl_then_merge_notebooks_run_with_their_defaults(workspace: Path) -> None:
    etl = nbmake(workspace, [workspace / f"{name}.ipynb" for name in ETL])
    assert etl.returncode == 0, etl.stdout[-5000:] + etl.stderr[-2000:]
    assert "4 passed" in etl.stdout

    merge = nbmake(workspace, [workspace / f"{MERGE}.ipynb"])
    assert merge.returncode == 0, merge.stdout[-5000:] + merge.stderr[-2000:]
    assert "1 passed" in merge.stdout

    lake = LocalLake(workspace / "lake")
    for table in CURATED_TABLES:
        folder = lake.path(Zone.CURATED, f"{table}/run-manual")
        assert any(folder.rglob("*.parquet")), f"curated.{table} of run manual is missing"
    written = {v.qualified_name: v.rows for v in load_versions(lake, "manual")}
    assert {f"curated.{t}" for t in CURATED_TABLES} <= set(written)
    assert written["curated.transactions"] > 0
    stages = {(e.dataset, e.stage): e for e in load_accounting(lake, "manual")}
    merged = stages[("transactions", "merge")]
    assert merged.rows_out == written["curated.transactions"]
    assert merged.rows_in == stages[("transactions", "etl")].rows_out
