"""Analytics reports: each analytics notebook executed by papermill, rendered by nbconvert.

``render_report("revenue_trends", lake=...)`` runs ``notebooks/analytics/revenue_trends.py``
on the lake's live tables and writes, under ``<reports>/analytics/<as_of>/``::

    revenue_trends.ipynb   the executed notebook (every output: the report's audit trail)
    revenue_trends.html    the report: the notebook without its code, plotly charts offline
    revenue_trends.json    title, status, parameters, run, conclusions, timing

then refreshes the indexes: ``<as_of>/index.html`` (that day's reports),
``<reports>/analytics/index.html`` (every day, newest first), ``<reports>/analytics/
latest.json`` (the newest day's reports, which the dashboard links) and the reports root
``<reports>/index.html``. A run renders every report after its publish
(:func:`render_after_publish`); ``ecom-pipeline report NAME`` renders one on demand.

Every text from the data or the parameters is HTML-escaped in the indexes; the notebooks'
own outputs escape theirs (:mod:`pipeline_lib.analytics.display`).
"""

from __future__ import annotations

import ast
import html
import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Optional, Union
from urllib.parse import quote

import nbformat

from pipeline_lib.analytics.display import CONCLUSIONS_KEY, HEADER_KEY
from pipeline_lib.analytics.settings import (
    analytics_settings,
    notebook_names,
    notebooks_dir,
    reports_after_publish,
)
from pipeline_lib.catalog import CATALOG_KEY
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import PipelineError, ReportError
from pipeline_lib.storage import LocalLake, Zone, atomic_write

logger = logging.getLogger(__name__)

ANALYTICS_DIR = "analytics"
INDEX_FILE = "index.html"
LATEST_FILE = "latest.json"
OK, FAILED = "ok", "failed"

_TEMPLATE_NAME = "pipeline_analytics_report.html.j2"
# The lab template without its CDN scripts (require.js, MathJax, Mermaid: unused here),
# plotly.js in the head before any figure's script, and links back to the indexes.
_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<link rel="icon" href="data:,">
{{ resources.plotly_js_tag }}
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block body_header -%}
{{ super() }}
{{ resources.report_nav }}
{%- endblock body_header -%}
"""
_PLOTLY_CONFIG_TAG = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
_NAV_STYLE = (
    "font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px;"
    "padding:8px 0 0 8px;color:#5f6368;"
)


@dataclass(frozen=True)
class RenderedReport:
    """One analytics report, as its ``<name>.json`` records it."""

    name: str
    title: str
    as_of: str
    status: str
    html: str  # relative to <reports>/analytics/
    notebook: str  # relative to <reports>/analytics/
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    run_id: Optional[str] = None
    rendered_at: str = ""
    error: Optional[str] = None
    conclusions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass
class ReportBatch:
    """The reports one run (or one command) rendered."""

    reports: list[RenderedReport]
    index: Optional[Path] = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[RenderedReport]:
        return [r for r in self.reports if not r.ok]

    def summary(self) -> str:
        """``5 reports in 14.2 s: reports/analytics/index.html`` (naming failures)."""
        text = f"{len(self.reports)} reports in {self.seconds:.1f} s"
        if self.failed:
            names = ", ".join(f"{r.name} ({r.error})" for r in self.failed)
            text += f"; {len(self.failed)} failed: {names}"
        return text + (f": {self.index}" if self.index else "")


def analytics_root(reports_dir: Path) -> Path:
    """``<reports>/analytics``."""
    return reports_dir / ANALYTICS_DIR


def notebook_path(name: str) -> Path:
    """``notebooks/analytics/<name>.py``; ReportError naming the reports when unknown."""
    path = notebooks_dir() / f"{name}.py"
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise ReportError(
            f"no analytics notebook {name!r} in {notebooks_dir()}; reports: "
            f"{', '.join(notebook_names())}"
        )
    return path


#: Parameters every analytics notebook declares, which the command line sets itself.
RESERVED_PARAMETERS = ("lake", "as_of", "env")


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a notebook's ``parameters`` cell."""

    name: str
    default: Any
    help: str = ""


