"""Benchmark of the foundation: `generate` and `ingest` at 100k and 1M transactions.

Each step runs the real `ecom-pipeline` command in a subprocess, so the figures include
start-up and are what a user sees. Peak memory is the child's max RSS. With `--baseline`
it also times the naive approach this project avoids (pandas' default JSON-lines parser on
the clickstream file) on the same data.

Usage: python benchmarks/bench_foundation.py [--sizes 100000,1000000] [--baseline]
Results: printed, and written to benchmarks/results/foundation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("ecom-pipeline"))


def _run_measured(args: list[str]) -> dict[str, float]:
    """Run a command in a fresh process; return wall seconds and its peak RSS in MiB."""
    # Run through a tiny wrapper so RUSAGE_CHILDREN holds this command's peak only.
    wrapper = (
        "import resource, subprocess, sys, json, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "w = time.perf_counter() - t;"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "print(json.dumps({'seconds': w, 'peak_mib': r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_size(transactions: int, work: Path, baseline: bool) -> dict[str, Any]:
    data = work / f"data_{transactions}"
    lake = work / f"lake_{transactions}"
    gen = _run_measured(
        [CLI, "generate", "--out", str(data), "--transactions", str(transactions), "--seed", "7"]
    )
    manifest = json.loads((data / "manifest.json").read_text())
    rows = int(sum(manifest["rows"].values()))
    size = _tree_bytes(data) - (data / "manifest.json").stat().st_size
    ingest = _run_measured([CLI, "--lake", str(lake), "ingest", str(data)])
    result: dict[str, Any] = {
        "transactions": transactions,
        "rows_all_files": rows,
        "rows_per_file": manifest["rows"],
        "input_mib": round(size / 2**20, 1),
        "generate_s": round(gen["seconds"], 2),
        "generate_peak_mib": round(gen["peak_mib"]),
        "ingest_s": round(ingest["seconds"], 2),
        "ingest_peak_mib": round(ingest["peak_mib"]),
        "ingest_mib_per_s": round(size / 2**20 / ingest["seconds"], 1),
        "ingest_rows_per_s": round(rows / ingest["seconds"]),
    }
    if baseline:
        clickstream = data / "clickstream.json"
        naive = _run_measured(
            [
                sys.executable,
                "-c",
                f"import pandas as pd; pd.read_json({str(clickstream)!r}, lines=True)",
            ]
        )
        result["pandas_read_json_clickstream_s"] = round(naive["seconds"], 2)
        result["pandas_read_json_clickstream_peak_mib"] = round(naive["peak_mib"])
    shutil.rmtree(data)
    shutil.rmtree(lake)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-foundation-") as tmp:
        for n in sizes:
            print(f"benchmarking {n:,} transactions ...", flush=True)
            results.append(bench_size(n, Path(tmp), args.baseline))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "results": results}
    (out_dir / "foundation.json").write_text(json.dumps(report, indent=2) + "\n")
    header = (
        f"{'transactions':>12} {'rows':>10} {'MiB':>7} {'gen s':>7} {'gen MiB':>8} "
        f"{'ingest s':>9} {'ing MiB':>8} {'MiB/s':>7} {'rows/s':>10}"
    )
    print(header)
    for r in results:
        print(
            f"{r['transactions']:>12,} {r['rows_all_files']:>10,} {r['input_mib']:>7} "
            f"{r['generate_s']:>7} {r['generate_peak_mib']:>8} {r['ingest_s']:>9} "
            f"{r['ingest_peak_mib']:>8} {r['ingest_mib_per_s']:>7} {r['ingest_rows_per_s']:>10,}"
        )
        if "pandas_read_json_clickstream_s" in r:
            print(
                f"{'':>12} baseline: pandas.read_json(lines=True) on clickstream alone: "
                f"{r['pandas_read_json_clickstream_s']} s, "
                f"{r['pandas_read_json_clickstream_peak_mib']} MiB peak"
            )


if __name__ == "__main__":
    main()
