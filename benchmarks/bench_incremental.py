"""Benchmark of daily runs against the backfill: does a run cost what the day brought?

A year of sample data is cut by date into a backfill (every day but the last ten) and ten
daily deliveries. One lake ingests and runs the backfill, then each delivery in turn; then
`run --full-refresh` rebuilds it from every file. Each command runs in its own process,
its peak memory sampled as in bench_pipeline.py (the command and its notebook kernels).
The analytics reports are off (PIPELINE_ANALYTICS_REPORTS=off): they cost the same
whatever the history, and this measures the pipeline.

Usage: python benchmarks/bench_incremental.py [--transactions 1000000] [--days 10]
Results: printed, and written to benchmarks/results/incremental.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLI, generate_measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 28)  # fixed, so that runs compare across days
#: The date of a clickstream line, without parsing the JSON (1.9 GiB at 1M lines).
EVENT_DAY = re.compile(rb'"timestamp": ?"(\d{4}-\d{2}-\d{2})')


def split_by_day(data: Path, out: Path, first_daily: date, days: int) -> list[Path]:
    """Backfill folder, then one folder per day from ``first_daily``, with the feeds cut."""
    folders = [out / "backfill", *[out / f"day{n:02d}" for n in range(1, days + 1)]]
    for folder in folders:
        folder.mkdir(parents=True)

    def folder_of(day: str) -> int:
        offset = (date.fromisoformat(day) - first_daily).days
        return 0 if offset < 0 else min(offset + 1, days)

    for name, column in (("transactions.csv", "transaction_date"), ("reviews.csv", "review_date")):
        with (data / name).open(encoding="utf-8", newline="") as source:
            reader = csv.DictReader(source)
            handles = [(f / name).open("w", encoding="utf-8", newline="") for f in folders]
            writers = [csv.DictWriter(h, fieldnames=reader.fieldnames or []) for h in handles]
            for writer in writers:
                writer.writeheader()
            for row in reader:
                writers[folder_of(row[column][:10])].writerow(row)
            for handle in handles:
                handle.close()
    streams = [(f / "clickstream.json").open("wb") for f in folders]
    with (data / "clickstream.json").open("rb") as source:
        for line in source:
            match = EVENT_DAY.search(line)
            streams[folder_of(match.group(1).decode()) if match else 0].write(line)
    for stream in streams:
        stream.close()
    (folders[0] / "products.json").write_bytes((data / "products.json").read_bytes())
    return folders


def bench(transactions: int, days: int, work: Path) -> dict[str, Any]:
    os.environ["PIPELINE_ANALYTICS_REPORTS"] = "off"
    lake, data = work / "lake", work / "data"
    generate_measured(data, transactions, work, "--end-date", END.isoformat(), "--days", "365")
    first_daily = END - timedelta(days=days - 1)
    folders = split_by_day(data, work / "feeds", first_daily, days)

    def ingest_and_run(folder: Path, run_day: date, run_id: str, *extra: str) -> dict[str, float]:
        if folder.is_dir():
            run_measured([CLI, "--lake", str(lake), "ingest", str(folder)], cwd=work)
        return run_measured(
            [
                CLI,
                "--lake",
                str(lake),
                "run",
                "--date",
                run_day.isoformat(),
                "--run-id",
                run_id,
                "--reports",
                str(work / "reports"),
                *extra,
            ],
            cwd=work,
        )

    backfill = ingest_and_run(folders[0], first_daily - timedelta(days=1), "backfill")
    daily = [
        ingest_and_run(folder, first_daily + timedelta(days=n), f"day{n + 1:02d}")
        for n, folder in enumerate(folders[1:])
    ]
    refresh = ingest_and_run(work / "none", END, "full", "--full-refresh")
    median_daily = statistics.median(d["seconds"] for d in daily)

    def steps(run_id: str) -> dict[str, float]:  # where a run's time went, from its record
        record = json.loads((lake / "_meta" / "runs" / run_id / "run.json").read_text())
        return {step["name"]: round(step["seconds"], 1) for step in record["steps"]}

    return {
        "transactions": transactions,
        "daily_files": days,
        "backfill": backfill,
        "daily": daily,
        "full_refresh": refresh,
        "median_daily_to_backfill": median_daily / backfill["seconds"],
        "daily_peak_mib_first_last": [daily[0]["peak_mib"], daily[-1]["peak_mib"]],
        "steps": {run: steps(run) for run in ("backfill", f"day{days:02d}", "full")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=10, help="daily deliveries after the backfill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as folder:
        result = bench(args.transactions, args.days, Path(folder))
    print(
        f"{result['transactions']:,} lines: backfill {result['backfill']['seconds']:.1f} s "
        f"({result['backfill']['peak_mib']:,.0f} MiB peak); daily runs "
        + ", ".join(f"{d['seconds']:.1f}" for d in result["daily"])
        + f" s; median daily / backfill = {result['median_daily_to_backfill']:.2f}; "
        f"full refresh {result['full_refresh']['seconds']:.1f} s "
        f"({result['full_refresh']['peak_mib']:,.0f} MiB peak)"
    )
    for run, seconds in result["steps"].items():
        print(f"  {run}: " + ", ".join(f"{name} {s:.1f}" for name, s in seconds.items()))
    out = ROOT / "benchmarks" / "results" / "incremental.json"
    out.parent.mkdir(parents=True, exist_ok=True)  # results/ is not in a fresh clone
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
