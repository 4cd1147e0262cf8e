"""The quality notebook as an offline HTML report, and the reports index."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
import pytest
from plotly.offline import get_plotlyjs_version

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.execution.notebooks import run_notebook
from pipeline_lib.quality import QualityReport, RuleResult, charts
from pipeline_lib.quality.report import build_index, list_reports, render_report

AS_OF = date(2026, 11, 28)
HOSTILE = '<img src=x onerror="alert(1)">'
PLOTLY_JS = f"plotly-{get_plotlyjs_version()}.min.js"
EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(https?:)?//", re.IGNORECASE)

TINY_NOTEBOOK = """\
# %% [markdown]
# # Tiny quality report

# %% tags=["parameters"]
run_id = "r1"
failing = False

# %%
import pandas as pd
from pipeline_lib.quality import Anomaly, QualityReport, RuleResult, charts

SECRET_INPUT_MARKER = "this code must not be in the report"
status = "fail" if failing else "pass"
rules = [
    RuleResult("null_pct", "curated.transactions", "critical", status, 3.5, 1.0, "customer_id"),
    RuleResult("row_count", "curated.products", "critical", "pass", 200, 10),
]
anomalies = [Anomaly("revenue", "2026-11-27", 10.0, 100.0, 80.0, 120.0, "below", "drop")]
report = QualityReport(run_id=run_id, as_of="2026-11-28", rules=rules, anomalies=anomalies)
charts.banner(report)

# %%
history = pd.DataFrame({
    "day": [d.date().isoformat() for d in pd.date_range("2026-11-20", periods=8)],
    "metric": "revenue",
    "value": [100, 101, 99, 102, 98, 100, 100, 10],
})
charts.offline(charts.history_figure(history, report.anomalies))

# %%
charts.offline(charts.null_rates_figure(report.rules))

# %%
charts.table(charts.rules_frame(report))
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small notebook using the charts, executed by papermill as the pipeline does."""
    folder = tmp_path_factory.mktemp("tiny_quality")
    source = folder / "tiny_quality.py"
    source.write_text(TINY_NOTEBOOK, encoding="utf-8")
    run = run_notebook(
        source, output_dir=folder / "out", parameters={"run_id": "r1", "failing": True}
    )
    return run.executed_path


@pytest.fixture(scope="module")
def rendered(executed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    return render_report(executed, lake=reports / "no-lake", as_of=AS_OF, reports_dir=reports)


def constructed(path: Path, *outputs: dict[str, Any], run_id: str = "r1") -> Path:
    """An 'executed' notebook written directly: a heading and one code cell with outputs."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["papermill"] = {"parameters": {"run_id": run_id}}
    cell = nbformat.v4.new_code_cell("SECRET_INPUT_MARKER = 1")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Quality"), cell]
    nbformat.write(notebook, str(path))
    return path


def banner_output(status: str, run_id: str = "r1") -> dict[str, Any]:
    rule_status = {"pass": "pass", "warn": "warn", "fail": "fail"}[status]
    severity = "warning" if status == "warn" else "critical"
    rep = QualityReport(
        run_id=run_id,
        as_of="2026-11-28",
        rules=[RuleResult("row_count", "curated.products", severity, rule_status, 1, 10)],
    )
    data, metadata = charts.banner(rep)._repr_mimebundle_()
    return {"output_type": "display_data", "data": data, "metadata": metadata}


# ------------------------------------------------------------------------ rendering


def test_report_has_status_figures_and_no_code(rendered: Path) -> None:
    assert rendered.parts[-3:] == ("quality", "2026-11-28", "index.html")
    page = rendered.read_text(encoding="utf-8")
    assert 'class="quality-banner" data-status="fail"' in page
    assert ">FAIL<" in page
    assert "<title>Data quality 2026-11-28: FAIL</title>" in page
    assert page.count('class="plotly-graph-div"') == 2
    assert "Plotly.newPlot" in page
    assert "SECRET_INPUT_MARKER" not in page  # --no-input
    assert "import pandas" not in page
    assert "Tiny quality report" in page  # markdown stays
    summary = json.loads((rendered.parent / "summary.json").read_text())
    assert (summary["status"], summary["run_id"], summary["as_of"]) == ("fail", "r1", "2026-11-28")


