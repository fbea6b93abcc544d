"""Raw tables from files: CSV (``,`` ``;`` tab), ``.xlsx``, ``.parquet`` and ``.json``.

Every reader returns a :class:`RawTable`: all cells as stripped text (missing cells as
``NA``), the header as given (stripped), and for each data row the number a person uses
to find it — the spreadsheet row for CSV and Excel (header = row 1), the 1-based record
number for JSON and Parquet. Problems are collected as :class:`~matching.errors.Problem`
so a whole file is reported at once; messages never quote cell contents.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from matching.errors import InputError, InputErrors, Problem
from matching.messages import Message, plural_message

__all__ = [
    "MAX_PROBLEMS",
    "MULTI_SEPARATOR",
    "RawTable",
    "decode_utf8",
    "file_label",
    "fix_decimal_commas",
    "raise_problems",
    "read_table",
    "sniff_delimiter",
]

MAX_PROBLEMS = 50
"""Problems reported per file; past this a user fixes the pattern, not each row."""

MULTI_SEPARATOR = "|"
"""Separator of multi-valued cells (``french|darija``); lists in JSON/Parquet are joined."""

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")

RowNumbering = Literal["sheet", "record"]


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, with the row number a person sees for each data row."""

    file: str
    frame: pd.DataFrame
    rows: NDArray[np.int64]
    """``rows[p]``: the person-visible row number of data position ``p``."""
    numbering: RowNumbering
    delimiter: str | None = None
    """The CSV delimiter, or None for other formats."""
    problems: tuple[Problem, ...] = ()
    """Rows left out of ``frame`` (more cells than headings), reported with the others."""

    @property
    def header_row(self) -> int | None:
        """The header's row number (1 in a sheet; records have no header row)."""
        return 1 if self.numbering == "sheet" else None

    def problem(self, position: int | None, column: str | None, reason: Message) -> Problem:
        """A problem at a 0-based data position, located as a person sees it."""
        row = None if position is None else int(self.rows[position])
        return Problem(self.file, row, column, reason)


def _nth_column(position: int) -> str:
    """How a column without a usable heading is named: by its place, 1-based (the
    ``column`` field programs read stays in English)."""
    return f"column {position + 1}"


def file_label(path: Path) -> str:
    """How messages name a file: its name, without the directories above it."""
    return path.name


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise :class:`InputErrors` with at most :data:`MAX_PROBLEMS` problems, if any."""
    if problems:
        raise InputErrors(list(problems)[:MAX_PROBLEMS])


def read_table(path: str | Path) -> RawTable:
    """Read a participant or pair file into text cells, by its extension.

    Raises
    ------
    InputError
        Missing, empty or undecodable file, unknown extension, no header, a heading
        missing or repeated, rows with more cells than the header has columns.
    """
    path = Path(path)
    label = file_label(path)
    if not path.is_file():
        raise InputError(Message("file not found"), file=label)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _read_csv(path, label)
    elif suffix == ".xlsx":
        table = _read_xlsx(path, label)
    elif suffix == ".parquet":
        table = _read_parquet(path, label)
    elif suffix == ".json":
        table = _read_json(path, label)
    else:
        raise InputError(
            Message("unknown file type: use .csv (or .tsv), .xlsx, .parquet or .json"), file=label
        )
    return table


# --------------------------------------------------------------------------- text


def decode_utf8(data: bytes, label: str, delimiter: str | None = None) -> str:
    """Decode UTF-8 (with or without BOM); name the row and column of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc.start, label, delimiter) from None


def check_utf8_stream(stream: io.BufferedIOBase, label: str, delimiter: str | None) -> None:
    """Check a large file is UTF-8 chunk by chunk, without holding its text in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0
    while chunk := stream.read(1 << 24):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            # The bad byte's offset in the file locates the line; only the bytes up to it
            # are re-read to count lines (the error path only).
            offset = consumed - pending + exc.start
            stream.seek(0)
            prefix = stream.read(max(offset, 0) + 1)
            raise _not_utf8(prefix, len(prefix) - 1, label, delimiter) from None
        consumed += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(Message("not UTF-8: save the file as UTF-8"), file=label) from None


def _not_utf8(data: bytes, offset: int, label: str, delimiter: str | None) -> InputError:
    """The error for an undecodable byte at ``offset``: row = line, column from the header."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    row = data.count(b"\n", 0, offset) + 1
    column: str | None = None
    header_end = data.find(b"\n")
    header_text = data[: header_end if header_end >= 0 else len(data)].decode(
        "utf-8-sig", errors="replace"
    )
    delimiter = delimiter or sniff_delimiter(header_text)
    if row > 1:
        header = _split_line(header_text, delimiter)
        prefix = data[line_start:offset].decode("utf-8", errors="replace")
        position = len(_split_line(prefix, delimiter)) - 1
        if 0 <= position < len(header):
            column = header[position].strip() or None
    return InputError(
        Message("not UTF-8: save the file as UTF-8 (in Excel: 'CSV UTF-8')"),
        file=label,
        row=row,
        column=column,
    )


