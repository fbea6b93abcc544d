"""A programme's own files: its column names mapped to the engine's roles, and every
column accounted for.

:func:`apply_field_map` renames the programme's role columns (``[fields.mentee]``,
``[fields.mentor]``: ``id``, ``demand``, ``capacity``, ``min_load``) to the engine's names;
every reader goes through it (:func:`matching.io.read_participants`, :func:`matching.match`
given frames, the service). :func:`review_columns` then says what the run will do with
each column: a rule whose column is absent refuses the run (naming rule and column)
unless the rule is ``optional``, when it is switched off with a warning; a column read by
nothing and not listed under ``ignore`` is a warning; so are an absent count column the
programme names (``capacity`` always), an absent name, group or region column, and a rule
column empty in every row. Warnings never hold a cell's content.

Frames remember (in ``DataFrame.attrs``, which follow copies and sorts) that they were
mapped, which count columns their source lacked and their file, so a frame read by
:func:`matching.io.read_participants` is not mapped twice by :func:`matching.match` and
its warnings name the file; :func:`as_mapped` declares the same of a store's copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from matching.errors import InputError, InputErrors, InputWarning, Problem, StrictInputError
from matching.messages import Message, plural_message
from matching.model import (
    AllowedValuesRule,
    Mentee,
    MenteeFields,
    Mentor,
    MentorFields,
    Programme,
    Rule,
    participants_frame,
)

__all__ = [
    "COUNT_ROLES",
    "ColumnReview",
    "InputWarning",
    "People",
    "StrictInputError",
    "apply_field_map",
    "as_mapped",
    "known_columns",
    "original_columns",
    "participant_file",
    "prepare_participants",
    "review_columns",
    "role_names",
    "rule_columns",
    "rule_name",
    "side_fields",
    "strict_check",
]

Side = Literal["mentee", "mentor"]

People = Sequence[Mentee] | Sequence[Mentor] | Sequence[Mapping[str, Any]] | pd.DataFrame
"""Participants as :func:`matching.match` takes them."""

COUNT_ROLES: dict[Side, dict[str, int]] = {
    "mentee": {"demand": 1},
    "mentor": {"capacity": 1, "min_load": 0},
}
"""The count roles of each side and the value a person gets when the column is absent."""

# Keys of DataFrame.attrs recording what apply_field_map did (they follow copies and sorts).
_MAPPED = "marraine.mapped"
_ABSENT = "marraine.absent_counts"
_FILE = "marraine.file"


def side_fields(programme: Programme, side: Side) -> MenteeFields | MentorFields:
    """The programme's field map of one side."""
    return programme.fields.mentee if side == "mentee" else programme.fields.mentor


def participant_file(frame: pd.DataFrame) -> str | None:
    """The file a mapped frame was read from, when it came from one."""
    file = frame.attrs.get(_FILE)
    return file if isinstance(file, str) else None


def _renames(programme: Programme, side: Side) -> dict[str, str]:
    """Programme column -> engine name, for the roles whose column is not the engine's."""
    roles = side_fields(programme, side).role_columns()
    engine_roles = ("id", *COUNT_ROLES[side])
    return {roles[role]: role for role in engine_roles if roles[role] != role}


def apply_field_map(
    frame: pd.DataFrame, programme: Programme, side: Side, *, file: str | None = None
) -> pd.DataFrame:
    """The participants with the programme's role columns renamed to the engine's names.

    Parameters
    ----------
    frame
        One row a participant, in the programme's own column names.
    programme
        Its ``fields`` say which column is ``id``, ``demand`` (mentees), ``capacity`` and
        ``min_load`` (mentors).
    side
        ``"mentee"`` or ``"mentor"``.
    file
        The file the rows came from, for messages.

    Returns
    -------
    pandas.DataFrame
        A copy with ``id`` and the count columns under the engine's names, remembering
        which count columns were absent (for :func:`review_columns`). A frame this
        function returned comes back unchanged.

    Raises
    ------
    InputError
        The id column is absent, or a column holds the engine's name of a role the
        programme gives to another column (naming file and both columns).
    """
    if frame.attrs.get(_MAPPED) == side:
        return frame
    renames = _renames(programme, side)
    id_column = side_fields(programme, side).id
    if id_column not in frame.columns:
        reason = (
            Message("there is no '{column}' column (the mentees' id)", column=id_column)
            if side == "mentee"
            else Message("there is no '{column}' column (the mentors' id)", column=id_column)
        )
        raise InputError(reason, file=file, column=id_column)
    for column, role in renames.items():
        if role in frame.columns and column in frame.columns:
            raise InputError(
                Message(
                    "the programme reads '{column}' as the {role}; remove or rename the "
                    "column '{role}'",
                    column=column,
                    role=role,
                ),
                file=file,
                column=role,
            )
    mapped = frame.rename(columns=renames)
    roles = side_fields(programme, side).role_columns()
    absent = [role for role in COUNT_ROLES[side] if roles[role] not in frame.columns]
    mapped.attrs = {**frame.attrs, _MAPPED: side, _ABSENT: absent}
    if file is not None:
        mapped.attrs[_FILE] = file
    return mapped