def test_report_works_offline(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    assert "cdn.plot.ly" not in page
    assert not EXTERNAL_SCRIPT.search(page), EXTERNAL_SCRIPT.findall(page)
    # plotly.js is shipped once beside the reports and loaded before the figures
    assert f'<script charset="utf-8" src="../{PLOTLY_JS}"></script>' in page
    assert page.index(PLOTLY_JS) < page.index("Plotly.newPlot")
    bundle = rendered.parent.parent / PLOTLY_JS
    assert bundle.stat().st_size > 1_000_000
    assert bundle.read_text(encoding="utf-8")[:200].find("plotly.js") >= 0


def test_report_inline_embeds_plotlyjs_once(executed: Path, tmp_path: Path) -> None:
    page = render_report(
        executed, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path, inline=True
    ).read_text(encoding="utf-8")
    assert page.count(f"plotly.js v{get_plotlyjs_version()}") == 1
    assert "<script src" not in page and 'src="../' not in page
    assert not (tmp_path / "quality" / PLOTLY_JS).exists()
    assert len(page) > 1_000_000


def test_render_overwrites_a_days_report_atomically(executed: Path, tmp_path: Path) -> None:
    first = render_report(executed, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path)
    again = render_report(executed, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path)
    assert first == again
    assert sorted(p.name for p in first.parent.iterdir()) == ["index.html", "summary.json"]
    assert first.stat().st_mode & 0o777 == 0o644


def test_render_drops_plotly_cdn_scripts(tmp_path: Path) -> None:
    cdn = (
        '<script charset="utf-8" src="https://cdn.plot.ly/plotly-3.1.0.min.js" '
        'integrity="sha256-x" crossorigin="anonymous"></script><div id="kept">figure</div>'
    )
    nb = constructed(
        tmp_path / "nb.ipynb",
        banner_output("pass"),
        {"output_type": "display_data", "data": {"text/html": cdn}, "metadata": {}},
    )
    page = render_report(nb, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "cdn.plot.ly" not in text
    assert '<div id="kept">figure</div>' in text


def test_render_without_banner_lists_the_report_as_unknown(tmp_path: Path) -> None:
    stream = {"output_type": "stream", "name": "stdout", "text": "the notebook failed early"}
    nb = constructed(tmp_path / "nb.ipynb", stream, run_id="nothing-saved")
    page = render_report(nb, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path)
    assert "the notebook failed early" in page.read_text(encoding="utf-8")
    [entry] = list_reports(tmp_path)
    assert (entry.status, entry.run_id) == ("unknown", "nothing-saved")


def test_render_of_an_unreadable_notebook_raises_a_pipeline_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(PipelineError, match="cannot read executed notebook"):
        render_report(broken, lake=tmp_path / "lake", as_of=AS_OF, reports_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------------ index


@pytest.fixture
def reports(tmp_path: Path) -> Iterator[Path]:
    """Three days of reports rendered out of order, plus two runs' executed notebooks."""
    for day, status in (("2026-11-26", "pass"), ("2026-11-28", "fail"), ("2026-11-27", "warn")):
        run_id = HOSTILE if day == "2026-11-27" else f"run-{day}"
        nb = constructed(tmp_path / f"{day}.ipynb", banner_output(status, run_id=run_id))
        render_report(
            nb,
            lake=tmp_path / "lake",
            as_of=date.fromisoformat(day),
            reports_dir=tmp_path / "reports",
        )
    runs = tmp_path / "reports" / "runs"
    for name, stamp in (("20261127T070000Z-aaaaaa", 1_000), (HOSTILE, 2_000)):
        folder = runs / name
        folder.mkdir(parents=True)
        (folder / "transaction_etl.ipynb").write_text("{}")
        (folder / "a&b<i>.ipynb").write_text("{}")
        os.utime(folder, (stamp, stamp))
    build_index(tmp_path / "reports")
    yield tmp_path / "reports"


def test_index_lists_reports_newest_first_with_status_and_links(reports: Path) -> None:
    page = (reports / "index.html").read_text(encoding="utf-8")
    dates = re.findall(r'<tr data-date="([^"]+)">', page)
    assert dates == ["2026-11-28", "2026-11-27", "2026-11-26"]
    for day, status in (("2026-11-28", "fail"), ("2026-11-27", "warn"), ("2026-11-26", "pass")):
        row = page[page.index(f'data-date="{day}"') :].split("</tr>", 1)[0]
        assert f'class="status status-{status}">{status}</span>' in row
        assert f'href="quality/{day}/index.html"' in row
        assert (reports / "quality" / day / "index.html").is_file()


def test_index_escapes_names_and_quotes_links(reports: Path) -> None:
    page = (reports / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "a&b<i>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page  # run id and run folder
    assert "a&amp;b&lt;i&gt;.ipynb" in page
    assert 'href="runs/%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E/' in page
    assert "a%26b%3Ci%3E.ipynb" in page


def test_index_lists_run_notebooks_newest_first(reports: Path) -> None:
    page = (reports / "index.html").read_text(encoding="utf-8")
    runs = page[page.index("<h2>Run notebooks</h2>") :]
    assert runs.index("&lt;img") < runs.index("20261127T070000Z-aaaaaa")  # newer mtime first
    assert 'href="runs/20261127T070000Z-aaaaaa/transaction_etl.ipynb"' in runs


def test_index_without_reports(tmp_path: Path) -> None:
    page = build_index(tmp_path).read_text(encoding="utf-8")
    assert "No quality reports yet" in page
    assert "Run notebooks" not in page


# ------------------------------------------------------------------------ in a browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.mark.browser
def test_report_figures_render_in_chromium_without_network(rendered: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: run `make browser`")
    sync_api = pytest.importorskip("playwright.sync_api")
    blocked: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            def offline(route: Any) -> None:
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            page.route("**/*", offline)
            page.goto(rendered.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.plotly-graph-div .main-svg').length > 0",
                timeout=30_000,
            )
            drawn = page.evaluate(
                "[...document.querySelectorAll('.plotly-graph-div')]"
                ".map(d => d.querySelectorAll('.main-svg').length > 0)"
            )
        finally:
            browser.close()
    assert drawn == [True, True]
    assert blocked == []
    assert errors == []
