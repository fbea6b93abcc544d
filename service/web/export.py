"""Exports of a run's pairs as CSV and XLSX, safe to open in a spreadsheet: a text cell
that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is prefixed with
a quote so it is shown as text, never run as a formula (CSV / formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

__all__ = ["FORMULA_START", "escape_cell", "to_csv", "to_xlsx"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | float | int | None


def escape_cell(value: Cell) -> Cell:
    """Text that a spreadsheet would read as a formula, prefixed with ``'``; numbers and
    empty cells as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheet programs read accents right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if c is None else escape_cell(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Cell]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([escape_cell(h) for h in header])
    for row in rows:
        sheet.append([escape_cell(c) for c in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                # openpyxl would store a leading "=" as a formula; these are all text.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
