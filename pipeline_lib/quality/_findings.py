"""Every failed or warned rule and every anomaly as a card with a small SVG chart."""

from __future__ import annotations

import html

from pipeline_lib.quality._explain import rule_hint
from pipeline_lib.quality._model import FAIL, WARN, Anomaly, QualityReport, RuleResult
from pipeline_lib.quality._style import (
    BAND_COLOR,
    VALUE_COLOR,
    number,
    severity_color,
    status_color,
)

_FINDING_STYLE = (
    "<style>"
    ".quality-findings{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;}"
    ".quality-finding{border:1px solid #dadce0;border-left:6px solid var(--c);"
    "border-radius:6px;padding:10px 14px;margin:8px 0;display:flex;gap:16px;}"
    ".quality-finding svg{flex:0 0 auto;}"
    ".quality-finding .what{font-weight:600;margin-bottom:4px;}"
    ".quality-finding .badge{color:#fff;background:var(--c);border-radius:3px;"
    "padding:1px 6px;font-size:11px;margin-right:6px;text-transform:uppercase;}"
    ".quality-finding .next{color:#3c4043;margin-top:4px;}"
    "</style>"
)
SPARK_WIDTH, SPARK_HEIGHT = 220, 70


def _short(value: float) -> str:
    """A number for a small chart: 4 significant digits, thousands separated."""
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def _spark_y(value: float, low: float, high: float) -> float:
    top, bottom = 6.0, SPARK_HEIGHT - 6.0
    if high <= low:
        return (top + bottom) / 2
    clipped = min(max(value, low), high)
    return bottom - (clipped - low) / (high - low) * (bottom - top)


