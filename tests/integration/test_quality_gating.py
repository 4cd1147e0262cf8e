"""Severity gating as a user meets it: critical rules stop the publish, warnings do not,
and `ecom-pipeline quality` exits non-zero only when a critical rule fails."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipeline_lib.catalog import PUBLISHED_KEY
from pipeline_lib.config import load_settings, params_dir
from pipeline_lib.orchestration.pipeline import run_pipeline
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import RunCli
from tests.lake_builder import build_lake

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 28)
IMPOSSIBLE_ROWS = 10**9


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    return build_lake(tmp_path_factory.mktemp("gating"), transactions=2000, as_of=AS_OF)


def params_with_transactions_minimum(folder: Path, min_rows: int, severity: str) -> Path:
    """A copy of params/ where curated.transactions needs ``min_rows`` rows."""
    shutil.copytree(params_dir(), folder)
    # A list in local.yaml replaces base.yaml's whole: every row_counts rule is written.
    rules = yaml.safe_load((folder / "base.yaml").read_text())["quality"]["row_counts"]
    rules[:] = [r for r in rules if r["table"] != "curated.transactions"]
    rules.append({"table": "curated.transactions", "min_rows": min_rows, "severity": severity})
    local = folder / "local.yaml"
    params = yaml.safe_load(local.read_text())
    params["quality"] = {"row_counts": rules}
    local.write_text(yaml.safe_dump(params, sort_keys=False))
    return folder


def published(lake: LocalLake) -> bytes:
    return lake.read_bytes(Zone.META, PUBLISHED_KEY)


def test_a_critical_failure_stops_the_publish(
    lake: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = params_with_transactions_minimum(tmp_path / "params", IMPOSSIBLE_ROWS, "critical")
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    before = published(lake)

    result = run_pipeline(
        lake, load_settings(lake=str(lake.root)), as_of=AS_OF, reports_dir=tmp_path / "reports"
    )

    assert result.status == "failed"
    assert result.error is not None and "row_count" in result.error
    assert published(lake) == before  # curated stays exactly as it was
    record = json.loads(lake.read_bytes(Zone.META, f"runs/{result.run_id}/run.json"))
    assert record["quality"]["status"] == "fail"
    failed = [r for r in record["audit"] if r["status"] == "fail"]
    # The SQL row count rule fails, and so does the Great Expectations row count bound of
    # the same table (the test lake is small enough for GX to see it whole): nothing else.
    assert {(r["rule"], r["table"]) for r in failed} == {
        ("row_count", "curated.transactions"),
        ("expect_table_row_count_to_be_between", "curated.transactions"),
    }
    assert [r["threshold"] for r in failed if r["rule"] == "row_count"] == [IMPOSSIBLE_ROWS]
    assert [s["name"] for s in record["steps"] if s["status"] == "failed"] == ["audit"]


def test_a_warning_is_reported_and_the_publish_goes_on(
    lake: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = params_with_transactions_minimum(tmp_path / "params", IMPOSSIBLE_ROWS, "warning")
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))

    result = run_pipeline(
        lake, load_settings(lake=str(lake.root)), as_of=AS_OF, reports_dir=tmp_path / "reports"
    )

    assert result.succeeded, result.error
    assert json.loads(published(lake))["run_id"] == result.run_id
    record = json.loads(lake.read_bytes(Zone.META, f"runs/{result.run_id}/run.json"))
    warned = {(r["rule"], r["table"]) for r in record["audit"] if r["status"] == "warn"}
    assert ("row_count", "curated.transactions") in warned
    assert record["quality"]["status"] == "warn"
    assert result.quality_report is not None and result.quality_report.is_file()


def test_quality_command_exit_code_follows_critical_rules(
    lake: LocalLake, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    # The lake's data ends on AS_OF: audit as of that day, whatever day the test runs.
    as_of = ("--date", AS_OF.isoformat())
    ok = run_cli("--lake", str(lake.root), "quality", "--reports", str(reports), *as_of)
    assert "row_count" in ok.stdout and "Traceback" not in ok.stderr
    assert (reports / "quality" / AS_OF.isoformat() / "index.html").is_file()

    folder = params_with_transactions_minimum(tmp_path / "params", IMPOSSIBLE_ROWS, "critical")
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    failing = run_cli("--lake", str(lake.root), "quality", "--format", "json", *as_of, check=False)
    assert failing.returncode == 1, failing.stderr
    report = json.loads(failing.stdout)
    assert report["status"] == "fail"
    assert any(
        r["rule"] == "row_count" and r["status"] == "fail" and r["observed"] < IMPOSSIBLE_ROWS
        for r in report["rules"]
    )
