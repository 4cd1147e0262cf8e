"""A run reads the inputs it pinned: a file ingested while it runs waits for the next run.

The late file is ingested by calling the library directly from inside the run (the
`ingest` command would wait for the run lock): it stands for any writer that does not
take turns, and shows that the notebooks cannot see it even so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline_lib.config import IngestionSettings, load_settings
from pipeline_lib.generators import GeneratorConfig, generate_all
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import pinned_inputs
from pipeline_lib.orchestration.executor import TaskContext, TaskHandler
from pipeline_lib.orchestration.local_resources import GLUE_JOB_SYNC
from pipeline_lib.orchestration.pipeline import run_pipeline
from pipeline_lib.storage import LocalLake
from tests.integration.test_cli_run import AS_OF, ingested_lake, query

pytestmark = pytest.mark.integration

LATE_IDS = ("txn_990000001", "txn_990000002")
LATE_FILE = "transactions_late.csv"


def late_transactions(folder: Path, product_id: str, customer_id: str) -> Path:
    header = (
        "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
    )
    lines = [f"{t},{customer_id},{product_id},1,10.00,10.00,{AS_OF},completed" for t in LATE_IDS]
    path = folder / LATE_FILE
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


class IngestDuringEtl:
    """Wraps the real resources: ingests ``late`` when the first ETL notebook starts."""

    def __init__(self, inner: TaskHandler, lake: LocalLake, late: Path) -> None:
        self.inner, self.lake, self.late, self.done = inner, lake, late, False

    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any:
        if resource == GLUE_JOB_SYNC and not self.done:
            self.done = True
            report = ingest_paths([self.late], self.lake, IngestionSettings(), today=AS_OF)
            assert report.counts["accepted"] == 1, report.summary()
        return self.inner(resource, parameters, task)


def test_a_file_ingested_during_a_run_waits_for_the_next_run(tmp_path: Path) -> None:
    generated = generate_all(
        tmp_path / "data",
        GeneratorConfig(transactions=400, seed=5, end_date=AS_OF, days=30, products=40),
    )
    lake = ingested_lake(tmp_path, generated)
    settings = load_settings(env="local", lake=str(lake.root))
    known = pd.read_csv(generated.files["transactions"], nrows=1, dtype=str)
    late = late_transactions(tmp_path, known["product_id"][0], known["customer_id"][0])

    first = run_pipeline(
        lake,
        settings,
        as_of=AS_OF,
        run_id="first",
        reports_dir=tmp_path / "r",
        wrap_tasks=lambda inner: IngestDuringEtl(inner, lake, late),
    )

    assert first.succeeded, first.error
    in_list = ", ".join(f"'{t}'" for t in LATE_IDS)
    late_rows = f"SELECT count(*) FROM curated.transactions WHERE transaction_id IN ({in_list})"
    assert query(lake, late_rows) == [(0,)]
    pinned = pinned_inputs(lake, "first")
    assert pinned is not None and len(pinned["transactions"]) == 1
    (ingestion,) = [
        a for a in first.accounting if (a.dataset, a.stage) == ("transactions", "ingestion")
    ]
    assert ingestion.rows_in == generated.rows["transactions"]  # the late rows are not in

    second = run_pipeline(lake, settings, as_of=AS_OF, run_id="second", reports_dir=tmp_path / "r")

    assert second.succeeded, second.error
    assert query(lake, late_rows) == [(len(LATE_IDS),)]
    pinned = pinned_inputs(lake, "second")
    assert pinned is not None and len(pinned["transactions"]) == 2
