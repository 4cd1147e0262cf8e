"""An independent benchmark of the data quality audit: real-feed faults on three shops.

Three differently shaped shops (our generator's; the second sample shop's garden store at
a daily volume; a Nordic store with its own ids, words, SEK prices, discounts, GA4 events
and file formats) are built as daily feeds (``quality_bench/shops.py``). For each shop and
seed, the real pipeline ingests and runs a backfill, then a week of daily deliveries (the
lake of a deployment after a week of daily runs; those runs are clean audits too). Each
fault kind (``quality_bench/faults.py``: 42 kinds in 8 families, written from what goes
wrong in real feeds) is injected into the next day's delivery of a copy of that lake, and
the pipeline runs on it (``ingest_paths``, ``run_pipeline`` with the in-process audit).
Clean deliveries of that day measure false alarms.

A trial is detected *by the audit* when a rule fails or warns or an anomaly is raised,
and *by the pipeline* when, besides, the ingestion quarantined a file or the run failed.
Dates are fixed (trial days 2026-10-06 to 2026-10-09): the results do not depend on the
day the benchmark runs.

Usage::

    python benchmarks/bench_quality.py                 # the full benchmark (about an hour)
    python benchmarks/bench_quality.py --quick         # one small lake, a few faults
    python benchmarks/bench_quality.py --time-transactions 1000000   # the audit's time at 1M
    python benchmarks/bench_quality.py --time-lake LAKE --time-date D   # ... on a lake

Writes ``benchmarks/results/quality.json`` and prints the Markdown tables of
docs/PIPELINE_GUIDE.md.
"""

from __future__ import annotations

import argparse
import functools
import logging
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from quality_bench.faults import FAULTS  # noqa: E402
from quality_bench.harness import (  # noqa: E402
    Outcome,
    Prepared,
    markdown,
    prepare,
    save,
    summarize,
    trial,
)
from quality_bench.shops import Shop, build  # noqa: E402

RESULTS = HERE / "results" / "quality.json"
#: The trial day of seed 1; seed s uses the (s - 1)th day before (all days <= 12, so a
#: day/month swap gives a valid date).
FIRST_DAY = date(2026, 10, 9)
SHOP_SEEDS = {"generator": 4, "garden": 3, "nordic": 3}
#: The as-of date of the timing lake (a fixed day: the timing does not depend on today).
TIMING_DAY = date(2026, 11, 28)


def trial_day(seed: int) -> date:
    return FIRST_DAY - timedelta(days=(seed - 1) % 4)


@functools.lru_cache(maxsize=4)
def _shop(name: str, seed: int, history_days: int, scale: float) -> Shop:
    return build(name, seed, trial_day(seed), history_days, scale=scale)


def _prepare(job: tuple[str, int, Path, int, int, float]) -> Prepared:
    name, seed, work, history_days, daily_runs, scale = job
    _quiet()
    return prepare(
        name,
        seed,
        trial_day(seed),
        work,
        history_days=history_days,
        daily_runs=daily_runs,
        scale=scale,
    )


