"""`ecom-pipeline run` end to end on a small generated data set.

One data set is generated per module; each scenario ingests it into its own lake. The CLI
runs as a user runs it (the installed console script in a subprocess); the failure, the
file dropped into raw/ and the lock are driven through ``run_pipeline``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.config import IngestionSettings, load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.generators import GenerationResult, GeneratorConfig, generate_all
from pipeline_lib.ingestion import LEDGER_KEY, IngestionLedger, ingest_paths, pending_raw_files
from pipeline_lib.jobs import StageAccounting, load_accounting
from pipeline_lib.orchestration.pipeline import (
    LOCK_KEY,
    MERGE_NOTEBOOK,
    NOTEBOOKS_DIR,
    run_pipeline,
)
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import CLI
from tests.state_machine import etl_jobs

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 28)
DATASETS = ("clickstream", "products", "reviews", "transactions")
CURATED_TABLES = tuple(sorted(t.name for t in TABLES.values() if t.zone == "curated"))


# --- helpers ----------------------------------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PIPELINE_LAKE", None)
    env.pop("PIPELINE_ENV", None)
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def ingested_lake(folder: Path, generated: GenerationResult) -> LocalLake:
    """A new lake holding the generated files, ingested as on the generator's end date."""
    lake = LocalLake(folder / "lake")
    report = ingest_paths([generated.manifest_path.parent], lake, IngestionSettings(), today=AS_OF)
    assert report.counts == {"accepted": 4, "quarantined": 0, "duplicate": 0}, report.summary()
    return lake


