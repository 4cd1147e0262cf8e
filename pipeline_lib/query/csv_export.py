"""CSV written for people: cells a spreadsheet would run as formulas are neutralised.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` (or with a tab or carriage return before one) as a formula, so a product named
``=HYPERLINK("http://x","y")`` in a report becomes a live link, or worse (DDE). As OWASP
advises (https://owasp.org/www-community/attacks/CSV_Injection), such text cells get a
leading single quote, which spreadsheets show as text. Numbers are left alone: -3.5 as a
number is data, not a formula.

:func:`to_csv` also ends rows with CRLF (RFC 4180): the csv module then quotes every cell
that holds a ``\r`` or ``\n``. With a bare ``\n`` terminator it leaves ``\r`` unquoted,
and ``"x\r=1+1"`` would open a new spreadsheet row whose first cell is a formula.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence

logger = logging.getLogger(__name__)

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Parameters
    ----------
    value
        One cell as it goes to :func:`csv.writer`.

    Returns
    -------
    object
        ``"'" + value`` for a string starting with one of :data:`FORMULA_PREFIXES`;
        anything else (other text, numbers, dates, None) unchanged.

    Examples
    --------
    >>> escape_formula('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> escape_formula(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of a header and rows, safe to open in a spreadsheet.

    Parameters
    ----------
    columns
        Header cells.
    rows
        Cells of each row; None is written as an empty cell.

    Returns
    -------
    str
        RFC 4180 CSV (CRLF line ends, minimal quoting), every cell through
        :func:`escape_formula`.

    Examples
    --------
    >>> to_csv(["name", "revenue"], [["@SUM(A1)", -3.5], [None, 2]])
    "name,revenue\\r\\n'@SUM(A1),-3.5\\r\\n,2\\r\\n"
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_formula(c) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else escape_formula(v) for v in row])
    return buffer.getvalue()
