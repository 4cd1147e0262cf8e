"""Figures for the notebook and the offline HTML report: plotly JSON and a ``div``.

The ``div`` needs plotly.js but does not load it, so the executed notebook stays small and
never references a CDN; :func:`pipeline_lib.quality.report.render_report` supplies
plotly.js once per report.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
_CONFIG = {"displaylogo": False, "responsive": True}


def figure_div(fig: go.Figure, *, height: Optional[int] = None) -> str:
    """The figure as an HTML ``div`` plus the script that draws it, without plotly.js.

    The page must load plotly.js before (the HTML report does); no CDN or MathJax script
    is referenced.
    """
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config=_CONFIG,
            default_width="100%",
            default_height=height or fig.layout.height or 480,
            validate=False,
        )
    )


class OfflineFigure:
    """Displays a figure as plotly JSON (JupyterLab) and a plotly.js-free HTML ``div``."""

    def __init__(self, fig: go.Figure) -> None:
        self.fig = fig

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = json.loads(pio.to_json(self.fig, validate=False))
        payload["config"] = dict(_CONFIG)
        title = self.fig.layout.title.text or "figure"
        return {
            PLOTLY_MIMETYPE: payload,
            "text/html": figure_div(self.fig),
            "text/plain": f"<plotly figure: {title}>",
        }


def offline(fig: go.Figure) -> OfflineFigure:
    """Wrap a figure for display in the notebook and the offline HTML report."""
    return OfflineFigure(fig)