def query(lake: LocalLake, sql: str) -> list[tuple[Any, ...]]:
    with LocalCatalog(lake).connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def curated_fingerprints(lake: LocalLake) -> dict[str, tuple[int, str]]:
    """Rows and a hash of every curated view's full content, in a stable order."""
    fingerprints = {}
    with LocalCatalog(lake).connect(read_only=True) as con:
        for table in CURATED_TABLES:
            rows = con.execute(f"SELECT * FROM curated.{table} ORDER BY ALL").fetchall()
            fingerprints[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return fingerprints


def run_record(lake: LocalLake, run_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(lake.read_bytes(Zone.META, f"runs/{run_id}/run.json"))
    return record


def accounting_by_stage(lake: LocalLake, run_id: str) -> dict[tuple[str, str], StageAccounting]:
    return {(e.dataset, e.stage): e for e in load_accounting(lake, run_id)}


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    config = GeneratorConfig(
        transactions=3000, seed=5, end_date=AS_OF, days=180, products=300, dirty_rate=0.02
    )
    return generate_all(tmp_path_factory.mktemp("generated") / "data", config)


@dataclass(frozen=True)
class TwoCliRuns:
    """Two `ecom-pipeline run` on the same inputs, with the catalog seen after each."""

    lake: LocalLake
    reports: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    after_first: dict[str, tuple[int, str]]
    after_second: dict[str, tuple[int, str]]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory, generated: GenerationResult) -> TwoCliRuns:
    folder = tmp_path_factory.mktemp("cli")
    lake = ingested_lake(folder, generated)
    reports = folder / "reports"
    common = (
        "--lake",
        str(lake.root),
        "run",
        "--date",
        AS_OF.isoformat(),
        "--reports",
        str(reports),
    )
    first = cli(*common, "--run-id", "first", cwd=folder)
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = curated_fingerprints(lake)
    second = cli(*common, "--run-id", "second", cwd=folder)
    assert second.returncode == 0, second.stdout + second.stderr
    return TwoCliRuns(lake, reports, first, second, after_first, curated_fingerprints(lake))


@pytest.fixture(scope="module")
def published_lake(
    tmp_path_factory: pytest.TempPathFactory, generated: GenerationResult
) -> LocalLake:
    """A lake with one good run published (library call), for the failure scenarios."""
    folder = tmp_path_factory.mktemp("published")
    lake = ingested_lake(folder, generated)
    result = run_pipeline(
        lake, load_settings(env="local"), as_of=AS_OF, run_id="good", reports_dir=folder / "reports"
    )
    assert result.status == "succeeded", result.error
    return lake


# --- a run through the CLI --------------------------------------------------------------


def test_run_prints_steps_tables_and_where_every_row_went(cli_runs: TwoCliRuns) -> None:
    out = cli_runs.first.stdout
    for heading in ("Steps", "Tables written", "Where every row went"):
        assert heading in out
    for step in ("ingest", *etl_jobs(), MERGE_NOTEBOOK, "audit", "publish"):
        assert step in out
    assert "curated.transactions" in out and "curated.product_affinity" in out
    assert "negative_amount" in out  # a rejected row's reason
    # Sales of products missing from the catalog are kept and reported, not rejected.
    assert "warn unknown_references on transactions.product_id" in out
    assert "run first succeeded" in out
    assert str(cli_runs.lake.path(Zone.META, "catalog.duckdb")) in out.replace("\n", "")
    assert "Traceback" not in cli_runs.first.stderr


def test_run_record_says_succeeded_with_every_step(cli_runs: TwoCliRuns) -> None:
    record = run_record(cli_runs.lake, "first")
    assert record["status"] == "succeeded" and record["error"] is None
    assert record["as_of"] == "2026-11-28"
    steps = {step["name"]: step["status"] for step in record["steps"]}
    assert steps == {
        name: "succeeded" for name in ("ingest", *etl_jobs(), MERGE_NOTEBOOK, "audit", "publish")
    }
    assert sorted(record["published"]) == sorted(t["table"] for t in record["tables"])
    assert {f"curated.{t}" for t in CURATED_TABLES} <= set(record["published"])
    assert record["stopped"] == {}
    # 2% dirty input: 2% of the transaction lines are rejected (negative amounts), over the
    # 1% warning rate (the critical rate is 5%), and 2% name products missing from the
    # catalog, kept and reported over the 1% warn rate; every other rule passes, so the run
    # publishes with warnings.
    not_passed = [
        (r["rule"], r["table"], r["severity"]) for r in record["audit"] if r["status"] != "pass"
    ]
    assert not_passed == [
        ("reject_rate", "transactions", "warning"),
        ("unknown_references", "transactions", "warning"),
    ]
    assert record["quality"]["status"] == "warn"


def test_executed_notebooks_are_kept_under_the_reports_folder(cli_runs: TwoCliRuns) -> None:
    for run_id in ("first", "second"):
        folder = cli_runs.reports / "runs" / run_id
        names = sorted(p.stem for p in folder.glob("*.ipynb"))
        assert names == sorted((*etl_jobs(), MERGE_NOTEBOOK, "data_quality"))
        executed = json.loads((folder / f"{MERGE_NOTEBOOK}.ipynb").read_text())
        injected = [
            cell
            for cell in executed["cells"]
            if "injected-parameters" in cell["metadata"].get("tags", [])
        ]
        assert len(injected) == 1
        assert f'run_id = "{run_id}"' in "".join(injected[0]["source"])


def test_catalog_answers_the_mission_queries(cli_runs: TwoCliRuns) -> None:
    lake = cli_runs.lake
    top = query(
        lake,
        """
        SELECT p.product_id, p.name, p.category, sum(t.total_amount) AS revenue,
               sum(t.quantity) AS units
        FROM curated.transactions t JOIN curated.products p ON t.product_id = p.product_id
        WHERE t.status = 'completed'
        GROUP BY ALL ORDER BY revenue DESC, p.product_id LIMIT 10
        """,
    )
    assert len(top) == 10
    revenues = [row[3] for row in top]
    assert revenues == sorted(revenues, reverse=True) and revenues[-1] > 0
    assert all(row[1] and row[2] for row in top)
    (completed_revenue,) = query(
        lake, "SELECT sum(total_amount) FROM curated.transactions WHERE status = 'completed'"
    )[0]
    assert revenues[0] < completed_revenue

    events = query(
        lake,
        "SELECT event_type, count(*), min(timestamp), max(timestamp) FROM curated.clickstream "
        "GROUP BY ALL ORDER BY 1",
    )
    assert {row[0] for row in events} == {
        "add_to_cart",
        "checkout_start",
        "page_view",
        "product_view",
        "purchase",
    }
    assert (
        sum(row[1] for row in events)
        == query(lake, "SELECT count(*) FROM curated.clickstream")[0][0]
    )
    assert all(row[2] <= row[3] for row in events)
    funnel = query(lake, "SELECT sum(page_views), sum(purchases) FROM curated.daily_funnel")[0]
    assert funnel[0] > 0 and funnel[1] > 0


def test_second_run_on_the_same_inputs_gives_identical_tables_and_accounting(
    cli_runs: TwoCliRuns,
) -> None:
    lake = cli_runs.lake
    assert set(read_published(lake).tables.values()) == {"second"}
    assert "no new files in raw/" in json.dumps(run_record(lake, "second")["steps"])
    assert cli_runs.after_second == cli_runs.after_first
    assert all(rows > 0 for rows, _ in cli_runs.after_first.values())
    first_run = {(a.dataset, a.stage): a for a in load_accounting(lake, "first")}
    second_run = {(a.dataset, a.stage): a for a in load_accounting(lake, "second")}
    assert second_run.keys() == first_run.keys()
    # Every dataset is incremental: the second run read no new row and carried every
    # published one over, replacing none.
    for dataset in ("transactions", "products", "reviews", "clickstream"):
        cleaned = first_run[(dataset, "etl")]
        assert second_run[(dataset, "ingestion")].rows_in == 0
        assert second_run[(dataset, "etl")] == replace(
            cleaned,
            rows_in=0,
            rows_out=0,
            rejected={},
            duplicates_removed=0,
            notes=[],
            carried=cleaned.rows_out,
        ), dataset
        del first_run[(dataset, "ingestion")], first_run[(dataset, "etl")]
    for key, entry in first_run.items():  # the merge stage
        assert second_run[key] == entry, key
    # The first run's curated versions are kept for rollback: compare their files too.
    for table in CURATED_TABLES:
        first = lake.path(Zone.CURATED, f"{table}/run-first")
        second = lake.path(Zone.CURATED, f"{table}/run-second")
        names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*.parquet"))
        assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*.parquet"))
        for name in names:
            assert (first / name).read_bytes() == (second / name).read_bytes(), f"{table}/{name}"


def test_every_row_is_accounted_for_and_injected_flaws_are_counted(
    cli_runs: TwoCliRuns, generated: GenerationResult
) -> None:
    lake = cli_runs.lake
    stages = accounting_by_stage(lake, "first")
    injected = {kind: entry["count"] for kind, entry in generated.manifest["injected"].items()}

    for dataset in DATASETS:
        ingestion = stages[(dataset, "ingestion")]
        assert ingestion.rows_in == generated.rows[dataset], dataset
    chain = ["ingestion", "etl", "merge"]
    for (dataset, stage), entry in stages.items():
        assert entry.rows_in == entry.rows_out + entry.rows_rejected + entry.duplicates_removed
        if stage != "ingestion":
            before = stages[(dataset, chain[chain.index(stage) - 1])]
            assert entry.rows_in == before.rows_out, (dataset, stage)
    assert sorted(stages) == sorted(
        [(d, "ingestion") for d in DATASETS]
        + [(d, "etl") for d in DATASETS]
        + [("reviews", "merge"), ("transactions", "merge")]
    )

    etl = stages[("transactions", "etl")]
    assert injected["negative_amount"] > 0 and injected["duplicate_status_update"] > 0
    assert etl.rejected == {"negative_amount": injected["negative_amount"]}
    assert etl.duplicates_removed == injected["duplicate_status_update"]
    merge = stages[("transactions", "merge")]
    assert merge.rejected == {}  # kept: the catalog may arrive late or partial
    (unknown,) = [n for n in merge.notes if n["kind"] == "unknown_reference"]
    assert unknown["rows"] == injected["unknown_product_id"]
    assert query(lake, "SELECT count(*) FROM curated.transactions")[0][0] == merge.rows_out
    assert query(lake, "SELECT count(*) FROM curated.transactions WHERE category IS NULL") == [
        (injected["unknown_product_id"],)
    ]

    rejects = lake.path(Zone.QUARANTINE, "etl_rejects/transactions/run-first")
    etl_rejects = pq.read_table(rejects / "etl.parquet")
    assert etl_rejects.num_rows == injected["negative_amount"]
    rejected_ids = sorted(etl_rejects.column("transaction_id").to_pylist())
    assert rejected_ids == sorted(generated.manifest["injected"]["negative_amount"]["ids"])
    assert not (rejects / "merge.parquet").exists()
    # The run record carries the same accounting the CLI printed.
    recorded = [StageAccounting(**entry) for entry in run_record(lake, "first")["accounting"]]
    assert recorded == load_accounting(lake, "first")


# --- failure, late files, concurrency ---------------------------------------------------


def test_failing_notebook_leaves_the_published_tables_untouched(
    published_lake: LocalLake, tmp_path: Path
) -> None:
    lake = published_lake
    notebooks = tmp_path / "etl"
    shutil.copytree(NOTEBOOKS_DIR, notebooks)
    merge = notebooks / f"{MERGE_NOTEBOOK}.py"
    merge.write_text(merge.read_text() + '\n# %%\nraise RuntimeError("injected failure")\n')
    published_before = lake.read_bytes(Zone.META, "published.json")
    rows_before = curated_fingerprints(lake)
    live = read_published(lake).tables

    result = run_pipeline(
        lake,
        load_settings(env="local"),
        as_of=AS_OF,
        run_id="broken",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
    )

    assert result.status == "failed"
    assert result.error is not None
    assert "notebook master_data_merge failed" in result.error
    assert "RuntimeError: injected failure" in result.error
    steps = {step.name: step.status for step in result.steps}
    assert steps[MERGE_NOTEBOOK] == "failed"
    assert "audit" not in steps and "publish" not in steps
    assert run_record(lake, "broken")["status"] == "failed"
    assert (tmp_path / "reports" / "runs" / "broken" / f"{MERGE_NOTEBOOK}.ipynb").is_file()
    # The merge wrote its curated tables before failing; none of them went live.
    assert lake.path(Zone.CURATED, "transactions/run-broken").is_dir()
    assert lake.read_bytes(Zone.META, "published.json") == published_before
    assert curated_fingerprints(lake) == rows_before
    for qualified, run_id in live.items():
        zone, table = qualified.split(".")
        assert lake.path(Zone(zone), f"{table}/run-{run_id}").is_dir(), qualified


def test_file_dropped_into_raw_is_ingested_in_place_by_the_next_run(
    published_lake: LocalLake, tmp_path: Path
) -> None:
    lake = published_lake
    product, customer = query(
        lake,
        "SELECT product_id, customer_id FROM curated.transactions ORDER BY transaction_id LIMIT 1",
    )[0]
    late_ids = ["txn_9900001", "txn_9900002", "txn_9900003"]
    dropped = lake.path(Zone.RAW, "transactions/ingest_date=2026-11-29/transactions_late.csv")
    dropped.parent.mkdir(parents=True)
    dropped.write_text(
        "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,"
        "status\n"
        + "".join(
            f"{t},{customer},{product},2,10.00,20.00,2026-11-27,completed\n" for t in late_ids
        )
    )
    assert pending_raw_files(lake) == [dropped]
    rows_before = query(lake, "SELECT count(*) FROM curated.transactions")[0][0]

    result = run_pipeline(
        lake,
        load_settings(env="local"),
        as_of=AS_OF,
        run_id="late",
        reports_dir=tmp_path / "reports",
    )

    assert result.status == "succeeded", result.error
    assert result.ingest is not None and result.ingest.counts["accepted"] == 1
    assert pending_raw_files(lake) == []
    with IngestionLedger(lake.path(Zone.META, LEDGER_KEY)) as ledger:
        entry = next(e for e in ledger.accepted_files("transactions") if "late" in e.source_path)
    assert entry.stored_uri == str(dropped) and entry.source_path == str(dropped)
    copies = [p for p in lake.root.rglob("transactions_late*") if p.is_file()]
    assert copies == [dropped]
    assert query(
        lake,
        "SELECT transaction_id, status, total_amount FROM curated.transactions "
        f"WHERE transaction_id IN {tuple(late_ids)} ORDER BY 1",
    ) == [(t, "completed", 20.0) for t in late_ids]
    assert query(lake, "SELECT count(*) FROM curated.transactions")[0][0] == rows_before + 3


def test_a_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    lock_path = lake.path(Zone.META, LOCK_KEY)
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the "first run" holds the lake
        with pytest.raises(PipelineError, match="is busy: another run holds its lock") as caught:
            run_pipeline(
                lake,
                load_settings(env="local"),
                as_of=AS_OF,
                run_id="second",
                reports_dir=tmp_path / "reports",
            )
    assert str(lock_path) in str(caught.value)
    assert not lake.path(Zone.META, "runs").exists()
    assert not (tmp_path / "reports").exists()


# --- a run id names one run ---------------------------------------------------------------


def table_files(lake: LocalLake) -> dict[str, bytes]:
    """Every table version file (processed and curated zones) and its content."""
    return {
        str(p.relative_to(lake.root)): p.read_bytes()
        for zone in (Zone.PROCESSED, Zone.CURATED)
        for p in sorted(lake.path(zone).rglob("*"))
        if p.is_file()
    }


def test_run_with_a_run_id_that_already_ran_is_refused_and_changes_nothing(
    tmp_path: Path, generated: GenerationResult
) -> None:
    lake = ingested_lake(tmp_path, generated)
    common = (
        "--lake",
        str(lake.root),
        "run",
        "--date",
        AS_OF.isoformat(),
        "--reports",
        str(tmp_path / "reports"),
        "--run-id",
        "nightly",
    )
    first = cli(*common, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    published = lake.read_bytes(Zone.META, "published.json")
    assert set(json.loads(published)["tables"].values()) == {"nightly"}
    tables = table_files(lake)
    record = lake.read_bytes(Zone.META, "runs/nightly/run.json")
    started = json.loads(record)["started_at"]

    again = cli(*common, cwd=tmp_path)

    assert again.returncode != 0
    assert "Traceback" not in again.stderr
    (line,) = again.stderr.strip().splitlines()  # one line: what was wrong, what to do
    assert line.startswith("error: run id 'nightly' was already used")
    assert f"a succeeded run started {started}" in line
    assert "pick a new --run-id or omit it" in line
    assert lake.read_bytes(Zone.META, "published.json") == published
    assert table_files(lake) == tables
    assert lake.read_bytes(Zone.META, "runs/nightly/run.json") == record
