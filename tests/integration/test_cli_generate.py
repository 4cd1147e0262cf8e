"""`ecom-pipeline generate` as a user runs it: files, summary, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.conftest import RunCli

pytestmark = pytest.mark.integration


def test_generate_writes_the_files_and_prints_a_summary(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = run_cli(
        "generate",
        "--out",
        str(out),
        "--transactions",
        "3000",
        "--products",
        "250",
        "--end-date",
        "2026-11-28",
        "--dirty-rate",
        "0.02",
        "--seed",
        "11",
    )
    names = ["transactions.csv", "products.json", "clickstream.json", "reviews.csv"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["end_date"] == "2026-11-28" and manifest["seed"] == 11
    assert manifest["injected"]["negative_amount"]["count"] == 60
    rows = manifest["rows"]
    assert rows["transactions"] == 3000 + 60  # plus the status-update rows
    assert rows["products"] == 250
    # The clickstream is a sample; the manifest says how to weight it back.
    clickstream = manifest["clickstream"]
    rates = clickstream["sampling"]["rate_by_deepest_step"]
    assert rates["purchase"] == rates["checkout_start"] == 1.0 and 0 < rates["page_view"] < 1
    assert (
        sum(clickstream["sessions"]["written_by_deepest_step"].values())
        == (clickstream["sessions"]["written"])
    )
    assert 0.01 <= clickstream["session_conversion"]["represented"] <= 0.05
    for dataset, name in zip(["transactions", "products", "clickstream", "reviews"], names):
        line = next(x for x in result.stdout.splitlines() if f" {dataset} " in x)
        assert name in line and f"{rows[dataset]:,}" in line
    assert f"manifest: {out / 'manifest.json'}" in result.stdout
    assert "Traceback" not in result.stderr


def test_generate_parquet_and_rerun_is_identical(run_cli: RunCli, tmp_path: Path) -> None:
    args = ["generate", "-n", "1500", "--products", "100", "--end-date", "2026-11-28"]
    run_cli(*args, "--out", str(tmp_path / "a"), "--format", "parquet")
    run_cli(*args, "--out", str(tmp_path / "b"), "--format", "parquet")
    for name in ("transactions", "products", "clickstream", "reviews"):
        first = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.parquet").read_bytes()
    assert pq.read_metadata(tmp_path / "a" / "transactions.parquet").num_rows == 1500


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--dirty-rate", "0.5", "--dirty-rate"),
        ("--end-date", "2026-02-30", "YYYY-MM-DD"),
        ("--format", "xml", "--format csv"),
        ("--transactions", "0", "--transactions"),
    ],
)
def test_bad_option_value_fails_with_one_line(
    run_cli: RunCli, tmp_path: Path, option: str, value: str, message: str
) -> None:
    result = run_cli("generate", "--out", str(tmp_path / "x"), option, value, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and message in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "x").exists()
