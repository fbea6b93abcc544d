"""A sign-up form built from a programme's configuration, and a submission read back.

The form asks for the columns the programme reads on one side, under the programme's
own names (its ``[fields]``): the name, e-mail and language roles, every column a
criterion, rule or quota reads, the group and region columns, and a mentor's capacity.
Each field's input follows the criterion that reads it: tags with levels for a
``needs`` criterion, tick boxes for ``overlap``, one choice for ``category`` or an
``allowed_values`` rule, a weekly picker for ``availability``, a number for
``numeric``, a text box for free ``text``. Choices come from the configuration's
vocabulary (value labels, related tags, similarity tables, allowed values); a criterion
without one gets a plain text box. The cells it produces are the ones a file holds
(``seo:3|website:1``, ``mon 18-20|sat 9-12``), so the engine validates them as it
validates an upload (:func:`service.ops.participants.check_records`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matching.messages import LANGUAGES, Label, label_text
from matching.model import (
    AllowedValuesRule,
    CategoryCriterion,
    NeedsCriterion,
    OverlapCriterion,
)
from matching.model import Programme as EngineProgramme

__all__ = [
    "DAYS",
    "LEVELS",
    "Choice",
    "FormField",
    "FormKind",
    "cells_from_form",
    "form_fields",
    "shown_values",
]

FormKind = Literal[
    "text", "email", "language", "number", "choice", "tags", "levels", "availability", "long_text"
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS = (1, 2, 3, 4, 5)
HOURS = tuple(range(25))
MAX_CAPACITY = 20
"""The most mentees a mentor may offer to take on the form (files allow more)."""


@dataclass(frozen=True)
class Choice:
    """One value a field offers: stored as ``value``, shown as ``label``."""

    value: str
    label: Label


@dataclass(frozen=True)
class FormField:
    """One question of the form: the programme's column it fills and how it is asked."""

    column: str
    kind: FormKind
    title: Label
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    role: Literal["name", "email", "language", "capacity"] | None = None
    """The engine's role the column plays, if any: pages name these questions in their
    own words (``sign_up.role.*`` in the page catalogues) rather than by column."""

    def title_in(self, language: str) -> str:
        return label_text(self.title, language)


def _column_title(column: str) -> Label:
    return column.replace("_", " ")


def _vocabulary(criterion: Any) -> tuple[Choice, ...]:
    """The values a criterion's configuration names: its labels' keys, then the values of
    its related tags or similarity table, in the order written."""
    values: list[str] = [str(key) for key in criterion.labels]
    for entry in getattr(criterion, "related", ()) + getattr(criterion, "table", ()):
        values += [entry.a, entry.b]
    labels = {str(k).casefold(): v for k, v in criterion.labels.items()}
    unique = dict.fromkeys(v.strip() for v in values if v.strip())
    return tuple(Choice(v, labels.get(v.casefold(), v.replace("_", " "))) for v in unique)


def _criterion_field(criterion: Any, column: str) -> FormField:
    title: Label = criterion.title or criterion.name.replace("_", " ")
    choices = _vocabulary(criterion)
    kind: FormKind = {
        "numeric": "number",
        "availability": "availability",
        "text": "long_text",
    }.get(criterion.kind, "text")  # type: ignore[assignment]
    if choices and isinstance(criterion, NeedsCriterion):
        kind = "levels"
    elif choices and isinstance(criterion, OverlapCriterion):
        kind = "tags"
    elif choices and isinstance(criterion, CategoryCriterion):
        kind = "choice"
    return FormField(column, kind, title, required=criterion.required, choices=choices)


def _side_fields(programme: EngineProgramme, side: str) -> Any:
    return programme.fields.mentee if side == "mentee" else programme.fields.mentor