def prepare_participants(people: People, programme: Programme, side: Side) -> pd.DataFrame:
    """Participants as the engine reads them, whatever they came as: a frame or records
    in the programme's own column names (mapped by :func:`apply_field_map`), or
    :class:`Mentee` / :class:`Mentor` models (already in the engine's names). Ids and
    counts are checked as :func:`matching.model.participants_frame` does, errors naming
    the programme's columns. The frame remembers that it is mapped and which
    count columns its source lacked, for :func:`review_columns`."""
    names = role_names(programme, side)
    records = people if isinstance(people, pd.DataFrame) else list(people)
    if isinstance(records, list) and records and isinstance(records[0], Mentee | Mentor):
        return as_mapped(participants_frame(records, side), programme, side)  # type: ignore[arg-type]
    if isinstance(records, list):
        rows: list[Any] = records
        empty = pd.DataFrame({side_fields(programme, side).id: []})
        records = pd.DataFrame.from_records(rows) if rows else empty
    mapped = apply_field_map(records, programme, side)
    frame = participants_frame(mapped, side, names=names)
    frame.attrs = dict(mapped.attrs)
    return frame


def as_mapped(frame: pd.DataFrame, programme: Programme, side: Side) -> pd.DataFrame:
    """Declare participants already in the engine's names (``id``, ``capacity`` ...), as
    :func:`apply_field_map` left them and a store kept them, so that :func:`matching.match`
    does not map them again; warnings still name the programme's own columns."""
    declared = frame.copy(deep=False)
    declared.attrs = {_MAPPED: side, _ABSENT: []}
    return declared


def original_columns(frame: pd.DataFrame, programme: Programme, side: Side) -> list[str]:
    """A frame's columns in the programme's own names, as its file had them: role columns
    renamed back, count columns the file lacked (filled with defaults) left out."""
    if frame.attrs.get(_MAPPED) != side:
        return [str(c) for c in frame.columns]
    names = role_names(programme, side)
    absent = set(frame.attrs.get(_ABSENT, ()))
    return [names.get(str(c), str(c)) for c in frame.columns if str(c) not in absent]


@dataclass(frozen=True)
class ColumnReview:
    """What a run does with the participants' columns."""

    programme: Programme
    """The programme as run: optional rules whose column is absent are left out."""
    warnings: tuple[InputWarning, ...]
    problems: tuple[Problem, ...] = ()
    """What refuses the run (only when reviewed with ``refuse=False``)."""


def review_columns(
    mentees: pd.DataFrame, mentors: pd.DataFrame, programme: Programme, *, refuse: bool = True
) -> ColumnReview:
    """Check the columns of both (mapped) sides against the programme.

    Parameters
    ----------
    mentees, mentors
        As :func:`prepare_participants` returns them.
    programme
        The programme to run.
    refuse
        Raise on what refuses a run (the default); false: list it in
        :attr:`ColumnReview.problems` (the check report).

    Raises
    ------
    InputErrors
        A rule that is not optional reads an absent column (one problem per rule and
        column, naming the file).
    """
    frames: dict[Side, pd.DataFrame] = {"mentee": mentees, "mentor": mentors}
    kept, warnings, problems = _review_rules(frames, programme)
    if problems and refuse:
        raise InputErrors(problems)
    warnings += _empty_rule_warnings(frames, kept)
    for side, frame in frames.items():
        warnings += _role_warnings(frame, programme, side)
        warnings += _count_warnings(frame, programme, side)
        warnings += _unread_warnings(frame, programme, side)
    effective = programme
    if len(kept) < len(programme.rules):
        effective = programme.model_copy(update={"rules": tuple(kept)})
    return ColumnReview(effective, tuple(warnings), tuple(problems))


def _review_rules(
    frames: Mapping[Side, pd.DataFrame], programme: Programme
) -> tuple[list[Rule], list[InputWarning], list[Problem]]:
    """The rules that run (their columns are there), the optional ones switched off (a
    warning each) and the others whose column is absent (a refusal each)."""
    kept: list[Rule] = []
    warnings: list[InputWarning] = []
    problems: list[Problem] = []
    for rule in programme.rules:
        absent = [(side, col) for side, col in rule_columns(rule) if col not in frames[side]]
        if not absent:
            kept.append(rule)
        for side, column in absent:
            where = _where(frames[side], side)
            name = rule_name(rule)
            if rule.optional:
                message = Message(
                    "optional rule '{rule}' is off: no column '{column}' in {file}",
                    rule=name,
                    column=column,
                    file=where,
                )
                warnings.append(InputWarning("rule_off", side, column, message, name))
            else:
                reason = Message(
                    "rule '{rule}' reads this column, absent from {file} "
                    "(mark the rule optional = true to run without it)",
                    rule=name,
                    file=where,
                )
                problems.append(Problem(participant_file(frames[side]), None, column, reason))
    return kept, warnings, problems


