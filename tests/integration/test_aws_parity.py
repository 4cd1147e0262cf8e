"""Parity of the two targets: the same files through a local lake and through the AWS one.

The AWS target runs on a moto server: the lake in S3 (one bucket per zone, as Terraform
creates them), the ingestion ledger and the run lease in DynamoDB, the published tables in
the Glue Data Catalog. The Glue jobs (the notebooks) and the Lambdas run in this machine's
processes against those services, and Athena's SQL is answered by DuckDB over the same S3
Parquet (moto cannot run SQL). Both lakes are driven by the ``ecom-pipeline`` command, as a
user would, over a backfill and then a daily delivery that updates old orders: the
curated tables and the answer of every named query must be identical.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline_lib.catalog import DATABASE_ENV, read_published
from pipeline_lib.execution.history import load_history
from pipeline_lib.generators import GeneratorConfig, generate_all
from pipeline_lib.query import DuckDBEngine, load_queries
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import Lake, LocalLake, ParquetFolder, S3Lake, Zone, create_parquet_view
from tests.integration.conftest import CLI
from tests.moto_server import MotoServer
from tests.unit.test_ingestion_ledger_contract import dynamodb_table
from tests.unit.test_storage_contract import s3_lake
from tests.unit.test_storage_lease import lock_table

pytestmark = [pytest.mark.integration, pytest.mark.aws]

BACKFILL_DAY = date(2026, 11, 27)
DAILY_DAY = BACKFILL_DAY + timedelta(days=1)
CURATED = sorted(name for name, table in TABLES.items() if table.zone == "curated")


@dataclass(frozen=True)
class Targets:
    local: LocalLake
    aws: S3Lake
    env: dict[str, str]
    work: Path


def cli(targets: Targets, lake: Lake, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [CLI, "--lake", lake.location, *args],
        cwd=targets.work,
        env=targets.env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{args} on {lake.location}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory, moto_server: MotoServer) -> Iterator[Targets]:
    work = tmp_path_factory.mktemp("parity")
    suffix = uuid.uuid4().hex[:6]
    glue = moto_server.client("glue")
    databases = {zone: f"{zone}_{suffix}" for zone in DATABASE_ENV}
    for name in databases.values():
        glue.create_database(DatabaseInput={"Name": name})  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "PIPELINE_LEDGER_TABLE": dynamodb_table(moto_server),
        "PIPELINE_LOCK_TABLE": lock_table(moto_server),
        **{DATABASE_ENV[zone]: name for zone, name in databases.items()},
    }
    env.pop("PIPELINE_LAKE", None)
    env.pop("PIPELINE_ENV", None)
    yield Targets(LocalLake(work / "lake"), s3_lake(moto_server), env, work)


@pytest.fixture(scope="module")
def two_runs(targets: Targets) -> Targets:
    """A backfill, then a daily file with new orders and status updates of old ones."""
    config = GeneratorConfig(
        transactions=1500, seed=23, end_date=BACKFILL_DAY, days=90, products=120, dirty_rate=0.02
    )
    backfill = generate_all(targets.work / "backfill", config).manifest_path.parent
    daily = targets.work / "daily"
    daily.mkdir()
    updates = pd.read_csv(backfill / "transactions.csv").head(40).copy()
    updates["status"] = "returned"
    fresh = generate_all(
        targets.work / "fresh",
        GeneratorConfig(
            transactions=200, seed=24, end_date=DAILY_DAY, days=1, products=120, dirty_rate=0.0
        ),
    ).manifest_path.parent
    new_orders = pd.read_csv(fresh / "transactions.csv")
    pd.concat([updates, new_orders]).to_csv(daily / "transactions_daily.csv", index=False)
    for lake in (targets.local, targets.aws):
        cli(targets, lake, "ingest", str(backfill))
        cli(targets, lake, "run", "--date", BACKFILL_DAY.isoformat(), "--run-id", "backfill")
        cli(targets, lake, "ingest", str(daily))
        cli(targets, lake, "run", "--date", DAILY_DAY.isoformat(), "--run-id", "daily")
    return targets


def curated_rows(lake: Lake) -> dict[str, list[tuple[Any, ...]]]:
    """Every curated table's rows, sorted, as DuckDB reads the live version."""
    published = read_published(lake).tables
    con = duckdb.connect()
    con.execute("CREATE SCHEMA curated")
    rows = {}
    for table in CURATED:
        name = table.split(".", 1)[1]
        folder = ParquetFolder(lake, Zone.CURATED, f"{name}/run-{published[table]}")
        create_parquet_view(con, table, folder)
        rows[table] = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    con.close()
    return rows


