"""The data quality notebook as an HTML report, and the index of every report.

:func:`render_report` converts an executed ``notebooks/quality/data_quality.py`` (the copy
papermill keeps) into ``<reports_dir>/quality/<as_of>/index.html`` without the code cells,
then refreshes ``<reports_dir>/index.html`` (:func:`build_index`).

The reports work offline: the notebook's figures are plotly ``div`` s that do not load
plotly.js (see :func:`pipeline_lib.quality.charts.offline`); the report loads the plotly.js
bundled with the ``plotly`` package from ``<reports_dir>/quality/plotly-<version>.min.js``,
written once beside the reports (``inline=True`` embeds it in the page instead). The
nbconvert template drops its require.js, MathJax and Mermaid CDN scripts, which these
reports do not use.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Optional, Union
from urllib.parse import quote

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.quality.charts import STATUS_COLORS, SUMMARY_KEY, report_summary
from pipeline_lib.storage import Lake, atomic_write, open_lake

logger = logging.getLogger(__name__)

QUALITY_DIR = "quality"
RUNS_DIR = "runs"
REPORT_FILE = "index.html"
SUMMARY_FILE = "summary.json"
UNKNOWN = "unknown"

_TEMPLATE_NAME = "pipeline_quality_report.html.j2"
# The lab template, minus the scripts it would fetch from CDNs (none is needed here), plus
# plotly.js in the head so it is defined before any figure's script runs.
_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
{{ resources.plotly_js_tag }}
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
"""
_PLOTLY_CONFIG_TAG = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
# Scripts a plotly CDN renderer (fig.show() with "notebook_connected", "cdn") would leave in
# an output; plotly.js is already on the page, so they are dropped.
_CDN_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://cdn\.plot\.ly/[^\"']*[\"'][^>]*>\s*</script>"
    r"|<script\b[^>]*>\s*import\s+[\"']https?://cdn\.plot\.ly/[^\"']*[\"'];?\s*</script>",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReportEntry:
    """One quality report as the index lists it."""

    folder: str  # the as-of date, the folder's name
    status: str
    run_id: str
    path: Path

    @property
    def day(self) -> Optional[date]:
        try:
            return date.fromisoformat(self.folder)
        except ValueError:
            return None


def render_report(
    executed_notebook: Path,
    *,
    lake: Union[Lake, str, os.PathLike[str]],
    as_of: date,
    reports_dir: Path,
    inline: bool = False,
) -> Path:
    """Convert the executed quality notebook to ``<reports_dir>/quality/<as_of>/index.html``.

    Parameters
    ----------
    executed_notebook
        The ``.ipynb`` papermill wrote (``run_notebook(...).executed_path``).
    lake
        The lake the notebook audited. The status shown in the index comes from the
        notebook's banner output; if it has none (the notebook failed before it), from
        the lake's ``quality.json`` of the notebook's ``run_id`` parameter when saved.
    as_of
        The report's date: names its folder.
    reports_dir
        The reports root (``reports``).
    inline
        Embed plotly.js (about 5 MB) in the page, making it one self-contained file,
        instead of sharing ``<reports_dir>/quality/plotly-<version>.min.js``.

    Returns
    -------
    Path
        The written report. The index ``<reports_dir>/index.html`` is refreshed too.

    Raises
    ------
    PipelineError
        If the notebook cannot be read or converted (nothing is written then).
    """
    try:
        notebook = nbformat.read(str(executed_notebook), as_version=4)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise PipelineError(f"cannot read executed notebook {executed_notebook}: {exc}") from exc
    summary = _summary_from_outputs(notebook) or _summary_from_lake(lake, notebook)
    if summary is None:
        logger.warning(
            "no quality status in %s: the report is listed as unknown", executed_notebook
        )
        summary = {"status": UNKNOWN, "run_id": _notebook_parameter(notebook, "run_id") or ""}
    folder = reports_dir / QUALITY_DIR / as_of.isoformat()
    if inline:
        plotly_tag = f"{_PLOTLY_CONFIG_TAG}\n<script>{get_plotlyjs()}</script>"
    else:
        script = write_plotly_js(reports_dir / QUALITY_DIR)
        plotly_tag = (
            f"{_PLOTLY_CONFIG_TAG}\n"
            f'<script charset="utf-8" src="../{html.escape(quote(script.name))}"></script>'
        )
    exporter = report_exporter(_TEMPLATE_NAME, _TEMPLATE)
    title = f"Data quality {as_of.isoformat()}: {str(summary.get('status', UNKNOWN)).upper()}"
    notebook.metadata["title"] = title  # the template escapes it
    try:
        body, _ = exporter.from_notebook_node(
            notebook, resources={"plotly_js_tag": plotly_tag, "metadata": {"name": title}}
        )
    except Exception as exc:  # nbconvert/jinja errors: the caller sees one error type
        raise PipelineError(f"cannot convert {executed_notebook} to HTML: {exc}") from exc
    body, dropped = _CDN_SCRIPT.subn("", body)
    if dropped:
        logger.warning("dropped %d plotly CDN script(s) from %s", dropped, executed_notebook)
    target = folder / REPORT_FILE
    _write_text(target, body)
    record = {
        "as_of": as_of.isoformat(),
        "status": str(summary.get("status", UNKNOWN)),
        "run_id": str(summary.get("run_id", "")),
        "summary": dict(summary),
        "rendered_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notebook": str(executed_notebook),
    }
    _write_text(folder / SUMMARY_FILE, json.dumps(record, indent=2, default=str))
    logger.info("quality report %s (%s)", target, record["status"])
    build_index(reports_dir)
    return target


