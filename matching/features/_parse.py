"""Raw cell parsing shared by the encoders: missing values, tag lists, levels, numbers.

A cell comes from CSV (text), Excel or JSON (lists, numbers, None). Parsing happens once
per *distinct* cell value (:func:`factorize`, then :func:`parse_column`), since cohorts
repeat values a lot (``french|darija`` thousands of times), and every parser raises
:class:`CellError` with a reason that never quotes the value, so it can go into an error
message as it is. Plain text cells, by far the most common, take short paths that give the
same results as the general ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching.messages import Message

T = TypeVar("T")
IntArray = NDArray[np.int64]

LEVEL_MIN, LEVEL_MAX = 1, 5


class CellError(ValueError):
    """A cell cannot be read; ``reason`` says why without quoting the cell."""

    def __init__(self, reason: Message) -> None:
        self.reason = reason
        super().__init__(str(reason))


def is_missing(cell: object) -> bool:
    """None, NaN, pandas NA, a blank string or an empty list: no value given."""
    if type(cell) is str:  # the common case first
        return not cell.strip()
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    if isinstance(cell, str):
        return not cell.strip()
    if isinstance(cell, list | tuple):
        return all(is_missing(item) for item in cell)
    return False


def normalise(text: object) -> str:
    """Compare labels case-insensitively with surrounding spaces trimmed."""
    return str(text).strip().casefold()


def split_items(cell: object) -> list[str]:
    """The raw items of a multi-valued cell: a list, or text separated by ``|``."""
    if type(cell) is str:  # the general path below, for text: stripped non-blank items
        return [stripped for item in cell.split("|") if (stripped := item.strip())]
    if is_missing(cell):
        return []
    items = cell if isinstance(cell, list | tuple) else str(cell).split("|")
    return [str(item).strip() for item in items if not is_missing(item)]


def parse_tags(cell: object) -> tuple[str, ...]:
    """Distinct normalised tags of a cell, in first-seen order (levels are kept as text)."""
    return tuple(dict.fromkeys(normalise(item) for item in split_items(cell)))


def parse_levelled(cell: object, default_level: int) -> dict[str, int]:
    """``tag:level`` items as {tag: level}; a repeated tag keeps its highest level."""
    result: dict[str, int] = {}
    for item in split_items(cell):
        key, level = _levelled_item(item)
        level = level or default_level
        if level > result.get(key, 0):
            result[key] = level
    return result


ITEM_CACHE = 2**16
"""Distinct items (``seo:3``, ``mon 18-20``) whose reading is remembered: cells differ,
their items repeat."""


@lru_cache(maxsize=ITEM_CACHE)
def _levelled_item(item: str) -> tuple[str, int]:
    """(normalised tag, level) of one ``tag:level`` item; level 0 when not written."""
    tag, sep, level_text = item.rpartition(":")
    if not sep:
        tag, level = item, 0
    else:
        level = _LEVELS.get(level_text) or _level(level_text)
    key = tag.strip().casefold()  # normalise(): items are text already
    if not key:
        raise CellError(Message("a tag is empty before ':level'"))
    return key, level


_LEVELS = {str(level): level for level in range(LEVEL_MIN, LEVEL_MAX + 1)}
"""Levels as usually written (``3``), read without :func:`_level`'s number parsing."""


_LEVEL_RANGE = Message(
    "a level after ':' must be a whole number from {low} to {high}", low=LEVEL_MIN, high=LEVEL_MAX
)