def test_both_targets_publish_the_same_runs(two_runs: Targets) -> None:
    for lake in (two_runs.local, two_runs.aws):
        assert set(read_published(lake).tables.values()) == {"daily"}, lake.location
        assert read_published(lake).as_of == DAILY_DAY.isoformat()


def test_the_curated_tables_are_identical(two_runs: Targets) -> None:
    local, aws = curated_rows(two_runs.local), curated_rows(two_runs.aws)
    assert list(local) == CURATED
    for table in CURATED:
        assert local[table], f"{table} is empty: the comparison would prove nothing"
        assert aws[table] == local[table], table


def test_every_named_query_answers_the_same(two_runs: Targets) -> None:
    local = DuckDBEngine(two_runs.local)
    aws = DuckDBEngine(two_runs.aws)
    queries = load_queries()
    assert len(queries) >= 10
    for query in queries:
        expected = local.run(query)
        assert expected.rows, f"{query.name} found nothing: the comparison would prove nothing"
        assert aws.run(query).rows == expected.rows, query.name


def test_the_glue_catalog_points_at_the_published_versions(
    two_runs: Targets, moto_server: MotoServer
) -> None:
    glue = moto_server.client("glue")
    database = two_runs.env[DATABASE_ENV["curated"]]
    table = glue.get_table(DatabaseName=database, Name="transactions")["Table"]  # type: ignore[attr-defined]
    assert table["StorageDescriptor"]["Location"].rstrip("/") == two_runs.aws.uri(
        Zone.CURATED, "transactions/run-daily"
    )


def test_the_aws_run_is_recorded_in_the_lake_as_locally(two_runs: Targets) -> None:
    listed = cli(two_runs, two_runs.aws, "runs", "--json")
    statuses = {row["run_id"]: row["status"] for row in json.loads(listed.stdout)}
    assert statuses == {"backfill": "succeeded", "daily": "succeeded"}


def test_a_killed_run_keeps_the_lake_until_its_lease_expires_and_publishes_nothing(
    two_runs: Targets, moto_server: MotoServer
) -> None:
    """The process of a run on S3 dies mid-run (SIGKILL, no clean-up): nothing it staged
    goes live, the next run is refused while the lease lasts, and once it has expired a
    new run takes the lake and publishes."""
    lake = s3_lake(moto_server)
    table = lock_table(moto_server)
    env = {
        **two_runs.env,
        "PIPELINE_LEDGER_TABLE": dynamodb_table(moto_server),
        "PIPELINE_LOCK_TABLE": table,
    }
    targets = replace(two_runs, env=env)
    cli(targets, lake, "ingest", str(two_runs.work / "backfill"))
    killed = subprocess.Popen(
        [
            CLI,
            "--lake",
            lake.location,
            "run",
            "--date",
            BACKFILL_DAY.isoformat(),
            "--run-id",
            "killed",
        ],
        cwd=two_runs.work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not any(e.get("state") == "RunEtlJobs" for e in load_history(lake, "killed")):
            assert killed.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.5)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()

    assert read_published(lake).tables == {}  # nothing it staged is live
    refused = subprocess.run(
        [CLI, "--lake", lake.location, "run", "--run-id", "next"],
        cwd=two_runs.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "busy: run killed" in said, said
    # Six hours later (the lease's length), the lease has expired.
    moto_server.client("dynamodb").update_item(  # type: ignore[attr-defined]
        TableName=table,
        Key={"lock_id": {"S": "lake"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "0"}},
    )
    cli(targets, lake, "run", "--date", BACKFILL_DAY.isoformat(), "--run-id", "recovered")
    assert set(read_published(lake).tables.values()) == {"recovered"}