def form_fields(
    programme: EngineProgramme, side: Literal["mentee", "mentor"]
) -> tuple[FormField, ...]:
    """The form's questions for one side, in the order they are asked: name, e-mail and
    language first, then the criteria's and rules' columns, groups and region, capacity."""
    roles = _side_fields(programme, side)
    found: dict[str, FormField] = {}

    def add(field: FormField) -> None:
        found.setdefault(field.column, field)

    name, email = roles.name or "name", roles.email or "email"
    add(FormField(name, "text", _column_title(name), required=True, role="name"))
    add(FormField(email, "email", _column_title(email), role="email"))
    if roles.language:
        languages = tuple(Choice(code, code) for code in LANGUAGES)
        column = roles.language
        add(FormField(column, "language", _column_title(column), True, languages, role="language"))
    for criterion in programme.criteria:
        add(_criterion_field(criterion, getattr(criterion, f"{side}_field")))
        offset = getattr(criterion, f"{side}_offset_field", None)
        if offset:
            add(FormField(offset, "number", _column_title(offset), minimum=-12, maximum=14))
    for rule in programme.rules:
        add(_rule_field(rule, side))
    for column in (*programme.fields_read(side), *roles.groups, roles.region):
        if column:
            add(FormField(column, "text", _column_title(column)))
    if side == "mentor":
        capacity = roles.capacity
        title = _column_title(capacity)
        add(FormField(capacity, "number", title, True, (), 1, MAX_CAPACITY, role="capacity"))
    return tuple(found.values())


def _rule_field(rule: Any, side: str) -> FormField:
    if isinstance(rule, AllowedValuesRule):
        choices = tuple(Choice(v, v) for v in rule.values)
        return FormField(rule.field, "choice", _column_title(rule.field), True, choices)
    column = getattr(rule, f"{side}_field")
    return FormField(column, "text", _column_title(column))


FormValues = Callable[[str], Sequence[str]]
"""A submitted form's values by input name (every value of a repeated name)."""


def _first(values: FormValues, name: str) -> str:
    given = values(name)
    return given[0].strip() if given else ""


def _levels_cell(field: FormField, values: FormValues) -> str:
    picked = set(values(field.column))
    cells = []
    for choice in field.choices:
        if choice.value in picked:
            level = _first(values, f"{field.column}.level.{choice.value}")
            cells.append(f"{choice.value}:{level}" if level else choice.value)
    return "|".join(cells)


def _availability_cell(field: FormField, values: FormValues) -> str:
    slots = []
    for day in DAYS:
        start = _first(values, f"{field.column}.{day}.from")
        end = _first(values, f"{field.column}.{day}.to")
        if start or end:
            slots.append(f"{day} {start}-{end}")
    return "|".join(slots)


def _cell(field: FormField, values: FormValues) -> Any:
    if field.kind == "levels":
        return _levels_cell(field, values)
    if field.kind == "availability":
        return _availability_cell(field, values)
    if field.kind == "tags":
        picked = set(values(field.column))
        return "|".join(c.value for c in field.choices if c.value in picked)
    return _first(values, field.column)


def cells_from_form(fields: Sequence[FormField], values: FormValues) -> dict[str, Any]:
    """A submitted HTML form as the cells of one participant row (empty answers left
    out, as an empty cell of a file)."""
    cells = {field.column: _cell(field, values) for field in fields}
    return {column: value for column, value in cells.items() if value != ""}


def shown_values(fields: Sequence[FormField], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """A stored participant's cells as the form's inputs hold them (to show her data back
    and correct it): every input name with its values."""
    shown: dict[str, list[str]] = {}
    for field in fields:
        value = data.get(field.column)
        if value is None or value == "":
            continue
        items = [str(v) for v in value] if isinstance(value, list) else str(value).split("|")
        items = [item.strip() for item in items if item.strip()]
        if field.kind == "levels":
            for item in items:
                tag, _, level = item.partition(":")
                shown.setdefault(field.column, []).append(tag.strip())
                shown[f"{field.column}.level.{tag.strip()}"] = [level.strip()]
        elif field.kind == "availability":
            for item in items:
                day, _, hours = item.partition(" ")
                start, _, end = hours.partition("-")
                shown[f"{field.column}.{day[:3].casefold()}.from"] = [start.strip()]
                shown[f"{field.column}.{day[:3].casefold()}.to"] = [end.strip()]
        elif field.kind == "tags":
            shown[field.column] = items
        else:
            shown[field.column] = [str(value)]
    return shown
