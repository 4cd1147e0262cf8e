"""Fault-injection benchmark of the data quality audit: detection and false-alarm rates.

Generates clean data once (``--transactions`` lines over ``--days`` days, fixed end date),
runs the pipeline to get clean curated tables, then for each fault kind runs ``--trials``
trials: the fault (random size, random rows or day among the checked days) goes into a
copy of the curated tables, the audit runs over the copy, and the trial counts as detected
when the audit reports a failed or warning rule or an anomaly. Clean trials (other seeds
and as-of days, nothing injected) measure the false-alarm rate.

The audit is ``pipeline_lib.quality.audit.run_quality`` when it exists, else a fallback:
anomaly detection (``detect_for_run``) plus direct SQL rules (not-null, unique keys,
amount and rating ranges, references, freshness, future dates, table schema).

Usage: ``python benchmarks/bench_quality.py [--trials 20] [--clean-trials 50]``; writes
``benchmarks/results/quality.json`` and prints a Markdown table.
"""

# ruff: noqa: E501  (long SQL and f-strings of the harness)
from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_lib.config import IngestionSettings, load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.generators import GeneratorConfig, generate_all
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.quality import (
    CRITICAL,
    FAIL,
    PASS,
    WARN,
    DuckDBRunner,
    QualityReport,
    RuleResult,
    live_tables,
)
from pipeline_lib.quality.anomalies import detect_for_run
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake

logger = logging.getLogger("bench_quality")

RESULTS = Path(__file__).resolve().parent / "results" / "quality.json"
END_DATE = date(2026, 10, 31)
CHECK_DAYS = 3
FAULTED = ("curated.transactions", "curated.daily_funnel", "curated.reviews")

Tables = dict[str, pa.Table]
Audit = Callable[[DuckDBRunner, Path, date], QualityReport]


# ----------------------------------------------------------------------------- data


def build_lake(root: Path, *, seed: int, transactions: int, days: int, end: date) -> LocalLake:
    """Generate, ingest and run the pipeline once; the clean published lake."""
    from pipeline_lib.orchestration.pipeline import run_pipeline

    generated = generate_all(
        root / "data",
        GeneratorConfig(
            transactions=transactions, seed=seed, end_date=end, days=days, products=800
        ),
    )
    lake = LocalLake(root / "lake")
    ingest_paths([generated.manifest_path.parent], lake, IngestionSettings(), today=end)
    settings = load_settings(env="local", lake=str(lake.root))
    result = run_pipeline(lake, settings, as_of=end, reports_dir=root / "reports")
    if not result.succeeded:
        raise SystemExit(f"clean pipeline run failed: {result.error}")
    return lake


def load_tables(lake: LocalLake) -> tuple[dict[str, Path], Tables]:
    tables = live_tables(lake)
    runner = DuckDBRunner(tables)
    frames = {
        name: runner._con.execute(f"select * from {name}").to_arrow_table() for name in FAULTED
    }
    runner.close()
    return tables, {k: (v.read_all() if hasattr(v, "read_all") else v) for k, v in frames.items()}


# ----------------------------------------------------------------------------- faults


def _recent_mask(df: pd.DataFrame, column: str, as_of: date) -> pd.Series:
    day = pd.to_datetime(df[column])
    return day > pd.Timestamp(as_of - timedelta(days=CHECK_DAYS))


def _pick(rng: np.random.Generator, index: pd.Index, n: int) -> pd.Index:
    return index[rng.choice(len(index), size=min(n, len(index)), replace=False)]


def _day(rng: np.random.Generator, as_of: date) -> pd.Timestamp:
    return pd.Timestamp(as_of - timedelta(days=int(rng.integers(0, CHECK_DAYS))))


