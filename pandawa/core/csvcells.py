"""CSV cells a spreadsheet cannot run: the one rule for every CSV Pandawa writes.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` (and,
after a tab or carriage return they skip, or a `;`/`,` some of them take for a separator, the
same characters) as a formula: `=HYPERLINK(…)` in a citizen's name would run on a supervisor's
computer (CSV injection). A leading apostrophe makes such a cell plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_FORMULA = ("=", "+", "-", "@")
_ALWAYS = (*_FORMULA, "\t", "\r")
_SEPARATORS = (";", ",")


def neutralise(cell: str) -> str:
    """'=HYPERLINK(…)' → "'=HYPERLINK(…)"; ';=1+1' → "';=1+1"; other text unchanged."""
    if cell.startswith(_ALWAYS):
        return "'" + cell
    if cell[:1] in _SEPARATORS and cell[1:2] in _FORMULA:
        return "'" + cell
    return cell


def csv_cell(value: object) -> str:
    """A value as a safe cell: None empty, booleans 1/0, numbers as written (they are ours, and
    a negative one must stay a number), any text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def csv_line(values: Iterable[object]) -> str:
    """One CSV record (CRLF-terminated) of safe cells."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    return buffer.getvalue()
