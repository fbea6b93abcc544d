"""Weekly time slots: the ``availability`` criterion.

Slots such as ``mon 18-20|sat 9-12|wed 7:30-9`` are in each person's local time and are
moved to UTC with her offset (hours from UTC, possibly fractional or negative) before
comparison, so a mentee in Dakar and a mentor in Paris meet at the same instant. The
week is a grid of half hours (336 columns; minutes off the half hour are rounded
outward, offsets to the nearest half hour); when every slot and offset of both sides
falls on whole hours the grid is hourly (168 columns), which halves the work. Common
hours of every pair are one product of the two multi-hot grids.
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin

from matching.features._base import (
    CastCache,
    Cells,
    FloatArray,
    IntArray,
    Similarity,
    block_product,
    rowwise_dot,
    title_of,
)
from matching.features._parse import (
    SLOTS_PER_HOUR,
    WEEK_SLOTS,
    parse_column,
    parse_number,
    parse_slots,
)
from matching.messages import Evidence
from matching.model import AvailabilityCriterion

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _as_frame(X: Any) -> tuple[list[Any], list[Any]]:
    """(slot cells, offset cells) from a 2-column frame/array or a 1-D sequence of slots."""
    if isinstance(X, pd.DataFrame):
        slots = X.iloc[:, 0].tolist()
        offsets = X.iloc[:, 1].tolist() if X.shape[1] > 1 else [None] * len(slots)
        return slots, offsets
    values = X.tolist() if hasattr(X, "tolist") else list(X)
    return values, [None] * len(values)


Slots = tuple[tuple[int, int], ...]


def _parse(X: Any) -> tuple[list[Slots], list[float]]:
    """Each row's slots and UTC offset (NaN when missing)."""
    slots, offsets = _as_frame(X)
    return parse_column(slots, parse_slots), parse_column(offsets, parse_number)


class AvailabilityEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Multi-hot weekly grid in UTC.

    ``X`` is a DataFrame whose first column holds the slot cells and optional second
    column the UTC offsets (hours), or a 1-D sequence of slot cells (taken as UTC).

    Attributes
    ----------
    steps_per_hour_ : int
        2 (half-hour grid) or 1 (hourly grid, when all data of ``fit`` is on the hour).
    """

    def fit(self, X: Any, y: object = None) -> Self:
        """Choose the grid from both sides' slots and offsets (concatenated)."""
        return self._fit_parsed(*_parse(X))

    def _fit_parsed(self, parsed: list[Slots], offsets: list[float]) -> Self:
        """:meth:`fit` of parsed cells."""
        hourly = all(
            s % SLOTS_PER_HOUR == 0 and e % SLOTS_PER_HOUR == 0 for row in parsed for s, e in row
        )
        hourly = hourly and all(math.isnan(o) or float(o).is_integer() for o in offsets)
        self.steps_per_hour_ = 1 if hourly else SLOTS_PER_HOUR
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        """(n_rows, 168 or 336) multi-hot UTC grid, Monday 00:00 UTC first."""
        return self._grid(*_parse(X))

    def _grid(self, parsed: list[Slots], offsets: list[float]) -> NDArray[np.float64]:
        """:meth:`transform` of parsed cells: every half hour of every slot, at once."""
        step = SLOTS_PER_HOUR // self.steps_per_hour_
        out = np.zeros((len(parsed), WEEK_SLOTS // step))
        rows, starts, ends = [], [], []
        for row, (person, offset) in enumerate(zip(parsed, offsets, strict=True)):
            # local = UTC + offset, so UTC = local - offset (offset rounded to the grid).
            shift = 0 if math.isnan(offset) else round(offset * SLOTS_PER_HOUR)
            for start, end in person:
                rows.append(row)
                starts.append(start - shift)
                ends.append(end - shift)
        if rows:
            lengths = np.subtract(ends, starts)
            first = np.repeat(np.cumsum(lengths) - lengths, lengths)
            half_hours = np.repeat(starts, lengths) + (np.arange(first.size) - first)
            out[np.repeat(rows, lengths), (half_hours % WEEK_SLOTS) // step] = 1.0
        return out

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """``Mon 00:00`` ... in UTC, one per grid cell."""
        minutes = 60 // self.steps_per_hour_
        names = []
        for k in range(7 * 24 * self.steps_per_hour_):
            total = k * minutes
            day, rest = divmod(total, 24 * 60)
            names.append(f"{_DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d} UTC")
        return np.asarray(names, dtype=object)


class AvailabilitySimilarity(Similarity):
    """``min(1, common hours / target_hours)`` (see :class:`AvailabilityCriterion`)."""

    def __init__(self, criterion: AvailabilityCriterion) -> None:
        self.criterion = criterion

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """``*_cells`` are DataFrames (slots, offset) or slot sequences; see the encoder."""
        mentees, mentors = _frame(mentee_cells), _frame(mentor_cells)
        # Both sides parsed once, together (so a refused cell is numbered as in fit).
        parsed, offsets = _parse(pd.concat([mentees, mentors], ignore_index=True))
        encoder = AvailabilityEncoder()._fit_parsed(parsed, offsets)
        n = len(mentees)
        a = encoder._grid(parsed[:n], offsets[:n])
        b = encoder._grid(parsed[n:], offsets[n:])
        # Grid cells where nobody on one side is free cannot be in common: drop them.
        keep = a.any(axis=0) & b.any(axis=0)
        self._a, self._b = a[:, keep], b[:, keep]
        self._b_cache = CastCache(self._b)
        self._hours_per_cell = 1.0 / encoder.steps_per_hour_
        self.encoder_ = encoder
        self.n_mentees_, self.n_mentors_ = a.shape[0], b.shape[0]
        return self

    def _similarity(self, common: NDArray[Any]) -> NDArray[Any]:
        """Common grid cells -> similarity."""
        hours = common * self._hours_per_cell
        return np.minimum(1.0, hours / self.criterion.target_hours)

    def common_hours(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Hours a week both are free, per pair."""
        return rowwise_dot(self._a, self._b, mentee_idx, mentor_idx) * self._hours_per_cell

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Common cells of the block (integer counts: exact in float32)."""
        common = block_product(self._a, rows, self._b_cache, dtype)
        return self._similarity(common).astype(dtype, copy=False)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities of given pairs."""
        return np.minimum(
            1.0, self.common_hours(mentee_idx, mentor_idx) / self.criterion.target_hours
        )

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``6 hours a week in common``."""
        hours = self.common_hours(mentee_idx, mentor_idx).tolist()
        title = title_of(self.criterion)
        # A few distinct numbers of hours: each is made once.
        made = {h: Evidence("hours", title, {"hours": h}) if h > 0 else None for h in set(hours)}
        return [made[h] for h in hours]


def _frame(cells: Any) -> pd.DataFrame:
    """Slots (and offsets) as a two-column frame."""
    if isinstance(cells, pd.DataFrame):
        frame = cells.iloc[:, :2].copy()
        if frame.shape[1] == 1:
            frame["offset"] = None
        frame.columns = ["slots", "offset"]
        return frame.reset_index(drop=True)
    values = cells.tolist() if hasattr(cells, "tolist") else list(cells)
    return pd.DataFrame({"slots": values, "offset": [None] * len(values)})
