"""The look shared by the quality figures and tables: status colours and order, numbers.

Used by the chart modules behind :mod:`pipeline_lib.quality.charts`; every text that goes
into HTML is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Optional

import pandas as pd
import plotly.graph_objects as go

from pipeline_lib.quality._model import FAIL, PASS, WARN, WARNING

STATUS_COLORS = {PASS: "#1e8e3e", WARN: "#e37400", FAIL: "#c5221f", "unknown": "#5f6368"}
SEVERITY_COLORS = {"critical": STATUS_COLORS[FAIL], WARNING: STATUS_COLORS[WARN]}
BAND_COLOR = "rgba(26, 115, 232, 0.15)"
VALUE_COLOR = "#1a73e8"
#: Worst first: how tables and lists order rule outcomes.
STATUS_ORDER = {FAIL: 0, WARN: 1, PASS: 2}


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure without data that says why (``layout.meta["empty"]`` is True)."""
    fig = go.Figure()
    fig.add_annotation(
        text=html.escape(message),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 16, "color": "#5f6368"},
    )
    fig.update_layout(
        title=title,
        height=240,
        xaxis={"visible": False},
        yaxis={"visible": False},
        meta={"empty": True},
    )
    return fig


def status_color(status: str) -> str:
    """The colour of a rule status (grey for an unknown one)."""
    return STATUS_COLORS.get(status, STATUS_COLORS["unknown"])


def severity_color(severity: str) -> str:
    """The colour of a severity (a warning's for an unknown one)."""
    return SEVERITY_COLORS.get(severity, STATUS_COLORS[WARN])


def number(value: Any) -> Optional[float]:
    """``value`` as a float, or None when it is no number (booleans, text, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(result) else result


def display_value(value: Any) -> str:
    """Short text for a table cell: numbers formatted, mappings as ``k=v``, lists joined."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={display_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(display_value(v) for v in value)
    return str(value)
