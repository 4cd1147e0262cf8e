"""Named queries and the analytics API on a published lake (1M transactions in `make bench`).

- Each named query with its default parameters: cold time (first run on a new engine and
  connection), warm time (median of later runs), and the bytes the cost estimator says it
  scans (the figure the workgroup cutoff is checked against).
- The API: a local server on a free loopback port, 4 client threads sending a bounded
  number of requests: p50/p95 latency with the cache off (every request runs its query)
  and on (the dashboard's steady state).

Usage: python benchmarks/bench_queries.py --lake LAKE [--repeat 5] [--requests 200]
Results: printed, and written to benchmarks/results/queries.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pipeline_lib.api import AnalyticsApi, LakeSource, api_settings, dashboard_dir, make_server
from pipeline_lib.config import load_settings
from pipeline_lib.query import DuckDBEngine, query_names, query_settings
from pipeline_lib.storage import LocalLake

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_QUERIES = (
    "current_kpis",
    "revenue_trend",
    "top_products",
    "conversion_funnel",
    "customer_ltv",
    "product_recommendations",
    "top_rated_products",
)


def bench_named_queries(lake: LocalLake, repeat: int) -> list[dict[str, Any]]:
    settings = query_settings(load_settings())
    rows = []
    for name in query_names():
        engine = DuckDBEngine(lake, settings)  # a new engine: the first run is cold
        started = time.perf_counter()
        result = engine.run(name)
        cold_ms = (time.perf_counter() - started) * 1000
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            engine.run(name)
            warm.append((time.perf_counter() - started) * 1000)
        estimate = engine.explain(name).estimate
        rows.append(
            {
                "query": name,
                "rows": len(result.rows),
                "cold_ms": round(cold_ms, 1),
                "warm_ms": round(statistics.median(warm), 1),
                "bytes_scanned": estimate.bytes_read,
            }
        )
    return rows


def bench_api(lake: LocalLake, requests: int, cache: bool) -> dict[str, Any]:
    settings = load_settings()
    api_config = api_settings(settings)
    if not cache:
        api_config = dataclasses.replace(api_config, cache_ttl_seconds=0)
    api = AnalyticsApi(LakeSource(lake, query_settings(settings)), api_config)
    server = make_server(api, dashboard_dir(), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    urls = [
        f"{server.url}/analytics?query={DASHBOARD_QUERIES[i % len(DASHBOARD_QUERIES)]}"
        for i in range(requests)
    ]

    def fetch(url: str) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            assert response.status == 200
        return (time.perf_counter() - started) * 1000

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            latencies = sorted(pool.map(fetch, urls))
    finally:
        server.shutdown()
        server.server_close()
    return {
        "cache": cache,
        "requests": requests,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(latencies[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    lake = LocalLake(args.lake)
    queries = bench_named_queries(lake, args.repeat)
    api = [bench_api(lake, args.requests, cache=False), bench_api(lake, args.requests, cache=True)]
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "queries.json").write_text(json.dumps({"queries": queries, "api": api}, indent=2))
    print(f"{'query':<26} {'rows':>6} {'cold ms':>9} {'warm ms':>9} {'scanned':>12}")
    for q in queries:
        print(
            f"{q['query']:<26} {q['rows']:>6} {q['cold_ms']:>9} {q['warm_ms']:>9} "
            f"{q['bytes_scanned'] / 2**20:>9.2f} MiB"
        )
    for a in api:
        label = "on " if a["cache"] else "off"
        print(
            f"API, cache {label}: {a['requests']} requests, 4 clients: p50 {a['p50_ms']} ms, "
            f"p95 {a['p95_ms']} ms, max {a['max_ms']} ms"
        )


if __name__ == "__main__":
    main()