def fault(kind: str, t: dict[str, pd.DataFrame], rng: np.random.Generator, as_of: date) -> str:
    """Inject one fault of ``kind`` into the frames ``t``; return what was done."""
    tx = t["curated.transactions"]
    recent = tx.index[_recent_mask(tx, "transaction_date", as_of)]
    if kind == "null_burst":
        column = str(rng.choice(["customer_id", "product_id", "total_amount", "transaction_date"]))
        rows = _pick(rng, recent, int(rng.integers(1, max(2, len(recent) // 5))))
        tx.loc[rows, column] = None
        return f"{len(rows)} nulls in {column}"
    if kind == "duplicate_keys":
        rows = _pick(rng, recent, int(rng.integers(1, 30)))
        t["curated.transactions"] = pd.concat([tx, tx.loc[rows]], ignore_index=True)
        return f"{len(rows)} duplicated lines"
    if kind == "negative_amounts":
        rows = _pick(rng, recent, int(rng.integers(1, 20)))
        tx.loc[rows, "total_amount"] = -tx.loc[rows, "total_amount"].abs() - 1
        return f"{len(rows)} negative amounts"
    if kind == "absurd_amounts":
        rows = _pick(rng, recent, int(rng.integers(1, 10)))
        tx.loc[rows, "total_amount"] *= 1000
        tx.loc[rows, "price"] *= 1000
        return f"{len(rows)} lines x1000"
    if kind == "rating_out_of_range":
        rv = t["curated.reviews"]
        rows = _pick(rng, rv.index, int(rng.integers(1, 20)))
        rv.loc[rows, "rating"] = rng.choice([0, 6, 7, 10, -1], size=len(rows))
        return f"{len(rows)} ratings out of [1, 5]"
    if kind in ("orphan_product", "orphan_customer"):
        column = "product_id" if kind == "orphan_product" else "customer_id"
        prefix = "prod_9" if kind == "orphan_product" else "cust_9"
        rows = _pick(rng, recent, int(rng.integers(1, 20)))
        tx.loc[rows, column] = [f"{prefix}{rng.integers(10**6, 10**7)}" for _ in rows]
        return f"{len(rows)} unknown {column}"
    if kind == "stale_data":
        shift = int(rng.integers(2, 10))
        for name, column in (
            ("curated.transactions", "transaction_date"),
            ("curated.daily_funnel", "date"),
        ):
            frame = t[name]
            frame[column] = (pd.to_datetime(frame[column]) - pd.Timedelta(days=shift)).dt.date
        return f"all dates {shift} days back"
    if kind == "future_dates":
        rows = _pick(rng, recent, int(rng.integers(1, 20)))
        tx.loc[rows, "transaction_date"] = as_of + timedelta(days=int(rng.integers(1, 60)))
        return f"{len(rows)} lines in the future"
    if kind == "dropped_column":
        name = str(rng.choice(list(FAULTED)))
        column = str(
            rng.choice(
                [
                    c
                    for c in t[name].columns
                    if c
                    not in (
                        "transaction_month",
                        "date",
                        "transaction_date",
                        "category",
                        "total_amount",
                        "sessions",
                        "converting_sessions",
                    )
                ]
            )
        )
        t[name] = t[name].drop(columns=[column])
        return f"{name} without {column}"
    if kind == "type_change":
        name = str(rng.choice(list(FAULTED)))
        numeric = [
            c
            for c in t[name].columns
            if pd.api.types.is_numeric_dtype(t[name][c])
            and c not in ("total_amount", "sessions", "converting_sessions")
        ]
        column = str(rng.choice(numeric))
        t[name][column] = t[name][column].astype(str)
        return f"{name}.{column} as text"
    if kind == "volume_drop":
        day = _day(rng, as_of)
        keep = float(rng.uniform(0.0, 0.2))
        on_day = tx.index[pd.to_datetime(tx["transaction_date"]) == day]
        drop = _pick(rng, on_day, int(len(on_day) * (1 - keep)))
        t["curated.transactions"] = tx.drop(index=drop)
        return f"{day.date()} keeps {keep:.0%} of its lines"
    if kind == "volume_spike":
        day = _day(rng, as_of)
        times = int(rng.integers(3, 6))
        on_day = tx[pd.to_datetime(tx["transaction_date"]) == day]
        copies = []
        for i in range(1, times):
            copy = on_day.copy()
            copy["transaction_id"] = [
                f"txn_{9_000_000_000 + i * 10**7 + j}" for j in range(len(copy))
            ]
            copies.append(copy)
        t["curated.transactions"] = pd.concat([tx, *copies], ignore_index=True)
        return f"{day.date()} x{times} lines"
    if kind == "category_shift":
        day = _day(rng, as_of)
        categories = tx["category"].value_counts().index[:4]
        category = str(rng.choice(categories))
        factor = float(rng.choice([rng.uniform(0.0, 0.05), rng.uniform(15, 30)]))
        rows = tx.index[
            (pd.to_datetime(tx["transaction_date"]) == day) & (tx["category"] == category)
        ]
        tx.loc[rows, "total_amount"] *= factor
        tx.loc[rows, "price"] *= factor
        return f"{category} on {day.date()} x{factor:.2f}"
    if kind == "funnel_break":
        day = _day(rng, as_of)
        funnel = t["curated.daily_funnel"]
        hit = pd.to_datetime(funnel["date"]) == day
        for column in ("purchases", "converting_sessions"):
            funnel.loc[hit, column] = 0
        funnel.loc[
            hit, ["checkout_to_purchase_rate", "overall_conversion_rate", "session_conversion_rate"]
        ] = 0.0
        return f"no purchases on {day.date()}"
    raise ValueError(kind)


FAULT_KINDS = ("null_burst", "duplicate_keys", "negative_amounts", "absurd_amounts",
               "rating_out_of_range", "orphan_product", "orphan_customer", "stale_data",
               "future_dates", "dropped_column", "type_change", "volume_drop", "volume_spike",
               "category_shift", "funnel_break")  # fmt: skip


def write_trial(frames: Mapping[str, pd.DataFrame], clean: Tables, tables: Mapping[str, Path],
                folder: Path) -> dict[str, Path]:  # fmt: skip
    """Write the (possibly faulted) tables; keep the clean schema where the columns allow."""
    out = dict(tables)
    for name, frame in frames.items():
        # The lake's own layout (<lake>/<zone>/<table>/run-bench/), so the production audit
        # finds the trial's tables as the versions of a run.
        zone, table_name = name.split(".", 1)
        target = folder / "lake" / zone / table_name / f"run-{TRIAL_RUN}" / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        # As the ETL writes it: the partition column lives in the folder names, not in the
        # file, and the columns have their contract types.
        contract = TABLES[name]
        if contract.partition_column in frame.columns:
            frame = frame.drop(columns=[contract.partition_column])
        schema = contract.arrow_schema()
        # A column turned into text (a type change fault) must not be cast back to the
        # clean schema's number type, or the fault would vanish before the audit sees it.
        same = list(frame.columns) == schema.names and all(
            not (
                # pandas 3 gives text columns the str dtype, not object
                pd.api.types.is_string_dtype(frame[c])
                and not pa.types.is_string(schema.field(c).type)
            )
            for c in frame.columns
        )
        try:
            table = pa.Table.from_pandas(
                frame, schema=schema if same else None, preserve_index=False
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, target)
        out[name] = target.parent
    return out


# ----------------------------------------------------------------------------- audit


def fallback_audit(clean_schema: Mapping[str, list[tuple[str, str]]]) -> Audit:
    """Anomaly detection plus direct SQL rules (until the rules engine is available)."""

    def audit(runner: DuckDBRunner, work: Path, as_of: date) -> QualityReport:
        report = QualityReport(run_id="bench", as_of=as_of.isoformat())
        try:
            rules(runner, as_of, report)
        except PipelineError as exc:  # a rule query that cannot run (missing column): a finding
            report.rules.append(_rule("rule_query", "curated", False, str(exc)[:80]))
        try:
            report.anomalies = detect_for_run(
                runner, lake=LocalLake(work / "lake"), run_id="bench", as_of=as_of, settings={}
            )
        except PipelineError as exc:
            report.rules.append(_rule("metrics_computable", "curated", False, str(exc)[:80]))
        return report

    def rules(runner: DuckDBRunner, as_of: date, report: QualityReport) -> None:
        for name, wanted in clean_schema.items():
            found = [
                tuple(r)
                for r in runner.query(f"describe {name}")[
                    ["column_name", "column_type"]
                ].itertuples(index=False)
            ]
            report.rules.append(_rule("schema", name, found == wanted, found != wanted))
        cols = {n for n, _ in clean_schema["curated.transactions"]}
        if cols >= {
            "transaction_id",
            "customer_id",
            "product_id",
            "total_amount",
            "transaction_date",
            "price",
        }:
            checks = {
                "not_null": "count(*) - count(transaction_id) + count(*) - count(customer_id) + count(*) - count(product_id) + count(*) - count(total_amount) + count(*) - count(transaction_date)",
                "unique_key": "count(*) - count(distinct transaction_id)",
                "amount_range": "sum(case when total_amount < 0 or price > 100000 or price < 0.01 then 1 else 0 end)",
                "future_dates": f"sum(case when transaction_date > date '{as_of.isoformat()}' then 1 else 0 end)",
                "freshness": f"case when max(transaction_date) >= date '{(as_of - timedelta(days=1)).isoformat()}' then 0 else 1 end",
            }
            row = runner.query(
                "select "
                + ", ".join(f"{v} as {k}" for k, v in checks.items())
                + " from curated.transactions"
            ).iloc[0]
            for rule in checks:
                report.rules.append(_rule(rule, "curated.transactions", row[rule] == 0, row[rule]))
            # Mirrors params quality.referential (buyers must have signed-in sessions).
            for column, ref in (
                ("product_id", "curated.products"),
                ("customer_id", "curated.sessions"),
            ):
                n = runner.query(
                    f"select count(*) as n from curated.transactions t where t.{column} is not null and not exists (select 1 from {ref} r where r.{column} = t.{column})"
                ).n.iloc[0]
                report.rules.append(
                    _rule("references", f"curated.transactions.{column}", n == 0, n)
                )
        rating = runner.query(
            "select count(*) as n from curated.reviews where try_cast(rating as double) not between 1 and 5"
        ).n.iloc[0]
        report.rules.append(_rule("rating_range", "curated.reviews", rating == 0, rating))

    return audit


TRIAL_RUN = "bench"
#: Rules about the run's row accounting: a trial alters tables after the ETL, so no
#: accounting exists for it and these rules cannot apply.
ACCOUNTING_RULES = frozenset(
    {"stages_chain", "table_rows_match_accounting", "rows_produced", "reject_rate"}
)


def production_audit() -> Audit:
    """The pipeline's own audit, ``run_quality``, on the trial's tables as a run's versions."""
    from pipeline_lib.jobs import TableVersion
    from pipeline_lib.quality.audit import run_quality
    from pipeline_lib.storage import Zone

    settings = load_settings()

    def audit(runner: DuckDBRunner, work: Path, as_of: date) -> QualityReport:
        lake = LocalLake(work / "lake")
        versions = []
        for name in FAULTED:
            zone, table = name.split(".", 1)
            files = sorted(lake.path(Zone(zone), f"{table}/run-{TRIAL_RUN}").glob("*.parquet"))
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            size = sum(f.stat().st_size for f in files)
            versions.append(TableVersion(Zone(zone), table, TRIAL_RUN, rows, len(files), size))
        try:
            report = run_quality(runner, lake=lake, run_id=TRIAL_RUN, as_of=as_of,
                                 versions=versions, accounting=[], settings=settings)  # fmt: skip
        except PipelineError as exc:  # the audit cannot even run: the run would fail
            report = QualityReport(run_id=TRIAL_RUN, as_of=as_of.isoformat())
            report.rules.append(_rule("audit_error", "curated", False, str(exc)[:80]))
        report.rules = [r for r in report.rules if r.rule not in ACCOUNTING_RULES]
        return report

    return audit


def _rule(rule: str, table: str, passed: Any, observed: Any) -> RuleResult:
    return RuleResult(rule, table, CRITICAL, PASS if bool(passed) else FAIL, observed=str(observed))


def detected(report: QualityReport) -> bool:
    return any(r.status in (FAIL, WARN) for r in report.rules) or bool(report.anomalies)


# ----------------------------------------------------------------------------- main


def run_trial(frames: dict[str, pd.DataFrame], clean: Tables, tables: Mapping[str, Path],
              audit: Audit, as_of: date) -> tuple[bool, QualityReport]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        paths = write_trial(frames, clean, tables, Path(tmp))
        runner = DuckDBRunner(paths)
        try:
            report = audit(runner, Path(tmp), as_of)
        finally:
            runner.close()
    return detected(report), report


def truncated(clean: Tables, as_of: date, rng: np.random.Generator,
              tables: Mapping[str, Path]) -> dict[str, pd.DataFrame]:  # fmt: skip
    """A clean as-of view: days after ``as_of`` removed, and a few percent of lines resampled away.

    The clickstream is cut at ``as_of`` too: a view as of an earlier day must not hold
    later events, which the freshness rule rightly reports as future data.
    """
    frames = {n: t.to_pandas() for n, t in clean.items()}
    runner = DuckDBRunner({"curated.clickstream": tables["curated.clickstream"]})
    try:
        frames["curated.clickstream"] = runner.query(
            f"select * from curated.clickstream where event_date <= date '{as_of.isoformat()}'"
        )
    finally:
        runner.close()
    tx = frames["curated.transactions"]
    tx = tx[pd.to_datetime(tx["transaction_date"]) <= pd.Timestamp(as_of)]
    frames["curated.transactions"] = tx.sample(
        frac=float(rng.uniform(0.95, 1.0)), random_state=int(rng.integers(1 << 30))
    )
    fu = frames["curated.daily_funnel"]
    frames["curated.daily_funnel"] = fu[pd.to_datetime(fu["date"]) <= pd.Timestamp(as_of)]
    return frames


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=40_000)
    parser.add_argument("--days", type=int, default=182)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--clean-seeds", type=int, default=5)
    parser.add_argument("--clean-trials", type=int, default=50)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--audit", choices=("production", "mirror"), default="production")
    parser.add_argument(
        "--lake",
        type=Path,
        action="append",
        default=[],
        help="reuse clean published lakes (end date 2026-10-31 - 11 days per extra lake)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-quality-"))
    started = time.perf_counter()
    lakes = [LocalLake(p) for p in args.lake] or [build_lake(work / f"seed{s}", seed=s, transactions=args.transactions, days=args.days,
                        end=END_DATE - timedelta(days=11 * (s - 1))) for s in range(1, args.clean_seeds + 1)]  # fmt: skip
    print(f"built {len(lakes)} clean lakes in {time.perf_counter() - started:.0f} s", flush=True)
    tables, clean = load_tables(lakes[0])
    schema_runner = DuckDBRunner(tables)
    clean_schema = {
        n: [
            tuple(r)
            for r in schema_runner.query(f"describe {n}")[
                ["column_name", "column_type"]
            ].itertuples(index=False)
        ]
        for n in FAULTED
    }
    schema_runner.close()
    if args.audit == "production":
        audit_name = "run_quality (the pipeline's audit), accounting rules excluded"
        audit = production_audit()
    else:
        audit_name = "mirror: detect_for_run + the benchmark's SQL mirror of the rules"
        audit = fallback_audit(clean_schema)
    rng = np.random.default_rng(20261031)
    rows = []
    misses: dict[str, list[str]] = {}
    for kind in FAULT_KINDS:
        hits = 0
        for _ in range(args.trials):
            frames = {n: t.to_pandas() for n, t in clean.items()}
            what = fault(kind, frames, rng, END_DATE)
            ok, _report = run_trial(frames, clean, tables, audit, END_DATE)
            hits += ok
            if not ok:
                misses.setdefault(kind, []).append(what)
        rows.append(
            {"fault": kind, "trials": args.trials, "detected": hits, "rate": hits / args.trials}
        )
        print(f"{kind:20s} {hits}/{args.trials}", flush=True)
    false_alarms = 0
    alarms: list[str] = []
    per_lake = max(1, args.clean_trials // len(lakes))
    clean_runs = 0
    for i, lake in enumerate(lakes):
        lake_tables, lake_clean = load_tables(lake) if i else (tables, clean)
        end = END_DATE - timedelta(days=11 * i)
        for j in range(per_lake):
            as_of = end - timedelta(days=j)
            ok, report = run_trial(
                truncated(lake_clean, as_of, rng, lake_tables),
                lake_clean,
                lake_tables,
                audit,
                as_of,
            )
            clean_runs += 1
            if ok:
                false_alarms += 1
                alarms.extend(
                    [a.explanation for a in report.anomalies]
                    + [f"{r.rule} {r.subject}" for r in report.rules if r.status != PASS]
                )
    total = sum(r["detected"] for r in rows)
    trials = sum(r["trials"] for r in rows)
    result = {
        "audit": audit_name,
        "transactions": args.transactions,
        "days": args.days,
        "end_date": END_DATE.isoformat(),
        "faults": rows,
        "overall_detection_rate": total / trials,
        "clean_trials": clean_runs,
        "false_alarms": false_alarms,
        "false_alarm_rate": false_alarms / clean_runs,
        "missed": misses,
        "false_alarm_details": alarms[:50],
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nAudit: {audit_name}\n")
    print("| fault kind | trials | detected | detection rate |\n|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['fault']} | {r['trials']} | {r['detected']} | {r['rate']:.0%} |")
    print(f"| **all faults** | {trials} | {total} | **{total / trials:.1%}** |")
    print(
        f"\nFalse alarms: {false_alarms} of {clean_runs} clean trials ({false_alarms / clean_runs:.1%}). Written to {args.out}"
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
