"""A run's pairs as the review table's filters, the charts and the exports read them: one
light tuple a pair (ids, position, score, decision, the mentee's region and group;
contributions only when asked), read in two queries whatever the size of the run, and
shared by the review table and the charts of one page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from service.models import Participant, Run, RunPair, RunUnmatched
from service.web._queries.fields import (
    GROUP_COLUMN,
    REGION_COLUMN,
    certain,
    field,
    from_json,
    rows,
    stored_values,
    text,
)

__all__ = ["Line", "RunPairs", "run_pairs"]


class Line(NamedTuple):
    """What the filters, the sort and the charts read of one pair."""

    id: int
    position: int
    mentee_id: str
    mentor_id: str
    score: float
    decision: str
    region: str
    group: str
    contributions: dict[str, float] | None
    """``None`` unless read on purpose (filters on unmet criteria, sort by a criterion)."""


@dataclass(frozen=True)
class RunPairs:
    """A run's pairs and the mentees it names, as one page reads them."""

    lines: list[Line]
    """Every pair of the run, in position order."""
    unmatched: set[str]
    """The mentees the run left unmatched."""
    groups: dict[str, tuple[str, str]]
    """(region, group) of every mentee in the run (paired or not) still a participant."""
    with_contributions: bool


def _her(mentee: type[Participant], run: Run, mentee_id: Any) -> ColumnElement[bool]:
    """Joins the mentee ``mentee_id`` names to her row among the run's participants."""
    return and_(
        mentee.programme_id == run.programme_id,
        mentee.side == "mentee",
        mentee.person_id == mentee_id,
    )


def run_pairs(session: Session, run: Run, with_contributions: bool = False) -> RunPairs:
    """Every pair of ``run`` as light tuples, with the region and group of its mentees
    (and of the mentees it left unmatched)."""
    mentee = aliased(Participant)
    columns: list[Any] = [
        RunPair.id,
        RunPair.position,
        RunPair.mentee_id,
        RunPair.mentor_id,
        RunPair.score,
        RunPair.decision,
        mentee.person_id,
        field(mentee, REGION_COLUMN),
        field(mentee, GROUP_COLUMN),
    ]
    if with_contributions:
        columns.append(RunPair.contributions)
    found = rows(
        session,
        select(*columns)
        .outerjoin(mentee, _her(mentee, run, RunPair.mentee_id))
        .where(RunPair.run_id == run.id)
        .order_by(RunPair.position, RunPair.id),
    )
    alone = rows(
        session,
        select(
            RunUnmatched.mentee_id,
            mentee.person_id,
            field(mentee, REGION_COLUMN),
            field(mentee, GROUP_COLUMN),
        )
        .outerjoin(mentee, _her(mentee, run, RunUnmatched.mentee_id))
        .where(RunUnmatched.run_id == run.id),
    )
    # Regions and groups take few distinct values: read each (region, group) once.
    combos = {(r[7], r[8]) for r in found} | {(r[2], r[3]) for r in alone}
    read = {t: from_json(t) for combo in combos for t in combo}
    if all(certain(REGION_COLUMN, v) for v in read.values()):
        named = {(a, b): (text(read[a]), text(read[b])) for a, b in combos}
        groups = {r[2]: named[r[7], r[8]] for r in found if r[6] is not None}
        groups.update((r[0], named[r[2], r[3]]) for r in alone if r[1] is not None)
    else:  # rare: numbers or flags, decoded in Python from the stored documents
        stored = stored_values(session, run.programme_id, "mentee", (REGION_COLUMN, GROUP_COLUMN))
        groups = {k: (text(region), text(group)) for k, (region, group) in stored.items()}
    nowhere = ("", "")
    lines = [
        Line(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            *groups.get(r[2], nowhere),
            r[9] if with_contributions else None,
        )
        for r in found
    ]
    return RunPairs(lines, {r[0] for r in alone}, groups, with_contributions)
