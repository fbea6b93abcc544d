"""Validation of participant files: ids, counts and the programme's fields, row by row.

Works on a :class:`~matching._io_tables.RawTable` so every problem is reported with the
file, the row a person sees and the column — all of a file's problems at once, never a
cell's content.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from matching._io_tables import RawTable, fix_decimal_commas, raise_problems
from matching.errors import InputError, InputErrors, Problem
from matching.features import check_participants
from matching.inputs import apply_field_map, role_names, side_fields
from matching.messages import Message
from matching.model import (
    COUNT_BOUNDS,
    AvailabilityCriterion,
    NumericCriterion,
    Programme,
    id_problem,
    participants_frame,
    text_problem,
)

__all__ = ["NUMERIC_COLUMNS", "numeric_columns", "validate_participants"]

Side = Literal["mentee", "mentor"]

NUMERIC_COLUMNS = frozenset({"capacity", "demand", "min_load", "utc_offset", "years"})
"""Columns read as numbers whatever the programme (decimal commas allowed in ``;`` files)."""

# Bounds of the count columns, as the Mentee / Mentor models state them.
_COUNTS: dict[Side, dict[str, tuple[int, int]]] = {
    "mentee": {"demand": COUNT_BOUNDS["demand"]},
    "mentor": {"capacity": COUNT_BOUNDS["capacity"], "min_load": COUNT_BOUNDS["min_load"]},
}


def numeric_columns(programme: Programme | None) -> set[str]:
    """The columns holding numbers: the usual ones plus the programme's numeric fields
    and its own count columns."""
    names = set(NUMERIC_COLUMNS)
    if programme is not None:
        for side in ("mentee", "mentor"):
            roles = side_fields(programme, side).role_columns()
            names |= {roles[r] for r in ("demand", "capacity", "min_load") if r in roles}
    for criterion in programme.criteria if programme is not None else ():
        if isinstance(criterion, NumericCriterion):
            names |= {criterion.mentee_field, criterion.mentor_field}
        if isinstance(criterion, AvailabilityCriterion):
            names |= {
                f for f in (criterion.mentee_offset_field, criterion.mentor_offset_field) if f
            }
    return names


def validate_participants(
    table: RawTable, side: Side, programme: Programme | None, *, check_fields: bool = True
) -> pd.DataFrame:
    """Check a participant table and return it as :func:`participants_frame` does, in the
    engine's column names (the programme's ``fields`` mapped, :func:`apply_field_map`);
    every problem names the programme's own column.

    Raises
    ------
    InputError
        No id column or no rows; :class:`InputErrors` for row-level problems.
    """
    frame = fix_decimal_commas(table, numeric_columns(programme))
    id_column = side_fields(programme, side).id if programme is not None else "id"
    if id_column not in frame.columns:
        raise InputError(
            Message("there is no '{column}' column", column=id_column),
            file=table.file,
            row=table.header_row,
            column=id_column,
        )
    names: dict[str, str] = {}
    if programme is not None:
        frame = apply_field_map(frame, programme, side, file=table.file)
        names = dict(role_names(programme, side))
    if frame.empty:
        reason = (
            Message("no mentees: the file has a header but no rows")
            if side == "mentee"
            else Message("no mentors: the file has a header but no rows")
        )
        raise InputError(reason, file=table.file)
    problems = [
        *table.problems,
        *_id_problems(table, frame, names.get("id", "id")),
        *_count_problems(table, frame, side, names),
        *_text_problems(table, frame, names),
    ]
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    raise_problems(problems)
    try:
        people = participants_frame(frame, side, names=names)
    except InputError as exc:
        # The checks above mirror participants_frame; this keeps its location if they drift.
        raise InputErrors([table.problem(exc.row, exc.column, exc.problem.message)]) from None
    if programme is not None and check_fields:
        found = _check_fields(people, programme, side)
        raise_problems([table.problem(p.row, p.column, p.message) for p in found])
    return people


def _id_problems(table: RawTable, frame: pd.DataFrame, shown: str) -> list[Problem]:
    """Empty and repeated ids (a repeat names the row of the first occurrence); ``shown``:
    the programme's name of the id column."""
    ids = frame["id"]
    missing = ids.isna().to_numpy()
    empty = Message("the id is empty")
    problems = [table.problem(int(p), shown, empty) for p in np.flatnonzero(missing)]
    for position, value in zip(np.flatnonzero(~missing), ids[~missing], strict=True):
        problem = id_problem(str(value).strip(" "))
        if problem is not None:
            problems.append(table.problem(int(position), shown, problem))
    present = ids[~missing]
    repeated = present.duplicated(keep="first")
    first_position = {
        value: position
        for position, value in zip(
            np.flatnonzero(~missing)[::-1], present.to_numpy()[::-1], strict=True
        )
    }
    for position, value in zip(
        np.flatnonzero(~missing)[repeated.to_numpy()], present[repeated], strict=True
    ):
        first = int(table.rows[first_position[value]])
        reason = (
            Message("duplicate id (first used in row {row})", row=first)
            if table.numbering == "sheet"
            else Message("duplicate id (first used in record {row})", row=first)
        )
        problems.append(table.problem(int(position), shown, reason))
    return problems


def _text_problems(table: RawTable, frame: pd.DataFrame, names: dict[str, str]) -> list[Problem]:
    """Text cells holding a control character (NUL ...) that no database stores as text."""
    problems: list[Problem] = []
    for column in frame.columns:
        if column == "id" or frame[column].dtype != object:
            continue
        for position, value in enumerate(frame[column]):
            problem = text_problem(value) if isinstance(value, str) else None
            if problem is not None:
                problems.append(
                    table.problem(position, names.get(str(column), str(column)), problem)
                )
    return problems


def _count_problems(
    table: RawTable, frame: pd.DataFrame, side: Side, names: dict[str, str]
) -> list[Problem]:
    """Demand / capacity / min_load cells that are not whole numbers within bounds, named
    as the programme names them."""
    problems: list[Problem] = []
    valid: dict[str, pd.Series] = {}
    for column, (low, high) in _COUNTS[side].items():
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        filled = frame[column].notna()
        bad = filled & (values.isna() | (values < low) | (values > high) | (values % 1 != 0))
        shown = names.get(column, column)
        reason = Message(
            "{column} must be a whole number from {low} to {high}", column=shown, low=low, high=high
        )
        problems += [table.problem(int(p), shown, reason) for p in np.flatnonzero(bad)]
        valid[column] = values.where(filled & ~bad)
    if "capacity" in valid and "min_load" in valid:
        over = (valid["min_load"] > valid["capacity"].fillna(1)).to_numpy()
        least, most = names.get("min_load", "min_load"), names.get("capacity", "capacity")
        problems += [
            table.problem(
                int(p), least, Message("{low} must not exceed {high}", low=least, high=most)
            )
            for p in np.flatnonzero(over)
        ]
    return problems


def _check_fields(frame: pd.DataFrame, programme: Programme, side: Side) -> list[Problem]:
    """The features package's check of the fields the programme reads (0-based rows)."""
    return list(check_participants(frame, programme, side))