def _split_line(line: str, delimiter: str) -> list[str]:
    """One line's cells, honouring quotes."""
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [""])


def sniff_delimiter(sample: str) -> str:
    """The delimiter among ``,`` ``;`` tab: the one the header row uses, else csv.Sniffer's."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts.values())
    winners = [d for d, n in counts.items() if n == best]
    if best > 0 and len(winners) == 1:
        # Headings are short names and rarely hold a delimiter, unlike free-text cells,
        # so the header decides when it is unambiguous.
        return winners[0]
    try:
        return csv.Sniffer().sniff(sample[: 1 << 16], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, label: str) -> RawTable:
    """CSV with ``,`` ``;`` or tab, UTF-8 with or without BOM, any line endings."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(Message("the file is empty"), file=label)
    text = decode_utf8(data, label)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error:
        raise InputError(
            Message("malformed quotes: a quote opened in a cell is never closed"),
            file=label,
            row=reader.line_num,
        ) from None
    return _from_records(label, records, numbering="sheet", first_row=1, delimiter=delimiter)


# --------------------------------------------------------------------------- excel


def _read_xlsx(path: Path, label: str) -> RawTable:
    """The first worksheet of an Excel workbook; numbers become text without ``.0``."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise InputError(Message("not a valid Excel .xlsx file"), file=label) from None
    try:
        sheet = workbook.worksheets[0]
        first_row = sheet.min_row or 1
        records = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not any(any(cell for cell in record) for record in records):
        raise InputError(Message("the file is empty"), file=label)
    return _from_records(label, records, numbering="sheet", first_row=first_row)


def _excel_text(value: Any) -> str:
    """A cell value as the text a person typed (``7`` not ``7.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- records


def _from_records(
    label: str,
    records: list[list[str]],
    *,
    numbering: RowNumbering,
    first_row: int,
    delimiter: str | None = None,
) -> RawTable:
    """Header + data records -> a text frame; blank lines are skipped but keep their number."""
    header_index = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_index is None:
        raise InputError(Message("the file is empty"), file=label)
    if header_index > 0:
        raise InputError(
            Message("no header: the first row must name the columns"), file=label, row=1
        )
    header = [cell.strip().lstrip("\ufeff") for cell in records[0]]
    problems: list[Problem] = []
    ragged: list[Problem] = []
    data = records[1:]
    row_numbers = np.arange(first_row + 1, first_row + 1 + len(data), dtype=np.int64)
    # Trailing delimiters and blank headings over empty columns are common in exports.
    width = len(header)
    while (
        width
        and not header[width - 1]
        and all(len(r) < width or not r[width - 1].strip() for r in data)
    ):
        width -= 1
    header = header[:width]
    for position, name in enumerate(header):
        if not name:
            problems.append(
                Problem(label, 1, _nth_column(position), Message("the column has no heading"))
            )
        elif header.index(name) != position:
            problems.append(Problem(label, 1, name, Message("this heading appears twice")))
    keep: list[int] = []
    rows: list[list[str]] = []
    for position, record in enumerate(data):
        if not any(cell.strip() for cell in record):
            continue  # a blank line is not a participant
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            ragged.append(
                Problem(
                    label,
                    int(row_numbers[position]),
                    _nth_column(width),
                    plural_message(
                        "more cells than the header has columns ({count})",
                        "more cells than the header has columns ({count})",
                        width,
                    ),
                )
            )
            continue
        keep.append(position)
        rows.append(record[:width] + [""] * (width - len(record)))
    raise_problems(problems)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    if not rows:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in header})
    return RawTable(
        file=label,
        frame=_clean(frame),
        rows=row_numbers[np.asarray(keep, dtype=np.int64)],
        numbering=numbering,
        delimiter=delimiter,
        problems=tuple(ragged[:MAX_PROBLEMS]),
    )


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip surrounding spaces; an empty cell is missing (NA)."""
    cleaned = {}
    for name in frame.columns:
        column = frame[name].astype(object)
        text = column.where(column.isna(), column.astype(str).str.strip())
        cleaned[name] = text.mask(text == "").astype(object)
    result = pd.DataFrame(cleaned, index=frame.index, columns=frame.columns)
    return result.where(result.notna(), None).astype(object)


# --------------------------------------------------------------------------- parquet / json


def _read_parquet(path: Path, label: str) -> RawTable:
    """A Parquet file; every column cast to text, lists joined with ``|``."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError):
        raise InputError(Message("not a valid Parquet file"), file=label) from None
    columns = {name: _arrow_text(table.column(name)) for name in table.column_names}
    frame = pd.DataFrame(
        {name: column.to_pandas() for name, column in columns.items()},
        columns=list(table.column_names),
    ).astype(object)
    return _records_table(label, frame)


