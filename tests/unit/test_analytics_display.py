"""What analytics notebooks show: numbers as text, and HTML that escapes the data."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from pipeline_lib.analytics import display

HOSTILE = '<script>alert("x")</script>'


def markup(shown: Any) -> str:
    data, _ = shown._repr_mimebundle_()
    return str(data["text/html"])


def test_numbers_as_text() -> None:
    assert display.money(1234.5) == "$1,234.50"
    assert display.money(-3) == "-$3.00"
    assert display.count(12345.4) == "12,345"
    assert display.percent(12.345) == "12.3%"
    assert display.ratio(0.12345, 2) == "12.35%"
    assert display.change(4.21) == "+4.2%"
    assert display.number(1234.567) == "1,234.57"
    assert display.day(date(2026, 11, 28)) == "2026-11-28 (Sat)"
    assert display.plural(1, "basket") == "1 basket"
    assert display.plural(52, "basket") == "52 baskets"
    for missing in (None, math.nan, "x"):
        assert display.money(missing) == display.percent(missing) == "n/a"  # type: ignore[arg-type]


def test_conclusions_escape_every_sentence_and_carry_them_in_metadata() -> None:
    shown = display.conclusions([f"Best seller: {HOSTILE}", "", "Second."])
    data, metadata = shown._repr_mimebundle_()
    assert "<script>" not in data["text/html"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in data["text/html"]
    assert data["text/html"].count("<li>") == 2  # the empty sentence is left out
    assert metadata[display.CONCLUSIONS_KEY] == [f"Best seller: {HOSTILE}", "Second."]
    assert "Not enough data" in markup(display.conclusions([]))


def test_table_escapes_cells_and_headers_and_formats_columns() -> None:
    frame = pd.DataFrame(
        {
            "name": [HOSTILE, "Kettle"],
            "revenue": [1234.5, 2.0],
            "share": [0.5, 0.0004],
            "count": [1200, 3],
            "flag": [True, False],
            HOSTILE: ["a", "b"],
        }
    )
    html = markup(
        display.table(frame, formats={"revenue": "money", "share": "share", "count": "count"})
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 2  # one cell, one header
    assert "$1,234.50" in html and "1,200" in html and "0.040%" in html
    assert "<td>True</td>" in html  # a bool column is text, not a number
    assert '<td class="num">$2.00</td>' in html
    assert "No rows" in markup(display.table(frame.iloc[0:0]))
    with pytest.raises(ValueError, match="unknown table format 'euro'"):
        display.table(frame, formats={"revenue": "euro"})


def test_plotly_labels_are_escaped() -> None:
    assert display.label(HOSTILE) == '&lt;script&gt;alert("x")&lt;/script&gt;'
    fig = display.layout(go.Figure(), f"Top {HOSTILE}")
    assert "<script>" not in fig.layout.title.text
    empty = display.empty_figure("Nothing", HOSTILE)
    assert empty.layout.meta == {"empty": True}
    assert "<script>" not in empty.layout.annotations[0].text


def test_figure_output_has_no_plotly_js_and_no_cdn() -> None:
    data = display.figure(go.Figure(go.Bar(x=[HOSTILE], y=[1])))._repr_mimebundle_()
    html = data["text/html"]
    assert "cdn.plot.ly" not in html
    # plotly's JSON writes <, > and / as \u escapes: the name cannot close the script
    assert html.count("<script") == html.count("</script>") == 1
    assert "\\u003cscript\\u003e" in html
    assert "application/vnd.plotly.v1+json" in data
