"""Every CSV cell Pandawa writes is text a spreadsheet will not run as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.core.csvcells import csv_cell, csv_line, neutralise

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def runs_as_formula(cell: str) -> bool:
    """How a spreadsheet reads the first characters of a cell."""
    return cell.startswith(DANGEROUS_STARTS) or (
        cell[:1] in (";", ",") and cell[1:2] in ("=", "+", "-", "@")
    )


@given(st.text())
def test_no_cell_runs_as_a_formula_and_nothing_is_lost(text):
    cell = neutralise(text)
    assert not runs_as_formula(cell)
    assert cell in (text, "'" + text)  # only ever an apostrophe in front
    if not runs_as_formula(text):
        assert cell == text  # ordinary text is left alone


@given(st.sampled_from(["=", "+", "-", "@", "\t", "\r", ";=", ",+", ";@", ",-"]), st.text())
def test_every_formula_start_is_neutralised(start, rest):
    assert neutralise(start + rest) == "'" + start + rest


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","klik")', '\'=HYPERLINK("http://x","klik")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("; ok", "; ok"),
        ("Siti Rahayu", "Siti Rahayu"),
        (-12, "-12"),
        (3.5, "3.5"),
        (True, "1"),
        (None, ""),
    ],
)
def test_cells(value, cell):
    assert csv_cell(value) == cell


@given(st.lists(st.text(), max_size=5))
def test_a_line_reads_back_as_the_neutralised_cells(values):
    line = csv_line(values)
    assert next(csv.reader(io.StringIO(line, newline=""))) == [neutralise(v) for v in values] or (
        values == [] and line == "\r\n"
    )
