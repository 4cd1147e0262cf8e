"""Benchmark of the foundation: `generate` and `ingest` at 100k and 1M transactions.

Each step runs the real `ecom-pipeline` command in a subprocess, so the figures include
start-up and are what a user sees. Peak memory is the child's max RSS. With `--baseline`
it also times the naive approach this project avoids (pandas' default JSON-lines parser on
the clickstream file) on the same data.

The generated clickstream is a sample (see the README's "Sample data"); its size, events
per transaction line and session conversion (as written and as the manifest's sampling
weights restore it) are reported with the generate figures. Wall time on a shared machine
moves with its load, so the CPU seconds are reported too.

Usage: python benchmarks/bench_foundation.py [--sizes 100000,1000000] [--baseline]
       [--generate-only]
Results: printed, and written to benchmarks/results/foundation.json (with
--generate-only: foundation_generate.json).
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
    """Run a command in a fresh process; return wall and CPU seconds and its peak RSS in MiB."""
    # Run through a tiny wrapper so RUSAGE_CHILDREN holds this command's peak only.
    wrapper = (
        "import resource, subprocess, sys, json, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "w = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "c = u.ru_utime + u.ru_stime;"
        "print(json.dumps({'seconds': w, 'cpu_seconds': c, 'peak_mib': u.ru_maxrss / 1024}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_size(
    transactions: int, work: Path, baseline: bool, generate_only: bool = False
) -> dict[str, Any]:
    data = work / f"data_{transactions}"
    lake = work / f"lake_{transactions}"
    gen = _run_measured(
        [CLI, "generate", "--out", str(data), "--transactions", str(transactions), "--seed", "7"]
    )
    manifest = json.loads((data / "manifest.json").read_text())
    rows = int(sum(manifest["rows"].values()))
    size = _tree_bytes(data) - (data / "manifest.json").stat().st_size
    clickstream_bytes = (data / manifest["files"]["clickstream"]).stat().st_size
    result: dict[str, Any] = {
        "transactions": transactions,
        "rows_all_files": rows,
        "rows_per_file": manifest["rows"],
        "input_mib": round(size / 2**20, 1),
        "clickstream_mib": round(clickstream_bytes / 2**20, 1),
        "clickstream_events_per_transaction": round(
            manifest["rows"]["clickstream"] / transactions, 2
        ),
        "clickstream_sampling": manifest["clickstream"]["sampling"]["rate_by_deepest_step"],
        "session_conversion": manifest["clickstream"]["session_conversion"],
        "generate_s": round(gen["seconds"], 2),
        "generate_cpu_s": round(gen["cpu_seconds"], 2),
        "generate_peak_mib": round(gen["peak_mib"]),
    }
    if generate_only:
        shutil.rmtree(data)
        return result
    ingest = _run_measured([CLI, "--lake", str(lake), "ingest", str(data)])
    result.update(
        {
            "ingest_s": round(ingest["seconds"], 2),
            "ingest_peak_mib": round(ingest["peak_mib"]),
            "ingest_mib_per_s": round(size / 2**20 / ingest["seconds"], 1),
            "ingest_rows_per_s": round(rows / ingest["seconds"]),
        }
    )
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
    parser.add_argument(
        "--generate-only", action="store_true", help="time `generate` alone (no ingest)"
    )
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
            results.append(bench_size(n, Path(tmp), args.baseline, args.generate_only))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "results": results}
    name = "foundation_generate.json" if args.generate_only else "foundation.json"
    (out_dir / name).write_text(json.dumps(report, indent=2) + "\n")
    header = (
        f"{'transactions':>12} {'rows':>10} {'MiB':>7} {'gen s':>7} {'gen cpu':>7} "
        f"{'gen MiB':>8} {'ingest s':>9} {'ing MiB':>8} {'MiB/s':>7} {'rows/s':>10}"
    )
    print(header)
    for r in results:
        ingest = (
            f"{r['ingest_s']:>9} {r['ingest_peak_mib']:>8} {r['ingest_mib_per_s']:>7} "
            f"{r['ingest_rows_per_s']:>10,}"
            if "ingest_s" in r
            else f"{'-':>9} {'-':>8} {'-':>7} {'-':>10}"
        )
        print(
            f"{r['transactions']:>12,} {r['rows_all_files']:>10,} {r['input_mib']:>7} "
            f"{r['generate_s']:>7} {r['generate_cpu_s']:>7} {r['generate_peak_mib']:>8} {ingest}"
        )
        conversion = r["session_conversion"]
        print(
            f"{'':>12} clickstream: {r['rows_per_file']['clickstream']:,} events "
            f"({r['clickstream_events_per_transaction']} per line), {r['clickstream_mib']} MiB; "
            f"session conversion {conversion['written']:.1%} as written, "
            f"{conversion['represented']:.1%} weighted by the sampling rates"
        )
        if "pandas_read_json_clickstream_s" in r:
            print(
                f"{'':>12} baseline: pandas.read_json(lines=True) on clickstream alone: "
                f"{r['pandas_read_json_clickstream_s']} s, "
                f"{r['pandas_read_json_clickstream_peak_mib']} MiB peak"
            )


if __name__ == "__main__":
    main()
