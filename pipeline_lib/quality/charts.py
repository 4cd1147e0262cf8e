"""Figures and tables of the data quality notebook: data in, plotly figures or HTML out.

Every ``*_figure`` function is pure (DataFrames, accounting entries or a
:class:`QualityReport` in, a ``plotly.graph_objects.Figure`` out), so the notebook stays
thin and the figures are testable without a kernel. Each trace carries a ``meta`` mapping
(``{"role": ..., "metric": ...}``) naming what it draws.

The notebook shows figures through :func:`offline`: the output holds the plotly JSON (for
JupyterLab) and an HTML ``div`` that needs plotly.js but does not load it, so the executed
notebook stays small and never references a CDN. :func:`pipeline_lib.quality.report.render_report`
supplies plotly.js once per report. Every text that goes into HTML is escaped.

This module is the notebook's one import; each part lives in a module of its own:

- ``_history_chart``: each key metric by day, its expected band, its anomalies;
- ``_null_rates``: null percentages per checked column;
- ``_accounting_charts``: rejected rows by reason, the row reconciliation per stage;
- ``_rule_tables``: rules, anomalies and unjudged metrics as frames and HTML tables;
- ``_findings``: every problem as a card with a small chart;
- ``_banner``: the pass/warn/fail banner and the summary the reports index reads;
- ``_offline``: figures as plotly JSON and a plotly.js-free ``div``;
- ``_style``: the colours and number formats they share.
"""

from __future__ import annotations

from pipeline_lib.quality._accounting_charts import (
    RECONCILIATION_MEASURES,
    reconciliation_figure,
    reconciliation_frame,
    reject_reasons_figure,
    reject_reasons_frame,
)
from pipeline_lib.quality._banner import (
    STATUS_HEADLINES,
    SUMMARY_KEY,
    StatusBanner,
    banner,
    report_summary,
    status_banner_html,
)
from pipeline_lib.quality._findings import (
    SPARK_HEIGHT,
    SPARK_WIDTH,
    HtmlBlock,
    anomaly_sparkline,
    findings,
    findings_html,
    rule_gauge,
)
from pipeline_lib.quality._history_chart import history_figure
from pipeline_lib.quality._null_rates import null_rates_figure, null_rates_frame
from pipeline_lib.quality._offline import PLOTLY_MIMETYPE, OfflineFigure, figure_div, offline
from pipeline_lib.quality._rule_tables import (
    UNJUDGED_REASONS,
    HtmlTable,
    anomalies_frame,
    rules_frame,
    table,
    table_html,
    unjudged_frame,
)
from pipeline_lib.quality._style import (
    BAND_COLOR,
    SEVERITY_COLORS,
    STATUS_COLORS,
    STATUS_ORDER,
    VALUE_COLOR,
)

__all__ = [
    "BAND_COLOR",
    "PLOTLY_MIMETYPE",
    "RECONCILIATION_MEASURES",
    "SEVERITY_COLORS",
    "SPARK_HEIGHT",
    "SPARK_WIDTH",
    "STATUS_COLORS",
    "STATUS_HEADLINES",
    "STATUS_ORDER",
    "SUMMARY_KEY",
    "UNJUDGED_REASONS",
    "VALUE_COLOR",
    "HtmlBlock",
    "HtmlTable",
    "OfflineFigure",
    "StatusBanner",
    "anomalies_frame",
    "anomaly_sparkline",
    "banner",
    "figure_div",
    "findings",
    "findings_html",
    "history_figure",
    "null_rates_figure",
    "null_rates_frame",
    "offline",
    "reconciliation_figure",
    "reconciliation_frame",
    "reject_reasons_figure",
    "reject_reasons_frame",
    "report_summary",
    "rule_gauge",
    "rules_frame",
    "status_banner_html",
    "table",
    "table_html",
    "unjudged_frame",
]
