"""`ecom-pipeline query` as a user runs it: list, run, formats, explain, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from pipeline_lib.generators import GenerationResult
from tests.integration.conftest import RunCli
from tests.lake_builder import build_lake

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli_query")
    return build_lake(root, transactions=2000, as_of=AS_OF).root


def test_help_shows_an_example(run_cli: RunCli) -> None:
    out = run_cli("query", "--help").stdout
    assert "Example: ecom-pipeline --lake lake query top_products" in out
    assert "--param" in out and "--explain" in out and "--format" in out


def test_without_a_name_lists_the_queries(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli("--lake", str(lake_dir), "query").stdout
    for name in ("top_products", "customer_ltv", "conversion_funnel", "daily_kpis"):
        assert name in out


def test_json_is_a_list_of_row_objects(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli(
        "--lake",
        str(lake_dir),
        "query",
        "top_products",
        "--param",
        "days=60",
        "-p",
        "top_n=5",
        "--format",
        "json",
    ).stdout
    rows = json.loads(out)
    assert isinstance(rows, list) and 0 < len(rows) <= 5
    assert list(rows[0]) == [
        "name",
        "category",
        "total_quantity",
        "total_revenue",
        "unique_customers",
    ]
    revenues = [r["total_revenue"] for r in rows]
    assert revenues == sorted(revenues, reverse=True)


def test_json_dates_and_nulls(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli("--lake", str(lake_dir), "query", "conversion_funnel", "-f", "json").stdout
    rows = json.loads(out)
    assert rows[0]["date"] == AS_OF.isoformat()
    assert [r["date"] for r in rows] == sorted((r["date"] for r in rows), reverse=True)


def test_csv_and_table(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli("--lake", str(lake_dir), "query", "customer_ltv", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["customer_segment"] for r in rows} <= {"High Value", "Medium Value", "Low Value"}
    assert sum(int(r["customer_count"]) for r in rows) > 0
    table = run_cli("--lake", str(lake_dir), "query", "revenue_by_category").stdout
    assert "revenue_share" in table and "current_date = 2026-11-28" in table


def test_as_of_pins_current_date(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli(
        "--lake",
        str(lake_dir),
        "query",
        "revenue_trend",
        "-p",
        "days=5",
        "--as-of",
        "2026-10-01",
        "-f",
        "json",
    ).stdout
    periods = [r["period"] for r in json.loads(out)]
    assert periods and max(periods) <= "2026-10-01" and min(periods) >= "2026-09-26"


def test_explain_prints_what_would_be_scanned(run_cli: RunCli, lake_dir: Path) -> None:
    out = run_cli("--lake", str(lake_dir), "query", "daily_kpis", "--explain").stdout
    assert "curated.transactions" in out and "cutoff of workgroup local" in out
    data = json.loads(
        run_cli("--lake", str(lake_dir), "query", "daily_kpis", "--explain", "-f", "json").stdout
    )
    (scan,) = data["scans"]
    assert data["within_cutoff"] is True and data["unfiltered_facts"] == []
    assert 0 < scan["partitions_read"] < scan["partitions_total"]
    assert 0 < scan["bytes_read"] < scan["bytes_total"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown query 'nope'"),
        (["daily_kpis", "--param", "days=abc"], "not a valid int"),
        (["daily_kpis", "--param", "days"], "write NAME=VALUE"),
        (["daily_kpis", "--param", "weeks=2"], "has no parameter weeks"),
        (["daily_kpis", "--format", "xml"], "unknown format"),
        (["daily_kpis", "--as-of", "yesterday"], "YYYY-MM-DD"),
    ],
)
def test_errors_are_one_line_and_exit_1(
    run_cli: RunCli, lake_dir: Path, args: list[str], message: str
) -> None:
    result = run_cli("--lake", str(lake_dir), "query", *args, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_lake_says_to_run_the_pipeline(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("--lake", str(tmp_path / "none"), "query", "customer_ltv", check=False)
    assert result.returncode == 1 and "ecom-pipeline run" in result.stderr


#: Product names a supplier's feed could carry: each is a formula to a spreadsheet.
HOSTILE_NAMES = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]


def name_products_with_formulas(generated: GenerationResult) -> None:
    products_file = generated.files["products"]
    products = json.loads(products_file.read_text())
    for i, product in enumerate(products):
        product["name"] = HOSTILE_NAMES[i % len(HOSTILE_NAMES)]
    products_file.write_text(json.dumps(products))


@pytest.fixture(scope="module")
def hostile_lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published lake whose product names are spreadsheet formulas."""
    root = tmp_path_factory.mktemp("cli_query_hostile")
    return build_lake(root, transactions=500, edit=name_products_with_formulas).root


def test_csv_neutralises_formulas_in_product_names(run_cli: RunCli, hostile_lake_dir: Path) -> None:
    args = ("--lake", str(hostile_lake_dir), "query", "top_products", "-p", "days=365")
    out = run_cli(*args, "--format", "csv").stdout
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == ["name", "category", "total_quantity", "total_revenue", "unique_customers"]
    assert rows
    for name, category, quantity, revenue, customers in rows:
        assert name[0] == "'" and name[1:] in HOSTILE_NAMES, name
        assert not category.startswith("'")
        assert float(revenue) > 0 and int(quantity) > 0 and int(customers) > 0  # still numbers
    assert {name[1:] for name, *_ in rows} == set(HOSTILE_NAMES)
    # Only the CSV for spreadsheets is escaped: JSON carries the names as they are.
    records = json.loads(run_cli(*args, "--format", "json").stdout)
    assert {r["name"] for r in records} == set(HOSTILE_NAMES)
