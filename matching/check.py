"""A dry run a coordinator trusts before matching: :func:`check_inputs`.

For a programme and its two participant tables it says which column each criterion,
rule and role reads (found or missing), which columns nobody reads, what each criterion
finds there (distinct values, values its labels or tables do not know, empty cells), how
many pairs each rule excludes, and whether anything would refuse the run. Rule counts
are taken blockwise with the rules' own masks, never as a whole mentee x mentor matrix.
Nothing in the report quotes a person's cell but the tag values of criteria that have
a vocabulary (labels, related or similarity tables), which are the programme's own
words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from matching._outlook import quota_outlook
from matching.errors import InputError, InputWarning, Problem
from matching.features import check_participants, fit_rule, parse_levelled, parse_tags
from matching.inputs import (
    COUNT_ROLES,
    People,
    original_columns,
    participant_file,
    prepare_participants,
    review_columns,
    rule_columns,
    rule_name,
    side_fields,
)
from matching.messages import Language, render_message
from matching.model import (
    CategoryCriterion,
    Criterion,
    NeedsCriterion,
    OverlapCriterion,
    Programme,
)

__all__ = ["InputReport", "check_inputs"]

Side = Literal["mentee", "mentor"]
SIDES: tuple[Side, ...] = ("mentee", "mentor")

BLOCK_ROWS = 2048
"""Mentees per block when counting the pairs a rule excludes."""

UNKNOWN_SHOWN = 20
"""Unknown tag values, and values the other side lacks, listed per criterion and side
(the counts are always exact)."""


@dataclass(frozen=True)
class InputReport:
    """What :func:`check_inputs` found; :meth:`to_dict` is the JSON of ``marraine check``."""

    roles: dict[str, list[dict[str, Any]]]
    criteria: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    unread: list[dict[str, Any]]
    quotas: list[dict[str, Any]] | None
    warnings: tuple[InputWarning, ...]
    problems: tuple[Problem, ...] = field(default=())
    """What would refuse the run (absent columns of criteria or rules, bad cells)."""
    language: str = "en"
    """Of the ``message`` of each warning and problem in :meth:`to_dict` (``reason``
    stays English)."""

    @property
    def ok(self) -> bool:
        """Whether a run would start (warnings aside): no problem, and no hard quota that
        its group could not meet even alone."""
        unmeetable = [q for q in self.quotas or () if q["hard"] and not q["meetable"]]
        return not self.problems and not unmeetable

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "roles": self.roles,
            "criteria": self.criteria,
            "rules": self.rules,
            "unread": self.unread,
            "quotas": self.quotas,
            "warnings": [w.to_dict(self.language) for w in self.warnings],
            "problems": [
                {
                    "file": p.file,
                    "row": p.row,
                    "column": p.column,
                    "reason": p.reason,
                    "message": render_message(p.message, self.language),
                }
                for p in self.problems
            ],
        }


def check_inputs(
    mentees: People, mentors: People, programme: Programme, language: Language | None = None
) -> InputReport:
    """Report what a run of ``programme`` would do with these participants.

    Parameters
    ----------
    mentees, mentors
        As :func:`matching.match` takes them, or as :func:`matching.io.read_participants`
        returns them (read with ``check_fields=False``, so a missing criterion column is
        reported here rather than raised).
    programme
        The programme to run.
    language
        Of the quotas' ``limit`` texts (default ``programme.language``).

    Returns
    -------
    InputReport

    Raises
    ------
    InputError
        Ids or counts are unusable (no id column, empty or repeated ids, bad counts):
        nothing more can be checked.
    """
    frames: dict[Side, pd.DataFrame] = {
        "mentee": prepare_participants(mentees, programme, "mentee"),
        "mentor": prepare_participants(mentors, programme, "mentor"),
    }
    review = review_columns(frames["mentee"], frames["mentor"], programme, refuse=False)
    warnings, effective = review.warnings, review.programme
    problems = list(review.problems)
    for side in SIDES:
        file = participant_file(frames[side])
        problems += [
            Problem(file, p.row, p.column, p.message)
            for p in check_participants(frames[side], programme, side)
        ]
    return InputReport(
        roles={side: _roles(frames[side], programme, side) for side in SIDES},
        criteria=[_criterion(c, frames) for c in programme.criteria],
        rules=_rules(frames, programme, effective),
        unread=[
            {"side": w.side, "column": w.column} for w in warnings if w.code == "unread_column"
        ],
        quotas=quota_section(frames["mentee"], frames["mentor"], programme, language),
        warnings=warnings,
        problems=tuple(problems),
        language=language or programme.language,
    )


def quota_section(
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    programme: Programme,
    language: Language | None = None,
) -> list[dict[str, Any]] | None:
    """Whether each quota can be met (:func:`matching.quota_outlook`: ``name``, ``hard``,
    ``required``, ``members``, ``reachable``, ``meetable``, ``exact``, ``limit``); None
    when the programme has no quota. A quota whose column is absent or whose participants
    cannot be read is reported unmeetable with the reason as its ``limit``."""
    if not programme.quotas:
        return None
    try:
        return [o.to_dict() for o in quota_outlook(mentees, mentors, programme, language=language)]
    except InputError as error:
        reason = render_message(error.problem.message, language or programme.language)
        return [
            {"name": q.name, "hard": q.hard, "meetable": False, "limit": reason}
            for q in programme.quotas
        ]


def _roles(frame: pd.DataFrame, programme: Programme, side: Side) -> list[dict[str, Any]]:
    """Each role of one side, its column and whether the file has it."""
    fields = side_fields(programme, side)
    present = set(original_columns(frame, programme, side))
    roles = [(role, column) for role, column in fields.role_columns().items()]
    if fields.name is None and "name" in present:  # else the id alone: nothing missing
        roles.append(("name", "name"))
    roles += [("group", column) for column in fields.groups]
    roles += [("ignore", column) for column in fields.ignore]
    entries: list[dict[str, Any]] = [
        {"role": r, "column": c, "found": c in present} for r, c in roles
    ]
    for entry in entries:
        if entry["role"] in COUNT_ROLES[side]:
            entry["default"] = COUNT_ROLES[side][entry["role"]]
    return entries


def _criterion(criterion: Criterion, frames: dict[Side, pd.DataFrame]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": criterion.name, "kind": criterion.kind}
    tags: dict[Side, set[str]] = {}
    for side in SIDES:
        column = getattr(criterion, f"{side}_field")
        frame = frames[side]
        if column not in frame.columns:
            entry[side] = {"column": column, "found": False}
            continue
        values, tags[side] = _values(criterion, frame[column])
        entry[side] = {"column": column, "found": True, **values}
    if _is_tagged(criterion) and len(tags) == len(SIDES):
        for side, other in zip(SIDES, SIDES[::-1], strict=True):
            # A typo, or a need no mentor offers: the criterion never matches it exactly.
            alone = sorted(tags[side] - tags[other])
            entry[side]["unshared"] = len(alone)
            entry[side]["unshared_values"] = alone[:UNKNOWN_SHOWN]
    return entry


def _is_tagged(criterion: Criterion) -> bool:
    """Whether the criterion compares tags or categories (values a side may lack)."""
    return isinstance(criterion, NeedsCriterion | OverlapCriterion | CategoryCriterion)


def _values(criterion: Criterion, cells: pd.Series) -> tuple[dict[str, Any], set[str]]:
    """Distinct values, empty cells and values outside the criterion's vocabulary (each
    distinct cell parsed once); and the tags found (none for an untagged criterion)."""
    tagged = _is_tagged(criterion)
    counts: Counter[str] = Counter()
    empty = distinct = 0
    for cell, times in cells.value_counts(dropna=False).items():
        if isinstance(criterion, NeedsCriterion):
            tags: Any = parse_levelled(cell, 1)
        else:
            tags = parse_tags(cell)
        if not tags:
            empty += int(times)
            continue
        distinct += 1
        for tag in tags if tagged else ():
            counts[tag] += int(times)
    values: dict[str, Any] = {"distinct": len(counts) if tagged else distinct, "empty": empty}
    vocabulary = _vocabulary(criterion) if tagged else set()
    if vocabulary:
        unknown = sorted(tag for tag in counts if tag not in vocabulary)
        values["unknown"] = len(unknown)
        values["unknown_values"] = unknown[:UNKNOWN_SHOWN]
    return values, set(counts)


def _vocabulary(criterion: Criterion) -> set[str]:
    """The tags a criterion names (labels, related or similarity table); empty: none."""
    words = {key.strip().casefold() for key in criterion.labels}
    table = getattr(criterion, "related", ()) or getattr(criterion, "table", ())
    for entry in table:
        words |= {entry.a.strip().casefold(), entry.b.strip().casefold()}
    return words


def _rules(
    frames: dict[Side, pd.DataFrame], programme: Programme, effective: Programme
) -> list[dict[str, Any]]:
    """Each rule: its columns (found or not), whether it runs, the pairs it excludes."""
    running = {id(rule) for rule in effective.rules}
    entries = []
    for rule in programme.rules:
        columns = [
            {"side": side, "column": column, "found": column in frames[side].columns}
            for side, column in rule_columns(rule)
        ]
        found = all(c["found"] for c in columns)
        status = "on" if found else ("off" if rule.optional else "refused")
        entry = {
            "name": rule_name(rule),
            "kind": rule.kind,
            "optional": rule.optional,
            "columns": columns,
            "status": status,
            "excluded_pairs": None,
        }
        if found and id(rule) in running:
            entry["excluded_pairs"] = _excluded_pairs(rule, frames)
        entries.append(entry)
    return entries


def _excluded_pairs(rule: Any, frames: dict[Side, pd.DataFrame]) -> int:
    """How many mentee x mentor pairs the rule excludes, counted block by block."""
    mentees, mentors = frames["mentee"], frames["mentor"]
    mask = fit_rule(rule, mentees, mentors)
    excluded = 0
    for start in range(0, len(mentees), BLOCK_ROWS):
        rows = np.arange(start, min(start + BLOCK_ROWS, len(mentees)), dtype=np.int64)
        excluded += int(rows.size * len(mentors) - np.count_nonzero(mask.block(rows)))
    return excluded
