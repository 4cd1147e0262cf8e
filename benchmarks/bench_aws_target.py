"""Benchmark of the AWS target against the local one: what running on S3 costs.

The same generated files are ingested and run twice with the ``ecom-pipeline`` command:
into a local lake, and into an S3 lake on a moto server on 127.0.0.1 (one bucket per
zone, the ledger and the run lease in DynamoDB, the tables published to the Glue Data
Catalog), as ``tests/integration/test_aws_parity.py`` does. Each command runs in its own
process, its peak memory sampled as in bench_pipeline.py. moto keeps objects in memory
and answers at once: its timings show the overhead of the S3 code path (requests,
serialisation, no local hard links), not S3's latency or bandwidth, so the figures are
indicative only.

Usage: python benchmarks/bench_aws_target.py [--transactions 100000]
Results: printed, and written to benchmarks/results/aws_target.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLI, generate_measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
END = "2026-11-28"
ZONES = ("raw", "processed", "curated", "quarantine")


def aws_environment(endpoint: str) -> tuple[str, dict[str, str]]:
    """Create the AWS target's resources on the moto server; its lake and environment."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    name = f"bench-{uuid.uuid4().hex[:6]}"
    for zone in ZONES:
        client("s3").create_bucket(Bucket=f"{name}-{zone}")
    dynamodb = client("dynamodb")
    for table, keys in ((f"{name}-ledger", ["sha256", "sk"]), (f"{name}-lock", ["lock_id"])):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ["HASH", "RANGE"])],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        )
    databases = {zone: f"{name.replace('-', '_')}_{zone}" for zone in ZONES[:3]}
    for database in databases.values():
        client("glue").create_database(DatabaseInput={"Name": database})
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PIPELINE_LEDGER_TABLE": f"{name}-ledger",
        "PIPELINE_LOCK_TABLE": f"{name}-lock",
        **{f"PIPELINE_{zone.upper()}_DATABASE": db for zone, db in databases.items()},
    }
    return f"s3://{name}-{{zone}}", env


def bench(transactions: int, work: Path) -> dict[str, Any]:
    from moto.server import ThreadedMotoServer

    data = work / "data"
    generate_measured(data, transactions, work, "--end-date", END, "--dirty-rate", "0.01")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3_lake, aws_env = aws_environment(f"http://{host}:{port}")
        results: dict[str, Any] = {}
        for target, lake, extra in (("local", str(work / "lake"), {}), ("s3", s3_lake, aws_env)):
            saved = {k: os.environ.get(k) for k in extra}
            os.environ.update(extra)
            try:
                results[target] = {
                    "ingest": run_measured([CLI, "--lake", lake, "ingest", str(data)], work),
                    "run": run_measured([CLI, "--lake", lake, "run", "--date", END], work),
                    "query": run_measured(
                        [CLI, "--lake", lake, "query", "top_products", "--format", "json"], work
                    ),
                }
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
    finally:
        server.stop()
    ratios = {
        step: round(results["s3"][step]["seconds"] / results["local"][step]["seconds"], 2)
        for step in ("ingest", "run", "query")
    }
    return {"transactions": transactions, "targets": results, "s3_over_local": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("PIPELINE_ANALYTICS_REPORTS", "off")
    with tempfile.TemporaryDirectory(prefix="ecom-bench-aws-") as tmp:
        result = bench(args.transactions, Path(tmp))
    for target in ("local", "s3"):
        steps = result["targets"][target]
        print(
            target,
            ", ".join(
                f"{k} {v['seconds']:.1f} s / {v['peak_mib']:.0f} MiB" for k, v in steps.items()
            ),
        )
    print("s3 / local:", result["s3_over_local"])
    out = ROOT / "benchmarks" / "results" / "aws_target.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
