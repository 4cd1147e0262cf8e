"""A run renders the analytics reports after its publish; `report` renders one on demand.

The lake's product names are markup (`<script>...`): the reports must show them as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline_lib.analytics.settings import notebook_names
from pipeline_lib.generators import GenerationResult
from pipeline_lib.orchestration.pipeline import ANALYTICS_STEP
from pipeline_lib.storage import LocalLake, Zone
from tests.integration.conftest import RunCli
from tests.lake_builder import AS_OF, build_lake

pytestmark = [pytest.mark.slow, pytest.mark.integration]

HOSTILE = "<script>alert(1)</script>"


def hostile_names(generated: GenerationResult) -> None:
    products_file = generated.files["products"]
    products = json.loads(products_file.read_text())
    for product in products:
        product["name"] = f"{HOSTILE} {product['name']}"
    products_file.write_text(json.dumps(products))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A lake published by a run with the analytics reports switched on."""
    root = tmp_path_factory.mktemp("analytics_reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_ANALYTICS_REPORTS", "on")  # tests/conftest.py turns them off
        build_lake(root, transactions=3000, edit=hostile_names)
    yield root


def test_the_run_rendered_every_report_after_its_publish(published: Path) -> None:
    record = json.loads(LocalLake(published / "lake").read_bytes(Zone.META, _run_record(published)))
    assert record["status"] == "succeeded"
    [step] = [s for s in record["steps"] if s["name"] == ANALYTICS_STEP]
    assert step["status"] == "succeeded", step["detail"]
    assert step["detail"].startswith(f"{len(notebook_names())} reports in ")
    assert record["steps"][-1]["name"] == ANALYTICS_STEP  # after the publish
    folder = published / "reports" / "analytics" / AS_OF.isoformat()
    for name in notebook_names():
        assert (folder / f"{name}.html").is_file() and (folder / f"{name}.ipynb").is_file()
        meta = json.loads((folder / f"{name}.json").read_text())
        assert meta["status"] == "ok" and meta["conclusions"], name
    latest = json.loads((published / "reports" / "analytics" / "latest.json").read_text())
    assert latest["as_of"] == AS_OF.isoformat()
    assert sorted(r["name"] for r in latest["reports"]) == notebook_names()
    root_index = (published / "reports" / "index.html").read_text()
    assert 'href="analytics/index.html"' in root_index


@pytest.mark.parametrize("name", notebook_names())
def test_each_report_is_offline_code_free_and_escapes_the_data(published: Path, name: str) -> None:
    page = (published / "reports" / "analytics" / AS_OF.isoformat() / f"{name}.html").read_text()
    assert "<script>alert(1)" not in page  # product names are data, shown as text
    assert "open_analysis(" not in page  # the code is not in the report
    assert not re.search(r"<script\b[^>]*\bsrc=[\"']?(https?:)?//", page)  # nothing from a CDN
    assert 'src="../plotly-' in page  # plotly.js from the reports folder
    assert page.count('class="plotly-graph-div"') >= 1
    assert 'class="analytics-conclusions"' in page
    assert "Where these numbers come from" in page


def test_the_recommendations_report_says_what_a_basket_is(published: Path) -> None:
    folder = published / "reports" / "analytics" / AS_OF.isoformat()
    page = (folder / "product_recommendations.html").read_text()
    text = " ".join(page.split())
    assert "A basket is the set of distinct products one customer bought in completed lines" in (
        text
    )
    meta = json.loads((folder / "product_recommendations.json").read_text())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the names, escaped
    assert (
        meta["conclusions"][0].endswith("baskets.") and " baskets hold " in meta["conclusions"][0]
    )
    assert any(s.startswith("Strongest: customers who bought ") for s in meta["conclusions"])


def test_report_renders_one_on_demand_with_parameters(published: Path, run_cli: RunCli) -> None:
    reports = published / "on-demand"
    done = run_cli(
        "--lake",
        str(published / "lake"),
        "report",
        "top_products_by_category",
        "--param",
        "days=7",
        "--param",
        "top_n=2",
        "--reports",
        str(reports),
        "--json",
    )
    record = json.loads(done.stdout)
    assert record["status"] == "ok"
    assert record["parameters"] == {
        "as_of": AS_OF.isoformat(),
        "env": "local",
        "days": 7,
        "top_n": 2,
    }
    assert record["conclusions"][0].startswith(tuple(_categories(published)))
    assert " the last 7 days " in record["conclusions"][0]
    assert Path(record["path"]).is_file()
    latest = json.loads((reports / "analytics" / "latest.json").read_text())
    assert [r["name"] for r in latest["reports"]] == ["top_products_by_category"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revenue"], "no analytics notebook 'revenue'"),
        (["revenue_trends", "--param", "days=many"], "parameter days: 'many' is not an integer"),
        (["revenue_trends", "--param", "lake=/tmp"], "lake is set by the command"),
    ],
)
def test_report_mistakes_are_one_line_errors(
    published: Path, run_cli: RunCli, args: list[str], message: str
) -> None:
    result = run_cli("--lake", str(published / "lake"), "report", *args, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_report_lists_the_reports_and_their_parameters(run_cli: RunCli) -> None:
    out = run_cli("report").stdout
    for name in notebook_names():
        assert name in out
    assert "min_support = None" in out and "_template" not in out


def _run_record(published: Path) -> str:
    runs = sorted((published / "lake" / "_meta" / "runs").glob("*/run.json"))
    assert len(runs) == 1
    return f"runs/{runs[0].parent.name}/run.json"


def _categories(published: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(published / "lake" / "_meta" / "catalog.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.sql("select distinct category from curated.products").fetchall()]
    finally:
        con.close()
