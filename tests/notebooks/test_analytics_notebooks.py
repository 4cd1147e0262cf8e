"""Every analytics notebook runs as a plain notebook (nbmake) on a small published lake.

An analyst opening ``notebooks/analytics/<name>.ipynb`` in JupyterLab next to a ``lake``
folder runs it with its defaults (the live tables, as of the live run's date); this test
does the same, template included, and then reads what the executed notebooks show.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from pipeline_lib.analytics.display import CONCLUSIONS_KEY, HEADER_KEY
from pipeline_lib.analytics.settings import notebook_names, notebooks_dir
from tests.lake_builder import AS_OF, build_lake
from tests.notebooks.test_etl_notebooks import to_ipynb

pytestmark = pytest.mark.slow

NOTEBOOKS = [*notebook_names(), "_template"]
#: Numbers a notebook's text may hold: definitions, not data (those come from the cells).
DEFINITIONS = {"7-day", "1 = chance"}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analytics notebooks run by nbmake, with their outputs written back."""
    folder = tmp_path_factory.mktemp("analytics_notebooks")
    build_lake(folder, transactions=3000)
    for name in NOTEBOOKS:
        to_ipynb(notebooks_dir() / f"{name}.py", folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbmake",
            "--overwrite",
            "-p",
            "no:cacheprovider",
            "-q",
            *[f"{name}.ipynb" for name in NOTEBOOKS],
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert f"{len(NOTEBOOKS)} passed" in result.stdout
    return folder


def outputs(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(str(path), as_version=4)
    return [o for cell in notebook.cells for o in cell.get("outputs", [])]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_with_its_defaults_and_concludes_from_the_data(
    executed: Path, name: str
) -> None:
    shown = outputs(executed / f"{name}.ipynb")
    assert not [o for o in shown if o.get("output_type") == "error"]
    headers = [o["metadata"][HEADER_KEY] for o in shown if HEADER_KEY in o.get("metadata", {})]
    assert headers and headers[0]["as_of"] == AS_OF.isoformat()  # the live run's date
    conclusions = [
        o["metadata"][CONCLUSIONS_KEY] for o in shown if CONCLUSIONS_KEY in o.get("metadata", {})
    ]
    assert conclusions and conclusions[0], f"{name} concludes nothing"
    assert any(re.search(r"\d", sentence) for sentence in conclusions[0])
    assert "Not enough data" not in conclusions[0][0]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_text_holds_no_hand_typed_numbers(name: str) -> None:
    """Numbers about the data come from cells; the markdown only defines and explains."""
    notebook = jupytext.read(str(notebooks_dir() / f"{name}.py"))
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        text = str(cell.source)
        for allowed in DEFINITIONS:
            text = text.replace(allowed, "")
        assert not re.search(r"\d", text), f"{name}: a number in the text: {cell.source!r}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_thin(name: str) -> None:
    """A tagged parameters cell first, pipeline_lib calls after it, no function definitions."""
    notebook = jupytext.read(str(notebooks_dir() / f"{name}.py"))
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assert {"lake", "as_of", "env"} <= set(re.findall(r"^(\w+) =", code[0].source, re.M))
    for cell in code:
        assert not re.search(r"^\s*(def|class) ", cell.source, re.M), name
        assert not re.search(r"^\s*import (duckdb|pandas)", cell.source, re.M), name