def report_exporter(template_name: str, template: str) -> HTMLExporter:
    """An nbconvert exporter for a report page: JupyterLab's look through ``template`` (a
    Jinja template extending it), outputs only (no code, no prompts)."""
    return HTMLExporter(
        template_name="lab",
        template_file=template_name,
        extra_loaders=[DictLoader({template_name: template})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def write_plotly_js(folder: Path) -> Path:
    """``<folder>/plotly-<version>.min.js`` from the plotly package, written when missing.

    The version is in the name so that reports rendered with an older plotly keep the
    bundle they were made with.
    """
    target = folder / f"plotly-{get_plotlyjs_version()}.min.js"
    if not target.is_file() or target.stat().st_size == 0:
        _write_text(target, get_plotlyjs())
    return target


def list_reports(reports_dir: Path) -> list[ReportEntry]:
    """Every ``<reports_dir>/quality/<as_of>/index.html``, newest date first.

    Folders whose name is not a date come last, by name.
    """
    root = reports_dir / QUALITY_DIR
    entries = []
    if root.is_dir():
        for folder in root.iterdir():
            page = folder / REPORT_FILE
            if not (folder.is_dir() and page.is_file()):
                continue
            record = _read_json(folder / SUMMARY_FILE)
            entries.append(
                ReportEntry(
                    folder=folder.name,
                    status=str(record.get("status") or UNKNOWN),
                    run_id=str(record.get("run_id") or ""),
                    path=page,
                )
            )
    dated = sorted((e for e in entries if e.day), key=lambda e: (e.day, e.folder), reverse=True)
    undated = sorted((e for e in entries if not e.day), key=lambda e: e.folder)
    return dated + undated


def list_run_notebooks(reports_dir: Path) -> list[tuple[str, list[Path]]]:
    """Run folders under ``<reports_dir>/runs/`` with their executed notebooks.

    Newest first: by the folder's modification time, then by name (run ids sort by time).
    """
    root = reports_dir / RUNS_DIR
    if not root.is_dir():
        return []
    runs = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.iterdir() if p.suffix in {".ipynb", ".html"})
        if files:
            runs.append((folder.stat().st_mtime, folder.name, files))
    runs.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [(name, files) for _, name, files in runs]


def build_index(reports_dir: Path) -> Path:
    """Write ``<reports_dir>/index.html``: every quality report and run notebook, newest first.

    Links the analytics reports' index (``analytics/index.html``) when there is one.

    Every name and status is HTML-escaped and every link URL-quoted.
    """
    reports = list_reports(reports_dir)
    runs = list_run_notebooks(reports_dir)
    rows = "\n".join(_report_row(reports_dir, e) for e in reports) or (
        '<tr><td colspan="4"><em>No quality reports yet.</em></td></tr>'
    )
    run_items = "\n".join(
        f"<li><strong>{html.escape(name)}</strong>: "
        + ", ".join(f'<a href="{_href(reports_dir, f)}">{html.escape(f.name)}</a>' for f in files)
        + "</li>"
        for name, files in runs
    )
    runs_section = f'<h2>Run notebooks</h2>\n<ul class="runs">\n{run_items}\n</ul>' if runs else ""
    analytics_section = (
        '<h2>Analytics reports</h2>\n<p><a href="analytics/index.html">Every analytics report'
        "</a>: the business questions, rendered after every publish.</p>"
        if (reports_dir / "analytics" / "index.html").is_file()
        else ""
    )
    badge_css = "\n".join(
        f".status-{html.escape(s)} {{ background: {c}; }}" for s, c in STATUS_COLORS.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline reports</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem;
       color: #202124; }}
table {{ border-collapse: collapse; }}
th, td {{ text-align: left; padding: 6px 14px; border-bottom: 1px solid #dadce0; }}
.status {{ color: #fff; border-radius: 4px; padding: 2px 8px; font-weight: 600;
          font-size: 0.85rem; text-transform: uppercase; }}
{badge_css}
</style>
</head>
<body>
<h1>Pipeline reports</h1>
<h2>Data quality</h2>
<table class="quality-reports">
<thead><tr><th>Date</th><th>Status</th><th>Run</th><th>Report</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
{analytics_section}
{runs_section}
</body>
</html>
"""
    target = reports_dir / "index.html"
    _write_text(target, page)
    logger.info("reports index %s: %d quality reports, %d runs", target, len(reports), len(runs))
    return target


def _report_row(reports_dir: Path, entry: ReportEntry) -> str:
    status = entry.status if entry.status in STATUS_COLORS else UNKNOWN
    return (
        f'<tr data-date="{html.escape(entry.folder)}">'
        f"<td>{html.escape(entry.folder)}</td>"
        f'<td><span class="status status-{html.escape(status)}">'
        f"{html.escape(entry.status)}</span></td>"
        f"<td>{html.escape(entry.run_id)}</td>"
        f'<td><a href="{_href(reports_dir, entry.path)}">report</a></td></tr>'
    )


def _href(reports_dir: Path, path: Path) -> str:
    relative = path.relative_to(reports_dir).as_posix()
    return html.escape(quote(relative), quote=True)


def _summary_from_outputs(notebook: nbformat.NotebookNode) -> Optional[dict[str, Any]]:
    """The last banner summary the notebook displayed (see ``charts.banner``)."""
    found: Optional[dict[str, Any]] = None
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            summary = output.get("metadata", {}).get(SUMMARY_KEY)
            if isinstance(summary, Mapping) and "status" in summary:
                found = dict(summary)
    return found


def _summary_from_lake(
    lake: Union[Lake, str, os.PathLike[str]], notebook: nbformat.NotebookNode
) -> Optional[dict[str, Any]]:
    run_id = _notebook_parameter(notebook, "run_id")
    if not run_id:
        return None
    try:
        from pipeline_lib.quality.audit import load_report

        report = load_report(lake if isinstance(lake, Lake) else open_lake(os.fspath(lake)), run_id)
    except Exception as exc:  # a missing or unreadable report leaves the status unknown
        logger.warning("no saved quality report for run %s: %s", run_id, exc)
        return None
    return report_summary(report)


def _notebook_parameter(notebook: nbformat.NotebookNode, name: str) -> Optional[str]:
    parameters = notebook.metadata.get("papermill", {}).get("parameters", {})
    value = parameters.get(name)
    return str(value) if value not in (None, "") else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_text(path: Path, text: str) -> None:
    """Write atomically, readable by all (a web server may serve the reports)."""
    data = text.encode("utf-8")

    def write(handle: BinaryIO) -> None:
        os.fchmod(handle.fileno(), 0o644)
        handle.write(data)

    atomic_write(path, write)
