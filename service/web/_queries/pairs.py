"""A run's pairs as the review table's filters, the charts and the exports read them: one
light tuple a pair (ids, position, score, decision, the mentee's region and groups as the
programme's ``[fields]`` name them; contributions only when asked), read in two queries
whatever the size of the run, and shared by the review table and the charts of one page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from service.models import Participant, Run, RunPair, RunUnmatched
from service.web._queries.columns import Columns, run_columns
from service.web._queries.fields import (
    certain,
    extractable,
    field,
    from_json,
    rows,
    stored_values,
    text,
)

__all__ = ["NOWHERE", "Line", "RunPairs", "Traits", "run_pairs", "traits_of"]


class Traits(NamedTuple):
    """A mentee's region and groups as text (``""`` when not given)."""

    region: str
    groups: tuple[str, ...]
    """One value per group column of the programme, in :attr:`Columns.groups` order."""

    def group(self, columns: Columns, column: str) -> str | None:
        """Her value in the group column ``column`` (None: not a group column; ``""``:
        not given, or she is no longer a participant)."""
        if column not in columns.groups:
            return None
        index = columns.groups.index(column)
        return self.groups[index] if index < len(self.groups) else ""


NOWHERE = Traits("", ())
"""The traits of a mentee no longer among the participants."""


class Line(NamedTuple):
    """What the filters, the sort and the charts read of one pair."""

    id: int
    position: int
    mentee_id: str
    mentor_id: str
    score: float
    decision: str
    traits: Traits
    contributions: dict[str, float] | None
    """``None`` unless read on purpose (filters on unmet criteria, sort by a criterion)."""


@dataclass(frozen=True)
class RunPairs:
    """A run's pairs and the mentees it names, as one page reads them."""

    lines: list[Line]
    """Every pair of the run, in position order."""
    unmatched: set[str]
    """The mentees the run left unmatched."""
    traits: dict[str, Traits]
    """Region and groups of every mentee in the run (paired or not) still a participant."""
    columns: Columns
    """The columns the traits were read from (the run's configuration's)."""
    with_contributions: bool


def _her(mentee: type[Participant], run: Run, mentee_id: Any) -> ColumnElement[bool]:
    """Joins the mentee ``mentee_id`` names to her row among the run's participants."""
    return and_(
        mentee.programme_id == run.programme_id,
        mentee.side == "mentee",
        mentee.person_id == mentee_id,
    )


def traits_of(columns: Columns, values: tuple[Any, ...]) -> Traits:
    """Traits from the values of :attr:`Columns.traits` (region first when there is one)."""
    texts = tuple(text(v) for v in values)
    if columns.region:
        return Traits(texts[0], texts[1:])
    return Traits("", texts)


def run_pairs(session: Session, run: Run, with_contributions: bool = False) -> RunPairs:
    """Every pair of ``run`` as light tuples, with the region and groups of its mentees
    (and of the mentees it left unmatched)."""
    columns = run_columns(session, run)
    wanted = columns.traits
    mentee = aliased(Participant)
    in_sql = extractable(wanted)
    read = [field(mentee, c) for c in wanted] if in_sql else []
    pair_columns: list[Any] = [
        RunPair.id,
        RunPair.position,
        RunPair.mentee_id,
        RunPair.mentor_id,
        RunPair.score,
        RunPair.decision,
        RunPair.contributions if with_contributions else RunPair.id,
        mentee.person_id,
        *read,
    ]
    found = rows(
        session,
        select(*pair_columns)
        .outerjoin(mentee, _her(mentee, run, RunPair.mentee_id))
        .where(RunPair.run_id == run.id)
        .order_by(RunPair.position, RunPair.id),
    )
    alone = rows(
        session,
        select(RunUnmatched.mentee_id, mentee.person_id, *read)
        .outerjoin(mentee, _her(mentee, run, RunUnmatched.mentee_id))
        .where(RunUnmatched.run_id == run.id),
    )
    # Regions and groups take few distinct values: read each combination once.
    combos = {tuple(r[8:]) for r in found} | {tuple(r[2:]) for r in alone}
    decoded = {t: from_json(t) for combo in combos for t in combo}
    traits: dict[str, Traits]
    # Regions and groups are read as text (never as counts): a number or flag is decoded
    # again from the stored documents.
    if in_sql and all(certain("", v) for v in decoded.values()):
        named = {combo: traits_of(columns, tuple(decoded[t] for t in combo)) for combo in combos}
        traits = {r[2]: named[tuple(r[8:])] for r in found if r[7] is not None}
        traits.update((r[0], named[tuple(r[2:])]) for r in alone if r[1] is not None)
    else:  # rare: numbers or flags, decoded in Python from the stored documents
        stored = stored_values(session, run.programme_id, "mentee", wanted)
        traits = {k: traits_of(columns, found_values) for k, found_values in stored.items()}
    lines = [
        Line(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            traits.get(r[2], NOWHERE),
            r[6] if with_contributions else None,
        )
        for r in found
    ]
    return RunPairs(lines, {r[0] for r in alone}, traits, columns, with_contributions)