def rule_name(rule: Rule) -> str:
    """How messages name a rule: its name, else its kind and column."""
    if rule.name:
        return rule.name
    if isinstance(rule, AllowedValuesRule):
        return f"{rule.kind}:{rule.side}.{rule.field}"
    return f"{rule.kind}:{rule.mentee_field}"


def rule_columns(rule: Rule) -> list[tuple[Side, str]]:
    """The (side, column) pairs a rule reads."""
    if isinstance(rule, AllowedValuesRule):
        return [(rule.side, rule.field)]
    return [("mentee", rule.mentee_field), ("mentor", rule.mentor_field)]


def known_columns(programme: Programme, side: Side) -> set[str]:
    """Every column of one side the programme accounts for: read by a criterion, rule or
    quota, playing a role (id, counts, name, groups, region) or knowingly ignored."""
    fields = side_fields(programme, side)
    known = set(programme.fields_read(side)) | set(fields.role_columns().values())
    known |= set(fields.groups) | set(fields.ignore)
    if fields.name is None:
        known.add("name")
    return known


def _where(frame: pd.DataFrame, side: Side) -> str | Message:
    """How a message names one side's file: its name, else which table it is."""
    file = participant_file(frame)
    if file:
        return file
    return Message("the mentee table") if side == "mentee" else Message("the mentor table")


def _empty_rule_warnings(
    frames: Mapping[Side, pd.DataFrame], rules: Sequence[Rule]
) -> list[InputWarning]:
    """A rule whose column is there but empty in every row: it then excludes nothing (or,
    for ``allowed_values``, everybody) — worth a word, as a renamed column would be."""
    warnings = []
    for rule in rules:
        for side, column in rule_columns(rule):
            cells = frames[side][column]
            if cells.map(lambda c: c is None or (isinstance(c, str) and not c.strip())).all():
                message = Message(
                    "rule '{rule}' reads column '{column}' of {file}, which is empty in every row",
                    rule=rule_name(rule),
                    column=column,
                    file=_where(frames[side], side),
                )
                warnings.append(
                    InputWarning("rule_column_empty", side, column, message, rule_name(rule))
                )
    return warnings


def _role_warnings(frame: pd.DataFrame, programme: Programme, side: Side) -> list[InputWarning]:
    """A name, region or group column the programme names and the file lacks."""
    fields = side_fields(programme, side)
    present = set(original_columns(frame, programme, side))
    named = [c for c in (fields.name, fields.region, *fields.groups) if c]
    return [
        InputWarning(
            "role_absent",
            side,
            column,
            Message(
                "column '{column}', named under [fields], is absent from {file}",
                column=column,
                file=_where(frame, side),
            ),
        )
        for column in dict.fromkeys(named)
        if column not in present
    ]


def _count_warnings(frame: pd.DataFrame, programme: Programme, side: Side) -> list[InputWarning]:
    """An absent count column the programme names (``capacity`` is named even by default:
    one mentee per mentor is rarely what a programme means)."""
    fields = side_fields(programme, side)
    present = set(original_columns(frame, programme, side))
    warnings = []
    for role, default in COUNT_ROLES[side].items():
        column = fields.role_columns()[role]
        named = role in fields.model_fields_set or role == "capacity"
        if column in present or not named:
            continue
        where = _where(frame, side)
        message = {
            "demand": plural_message(
                "no column '{column}' in {file}: every mentee asks for {count} mentor",
                "no column '{column}' in {file}: every mentee asks for {count} mentors",
                default,
                column=column,
                file=where,
            ),
            "capacity": plural_message(
                "no column '{column}' in {file}: every mentor takes {count} mentee",
                "no column '{column}' in {file}: every mentor takes {count} mentees",
                default,
                column=column,
                file=where,
            ),
            "min_load": Message(
                "no column '{column}' in {file}: no mentor has a minimum load",
                column=column,
                file=where,
            ),
        }[role]
        warnings.append(InputWarning(f"{role}_absent", side, column, message))
    return warnings


def _unread_warnings(frame: pd.DataFrame, programme: Programme, side: Side) -> list[InputWarning]:
    """A column read by nothing the programme says."""
    known = known_columns(programme, side)
    return [
        InputWarning(
            "unread_column",
            side,
            column,
            Message(
                "column '{column}' of {file} is read by nothing "
                "(list it under ignore if that is meant)",
                column=column,
                file=_where(frame, side),
            ),
        )
        for column in original_columns(frame, programme, side)
        if column not in known
    ]


def strict_check(warnings: Iterable[InputWarning], strict: bool) -> None:
    """Refuse a strict run that has warnings."""
    listed = list(warnings)
    if strict and listed:
        raise StrictInputError(listed)


def role_names(programme: Programme, side: Side) -> Mapping[str, str]:
    """Engine name -> programme column, for messages about role cells."""
    return {role: column for column, role in _renames(programme, side).items()}
