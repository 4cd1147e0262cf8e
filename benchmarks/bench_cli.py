"""How fast the command line answers: `--help` and `query top_products`, as whole processes.

Each command runs in a new process, as a user types it (the venv's `ecom-pipeline`), on a
warm disk: one untimed run first, then the median and the fastest of ``--repeat`` runs, in
wall seconds and in CPU seconds (user + system: the figure that stays put when other work
shares the machine).
The query runs on a published lake: ``--lake`` (in `make bench`, the 1M-transaction lake
bench_pipeline.py kept), or else a small one built here with ``demo --transactions N``.

Targets (issue 17): `--help` at most 0.3 s, `query top_products` at most 0.6 s on the 1M lake.

Usage: python benchmarks/bench_cli.py [--lake LAKE | --transactions 20000] [--repeat 7]
Results: printed, and written to benchmarks/results/cli.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("ecom-pipeline"))
TARGETS_S = {"help": 0.3, "query top_products": 0.6}


def time_command(args: list[str], repeat: int) -> dict[str, Any]:
    """Median and fastest wall (and CPU) seconds of ``args`` over ``repeat`` runs, after one
    warm-up run."""
    times, cpu = [], []
    for attempt in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
        if attempt:  # the first run only warms the disk cache
            times.append(elapsed)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "runs": len(times),
    }


def build_lake(transactions: int, work: Path) -> Path:
    """A published lake of ``transactions`` lines (generate, ingest and run: `demo`)."""
    lake = work / "lake"
    proc = subprocess.run(
        [
            CLI,
            "--lake",
            str(lake),
            "demo",
            "--out",
            str(work / "data"),
            "--transactions",
            str(transactions),
            "--end-date",
            "2026-11-28",
            "--reports",
            str(work / "reports"),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"demo failed:\n{proc.stderr[-2000:]}")
    return lake


def bench(lake: Path, repeat: int) -> dict[str, Any]:
    commands = {
        "help": [CLI, "--help"],
        "query top_products": [
            CLI,
            "--lake",
            str(lake),
            "query",
            "top_products",
            "--format",
            "json",
        ],
    }
    timings = {name: time_command(args, repeat) for name, args in commands.items()}
    for name, timing in timings.items():
        timing["target_s"] = TARGETS_S[name]
        timing["met"] = timing["median_s"] <= TARGETS_S[name]
    return {"lake": str(lake), "commands": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--lake", type=Path, help="a published lake (default: build one)")
    source.add_argument(
        "--transactions", type=int, default=20_000, help="size of the lake built without --lake"
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = None
    if args.lake is None:
        work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
        lake = build_lake(args.transactions, work)
    else:
        lake = args.lake
    try:
        result = bench(lake, args.repeat)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    if args.lake is None:
        result["lake"] = f"built: {args.transactions} transactions"
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cli.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"lake: {result['lake']}")
    for name, timing in result["commands"].items():
        verdict = "ok" if timing["met"] else "OVER"
        print(
            f"{name:<20} median {timing['median_s']:.3f} s, fastest {timing['min_s']:.3f} s, "
            f"CPU {timing['cpu_median_s']:.3f} s (target {timing['target_s']} s: {verdict})"
        )


if __name__ == "__main__":
    main()
