"""CSV and XLSX files for the review page and the API alike (a run's pairs, mail-merge
lists), safe to open in a spreadsheet: a text cell that starts with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return) is prefixed with a quote so it is shown as text,
never run as a formula (CSV / formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from xlsxwriter import Workbook

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
    """One sheet, written row by row (XlsxWriter's constant-memory mode: one row held at a
    time). Text stays text: no formula, number or link is read out of a string, and every
    text cell is escaped besides."""
    buffer = io.BytesIO()
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,  # a spreadsheet error cell rather than a failed export
    }
    workbook = Workbook(buffer, options)
    sheet = workbook.add_worksheet(title[:31])
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, [escape_cell(h) for h in header])
    for number, row in enumerate(rows, 1):
        sheet.write_row(number, 0, [escape_cell(c) for c in row])
    workbook.close()
    return buffer.getvalue()
