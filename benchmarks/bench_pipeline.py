"""Benchmark of a whole pipeline run: generate, ingest and `run` at 1M transactions.

Each command runs in its own process. Peak memory is sampled every 50 ms as the summed
resident memory of the command and all its descendants (the notebook kernels run in child
processes, two at a time), so it is what the machine must hold at once. Per-step times come
from the run record. The published lake is then used by bench_partitioning.py.

Usage: python benchmarks/bench_pipeline.py [--transactions 1000000] [--keep DIR]
Results: printed, and written to benchmarks/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pipeline_lib.catalog import LocalCatalog
from pipeline_lib.storage import LocalLake

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("ecom-pipeline"))
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kib(root: int) -> int:
    """Summed RSS of ``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            resident_pages = int((entry / "statm").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        pid, parent = int(entry.name), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = resident_pages * PAGE_KIB
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(args: list[str], cwd: Path) -> dict[str, float]:
    """Run a command; return wall seconds and the peak summed RSS of its process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr.decode()[-2000:]}")
    return {"seconds": time.perf_counter() - started, "peak_mib": peak / 1024}


def bench(transactions: int, work: Path) -> dict[str, Any]:
    lake = work / "lake"
    data = work / "data"
    gen = run_measured(
        [
            CLI,
            "generate",
            "--out",
            str(data),
            "--transactions",
            str(transactions),
            "--end-date",
            "2026-11-28",
            "--dirty-rate",
            "0.01",
        ],
        work,
    )
    ingest = run_measured([CLI, "--lake", str(lake), "ingest", str(data)], work)
    run = run_measured(
        [
            CLI,
            "--lake",
            str(lake),
            "run",
            "--date",
            "2026-11-28",
            "--run-id",
            "bench",
            "--reports",
            str(work / "reports"),
        ],
        work,
    )
    record = json.loads((lake / "_meta" / "runs" / "bench" / "run.json").read_text())
    rows_in = sum(a["rows_in"] for a in record["accounting"] if a["stage"] == "ingestion")
    ingest_and_run = ingest["seconds"] + run["seconds"]
    return {
        "transactions": transactions,
        "input_rows": rows_in,
        "generate_s": round(gen["seconds"], 1),
        "ingest_s": round(ingest["seconds"], 1),
        "ingest_peak_mib": round(ingest["peak_mib"]),
        "run_s": round(run["seconds"], 1),
        "run_peak_mib": round(run["peak_mib"]),
        "ingest_plus_run_s": round(ingest_and_run, 1),
        "rows_per_s": round(rows_in / ingest_and_run),
        "steps": {s["name"]: round(s["seconds"], 1) for s in record["steps"]},
        "tables": {t["table"]: t["rows"] for t in record["tables"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the lake here (for other benchmarks)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        result = bench(args.transactions, work)
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.copytree(work / "lake", args.keep)
            # The catalog's views hold absolute paths: point them at the copy.
            LocalCatalog(LocalLake(args.keep)).refresh()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['transactions']:,} transactions, {result['input_rows']:,} input rows: "
        f"generate {result['generate_s']} s | ingest {result['ingest_s']} s "
        f"({result['ingest_peak_mib']} MiB) | run {result['run_s']} s "
        f"({result['run_peak_mib']} MiB peak, process tree) | ingest + run "
        f"{result['ingest_plus_run_s']} s = {result['rows_per_s']:,} rows/s"
    )
    for step, seconds in result["steps"].items():
        print(f"  {step:<26} {seconds:>6} s")


if __name__ == "__main__":
    main()