def notebook_parameters(name: str) -> list[NotebookParameter]:
    """The parameters an analytics notebook declares, with their defaults and comments."""
    from papermill.inspection import _infer_parameters

    from pipeline_lib.execution.notebooks import load_notebook

    found = []
    for parameter in _infer_parameters(load_notebook(notebook_path(name))):
        try:
            default = ast.literal_eval(parameter.default)
        except (ValueError, SyntaxError):
            default = parameter.default
        found.append(NotebookParameter(parameter.name, default, parameter.help or ""))
    return found


def convert_parameters(name: str, raw: Mapping[str, str]) -> dict[str, Any]:
    """Command-line ``NAME=VALUE`` texts as the types of the notebook's defaults.

    An int or float default converts the text to that type, a bool accepts true/false,
    a None default reads a Python literal (``0.0005``, ``None``) and keeps anything else
    as text.

    Raises
    ------
    ReportError
        For a parameter the notebook does not declare, one the command sets itself
        (lake, as_of, env), or a value of the wrong type.
    """
    declared = {p.name: p for p in notebook_parameters(name)}
    converted: dict[str, Any] = {}
    for key, text in raw.items():
        if key in RESERVED_PARAMETERS:
            raise ReportError(
                f"{key} is set by the command (--lake, --date, --env), not by --param"
            )
        if key not in declared:
            known = ", ".join(k for k in declared if k not in RESERVED_PARAMETERS) or "none"
            raise ReportError(f"report {name} has no parameter {key!r}; its parameters: {known}")
        converted[key] = _convert(key, text, declared[key].default)
    return converted


def _convert(key: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if text.strip().lower() not in ("true", "false"):
                raise ValueError(text)
            return text.strip().lower() == "true"
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, str):
            return text
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}
        raise ReportError(
            f"parameter {key}: {text!r} is not {kind.get(type(default), 'valid')}"
        ) from None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def render_report(
    name: str,
    *,
    lake: Union[LocalLake, str, os.PathLike[str]],
    reports_dir: Path = Path("reports"),
    as_of: Optional[date] = None,
    env: str = "local",
    parameters: Optional[Mapping[str, Any]] = None,
    update_index: bool = True,
) -> RenderedReport:
    """Execute one analytics notebook on the live tables and render its HTML report.

    Parameters
    ----------
    name
        A notebook of ``notebooks/analytics/`` (without ``.py``).
    lake
        The lake whose published tables the notebook reads.
    reports_dir
        The reports root; the report goes to ``<reports_dir>/analytics/<as_of>/``.
    as_of
        The day analysed, which names the folder; default the live run's date.
    env
        Whose ``params/<env>.yaml`` applies.
    parameters
        More notebook parameters (``days``, ``top_n``...); papermill refuses one the
        notebook's parameters cell does not declare.
    update_index
        Refresh the indexes afterwards (:func:`render_reports` does it once at the end).

    Returns
    -------
    RenderedReport
        Status ``failed`` (with the error) when a cell raised: the report then shows the
        outputs up to the failing cell. Never raises for a failing notebook.

    Raises
    ------
    ReportError
        Unknown notebook, or no published data in the lake.
    """
    from pipeline_lib.execution.notebooks import NotebookError, run_notebook
    from pipeline_lib.query import resolve_current_date

    path = notebook_path(name)
    lake = lake if isinstance(lake, LocalLake) else LocalLake(lake)
    if not lake.path(Zone.META, CATALOG_KEY).is_file():
        raise ReportError(
            f"lake {lake.root} has no published tables; run `ecom-pipeline demo` or "
            "`ecom-pipeline run` first"
        )
    day = as_of or resolve_current_date(lake)
    folder = analytics_root(reports_dir) / day.isoformat()
    values = {"lake": str(lake.root), "as_of": day.isoformat(), "env": env, **(parameters or {})}
    started = time.perf_counter()
    status, error = OK, None
    executed = folder / f"{name}.ipynb"
    try:
        run_notebook(path, output_dir=folder, parameters=values)
    except NotebookError as exc:
        status, error = FAILED, f"{exc.ename}: {exc.evalue}"
        logger.warning("analytics report %s failed: %s", name, exc)
    except PipelineError as exc:  # refused parameters: nothing was executed
        raise ReportError(str(exc)) from exc
    notebook = _read(executed)
    header = _output_metadata(notebook, HEADER_KEY) if notebook else None
    title = str((header or {}).get("title") or _first_heading(notebook) or name)
    report = RenderedReport(
        name=name,
        title=title,
        as_of=day.isoformat(),
        status=status,
        html=f"{day.isoformat()}/{name}.html",
        notebook=f"{day.isoformat()}/{name}.ipynb",
        seconds=round(time.perf_counter() - started, 3),
        parameters={k: v for k, v in values.items() if k != "lake"},
        run_id=(header or {}).get("run_id"),
        rendered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        error=error,
        conclusions=list(_output_metadata(notebook, CONCLUSIONS_KEY) or []) if notebook else [],
    )
    if notebook is not None:
        _write_text(folder / f"{name}.html", notebook_html(notebook, report, reports_dir))
    else:  # the kernel never started: a page that says so
        _write_text(folder / f"{name}.html", _failure_page(report))
    _write_text(folder / f"{name}.json", json.dumps(asdict(report), indent=2, default=str))
    logger.info("analytics report %s: %s", folder / f"{name}.html", status)
    if update_index:
        build_indexes(reports_dir)
    return report


