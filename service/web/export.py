"""Exports of a run's pairs as CSV and XLSX, safe to open in a spreadsheet: a text cell
that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is prefixed with
a quote so it is shown as text, never run as a formula (CSV / formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import Workbook

__all__ = ["CSV_CHUNK_ROWS", "FORMULA_START", "csv_chunks", "escape_cell", "to_csv", "to_xlsx"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_CHUNK_ROWS = 2_000

Cell = str | float | int | None


def escape_cell(value: Cell) -> Cell:
    """Text that a spreadsheet would read as a formula, prefixed with ``'``; numbers and
    empty cells as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so spreadsheet programs read accents right), in chunks of
    ``CSV_CHUNK_ROWS`` rows: a response can stream it as it is written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([escape_cell(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow(["" if c is None else escape_cell(c) for c in row])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The whole of :func:`csv_chunks` at once."""
    return b"".join(csv_chunks(header, rows))


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Cell]], title: str) -> bytes:
    """One sheet, written row by row (openpyxl's write-only mode: no cell objects kept).
    Every text cell is escaped, so none starts with ``=`` and none is stored as a
    formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append([escape_cell(h) for h in header])
    for row in rows:
        sheet.append([escape_cell(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
