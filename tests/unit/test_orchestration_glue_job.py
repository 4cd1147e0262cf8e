"""The Glue job runner on a moto server: a notebook of the pipeline run as Glue runs it.

The job gets the package's resources from resources.zip in S3, exports its --PIPELINE_*
arguments, runs the notebook on the S3 lake, and leaves the executed notebook and its HTML
in the reports bucket, failing with the notebook's own error when it fails.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline_lib.config import IngestionSettings
from pipeline_lib.exceptions import ConfigError, PipelineError
from pipeline_lib.ingestion import ingest_paths
from pipeline_lib.jobs import version_files
from pipeline_lib.orchestration.glue_job import parse_arguments, resources_uri, run
from pipeline_lib.quality.audit import load_report
from pipeline_lib.storage import S3Lake, Zone
from tests.moto_server import MotoServer
from tests.unit.test_ingestion_ledger_contract import dynamodb_table
from tests.unit.test_storage_contract import s3_lake

#: The AWS target's tests (a moto server): `make test-aws`.
pytestmark = pytest.mark.aws

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "tests" / "fixtures" / "second_shop"


def test_arguments_are_glues_pairs_and_the_run_ones_are_required() -> None:
    argv = [
        "--JOB_RUN_ID",
        "jr_1",
        "--notebook",
        "etl/reviews_etl.py",
        "--run_id",
        "r1",
        "--as_of",
        "2026-12-01",
        "--enable-metrics",
    ]
    assert parse_arguments(argv)["notebook"] == "etl/reviews_etl.py"
    with pytest.raises(ConfigError, match="--run_id"):
        parse_arguments(["--notebook", "etl/reviews_etl.py", "--as_of", "2026-12-01"])


def test_resources_sit_beside_the_params_folder_unless_named() -> None:
    params = {"params_uri": "s3://artifacts/releases/abc/params/dev.yaml"}
    assert resources_uri(params) == "s3://artifacts/releases/abc/resources.zip"
    assert resources_uri({**params, "resources_uri": "s3://x/r.zip"}) == "s3://x/r.zip"


@pytest.fixture
def restored_environment() -> Iterator[None]:
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def job(
    moto_server: MotoServer, tmp_path: Path, restored_environment: None
) -> tuple[S3Lake, list[str]]:
    os.environ["PIPELINE_LEDGER_TABLE"] = dynamodb_table(moto_server)
    lake = s3_lake(moto_server)
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(SHOP / "reviews_export.csv", feeds / "reviews_export.csv")
    ingest_paths([feeds], lake, IngestionSettings())
    s3 = moto_server.client("s3")
    for bucket in ("artifacts-bucket", "reports-bucket"):
        s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        for pattern in ("params/*.yaml", "sql/*.sql", "notebooks/*/*.py"):
            for path in ROOT.glob(pattern):
                archive.write(path, path.relative_to(ROOT).as_posix())
    s3.put_object(Bucket="artifacts-bucket", Key="r/resources.zip", Body=bundle.getvalue())  # type: ignore[attr-defined]
    argv = [
        "--resources_uri",
        "s3://artifacts-bucket/r/resources.zip",
        "--reports_uri",
        "s3://reports-bucket/",
        "--env",
        "local",
        "--PIPELINE_LAKE",
        lake.location,
        "--run_id",
        "r1",
    ]
    return lake, argv


def test_a_notebook_runs_on_the_s3_lake_and_leaves_its_reports(
    job: tuple[S3Lake, list[str]], moto_server: MotoServer
) -> None:
    lake, argv = job
    uploaded = run([*argv, "--notebook", "etl/reviews_etl.py", "--as_of", "2026-12-01"])
    assert version_files(lake, Zone.PROCESSED, "reviews", "r1")
    assert sorted(uri.rsplit("/", 1)[-1] for uri in uploaded) == [
        "reviews_etl.html",
        "reviews_etl.ipynb",
    ]
    # The resources came from the zip, not from this repository.
    assert os.environ["PIPELINE_NOTEBOOKS_DIR"] != str(ROOT / "notebooks")


def test_a_failing_notebook_fails_the_job_with_its_error_and_keeps_the_report(
    job: tuple[S3Lake, list[str]], moto_server: MotoServer
) -> None:
    _, argv = job
    with pytest.raises(PipelineError, match="reviews_etl failed"):
        run([*argv, "--notebook", "etl/reviews_etl", "--as_of", "not-a-date"])
    listed = moto_server.client("s3").list_objects_v2(Bucket="reports-bucket")  # type: ignore[attr-defined]
    assert [o["Key"] for o in listed["Contents"]] == [
        "runs/r1/reviews_etl.html",
        "runs/r1/reviews_etl.ipynb",
    ]


def test_the_quality_job_audits_the_runs_staged_tables_on_the_s3_lake(
    job: tuple[S3Lake, list[str]],
) -> None:
    lake, argv = job
    run([*argv, "--notebook", "etl/reviews_etl.py", "--as_of", "2026-12-01"])
    # As the state machine's RunDataQuality state starts it.
    uploaded = run(
        [
            *argv,
            "--notebook",
            "quality/data_quality.py",
            "--as_of",
            "2026-12-01",
            "--staged",
            "true",
        ]
    )
    report = load_report(lake, "r1")
    audited = {rule.table for rule in report.rules if rule.rule == "table_contract"}
    assert audited == {"processed.reviews"}  # the run's staged version, nothing published yet
    assert report.publishable, [r.detail for r in report.critical_failures]
    assert any(uri.endswith("/runs/r1/data_quality.html") for uri in uploaded)


def test_a_job_argument_takes_the_type_of_the_notebooks_default(
    job: tuple[S3Lake, list[str]],
) -> None:
    _, argv = job
    with pytest.raises(ConfigError, match="--staged must be true or false"):
        run(
            [
                *argv,
                "--notebook",
                "quality/data_quality.py",
                "--as_of",
                "2026-12-01",
                "--staged",
                "yes",
            ]
        )