def _level(text: str) -> int:
    """A level from 1 to 5."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise CellError(_LEVEL_RANGE) from None
    if not value.is_integer() or not LEVEL_MIN <= value <= LEVEL_MAX:
        raise CellError(_LEVEL_RANGE)
    return int(value)


def parse_number(cell: object) -> float:
    """A finite number; text may use a decimal comma; NaN when missing."""
    if is_missing(cell):
        return math.nan
    if isinstance(cell, bool):
        raise CellError(Message("must be a number"))
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = str(cell).strip().replace("\u2212", "-").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise CellError(Message("must be a number")) from None
    if not math.isfinite(value):
        raise CellError(Message("must be a finite number"))
    return value


def parse_single(cell: object) -> str | None:
    """One normalised category value; None when missing."""
    if is_missing(cell):
        return None
    if isinstance(cell, list | tuple):
        items = split_items(cell)
        if len(items) != 1:
            raise CellError(Message("expects one value, not a list"))
        return normalise(items[0])
    return normalise(cell)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(
    r"^(?P<day>[a-z]+)\.?\s*(?P<h1>\d{1,2})(?:[:h](?P<m1>\d{2}))?h?\s*[-–]\s*"
    r"(?P<h2>\d{1,2})(?:[:h](?P<m2>\d{2}))?h?$"
)
SLOTS_PER_HOUR = 2
"""Availability is kept on a half-hour grid: 336 slots a week."""
WEEK_SLOTS = 7 * 24 * SLOTS_PER_HOUR


def parse_slots(cell: object) -> tuple[tuple[int, int], ...]:
    """Weekly slots as (start, end) half-hour indices from Monday 00:00, local time.

    ``mon 18-20``, ``wed 7:30-9``, ``sat 9h-12h``; minutes not on the half hour are rounded
    outward (``7:15`` starts at ``7:00``, ``9:40`` ends at ``10:00``); an end before the
    start runs past midnight into the next day (``fri 22-2``). ``end`` may exceed the week
    (Sunday night), callers wrap it.
    """
    return tuple(_slot(item) for item in split_items(cell))


@lru_cache(maxsize=ITEM_CACHE)
def _slot(item: str) -> tuple[int, int]:
    """One ``mon 18-20`` item of :func:`parse_slots`."""
    match = _SLOT.match(item.casefold())
    if match is None:
        raise CellError(Message("a time slot must look like 'mon 18-20' or 'wed 7:30-9'"))
    day_text = match["day"]
    day = next((i for i, d in enumerate(_DAYS) if day_text.startswith(d)), None)
    if day is None:
        raise CellError(Message("a time slot must start with a day, mon to sun"))
    start = _half_hours(match["h1"], match["m1"], round_up=False)
    end = _half_hours(match["h2"], match["m2"], round_up=True)
    if start == end:
        raise CellError(Message("a time slot must not be empty"))
    if end < start:
        end += 24 * SLOTS_PER_HOUR
    offset = day * 24 * SLOTS_PER_HOUR
    return offset + start, offset + end


def _half_hours(hours: str, minutes: str | None, *, round_up: bool) -> int:
    """Hours and minutes as half-hour steps, rounded outward to the half hour."""
    h, m = int(hours), int(minutes or 0)
    if not 0 <= h <= 24 or m >= 60 or (h == 24 and m):
        raise CellError(Message("hours in a time slot must be from 0 to 24"))
    total = h * 60 + m
    step = 60 // SLOTS_PER_HOUR
    return -(-total // step) if round_up else total // step


def parse_coordinates(cell: object) -> tuple[float, float] | None:
    """``lat|lon`` in degrees (or a two-item list); None when missing."""
    if is_missing(cell):
        return None
    items = split_items(cell)
    if len(items) != 2:
        raise CellError(Message("coordinates must be 'latitude|longitude'"))
    lat, lon = (parse_number(item) for item in items)
    if not -90.0 <= lat <= 90.0:
        raise CellError(Message("latitude must be between -90 and 90"))
    if not -180.0 <= lon <= 180.0:
        raise CellError(Message("longitude must be between -180 and 180"))
    return lat, lon


def cell_key(cell: object) -> Hashable:
    """A hashable stand-in for a cell (lists become tuples) so parsing can be memoised."""
    if type(cell) is str:
        return cell
    if isinstance(cell, list):
        return ("\x00list", *map(str, cell))
    if isinstance(cell, float) and math.isnan(cell):
        return "\x00nan"
    try:
        hash(cell)
    except TypeError:
        return ("\x00repr", repr(cell))
    return cell


def factorize(cells: Any) -> tuple[IntArray, Any]:
    """(code per row, distinct cells in first-seen order): cells are equal when their
    :func:`cell_key` is; the distinct cells are each value's first row's cell. A frame
    factorizes whole rows (its distinct rows as a frame).
    """
    if isinstance(cells, pd.DataFrame):
        return _factorize_rows(cells)
    values: list[Any] | None = None
    codes = _text_codes(cells)
    if codes is None:
        values = cells.tolist() if hasattr(cells, "tolist") else list(cells)
        index: dict[Hashable, int] = {}
        keys = [cell_key(v) for v in values]
        codes = np.fromiter((index.setdefault(k, len(index)) for k in keys), np.int64, len(keys))
    first = first_rows(codes)
    if values is None:
        return codes, cells.iloc[first].tolist()
    return codes, [values[k] for k in first.tolist()]


def _text_codes(cells: Any) -> IntArray | None:
    """Codes in first-seen order for a text column (pandas' hash table: one C pass), or
    None when the cells are not all text. Text cells compare as strings, and the missing
    cells of a string column are all the same value: the same codes as :func:`cell_key`."""
    if not isinstance(cells, pd.Series):
        return None
    if not isinstance(cells.dtype, pd.StringDtype) and not (
        cells.dtype == object and pd.api.types.infer_dtype(cells, skipna=False) == "string"
    ):
        return None
    raw, _ = pd.factorize(cells, use_na_sentinel=True)
    codes = np.asarray(raw, dtype=np.int64)
    missing = np.flatnonzero(codes < 0)
    if missing.size:
        # pandas leaves missing cells out (-1): give them their first-seen place.
        place = int(codes[: missing[0]].max(initial=-1)) + 1
        codes[codes >= place] += 1
        codes[missing] = place
    return codes


def _factorize_rows(frame: pd.DataFrame) -> tuple[IntArray, pd.DataFrame]:
    """:func:`factorize` of whole rows: the columns' codes combined, in first-seen order."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        codes, distinct = factorize(frame[column])
        combined = combined * max(len(distinct), 1) + codes
        # Renumber at each step so the combined codes stay below the number of rows.
        combined = np.asarray(pd.factorize(combined)[0], dtype=np.int64)
    return combined, frame.iloc[first_rows(combined)].reset_index(drop=True)


def first_rows(codes: IntArray) -> IntArray:
    """The first row of each code (codes numbered in first-seen order, from 0)."""
    n = int(codes.max(initial=-1)) + 1
    first = np.zeros(n, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # last write wins: first seen
    return first


def missing_mask(cells: Sequence[Any] | pd.Series) -> NDArray[np.bool_]:
    """:func:`is_missing` of every cell (computed once per distinct value)."""
    codes, distinct = factorize(cells)
    flags = np.array([is_missing(cell) for cell in distinct], dtype=bool)
    return flags[codes] if flags.size else np.zeros(codes.size, dtype=bool)


def parse_distinct(
    cells: Sequence[Any] | pd.Series, parse: Callable[[object], T]
) -> tuple[IntArray, list[T]]:
    """(code per row, parsed distinct value): ``parse`` runs once per distinct cell; raises
    :class:`RowError` at the first row whose cell ``parse`` refuses."""
    codes, distinct = factorize(cells)
    parsed: list[T] = []
    for code, cell in enumerate(distinct):
        try:
            parsed.append(parse(cell))
        except CellError as exc:
            # Distinct cells come in first-seen order: this is the first refused row.
            raise RowError(int(np.argmax(codes == code)), exc.reason) from None
    return codes, parsed


def parse_column(cells: Sequence[Any] | pd.Series, parse: Callable[[object], T]) -> list[T]:
    """Parse every cell, once per distinct value; raises :class:`CellError` with ``row``."""
    codes, parsed = parse_distinct(cells, parse)
    return [parsed[code] for code in codes.tolist()]


def column_problems(
    cells: Sequence[Any] | pd.Series, parse: Callable[[object], Any]
) -> list[tuple[int, Message]]:
    """(row, reason) for every cell ``parse`` refuses (once per distinct value), by row."""
    codes, distinct = factorize(cells)
    reasons: dict[int, Message] = {}
    for code, cell in enumerate(distinct):
        try:
            parse(cell)
        except CellError as exc:
            reasons[code] = exc.reason
    if not reasons:
        return []
    refused = np.zeros(len(distinct), dtype=bool)
    refused[list(reasons)] = True
    rows = np.flatnonzero(refused[codes])
    return [
        (row, reasons[code]) for row, code in zip(rows.tolist(), codes[rows].tolist(), strict=True)
    ]


class RowError(CellError):
    """A :class:`CellError` located at a 0-based row of a column."""

    def __init__(self, row: int, reason: Message) -> None:
        super().__init__(reason)
        self.row = row
