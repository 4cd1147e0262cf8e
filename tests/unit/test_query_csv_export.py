"""CSV cells for people: spreadsheet formulas are neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from pipeline_lib.query.csv_export import FORMULA_PREFIXES, escape_formula, to_csv


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),  # DDE
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3.5", "'-3.5"),  # a string, even if it looks like a number
    ],
)
def test_formula_cells_get_a_leading_quote(cell: str, expected: str) -> None:
    assert escape_formula(cell) == expected


@pytest.mark.parametrize(
    "cell",
    ["Bird Games Classic Plush Bear", "", "a=b", "Ski 2+1", "'quoted", " =not first", "naïve"],
)
def test_ordinary_text_is_unchanged(cell: str) -> None:
    assert escape_formula(cell) == cell


@pytest.mark.parametrize(
    "value", [-3.5, -2, 0, 7, 12.25, Decimal("-1.50"), True, None, date(2026, 11, 28)]
)
def test_values_that_are_not_text_are_unchanged(value: object) -> None:
    assert escape_formula(value) is value


def test_the_prefixes_are_owasps() -> None:
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_to_csv_escapes_every_text_cell_and_keeps_numbers() -> None:
    rows = [
        ['=HYPERLINK("http://x","y")', -3.5, None, "plain"],
        ["@SUM(A1)", 0, date(2026, 11, 28), ""],
    ]
    text = to_csv(["name", "revenue", "day", "note"], rows)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "revenue", "day", "note"],
        ['\'=HYPERLINK("http://x","y")', "-3.5", "", "plain"],
        ["'@SUM(A1)", "0", "2026-11-28", ""],
    ]


@pytest.mark.parametrize("cell", ["x\r=1+1", "x\n=1+1", "x\r\n@SUM(A1)"])
def test_a_line_break_cannot_start_a_new_row_with_a_formula(cell: str) -> None:
    # Unquoted, the text after the break would be the first cell of a spreadsheet row.
    text = to_csv(["name"], [[cell]])
    assert text == f'name\r\n"{cell}"\r\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["name"], [cell]]