def render_reports(
    names: Sequence[str],
    *,
    lake: Union[LocalLake, str, os.PathLike[str]],
    reports_dir: Path = Path("reports"),
    as_of: Optional[date] = None,
    env: str = "local",
    parallelism: int = 2,
) -> ReportBatch:
    """Render several reports, ``parallelism`` notebook kernels at a time; one index refresh."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = [
            pool.submit(
                render_report,
                name,
                lake=lake,
                reports_dir=reports_dir,
                as_of=as_of,
                env=env,
                update_index=False,
            )
            for name in names
        ]
        reports = [f.result() for f in futures]
    index = build_indexes(reports_dir)
    return ReportBatch(reports=reports, index=index, seconds=time.perf_counter() - started)


def render_after_publish(
    lake: LocalLake,
    settings: Settings,
    *,
    as_of: date,
    reports_dir: Path,
    parallelism: int = 2,
) -> Optional[ReportBatch]:
    """The reports a run renders once its tables are live (None when switched off).

    ``analytics.reports`` in params says which; ``PIPELINE_ANALYTICS_REPORTS=off`` skips
    them. Never raises: a report that cannot be rendered is a failed report in the batch
    (the data is published either way).
    """
    if not reports_after_publish(settings):
        return None
    names = analytics_settings(settings).report_notebooks()
    try:
        return render_reports(
            names,
            lake=lake,
            reports_dir=reports_dir,
            as_of=as_of,
            env=settings.env,
            parallelism=parallelism,
        )
    except Exception as exc:  # a broken report must not turn a published run into a failure
        logger.exception("analytics reports of %s were not rendered", as_of)
        failed = RenderedReport(
            name="analytics",
            title="analytics reports",
            as_of=as_of.isoformat(),
            status=FAILED,
            html="",
            notebook="",
            seconds=0.0,
            error=f"{type(exc).__name__}: {exc}",
        )
        return ReportBatch(reports=[failed])


# --------------------------------------------------------------------------- HTML


def notebook_html(
    notebook: nbformat.NotebookNode, report: RenderedReport, reports_dir: Path
) -> str:
    """The executed notebook as an HTML page without code, plotly.js from the reports folder."""
    from pipeline_lib.quality.report import report_exporter, write_plotly_js

    script = write_plotly_js(analytics_root(reports_dir))
    plotly_tag = (
        f"{_PLOTLY_CONFIG_TAG}\n"
        f'<script charset="utf-8" src="../{html.escape(quote(script.name))}"></script>'
    )
    status = "" if report.ok else f" · <strong>FAILED</strong>: {html.escape(report.error or '')}"
    nav = (
        f'<nav class="report-nav" style="{_NAV_STYLE}">'
        f'<a href="{INDEX_FILE}">Reports of {html.escape(report.as_of)}</a> · '
        f'<a href="../{INDEX_FILE}">all analytics reports</a> · '
        f'<a href="{html.escape(quote(report.name))}.ipynb">executed notebook</a>{status}</nav>'
    )
    exporter = report_exporter(_TEMPLATE_NAME, _TEMPLATE)
    title = f"{report.title} · {report.as_of}"
    notebook.metadata["title"] = title  # the template escapes it
    try:
        body, _ = exporter.from_notebook_node(
            notebook,
            resources={"plotly_js_tag": plotly_tag, "report_nav": nav, "metadata": {"name": title}},
        )
    except Exception as exc:  # nbconvert/jinja errors: one error type for callers
        raise ReportError(f"cannot convert report {report.name} to HTML: {exc}") from exc
    return str(body)


def _failure_page(report: RenderedReport) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(report.title)}</title></head><body>"
        f"<h1>{html.escape(report.title)}</h1><p>This report failed: "
        f"{html.escape(report.error or 'unknown error')}</p>"
        f'<p><a href="{INDEX_FILE}">Reports of {html.escape(report.as_of)}</a></p></body></html>'
    )


# --------------------------------------------------------------------------- indexes


def list_reports(reports_dir: Path) -> dict[str, list[RenderedReport]]:
    """Every recorded report by day (``YYYY-MM-DD``), newest day first, reports by name."""
    root = analytics_root(reports_dir)
    days: dict[str, list[RenderedReport]] = {}
    if not root.is_dir():
        return days
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
        if not _is_day(folder.name):
            continue
        reports = [r for r in (_load(p) for p in sorted(folder.glob("*.json"))) if r]
        if reports:
            days[folder.name] = reports
    return days


def build_indexes(reports_dir: Path) -> Path:
    """Write every day's ``index.html``, ``analytics/index.html`` and ``latest.json``.

    Also refreshes the reports root ``<reports>/index.html``, which links them.
    """
    from pipeline_lib.quality.report import build_index

    root = analytics_root(reports_dir)
    days = list_reports(reports_dir)
    for day, reports in days.items():
        _write_text(root / day / INDEX_FILE, _day_page(day, reports))
    _write_text(root / INDEX_FILE, _all_days_page(days))
    latest_day = next((d for d, rs in days.items() if any(r.ok for r in rs)), None)
    latest = {
        "as_of": latest_day,
        "index": f"{latest_day}/{INDEX_FILE}" if latest_day else None,
        "reports": [
            {
                "name": r.name,
                "title": r.title,
                "href": r.html,
                "status": r.status,
                "rendered_at": r.rendered_at,
                "headline": (r.conclusions or [""])[0],
            }
            for r in (days.get(latest_day, []) if latest_day else [])
        ],
    }
    _write_text(root / LATEST_FILE, json.dumps(latest, indent=2))
    build_index(reports_dir)
    return root / INDEX_FILE


_PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem;
       color: #202124; max-width: 1100px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 12px; border-bottom: 1px solid #dadce0;
         vertical-align: top; }
.status { color: #fff; border-radius: 4px; padding: 2px 8px; font-size: 0.8rem;
          font-weight: 600; text-transform: uppercase; }
.status-ok { background: #1e8e3e; } .status-failed { background: #c5221f; }
.headline { color: #3c4043; font-size: 0.9rem; }
.params { color: #5f6368; font-size: 0.85rem; }
"""


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{_PAGE_STYLE}</style>
</head>
<body>
{body}
</body>
</html>
"""


def _report_rows(reports: Sequence[RenderedReport], prefix: str) -> str:
    rows = []
    for r in reports:
        params = ", ".join(f"{k}={v}" for k, v in r.parameters.items() if k not in ("env",))
        headline = r.conclusions[0] if r.conclusions else (r.error or "")
        rows.append(
            f'<tr data-report="{html.escape(r.name)}">'
            f'<td><a href="{html.escape(quote(prefix + Path(r.html).name))}">'
            f"{html.escape(r.title)}</a>"
            f'<div class="headline">{html.escape(headline)}</div></td>'
            f'<td><span class="status status-{html.escape(r.status)}">{html.escape(r.status)}'
            f"</span></td>"
            f'<td class="params">{html.escape(params)}<br>run {html.escape(r.run_id or "")}, '
            f"rendered {html.escape(r.rendered_at)} in {r.seconds:.1f} s</td></tr>"
        )
    return "\n".join(rows)


def _day_page(day: str, reports: Sequence[RenderedReport]) -> str:
    body = (
        f"<h1>Analytics reports of {html.escape(day)}</h1>\n"
        f'<p><a href="../{INDEX_FILE}">All days</a></p>\n'
        "<table><thead><tr><th>Report</th><th>Status</th><th>Parameters</th></tr></thead>"
        f"<tbody>\n{_report_rows(reports, '')}\n</tbody></table>"
    )
    return _page(f"Analytics reports {day}", body)


def _all_days_page(days: Mapping[str, Sequence[RenderedReport]]) -> str:
    sections = [
        f'<h2><a href="{html.escape(quote(day))}/{INDEX_FILE}">{html.escape(day)}</a></h2>\n'
        "<table><thead><tr><th>Report</th><th>Status</th><th>Parameters</th></tr></thead>"
        f"<tbody>\n{_report_rows(reports, quote(day) + '/')}\n</tbody></table>"
        for day, reports in days.items()
    ]
    body = "<h1>Analytics reports</h1>\n" + (
        "\n".join(sections)
        or "<p><em>No analytics reports yet: a run renders them after its publish, "
        "<code>ecom-pipeline report NAME</code> on demand.</em></p>"
    )
    return _page("Analytics reports", body)


# --------------------------------------------------------------------------- helpers


def _read(path: Path) -> Optional[nbformat.NotebookNode]:
    if not path.is_file():
        return None
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        logger.warning("cannot read executed notebook %s: %s", path, exc)
        return None


def _output_metadata(notebook: Optional[nbformat.NotebookNode], key: str) -> Any:
    """The first output metadata value under ``key`` (see pipeline_lib.analytics.display)."""
    for cell in notebook.cells if notebook else []:
        for output in cell.get("outputs", []):
            value = output.get("metadata", {}).get(key)
            if value is not None:
                return value
    return None


def _first_heading(notebook: Optional[nbformat.NotebookNode]) -> Optional[str]:
    for cell in notebook.cells if notebook else []:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def _load(path: Path) -> Optional[RenderedReport]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = set(RenderedReport.__dataclass_fields__)
        return RenderedReport(**{k: v for k, v in data.items() if k in known})
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("skipping report record %s: %s", path, exc)
        return None


def _is_day(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _write_text(path: Path, text: str) -> None:
    """Write atomically, readable by all (a web server may serve the reports)."""
    data = text.encode("utf-8")

    def write(handle: BinaryIO) -> None:
        os.fchmod(handle.fileno(), 0o644)
        handle.write(data)

    atomic_write(path, write)
