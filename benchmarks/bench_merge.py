"""Benchmark of the master_data_merge notebook alone: time and peak memory.

Generates N transactions (with their clickstream, reviews and catalog), ingests them and
runs the pipeline once, so that run ``bench`` has every processed table. Then the merge
notebook runs again for that run, in its own process, as the pipeline runs it (papermill);
its wall time and peak memory (summed RSS of the process and its kernel, sampled every
50 ms as in bench_pipeline.py) are measured. With ``--compare-with REV`` the notebook of
git revision REV runs too (read with ``git show``; nothing in the working tree changes),
and the four whole-history tables the two versions wrote are compared cell by cell.

Usage: python benchmarks/bench_merge.py [--transactions 100000] [--compare-with REV]
Results: printed, and written to benchmarks/results/merge.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLI, generate_measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "etl" / "master_data_merge.py"
AS_OF = "2026-11-28"
RUN_ID = "bench"
AGGREGATES = ("product_ratings", "customer_metrics", "product_performance", "product_affinity")
#: Runs one notebook as the pipeline does (papermill), with the run's parameters.
RUNNER = """
import sys
from pathlib import Path
from pipeline_lib.execution.notebooks import run_notebook
run_notebook(Path(sys.argv[1]), output_dir=Path(sys.argv[2]),
             parameters={"lake": sys.argv[3], "run_id": sys.argv[4], "as_of": sys.argv[5]})
"""


def curated_tables(lake: Path) -> dict[str, pa.Table]:
    """The aggregate tables of run ``bench`` as the last notebook wrote them."""
    return {
        name: ds.dataset(lake / "curated" / name / f"run-{RUN_ID}", format="parquet").to_table()
        for name in AGGREGATES
    }


def differing_cells(left: pa.Table, right: pa.Table) -> dict[str, int]:
    """Cells that differ per column (floats beyond 1e-9 relative); rows in key order."""
    if left.num_rows != right.num_rows or left.schema != right.schema:
        return {"(shape or schema)": 1}
    counts = {}
    for column in left.column_names:
        a, b = left.column(column).to_pylist(), right.column(column).to_pylist()
        floats = pa.types.is_floating(left.schema.field(column).type)
        counts[column] = sum(
            not (
                x == y
                or (floats and x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9))
            )
            for x, y in zip(a, b)
        )
    return {c: n for c, n in counts.items() if n}


def run_merge(notebook: Path, lake: Path, out: Path) -> dict[str, Any]:
    result = run_measured(
        [sys.executable, "-c", RUNNER, str(notebook), str(out), str(lake), RUN_ID, AS_OF], cwd=ROOT
    )
    return {
        "seconds": round(result["seconds"], 1),
        "peak_mib": round(result["peak_mib"]),
        "slowest_cells": slowest_cells(out / f"{NOTEBOOK.stem}.ipynb"),
    }


def slowest_cells(executed: Path, top: int = 4) -> dict[str, float]:
    """The slowest code cells of an executed notebook (papermill's timings), by first line."""
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    timed = [
        (
            "".join(c["source"]).strip().splitlines()[0][:60],
            float(c["metadata"].get("papermill", {}).get("duration") or 0.0),
        )
        for c in cells
        if c["cell_type"] == "code" and "".join(c["source"]).strip()
    ]
    return {line: round(s, 2) for line, s in sorted(timed, key=lambda t: -t[1])[:top]}


def bench(transactions: int, compare_with: str | None, work: Path) -> dict[str, Any]:
    os.environ["PIPELINE_ANALYTICS_REPORTS"] = "off"
    lake, data = work / "lake", work / "data"
    generate_measured(data, transactions, work, "--end-date", AS_OF, "--dirty-rate", "0.01")
    run_measured([CLI, "--lake", str(lake), "ingest", str(data)], cwd=work)
    run_measured(
        [
            CLI,
            "--lake",
            str(lake),
            "run",
            "--date",
            AS_OF,
            "--run-id",
            RUN_ID,
            "--reports",
            str(work / "reports"),
        ],
        cwd=work,
    )
    rows = {
        name: ds.dataset(lake / "processed" / name / f"run-{RUN_ID}").count_rows()
        for name in ("transactions", "clickstream", "reviews", "products")
    }
    result: dict[str, Any] = {"transactions": transactions, "processed_rows": rows}
    if compare_with:
        baseline = work / "baseline" / NOTEBOOK.name
        baseline.parent.mkdir()
        source = subprocess.run(
            ["git", "show", f"{compare_with}:notebooks/etl/{NOTEBOOK.name}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        baseline.write_bytes(source)
        commit = subprocess.run(
            ["git", "rev-parse", compare_with], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        result["baseline"] = {"revision": commit, **run_merge(baseline, lake, work / "out-base")}
        before = curated_tables(lake)
    result["current"] = run_merge(NOTEBOOK, lake, work / "out-current")
    if compare_with:
        after = curated_tables(lake)
        result["differing_cells"] = {
            name: differing_cells(before[name], after[name]) for name in AGGREGATES
        }
        result["ratio"] = {
            key: round(result["current"][key] / result["baseline"][key], 2)
            for key in ("seconds", "peak_mib")
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument(
        "--compare-with",
        metavar="REV",
        help="also run the notebook of this git revision (the baseline)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-merge-"))
    try:
        result = bench(args.transactions, args.compare_with, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "merge.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['transactions']:,} transactions ({result['processed_rows']}):")
    for variant in ("baseline", "current"):
        if variant in result:
            print(
                f"  master_data_merge, {variant:<8} {result[variant]['seconds']:>6} s  "
                f"{result[variant]['peak_mib']:>6,} MiB peak"
            )
    if "ratio" in result:
        print(
            f"  current / baseline: time {result['ratio']['seconds']}x, "
            f"peak memory {result['ratio']['peak_mib']}x; differing cells "
            f"{result['differing_cells']}"
        )


if __name__ == "__main__":
    main()