def anomaly_sparkline(anomaly: Anomaly) -> str:
    """A small SVG: the baseline points, the expected range (band), the observed value.

    An observed value far outside the range is drawn at the edge with an arrow and its
    value, so the history stays readable.
    """
    values = [v for _, v in anomaly.history]
    lows = [anomaly.low, anomaly.high, *values]
    bottom, top = min(lows), max(lows)
    if anomaly.low <= anomaly.observed <= anomaly.high or not values:
        bottom, top = min(bottom, anomaly.observed), max(top, anomaly.observed)
    pad = (top - bottom) * 0.1 or max(abs(top), 1.0) * 0.1
    bottom, top = bottom - pad, top + pad
    n = len(values) + 1
    step = (SPARK_WIDTH - 30) / max(n - 1, 1)
    xs = [8 + i * step for i in range(n)]
    band_top, band_bottom = _spark_y(anomaly.high, bottom, top), _spark_y(anomaly.low, bottom, top)
    parts = [
        f'<svg class="sparkline" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img" '
        f'aria-label="{html.escape(anomaly.metric)}: history, expected range, observed">',
        f'<rect x="0" y="{band_top:.1f}" width="{SPARK_WIDTH}" '
        f'height="{max(band_bottom - band_top, 1.0):.1f}" fill="{BAND_COLOR}"/>',
    ]
    if values:
        points = " ".join(f"{x:.1f},{_spark_y(v, bottom, top):.1f}" for x, v in zip(xs, values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{VALUE_COLOR}" stroke-width="1.5"/>'
        )
        parts += [
            f'<circle cx="{x:.1f}" cy="{_spark_y(v, bottom, top):.1f}" r="2" fill="{VALUE_COLOR}">'
            f"<title>{html.escape(d)}: {_short(v)}</title></circle>"
            for x, (d, v) in zip(xs, anomaly.history)
        ]
    x, y = xs[-1], _spark_y(anomaly.observed, bottom, top)
    color = severity_color(anomaly.severity)
    clipped = not (bottom <= anomaly.observed <= top)
    marker = (
        f'<path d="M{x - 5:.1f},{y + (6 if anomaly.observed > top else -6):.1f} L{x:.1f},{y:.1f} '
        f'L{x + 5:.1f},{y + (6 if anomaly.observed > top else -6):.1f}" fill="{color}"/>'
        if clipped
        else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
    )
    parts.append(marker)
    # The value beside its marker, inside the chart: under an arrow at the top edge,
    # above one at the bottom.
    label_y = y + 16 if clipped and anomaly.observed > top else y - 8 if clipped else y + 4
    parts.append(
        f'<text x="{x - 8:.1f}" y="{min(max(label_y, 10), SPARK_HEIGHT - 2):.1f}" '
        f'font-size="10" text-anchor="end" fill="{color}">'
        f"{html.escape(_short(anomaly.observed))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def rule_gauge(rule: RuleResult) -> str:
    """A small SVG bar: the rule's observed value against its threshold (when numeric)."""
    observed, threshold = number(rule.observed), number(rule.threshold)
    if observed is None or threshold is None:
        return ""
    top = max(observed, threshold) * 1.25 or 1.0
    width = SPARK_WIDTH - 20
    bar = max(observed, 0.0) / top * width
    tick = threshold / top * width
    color = status_color(rule.status)
    return (
        f'<svg class="gauge" width="{SPARK_WIDTH}" height="34" role="img" '
        f'aria-label="{html.escape(rule.rule)}: observed against threshold">'
        f'<rect x="10" y="8" width="{width}" height="12" fill="#f1f3f4"/>'
        f'<rect x="10" y="8" width="{bar:.1f}" height="12" fill="{color}"/>'
        f'<line x1="{10 + tick:.1f}" x2="{10 + tick:.1f}" y1="4" y2="24" stroke="#202124" '
        'stroke-width="2"/>'
        f'<text x="10" y="32" font-size="10" fill="#3c4043">'
        f"{html.escape(f'observed {_short(observed)}, threshold {_short(threshold)}')}</text></svg>"
    )


def _finding_card(
    color: str, badge: str, title: str, chart: str, text: str, next_steps: str
) -> str:
    return (
        f'<div class="quality-finding" style="--c:{color}">{chart}<div>'
        f'<div class="what"><span class="badge">{html.escape(badge)}</span>'
        f"{html.escape(title)}</div><div>{html.escape(text)}</div>"
        + (
            f'<div class="next"><b>Look at:</b> {html.escape(next_steps)}</div>'
            if next_steps
            else ""
        )
        + "</div></div>"
    )


def findings_html(report: QualityReport, *, max_findings: int = 60) -> str:
    """Every failed or warned rule and every anomaly as a card that explains itself.

    A card says what moved (or what broke), by how much, against which range from which
    history, and where to look next, beside a small chart: for an anomaly, its baseline
    points, expected range and the observed value; for a rule, the observed value against
    its threshold. Failures come first, then anomalies (newest day first), then warnings.
    Every text is escaped.
    """
    cards = []
    failed = [r for r in report.rules if r.status == FAIL]
    warned = [r for r in report.rules if r.status == WARN]
    for rule in failed:
        cards.append(_rule_card(rule))
    for anomaly in report.anomalies:
        title = f"{anomaly.metric} on {anomaly.day}: {anomaly.direction} its expected range"
        badge = {"mix": "mix shift", "run_rate": "run rate"}.get(anomaly.kind, "anomaly")
        cards.append(
            _finding_card(
                severity_color(anomaly.severity),
                badge,
                title,
                anomaly_sparkline(anomaly),
                anomaly.explanation,
                "",
            )
        )
    for rule in warned:
        cards.append(_rule_card(rule))
    if not cards:
        return (
            f'{_FINDING_STYLE}<p class="quality-findings"><em>Nothing to explain: every rule '
            "passed and no metric left its expected range.</em></p>"
        )
    more = len(cards) - max_findings
    shown = "".join(cards[:max_findings])
    tail = f"<p><em>… and {more} more findings: see the tables below.</em></p>" if more > 0 else ""
    return f'{_FINDING_STYLE}<div class="quality-findings">{shown}{tail}</div>'


def _rule_card(rule: RuleResult) -> str:
    title = f"{rule.rule} on {rule.subject}"
    hint = "" if "Look at" in rule.detail else rule_hint(rule.rule)
    return _finding_card(
        status_color(rule.status), rule.status, title, rule_gauge(rule), rule.detail, hint
    )


class HtmlBlock:
    """Displays ready-made (escaped) HTML."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


def findings(report: QualityReport) -> HtmlBlock:
    """The report's findings as cards, for a notebook cell (see :func:`findings_html`)."""
    return HtmlBlock(findings_html(report))
