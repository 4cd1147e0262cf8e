"""Figures for the notebook and the offline report: plotly JSON and a div without plotly.js."""

from __future__ import annotations

from pipeline_lib.quality._accounting_charts import reconciliation_figure
from pipeline_lib.quality._offline import PLOTLY_MIMETYPE, offline
from tests.unit.quality_reports import ACCOUNTING


def test_offline_figure_bundle_has_plotly_json_and_a_div_without_plotlyjs() -> None:
    fig = reconciliation_figure(ACCOUNTING)
    bundle = offline(fig)._repr_mimebundle_()
    payload = bundle[PLOTLY_MIMETYPE]
    assert len(payload["data"]) == 4
    assert payload["config"]["displaylogo"] is False
    div = bundle["text/html"]
    assert 'class="plotly-graph-div"' in div and "Plotly.newPlot" in div
    assert "cdn.plot.ly" not in div and "mathjax" not in div.lower()
    assert "<script src" not in div.replace("\n", " ")
    assert len(div) < 50_000  # plotly.js itself (~5 MB) is not embedded
