"""The command line loads what a command needs when it runs, not when it starts.

Each check runs the command in a new interpreter (this test process has imported half the
package already) and reads which modules it had loaded when the command ended.
benchmarks/bench_cli.py times the same commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.handler_events import PublishedLake

#: What no command that only answers (help, a query) may wait for.
NOTEBOOK_MACHINERY = ("papermill", "nbconvert", "nbformat", "jupytext", "nbclient", "ipykernel")
HEAVY = (*NOTEBOOK_MACHINERY, "great_expectations", "pandas", "plotly", "faker", "boto3")

_RUN = """
import json, sys
from pipeline_lib.cli.main import main
sys.argv = ["ecom-pipeline", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
with open(OUT, "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def loaded_modules(args: list[str], tmp_path: Path) -> set[str]:
    """The top-level modules ``ecom-pipeline ARGS`` had imported when it ended (exit 0)."""
    out = tmp_path / "modules.json"
    code = _RUN.replace("OUT", repr(str(out)))
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["code"] == 0, proc.stdout + proc.stderr
    return {name.split(".")[0] for name in record["modules"]}


@pytest.mark.parametrize("args", [["--help"], ["query", "--help"], ["run", "--help"]])
def test_help_loads_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    loaded = loaded_modules(args, tmp_path)
    assert "typer" in loaded  # the check itself works
    assert not loaded & set(HEAVY), f"--help imported {sorted(loaded & set(HEAVY))}"
    # Nor the engines: help is text.
    assert not loaded & {"duckdb", "pyarrow", "numpy", "sqlglot"}


def test_top_level_help_loads_no_command_dependencies(tmp_path: Path) -> None:
    loaded = loaded_modules(["--help"], tmp_path)
    assert not loaded & {"yaml", "watchdog", "jsonpath_ng"}


def test_a_query_loads_its_engine_but_not_pandas_nor_the_notebooks(tmp_path: Path) -> None:
    # --explain plans the query (parse, transpile, scan estimate) on an empty lake.
    args = [
        "--lake",
        str(tmp_path / "lake"),
        "query",
        "top_products",
        "--explain",
        "--format",
        "json",
        "--as-of",
        "2026-11-28",
    ]
    loaded = loaded_modules(args, tmp_path)
    assert {"duckdb", "sqlglot"} <= loaded
    assert not loaded & set(HEAVY), f"query imported {sorted(loaded & set(HEAVY))}"


def test_a_query_on_a_published_lake_reads_its_footers_without_pyarrow(
    built: PublishedLake, tmp_path: Path
) -> None:
    # The scan estimate reads every live file's footer; DuckDB does it on a local lake
    # (pyarrow is 0.16 s of a 0.7 s query, pipeline_lib/query/_footers.py).
    args = ["--lake", str(built.lake.root), "query", "top_products", "--format", "json"]
    args += ["--as-of", built.as_of.isoformat()]
    loaded = loaded_modules(args, tmp_path)
    assert "duckdb" in loaded
    assert not loaded & {"pyarrow", "numpy", *HEAVY}, sorted(loaded & {"pyarrow", "numpy"})


def test_the_command_line_leaves_out_jsonschemas_iri_checker(tmp_path: Path) -> None:
    # Importing rfc3987_syntax costs over a second (pipeline_lib/_startup.py); papermill's
    # nbformat imports jsonschema, which imports it when it can.
    script = (
        "import sys\n"
        "from pipeline_lib.cli.main import main\n"
        "sys.argv = ['ecom-pipeline', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "import jsonschema, papermill\n"
        "checker = jsonschema.FormatChecker()\n"
        "print(sys.modules['rfc3987_syntax'], 'iri' in checker.checkers,\n"
        "      checker.conforms('2026-11-28', 'date'), checker.conforms('2026-13-01', 'date'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Left out, and jsonschema still checks the formats it has checkers for.
    assert done.stdout.split()[-4:] == ["None", "False", "True", "False"]