def _trial(job: tuple[Prepared, str, Path, int, float]) -> Outcome:
    prepared, kind, work, history_days, scale = job
    _quiet()
    shop = _shop(prepared.shop, prepared.seed, history_days, scale)
    return trial(
        prepared, kind, prepared.seed, work, history_days=history_days, scale=scale, shop=shop
    )


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ("great_expectations", "papermill", "traitlets"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _map(fn: Any, jobs: Sequence[Any], workers: int) -> Iterator[Any]:
    """``fn`` over ``jobs`` in order, ``workers`` processes at once (results as they come)."""
    if workers <= 1:
        yield from (fn(job) for job in jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(fn, jobs)


def run(
    *,
    shops: dict[str, int],
    faults: Sequence[str],
    fault_lakes: int,
    work: Path,
    history_days: int = 70,
    daily_runs: int = 7,
    scale: float = 1.0,
    workers: int = 1,
    progress: bool = True,
    first_seed: int = 1,
) -> tuple[dict[str, Any], list[Outcome]]:
    """Prepare the lakes, run the clean and fault trials; the summary and every outcome."""
    started = time.perf_counter()
    jobs = [
        (name, seed, work / "lakes", history_days, daily_runs, scale)
        for name, seeds in shops.items()
        for seed in range(first_seed, first_seed + seeds)
    ]
    lakes: list[Prepared] = list(_map(_prepare, jobs, workers))
    if progress:
        print(f"prepared {len(lakes)} lakes in {time.perf_counter() - started:.0f} s", flush=True)
    outcomes: list[Outcome] = [o for p in lakes for o in p.daily]
    trials = [(p, "clean", work / "trials", history_days, scale) for p in lakes]
    for kind in faults:
        for name in shops:
            for p in [p for p in lakes if p.shop == name][:fault_lakes]:
                trials.append((p, kind, work / "trials", history_days, scale))
    for o in _map(_trial, trials, workers):
        outcomes.append(o)
        if progress:
            mark = "ALARM" if o.pipeline_alarm else "quiet"
            print(
                f"{o.kind:28s} {o.shop}-{o.seed} {mark:5s} {o.what[:40]:40s} "
                f"{'; '.join(o.alarms[:3])[:110]}",
                flush=True,
            )
    summary = summarize(outcomes)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary, outcomes


def time_audit(lake_path: Path, as_of: date, repeats: int = 3) -> dict[str, Any]:
    """Time ``run_quality`` on the live tables of an existing lake (best of ``repeats``)."""
    from pipeline_lib.config import load_settings
    from pipeline_lib.quality import live_runner
    from pipeline_lib.quality.audit import live_inputs, run_quality
    from pipeline_lib.quality.settings import quality_settings
    from pipeline_lib.storage import LocalLake

    lake = LocalLake(lake_path)
    settings = quality_settings(load_settings(env="local", lake=str(lake.root)))
    times = []
    for i in range(repeats):
        versions, accounting = live_inputs(lake)
        runner = live_runner(lake)
        started = time.perf_counter()
        report = run_quality(
            runner,
            lake=lake,
            run_id=f"bench-timing-{i}",
            as_of=as_of,
            versions=versions,
            accounting=accounting,
            settings=settings,
        )
        times.append(time.perf_counter() - started)
        runner.close()
    rows = sum(v.rows for v in versions if v.qualified_name == "curated.transactions")
    return {
        "lake": str(lake_path),
        "transactions": rows,
        "as_of": as_of.isoformat(),
        "seconds": [round(t, 2) for t in times],
        "best": round(min(times), 2),
        "rules": len(report.rules),
    }


def build_timing_lake(folder: Path, transactions: int, end: date) -> Path:
    """Generate ``transactions`` lines, ingest them and run the pipeline: a published lake."""
    from pipeline_lib.config import IngestionSettings, load_settings
    from pipeline_lib.generators import GeneratorConfig, generate_all
    from pipeline_lib.ingestion import ingest_paths
    from pipeline_lib.orchestration.audit_step import in_process_audit
    from pipeline_lib.orchestration.pipeline import run_pipeline
    from pipeline_lib.storage import LocalLake

    generated = generate_all(
        folder / "data", GeneratorConfig(transactions=transactions, seed=42, end_date=end)
    )
    lake = LocalLake(folder / "lake")
    ingest_paths([generated.manifest_path.parent], lake, IngestionSettings(), today=end)
    settings = load_settings(env="local", lake=str(lake.root))
    result = run_pipeline(
        lake,
        settings,
        as_of=end,
        reports_dir=folder / "reports",
        audit=in_process_audit,
        after_publish=None,
    )
    if not result.succeeded:
        raise SystemExit(f"the timing lake's run failed: {result.error}")
    return lake.root


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one small nordic lake, 3 daily runs, a few faults"
    )
    parser.add_argument(
        "--shops",
        default=",".join(f"{k}:{v}" for k, v in SHOP_SEEDS.items()),
        help="shop:lakes,... (default generator:4,garden:3,nordic:3)",
    )
    parser.add_argument("--faults", default="", help="comma-separated fault kinds (all)")
    parser.add_argument("--fault-lakes", type=int, default=2, help="lakes per shop per fault")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="the first lake seed of each shop: other seeds are data the thresholds never saw",
    )
    parser.add_argument("--history-days", type=int, default=70)
    parser.add_argument("--daily-runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="volume factor of every shop")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--time-lake", type=Path, default=None, help="only time the audit on this published lake"
    )
    parser.add_argument("--time-date", default=None, help="the as-of date of --time-lake")
    parser.add_argument(
        "--time-transactions",
        type=int,
        default=0,
        help="only time the audit on a lake of this many generated lines",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.time_lake is not None or args.time_transactions:
        day = date.fromisoformat(args.time_date) if args.time_date else TIMING_DAY
        if args.time_lake is not None:
            timing = time_audit(args.time_lake, day)
        else:
            with tempfile.TemporaryDirectory(prefix="bench-quality-timing-") as tmp:
                built = build_timing_lake(Path(tmp), args.time_transactions, day)
                timing = time_audit(built, day)
        print(
            f"audit (run_quality) on {timing['transactions']:,} transactions: "
            f"best {timing['best']} s of {timing['seconds']}"
        )
        return 0
    shops = {k: int(v) for k, v in (part.split(":") for part in args.shops.split(","))}
    faults = [f for f in args.faults.split(",") if f] or list(FAULTS)
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        parser.error(f"unknown fault kinds {unknown}; known: {sorted(FAULTS)}")
    history, daily, lakes_per_fault = args.history_days, args.daily_runs, args.fault_lakes
    if args.quick:
        shops, history, daily, lakes_per_fault = {"nordic": 1}, 63, 3, 1
        faults = faults if args.faults else ["amounts_in_cents", "checkout_tag_removed"]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-quality-"))
    summary, outcomes = run(
        shops=shops,
        faults=faults,
        fault_lakes=lakes_per_fault,
        work=work,
        history_days=history,
        daily_runs=daily,
        scale=args.scale,
        workers=args.workers,
        first_seed=args.first_seed,
    )
    meta = {
        "shops": shops,
        "history_days": history,
        "daily_runs": daily,
        "fault_lakes_per_shop": lakes_per_fault,
        "first_seed": args.first_seed,
        "first_trial_day": FIRST_DAY.isoformat(),
    }
    save(args.out, summary, outcomes, meta)
    print()
    print(markdown(summary))
    print(f"\n{summary['seconds']:.0f} s; written to {args.out}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
