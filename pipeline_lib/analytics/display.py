"""What analytics notebooks show: figures, tables, conclusions and provenance, as safe HTML.

Each function returns an object whose rich display is HTML in which every text that came
from the data (product names, categories, devices...) is escaped, so a name such as
``<script>`` shows as text in JupyterLab and in the HTML report. Figures are shown through
:func:`pipeline_lib.quality.charts.offline`: plotly JSON for JupyterLab and a ``div`` that
needs, but does not load, plotly.js (the report supplies it once, offline).

Numbers in sentences come from :func:`money`, :func:`count`, :func:`percent` and friends,
so that conclusions read the same in every report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.quality.charts import OfflineFigure, offline

if TYPE_CHECKING:
    from pipeline_lib.analytics.data import Analysis

#: Output metadata key of the report header; the reports index reads the title from it.
HEADER_KEY = "pipeline_lib.analytics"
#: Output metadata key of the conclusions; the reports index shows the first one.
CONCLUSIONS_KEY = "pipeline_lib.analytics.conclusions"
#: Column formats of :func:`table`.
FORMATS = ("money", "count", "percent", "ratio", "share", "number", "lift", "date", "text")
PALETTE = ("#1a73e8", "#e37400", "#1e8e3e", "#9334e6", "#d93025", "#12b5cb", "#f538a0")
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

_STYLE = (
    "<style>"
    ".analytics-table-wrap{max-height:560px;overflow:auto;border:1px solid #dadce0;"
    "margin:6px 0;}"
    ".analytics-table{border-collapse:collapse;font-size:13px;width:100%;}"
    ".analytics-table-wrap table.analytics-table th{position:sticky;top:0;background:#f1f3f4;}"
    ".analytics-table-wrap table.analytics-table th,.analytics-table-wrap table.analytics-table td"
    "{padding:4px 10px;border-bottom:1px solid #eceff1;vertical-align:top;text-align:left;}"
    ".analytics-table-wrap table.analytics-table .num{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap;}"
    ".analytics-conclusions{background:#e8f0fe;border-left:4px solid #1a73e8;"
    "padding:10px 18px;margin:8px 0;font-size:15px;line-height:1.5;}"
    ".analytics-header{font-family:" + FONT + ";color:#3c4043;font-size:14px;margin:4px 0 12px;}"
    ".analytics-provenance{font-size:12px;color:#5f6368;}"
    "</style>"
)


# --------------------------------------------------------------------------- numbers as text


def money(value: Optional[float], currency: str = "$") -> str:
    """``$1,234.50`` (``n/a`` for a missing value)."""
    if _missing(value):
        return "n/a"
    assert value is not None
    sign = "-" if value < 0 else ""
    return f"{sign}{currency}{abs(value):,.2f}"


def count(value: Optional[float]) -> str:
    """``12,345``."""
    return "n/a" if _missing(value) else f"{round(float(value or 0)):,}"


def plural(value: float, noun: str, nouns: Optional[str] = None) -> str:
    """``1 basket``, ``52 baskets`` (``nouns`` for an irregular plural)."""
    many = nouns or f"{noun}s"
    return f"{count(value)} {noun if round(float(value)) == 1 else many}"


def percent(value: Optional[float], digits: int = 1) -> str:
    """A value already in percent: ``12.3%``."""
    return "n/a" if _missing(value) else f"{float(value or 0):.{digits}f}%"


def ratio(value: Optional[float], digits: int = 1) -> str:
    """A share 0..1 as percent: ``0.123`` -> ``12.3%``."""
    return "n/a" if _missing(value) else f"{100 * float(value or 0):.{digits}f}%"


def change(value: Optional[float], digits: int = 1) -> str:
    """A change in percent with its sign: ``+4.2%``, ``-0.5%``."""
    return "n/a" if _missing(value) else f"{float(value or 0):+.{digits}f}%"


def number(value: Optional[float], digits: int = 2) -> str:
    """``1,234.57``."""
    return "n/a" if _missing(value) else f"{float(value or 0):,.{digits}f}"


def day(value: Any) -> str:
    """``2026-11-28 (Sat)``."""
    parsed = pd.Timestamp(value)
    return f"{parsed.date().isoformat()} ({parsed.strftime('%a')})"


def label(text: Any) -> str:
    """Text for a plotly label or hover: escaped, since plotly reads some HTML tags."""
    return html.escape(str(text), quote=False)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


# --------------------------------------------------------------------------- display objects


class Html:
    """A block of HTML (already escaped) with a plain-text twin."""

    def __init__(self, markup: str, text: str, metadata: Optional[dict[str, Any]] = None) -> None:
        self.markup = markup
        self.text = text
        self.metadata = metadata or {}

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"text/html": self.markup, "text/plain": self.text}, self.metadata


def figure(fig: go.Figure) -> OfflineFigure:
    """A plotly figure for the notebook and the offline HTML report."""
    return offline(fig)


def conclusions(sentences: Iterable[str]) -> Html:
    """What the data says, as a highlighted list; every sentence is escaped.

    Empty sentences are left out; with none, says that there is nothing to conclude.
    """
    kept = [s for s in sentences if s]
    if not kept:
        kept = ["Not enough data in this window to conclude anything."]
    items = "".join(f"<li>{html.escape(s)}</li>" for s in kept)
    markup = f'{_STYLE}<div class="analytics-conclusions"><ul>{items}</ul></div>'
    return Html(markup, "\n".join(f"- {s}" for s in kept), {CONCLUSIONS_KEY: kept})


def header(analysis: Analysis, title: str, **parameters: Any) -> Html:
    """The report's first line: title, as-of day, live run and the parameters used.

    The output's metadata carries them (``HEADER_KEY``) for the reports index.
    """
    shown = ", ".join(f"{k} = {_param_text(v)}" for k, v in parameters.items())
    run = analysis.run_id or "none"
    text = f"{title}: data as of {analysis.as_of.isoformat()} (run {run})"
    markup = (
        f'{_STYLE}<div class="analytics-header"><strong>{html.escape(title)}</strong> · data as '
        f"of {html.escape(analysis.as_of.isoformat())} · published run {html.escape(run)}"
        + (f" · {html.escape(shown)}" if shown else "")
        + "</div>"
    )
    metadata = {
        HEADER_KEY: {
            "title": title,
            "as_of": analysis.as_of.isoformat(),
            "run_id": analysis.run_id,
            "parameters": {k: _param_text(v) for k, v in parameters.items()},
        }
    }
    return Html(markup, text + (f"; {shown}" if shown else ""), metadata)


def provenance(analysis: Analysis) -> Html:
    """The named queries this analysis ran, with parameters, rows and bytes scanned."""
    rows = [
        {
            "query": record.name,
            "parameters": ", ".join(f"{k}={_param_text(v)}" for k, v in record.params.items()),
            "rows": record.rows,
            "seconds": record.seconds,
            "MiB scanned": record.bytes_scanned / 2**20,
        }
        for record in analysis.log
    ]
    frame = pd.DataFrame(rows, columns=["query", "parameters", "rows", "seconds", "MiB scanned"])
    published = f", published {analysis.published_at}" if analysis.published_at else ""
    intro = (
        f"Lake {analysis.lake.root}, run {analysis.run_id or 'none'}{published}; "
        f"CURRENT_DATE = {analysis.as_of.isoformat()}. The named queries are in sql/."
    )
    body = table_html(
        frame, formats={"rows": "count", "seconds": "number", "MiB scanned": "number"}
    )
    markup = f'<div class="analytics-provenance"><p>{html.escape(intro)}</p>{body}</div>'
    return Html(markup, intro)


def table(
    frame: pd.DataFrame,
    *,
    formats: Optional[Mapping[str, str]] = None,
    columns: Optional[Mapping[str, str]] = None,
    empty: str = "No rows",
) -> Html:
    """A frame as a compact HTML table, every cell escaped.

    Parameters
    ----------
    frame
        The rows to show (all of them).
    formats
        Column -> one of ``FORMATS``: ``money`` ($1,234.50), ``count`` (12,345),
        ``percent`` (a value in percent), ``ratio`` (a share 0..1 shown in percent, one
        decimal), ``share`` (the same with three decimals, for small shares such as
        support), ``number`` (2 decimals), ``lift`` (2 decimals and an ×), ``date``,
        ``text``.
        Numeric columns without one get ``number``.
    columns
        Column -> header text (default: the column name).
    empty
        Shown instead of an empty table.
    """
    markup = table_html(frame, formats=formats, columns=columns, empty=empty)
    return Html(markup, frame.to_string(index=False) if not frame.empty else empty)


def table_html(
    frame: pd.DataFrame,
    *,
    formats: Optional[Mapping[str, str]] = None,
    columns: Optional[Mapping[str, str]] = None,
    empty: str = "No rows",
) -> str:
    """The markup of :func:`table`."""
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    formats = dict(formats or {})
    unknown = sorted(set(formats.values()) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown table format {unknown[0]!r}; use one of {', '.join(FORMATS)}")
    names = dict(columns or {})
    kinds = {c: formats.get(c) or _default_format(frame[c]) for c in frame.columns}
    head = "".join(
        f"<th{_NUM if kinds[c] not in ('text', 'date') else ''}>"
        f"{html.escape(str(names.get(c, c)))}</th>"
        for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, row):
            kind = kinds[column]
            css = _NUM if kind not in ("text", "date") else ""
            cells.append(f"<td{css}>{html.escape(_cell(value, kind))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'{_STYLE}<div class="analytics-table-wrap"><table class="analytics-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


_NUM = ' class="num"'


def _default_format(series: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "number" if numeric else "text"


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "money":
        return money(value)
    if kind == "count":
        return count(value)
    if kind == "percent":
        return percent(value, 2)
    if kind == "ratio":
        return ratio(value, 1)
    if kind == "share":
        return ratio(value, 3)
    if kind == "lift":
        return f"{float(value):,.2f}×"
    if kind == "number":
        return number(value)
    if kind == "date" and isinstance(value, (date, datetime, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" else value
    return str(value)


# --------------------------------------------------------------------------- figures


def layout(fig: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    """The shared look of the analytics figures (white, compact, escaped title)."""
    fig.update_layout(
        title={"text": label(title), "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        font={"family": FONT, "size": 13},
        legend={"orientation": "h", "y": -0.18},
    )
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=label(message),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 16, "color": "#5f6368"},
    )
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, meta={"empty": True})
    return layout(fig, title, height=240)


def labels(values: Sequence[Any]) -> list[str]:
    """:func:`label` of each value."""
    return [label(v) for v in values]
