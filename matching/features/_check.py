"""Cell-level validation of a participant table against what a programme reads.

Policy on missing columns (one problem with ``row=None``):

- a criterion's field on either side must exist: without it nobody could be scored on
  that criterion, which is almost always a misnamed column;
- an availability criterion's offset field, when the criterion names one, must exist;
- a rule's field may be absent: no ``mentor_gender`` column means nobody requires
  anything, no ``organisation`` column means no known conflict of interest;
- an empty cell is never a problem: that person scores 0 on the criterion.

Cell problems name the 0-based row position and the column, and say why without ever
quoting the value (the io module turns positions into file rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from matching.errors import Problem
from matching.features._parse import (
    CellError,
    column_problems,
    missing_mask,
    parse_coordinates,
    parse_levelled,
    parse_number,
    parse_single,
    parse_slots,
    parse_tags,
)
from matching.messages import Message
from matching.model import (
    AvailabilityCriterion,
    CategoryCriterion,
    DistanceCriterion,
    NeedsCriterion,
    NumericCriterion,
    OverlapCriterion,
    Programme,
    TextCriterion,
)

Side = Literal["mentee", "mentor"]

UTC_OFFSET_RANGE = (-12.0, 14.0)


def _offset(cell: object) -> float:
    """A UTC offset in hours, -12 to +14."""
    value = parse_number(cell)
    low, high = UTC_OFFSET_RANGE
    if not math.isnan(value) and not low <= value <= high:
        raise CellError(Message("a UTC offset must be a number of hours from -12 to 14"))
    return value


def _any_text(cell: object) -> object:
    """Free text accepts anything."""
    return cell


def _parser(criterion: object, side: Side) -> Callable[[object], object]:
    """The cell parser a criterion applies on one side."""
    if isinstance(criterion, NeedsCriterion):
        level = (
            criterion.default_mentee_level if side == "mentee" else (criterion.default_mentor_level)
        )
        return lambda cell: parse_levelled(cell, level)
    if isinstance(criterion, CategoryCriterion):
        return parse_single
    if isinstance(criterion, NumericCriterion):
        return parse_number
    if isinstance(criterion, AvailabilityCriterion):
        return parse_slots
    if isinstance(criterion, DistanceCriterion):
        return parse_coordinates
    if isinstance(criterion, OverlapCriterion):
        return parse_tags
    if isinstance(criterion, TextCriterion):
        return _any_text
    raise TypeError(f"unknown criterion kind: {type(criterion).__name__}")


def check_participants(frame: pd.DataFrame, programme: Programme, side: Side) -> list[Problem]:
    """Validate every cell the programme reads on one side.

    Parameters
    ----------
    frame
        Participants, one row a person (as :func:`matching.model.participants_frame`).
    programme
        The programme whose criteria say which columns are read and how.
    side
        ``"mentee"`` or ``"mentor"``.

    Returns
    -------
    list of Problem
        ``Problem(file=None, row=<0-based position or None for a missing column>,
        column=<field>, reason=<why>)``, sorted by row then column; empty when the table
        is usable. Reasons never quote a cell's value.
    """
    problems: list[Problem] = []
    checked: set[tuple[str, str]] = set()
    for criterion in programme.criteria:
        field = getattr(criterion, f"{side}_field")
        if field not in frame.columns:
            if ("missing", field) not in checked:
                checked.add(("missing", field))
                problems.append(
                    Problem(
                        None,
                        None,
                        field,
                        _missing_column(criterion.name),
                    )
                )
            continue
        parser = _parser(criterion, side)
        key = (criterion.kind, field)
        if key not in checked and parser is not _any_text:  # free text: nothing to refuse
            checked.add(key)
            problems += [
                Problem(None, row, field, reason)
                for row, reason in column_problems(frame[field], parser)
            ]
        if isinstance(criterion, AvailabilityCriterion):
            problems += _check_offsets(frame, criterion, side, checked)
    return sorted(
        dict.fromkeys(problems), key=lambda p: (p.row is not None, p.row or 0, p.column or "")
    )


def _missing_column(criterion: str) -> Message:
    return Message("column is missing; criterion '{criterion}' reads it", criterion=criterion)


def _check_offsets(
    frame: pd.DataFrame, criterion: AvailabilityCriterion, side: Side, checked: set[tuple[str, str]]
) -> list[Problem]:
    """The offset column exists, parses, and is given wherever slots are."""
    offset_field = getattr(criterion, f"{side}_offset_field")
    if not offset_field or ("offset", offset_field) in checked:
        return []
    checked.add(("offset", offset_field))
    if offset_field not in frame.columns:
        return [
            Problem(
                None,
                None,
                offset_field,
                _missing_column(criterion.name),
            )
        ]
    problems = [
        Problem(None, row, offset_field, reason)
        for row, reason in column_problems(frame[offset_field], _offset)
    ]
    slots = frame[getattr(criterion, f"{side}_field")]
    lacking = missing_mask(frame[offset_field]) & ~missing_mask(slots)
    reason = Message("a UTC offset is needed where availability is given")
    return problems + [
        Problem(None, row, offset_field, reason) for row in np.flatnonzero(lacking).tolist()
    ]
