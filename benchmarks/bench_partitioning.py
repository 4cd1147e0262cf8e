"""Which physical layout serves the curated facts best? Measured on the same rows.

Takes the live curated.transactions and curated.clickstream of a lake (run the pipeline
first; `make bench` does) and rewrites them in several layouts:

- daily hive partitions written with pyarrow's defaults (the common "partition by date"),
- monthly partitions with 32k / 128k / 1M-row row groups, rows sorted by date,
- one unpartitioned file sorted by date, 32k-row row groups.

For each: files, bytes, and DuckDB latency (median of warm runs) of a last-30-days query
(the dashboard's), a last-7-days query and a full-history aggregate, plus the row groups
the 30-day query reads.

Usage: python benchmarks/bench_partitioning.py --lake LAKE [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]

QUERIES = {
    "transactions": {
        "date": "transaction_date",
        "last_30_days": (
            "select category, sum(total_amount) from t where transaction_date >= {end} - 29 "
            "and status = 'completed' group by 1"
        ),
        "last_7_days": "select count(*), sum(quantity) from t where transaction_date >= {end} - 6",
        "full_history": (
            "select customer_id, sum(total_amount) from t where status = 'completed' group by 1"
        ),
    },
    "clickstream": {
        "date": "event_date",
        "last_30_days": (
            "select event_date, event_type, count(*) from t where event_date >= {end} - 29 "
            "group by 1, 2"
        ),
        "last_7_days": (
            "select count(distinct derived_session_id) from t where event_date >= {end} - 6"
        ),
        "full_history": "select event_type, count(*) from t group by 1",
    },
}


def _live_table(lake: Path, name: str) -> pa.Table:
    state = json.loads((lake / "_meta" / "published.json").read_text())
    run_id = state["tables"][f"curated.{name}"]
    files = sorted((lake / "curated" / name / f"run-{run_id}").rglob("*.parquet"))
    return ds.dataset([str(f) for f in files], format="parquet").to_table()


def _write_daily(table: pa.Table, date_col: str, out: Path) -> None:
    # What `partition_cols=[date]` does everywhere: one folder and file per day.
    ds.write_dataset(
        table,
        out,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([(date_col, pa.date32())]), flavor="hive"),
        existing_data_behavior="overwrite_or_ignore",
    )


def _write_monthly(table: pa.Table, date_col: str, out: Path, *, row_group: int) -> None:
    table = table.sort_by(date_col)
    months = pc.strftime(table.column(date_col), format="%Y-%m")
    for month in sorted(pc.unique(months).to_pylist()):
        part = out / f"month={month}"
        part.mkdir(parents=True)
        pq.write_table(
            table.filter(pc.equal(months, month)),
            part / "part-0.parquet",
            compression="snappy",
            row_group_size=row_group,
        )


def _write_single(table: pa.Table, date_col: str, out: Path, *, row_group: int) -> None:
    out.mkdir(parents=True)
    pq.write_table(
        table.sort_by(date_col),
        out / "part-0.parquet",
        compression="snappy",
        row_group_size=row_group,
    )


def _row_groups(path: Path) -> int:
    return sum(pq.ParquetFile(f).metadata.num_row_groups for f in path.rglob("*.parquet"))


def _time_query(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> float:
    con.execute(sql).fetchall()  # warm: file metadata and OS cache
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _scanned(con: duckdb.DuckDBPyConnection, sql: str) -> Optional[str]:
    """Files and row groups the query read, from DuckDB's EXPLAIN ANALYZE."""
    plan = str(con.execute("explain analyze " + sql).fetchall()[0][1])
    found = [
        line.strip(" │┃")
        for line in plan.splitlines()
        if "Scanning Files" in line or "Row Groups Scanned" in line
    ]
    return "; ".join(found) or None


def bench_table(name: str, table: pa.Table, work: Path, repeat: int) -> list[dict[str, Any]]:
    spec = QUERIES[name]
    date_col = str(spec["date"])
    end = pc.max(table.column(date_col)).as_py()
    monthly = {"32k": 32_768, "128k": 131_072, "1M": 1_048_576}
    layouts: dict[str, Callable[[Path], None]] = {
        "daily partitions, pyarrow defaults": partial(_write_daily, table, date_col)
    }
    for label, size in monthly.items():
        layouts[f"monthly partitions, {label}-row groups"] = partial(
            _write_monthly, table, date_col, row_group=size
        )
    layouts["one file, 32k-row groups"] = partial(_write_single, table, date_col, row_group=32_768)
    rows: list[dict[str, Any]] = []
    for label, write in layouts.items():
        out = work / name / label.replace(" ", "_").replace(",", "")
        started = time.perf_counter()
        write(out)
        write_s = time.perf_counter() - started
        files = list(out.rglob("*.parquet"))
        con = duckdb.connect()
        con.execute(
            f"create view t as select * from read_parquet('{out}/**/*.parquet', "
            "hive_partitioning = true)"
        )
        row: dict[str, Any] = {
            "table": name,
            "layout": label,
            "files": len(files),
            "MiB": round(sum(f.stat().st_size for f in files) / 2**20, 1),
            "row_groups": _row_groups(out),
            "write_s": round(write_s, 2),
        }
        for query in ("last_30_days", "last_7_days", "full_history"):
            sql = str(spec[query]).format(end=f"date '{end}'")
            row[f"{query}_ms"] = round(_time_query(con, sql, repeat), 1)
        last_30 = str(spec["last_30_days"]).format(end=f"date '{end}'")
        row["last_30_days_reads"] = _scanned(con, last_30)
        con.close()
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-partitioning-") as tmp:
        for name in QUERIES:
            table = _live_table(args.lake, name)
            print(f"{name}: {table.num_rows:,} rows", flush=True)
            results += bench_table(name, table, Path(tmp), args.repeat)
            shutil.rmtree(Path(tmp) / name)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "partitioning.json").write_text(json.dumps(results, indent=2) + "\n")
    for r in results:
        print(
            f"{r['table']:<13} {r['layout']:<38} files {r['files']:>4} {r['MiB']:>7} MiB "
            f"rg {r['row_groups']:>5} | 30d {r['last_30_days_ms']:>7} ms  7d "
            f"{r['last_7_days_ms']:>7} ms  all {r['full_history_ms']:>7} ms | "
            f"{r['last_30_days_reads']}"
        )


if __name__ == "__main__":
    main()
