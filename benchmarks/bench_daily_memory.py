"""How much memory each Glue job of a daily run needs, per million rows of the day's batch.

A year of sample data (``--transactions`` lines) is cut into a backfill and one last
batch of ``--batch-days`` days (31 by default: about a million rows at 1M lines a year,
the mission's daily volume). One lake ingests and runs the backfill, then the batch; a
second lake does the same with a one-day batch, the everyday case. During each batch's
run every process of the command is sampled (resident memory, every 50 ms); a notebook
kernel is named by its output log (``<reports>/runs/<run_id>/<notebook>.kernel.log``).
On AWS each notebook is its own Glue Python shell job (1/16 DPU:
1 GB; 1 DPU: 16 GB), so a kernel's peak is what its job must hold, plus the papermill
runner beside it (reported as ``runner_mib``, the command line's own process here, an
upper bound: it also runs the orchestration).

Usage: python benchmarks/bench_daily_memory.py [--transactions 1000000] [--batch-days 31]
Results: printed, and written to benchmarks/results/daily_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_incremental import END, split_by_day
from bench_pipeline import CLI, generate_measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
KERNEL = b"ipykernel_launcher"


def run_sampled(args: list[str], cwd: Path) -> dict[int, dict[str, Any]]:
    """Run ``args``; per process of its tree: peak KiB, and the notebook it runs, if any."""
    seen: dict[int, dict[str, Any]] = {}

    def record(tree: dict[int, tuple[int, bytes]]) -> None:
        for pid, (kib, command) in tree.items():
            if pid not in seen:
                seen[pid] = {
                    "peak_kib": 0,
                    "notebook": _notebook_of(pid, command),
                    "first": len(seen),
                }
            seen[pid]["peak_kib"] = max(seen[pid]["peak_kib"], kib)

    run_measured(args, cwd, on_sample=record)
    return seen


def _notebook_of(pid: int, command: bytes) -> str:
    """The notebook a kernel runs: its output goes to ``<reports>/<notebook>.kernel.log``."""
    if KERNEL not in command:
        return ""
    try:
        log = str(Path(f"/proc/{pid}/fd/1").readlink())
    except OSError:
        return "?"
    return Path(log).name.removesuffix(".kernel.log") if log.endswith(".kernel.log") else "?"


def per_notebook(seen: dict[int, dict[str, Any]]) -> dict[str, float]:
    """Each notebook's kernel peak in MiB."""
    peaks: dict[str, float] = {}
    for entry in seen.values():
        if entry["notebook"]:
            name = entry["notebook"]
            peaks[name] = max(peaks.get(name, 0.0), entry["peak_kib"] / 1024)
    return dict(sorted(peaks.items()))


def batch_rows(folder: Path) -> int:
    """Data rows of a delivery folder (CSV and JSON lines; the catalog counts none)."""
    rows = 0
    for name in ("transactions.csv", "reviews.csv", "clickstream.json"):
        path = folder / name
        if path.is_file():
            with path.open("rb") as handle:
                rows += sum(1 for _ in handle) - (name.endswith(".csv"))
    return rows


def measure(data: Path, work: Path, batch_days: int) -> dict[str, Any]:
    lake, reports = work / "lake", work / "reports"
    first_day = END - timedelta(days=batch_days - 1)
    backfill, batch = split_by_day(data, work / "feeds", first_day, 1)
    for folder, run_day, run_id in (
        (backfill, first_day - timedelta(days=1), "backfill"),
        (batch, END, "batch"),
    ):
        run_measured([CLI, "--lake", str(lake), "ingest", str(folder)], cwd=work)
        args = [CLI, "--lake", str(lake), "run", "--date", run_day.isoformat()]
        args += ["--run-id", run_id, "--reports", str(reports)]
        if run_id == "backfill":
            run_measured(args, cwd=work)
        else:
            seen = run_sampled(args, cwd=work)
    command = min(seen.values(), key=lambda e: e["first"])  # the first process seen: the CLI
    return {
        "batch_days": batch_days,
        "batch_rows": batch_rows(batch),
        "kernel_peak_mib": per_notebook(seen),
        "runner_mib": round(command["peak_kib"] / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--batch-days", type=int, default=31)
    args = parser.parse_args()
    os.environ["PIPELINE_ANALYTICS_REPORTS"] = "off"
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-daily-memory-") as folder:
        work = Path(folder)
        data = work / "data"
        generate_measured(
            data, args.transactions, work, "--end-date", END.isoformat(), "--days", "365"
        )
        for days in (1, args.batch_days):
            (work / f"days{days}").mkdir()
            results.append(measure(data, work / f"days{days}", days))
    small, big = results
    per_million = {
        name: (big["kernel_peak_mib"][name] - small["kernel_peak_mib"].get(name, 0.0))
        / ((big["batch_rows"] - small["batch_rows"]) / 1e6)
        for name in big["kernel_peak_mib"]
    }
    summary = {
        "transactions_a_year": args.transactions,
        "date": date.today().isoformat(),
        "batches": results,
        "mib_per_million_batch_rows": {k: round(v) for k, v in per_million.items()},
    }
    for result in results:
        print(
            f"{result['batch_days']}-day batch, {result['batch_rows']:,} rows: "
            + ", ".join(f"{k} {v:,.0f}" for k, v in result["kernel_peak_mib"].items())
            + f" MiB (command line {result['runner_mib']:,.0f} MiB)"
        )
    print(
        "MiB per million batch rows: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in summary["mib_per_million_batch_rows"].items())
    )
    out = ROOT / "benchmarks" / "results" / "daily_memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
