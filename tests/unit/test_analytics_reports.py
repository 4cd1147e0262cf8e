"""Analytics reports: notebook parameters from the command line, and the indexes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from pipeline_lib.analytics.reports import (
    FAILED,
    OK,
    RenderedReport,
    ReportError,
    build_indexes,
    convert_parameters,
    list_reports,
    notebook_parameters,
    notebook_path,
    render_report,
)
from pipeline_lib.analytics.settings import notebook_names
from pipeline_lib.storage import LocalLake

HOSTILE = '<img src=x onerror="alert(1)">'


def test_every_report_declares_the_parameters_the_run_passes() -> None:
    for name in [*notebook_names(), "_template"]:
        declared = {p.name: p.default for p in notebook_parameters(name)}
        assert {"lake", "as_of", "env"} <= set(declared), name
        assert (declared["lake"], declared["as_of"], declared["env"]) == ("lake", "", "local")


def test_parameters_are_converted_to_the_defaults_types() -> None:
    converted = convert_parameters(
        "product_recommendations",
        {"top_n": "5", "product_id": "prod_1", "min_support": "0.0005", "min_lift": "None"},
    )
    assert converted == {
        "top_n": 5,
        "product_id": "prod_1",
        "min_support": 0.0005,
        "min_lift": None,
    }
    assert convert_parameters("top_products_by_category", {"category": "42"}) == {"category": "42"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"top_n": "five"}, "parameter top_n: 'five' is not an integer"),
        ({"topn": "5"}, "has no parameter 'topn'; its parameters: product_id, top_n"),
        ({"lake": "/elsewhere"}, "lake is set by the command"),
        ({"as_of": "2026-01-01"}, "as_of is set by the command"),
    ],
)
def test_bad_parameters_are_refused(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ReportError, match=message):
        convert_parameters("product_recommendations", raw)


@pytest.mark.parametrize("name", ["nope", "../etl/transaction_etl", ".hidden", "revenue_trends.py"])
def test_only_analytics_notebooks_are_reports(name: str) -> None:
    with pytest.raises(ReportError, match=r"no analytics notebook .*reports: customer_value"):
        notebook_path(name)


def test_a_lake_without_published_tables_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="has no published tables; run `ecom-pipeline demo`"):
        render_report(
            "revenue_trends", lake=LocalLake(tmp_path / "lake"), reports_dir=tmp_path / "reports"
        )


def record(reports: Path, day: str, name: str, status: str = OK, **extra: object) -> None:
    report = RenderedReport(
        name=name,
        title=extra.pop("title", name.title()),
        as_of=day,
        status=status,  # type: ignore[arg-type]
        html=f"{day}/{name}.html",
        notebook=f"{day}/{name}.ipynb",
        seconds=1.5,
        parameters=extra.pop("parameters", {"days": 30}),  # type: ignore[arg-type]
        run_id="run-1",
        rendered_at=f"{day}T03:00:00+00:00",
        conclusions=extra.pop("conclusions", [f"{name} headline"]),  # type: ignore[arg-type]
        error=None if status == OK else "ValueError: boom",
    )
    folder = reports / "analytics" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(asdict(report)), encoding="utf-8")
    (folder / f"{name}.html").write_text("<html></html>", encoding="utf-8")


def test_indexes_list_every_day_newest_first_and_latest_names_the_newest_good_day(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    record(reports, "2026-11-27", "revenue_trends")
    record(
        reports,
        "2026-11-28",
        "revenue_trends",
        title=f"Revenue {HOSTILE}",
        parameters={"category": HOSTILE},
        conclusions=[f"Up 3% {HOSTILE}"],
    )
    record(reports, "2026-11-28", "customer_value", status=FAILED)
    record(reports, "2026-11-29", "funnel_by_device", status=FAILED)  # nothing good that day
    (reports / "analytics" / "not-a-day").mkdir()

    index = build_indexes(reports)

    assert list(list_reports(reports)) == ["2026-11-29", "2026-11-28", "2026-11-27"]
    page = index.read_text(encoding="utf-8")
    assert page.index("2026-11-29") < page.index("2026-11-28") < page.index("2026-11-27")
    assert 'href="2026-11-28/revenue_trends.html"' in page
    assert HOSTILE not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    day = (reports / "analytics" / "2026-11-28" / "index.html").read_text(encoding="utf-8")
    assert 'href="revenue_trends.html"' in day and 'class="status status-failed"' in day
    assert HOSTILE not in day
    latest = json.loads((reports / "analytics" / "latest.json").read_text(encoding="utf-8"))
    assert latest["as_of"] == "2026-11-28" and latest["index"] == "2026-11-28/index.html"
    assert [(r["name"], r["status"]) for r in latest["reports"]] == [
        ("customer_value", FAILED),
        ("revenue_trends", OK),
    ]
    assert latest["reports"][1]["headline"] == f"Up 3% {HOSTILE}"  # JSON: the page escapes it
    root = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="analytics/index.html"' in root


def test_no_reports_yet(tmp_path: Path) -> None:
    index = build_indexes(tmp_path / "reports")
    assert "No analytics reports yet" in index.read_text(encoding="utf-8")
    latest = json.loads((tmp_path / "reports" / "analytics" / "latest.json").read_text())
    assert latest == {"as_of": None, "index": None, "reports": []}