def _arrow_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """An Arrow column as strings: lists joined with ``|``; Arrow writes ``3.0`` as ``3``."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pc.binary_join(pc.cast(column, pa.list_(pa.string())), MULTI_SEPARATOR)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column
    return pc.cast(column, pa.string())


def _read_json(path: Path, label: str) -> RawTable:
    """A JSON list of objects; lists become ``a|b``, numbers text, ``null`` missing."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(Message("the file is empty"), file=label)
    text = decode_utf8(data, label)
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = Message("not valid JSON (line {line})", line=exc.lineno)
        raise InputError(reason, file=label) from None
    if not isinstance(records, list):
        raise InputError(Message("must be a JSON list of objects, one a participant"), file=label)
    problems: list[Problem] = []
    rows: list[dict[str, str | None]] = []
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(Problem(label, position + 1, None, Message("not a JSON object")))
            continue
        row: dict[str, str | None] = {}
        for key, value in record.items():
            cell = _json_text(value)
            if cell is _NOT_TEXT:
                problems.append(
                    Problem(
                        label, position + 1, str(key), Message("nested objects are not allowed")
                    )
                )
            else:
                row[str(key)] = cell if isinstance(cell, str) else None
        rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            break
    raise_problems(problems)
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    return _records_table(label, frame.astype(object))


_NOT_TEXT = object()


def _json_text(value: Any) -> object:
    """A JSON value as cell text, None for null, :data:`_NOT_TEXT` for objects."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list):
        parts = [_json_text(v) for v in value]
        if any(p is _NOT_TEXT or isinstance(p, list) for p in parts):
            return _NOT_TEXT
        return MULTI_SEPARATOR.join(str(p) for p in parts if p is not None)
    return _NOT_TEXT


def _records_table(label: str, frame: pd.DataFrame) -> RawTable:
    """A record-numbered table (JSON, Parquet): record ``p`` is row ``p + 1``."""
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = pd.Index(frame.columns).duplicated()
    if duplicated.any():
        name = str(frame.columns[int(np.argmax(duplicated))])
        raise InputError(Message("this column name appears twice"), file=label, column=name)
    return RawTable(
        file=label,
        frame=_clean(frame),
        rows=np.arange(1, len(frame) + 1, dtype=np.int64),
        numbering="record",
    )


# --------------------------------------------------------------------------- numbers


def fix_decimal_commas(table: RawTable, columns: Iterable[str]) -> pd.DataFrame:
    """French decimal commas (``3,5`` -> ``3.5``) in the numeric columns of ``;`` files.

    Only ``;``-separated files use the comma as decimal mark; only cells that are a whole
    number, a comma and digits change, so ``a|b`` lists and ``tag:3`` levels never do.
    Columns not listed change too when every filled cell looks like such a number.
    """
    frame = table.frame
    if table.delimiter != ";" or frame.empty:
        return frame
    frame = frame.copy()
    wanted = set(columns)
    for name in frame.columns:
        column = frame[name]
        filled = column.dropna().astype(str)
        if filled.empty:
            continue
        matches = filled.str.match(_DECIMAL_COMMA)
        numeric_looking = filled.str.match(r"^[+-]?\d+(?:[.,]\d+)?$")
        if name in wanted or (numeric_looking.all() and matches.any()):
            fixed = filled.where(~matches, filled.str.replace(",", ".", regex=False))
            frame.loc[fixed.index, name] = fixed
    return frame
