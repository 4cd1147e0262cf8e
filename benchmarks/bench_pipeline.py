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
from typing import Any, Callable, Optional

from pipeline_lib.catalog import LocalCatalog
from pipeline_lib.storage import LocalLake

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("ecom-pipeline"))
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def process_tree(root: int) -> dict[int, tuple[int, bytes]]:
    """``root`` and its descendants: pid -> (resident KiB, command line), from /proc."""
    children: dict[int, list[int]] = {}
    found: dict[int, tuple[int, bytes]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            resident_pages = int((entry / "statm").read_text().split()[1])
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        found[int(entry.name)] = (resident_pages * PAGE_KIB, command)
    tree: dict[int, tuple[int, bytes]] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in found:
            tree[pid] = found[pid]
        stack.extend(children.get(pid, []))
    return tree


def run_measured(
    args: list[str],
    cwd: Path,
    on_sample: Optional[Callable[[dict[int, tuple[int, bytes]]], None]] = None,
) -> dict[str, float]:
    """Run a command; return wall seconds and the peak summed RSS of its process tree.

    The tree is sampled every 50 ms; ``on_sample`` gets each sample (:func:`process_tree`).
    """
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            tree = process_tree(proc.pid)
            peak = max(peak, sum(kib for kib, _ in tree.values()))
            if on_sample is not None:
                on_sample(tree)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr.decode()[-2000:]}")
    return {"seconds": time.perf_counter() - started, "peak_mib": peak / 1024}


def generate_measured(data: Path, transactions: int, cwd: Path, *options: str) -> dict[str, float]:
    """``ecom-pipeline generate`` of ``transactions`` lines into ``data`` (``options`` after
    them: --end-date, --days, --dirty-rate), measured as :func:`run_measured` does."""
    command = [CLI, "generate", "--out", str(data), "--transactions", str(transactions)]
    return run_measured([*command, *options], cwd)


def bench(transactions: int, work: Path) -> dict[str, Any]:
    lake = work / "lake"
    data = work / "data"
    gen = generate_measured(
        data, transactions, work, "--end-date", "2026-11-28", "--dirty-rate", "0.01"
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
