"""The review table: a run's pairs under the coordinator's filters and sort, one page at a
time, with names, groups and alternative mentors; decision counts; exports' rows.

Filtering and sorting run in Python over light column tuples (pair id, position, mentee,
score, decision and the mentee's region and group; contributions only when a filter or
the sort reads them), which keeps the filters identical on SQLite and PostgreSQL.
Full rows (evidence, names, alternatives) are read for the page shown only.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.models import Decision, Run, RunAlternative, RunPair
from service.web._queries.fields import (
    GROUP_COLUMN,
    NAME_COLUMN,
    REGION_COLUMN,
    capacity,
    rows,
    text,
    values,
)
from service.web._queries.pairs import Line, RunPairs, run_pairs

__all__ = [
    "DECISIONS",
    "PAGE_SIZE",
    "AltView",
    "Filters",
    "PairView",
    "Review",
    "ReviewRow",
    "alternatives",
    "decision_counts",
    "decisions_made",
    "filtered_pairs",
    "review",
    "review_row",
    "run_criteria",
]

DECISIONS = ("suggested", "approved", "rejected", "locked")
PAGE_SIZE = 100


def run_criteria(run: Run) -> list[str]:
    """The run's criteria in programme order (empty for a run without a summary)."""
    summary = run.summary or {}
    criteria = summary.get("criteria") or []
    return [str(c) for c in criteria]


@dataclass(frozen=True)
class Filters:
    """The review table's filters and sort, as given in the query string."""

    decision: str = ""
    region: str = ""
    group: str = ""
    unmet: str = ""
    """A criterion the pair gets nothing from (its contribution is 0)."""
    min_score: float | None = None
    max_score: float | None = None
    sort: str = "score_desc"
    page: int = 1

    def as_params(self) -> dict[str, str]:
        """The non-default filters as query parameters (for links and hidden fields)."""
        params = {
            "decision": self.decision,
            "region": self.region,
            "group": self.group,
            "unmet": self.unmet,
            "min_score": "" if self.min_score is None else f"{self.min_score:g}",
            "max_score": "" if self.max_score is None else f"{self.max_score:g}",
            "sort": "" if self.sort == "score_desc" else self.sort,
        }
        return {k: v for k, v in params.items() if v}

    @property
    def reads_contributions(self) -> bool:
        """Whether the filter or the sort looks at per-criterion contributions."""
        return bool(self.unmet) or self.sort.startswith("crit:")


class PairView(NamedTuple):
    """A suggested pair and its current decision, read as columns (not an ORM entity)."""

    id: int
    position: int
    mentee_id: str
    mentor_id: str
    score: float
    contributions: dict[str, float]
    why: str
    evidence: list[dict[str, Any]] | None
    decision: str


PAIR_COLUMNS = (
    RunPair.id,
    RunPair.position,
    RunPair.mentee_id,
    RunPair.mentor_id,
    RunPair.score,
    RunPair.contributions,
    RunPair.why,
    RunPair.evidence,
    RunPair.decision,
)
"""The columns of :class:`PairView`, in its field order."""


@dataclass(frozen=True)
class AltView:
    mentor_id: str
    mentor_name: str
    score: float
    free: int
    """Seats the mentor has left in this run, counting every pair not rejected."""


@dataclass(frozen=True)
class ReviewRow:
    pair: PairView
    mentee_name: str
    mentor_name: str
    region: str
    group: str
    alternatives: list[AltView]


@dataclass(frozen=True)
class Review:
    rows: list[ReviewRow]
    total: int
    matching: int
    pages: int
    page: int
    regions: list[str]
    groups: list[str]


def _loads(session: Session, run_id: str) -> Counter[str]:
    return Counter(
        dict(
            session.execute(
                select(RunPair.mentor_id, func.count())
                .where(RunPair.run_id == run_id, RunPair.decision != "rejected")
                .group_by(RunPair.mentor_id)
            ).all()
        )
    )


def alternatives(
    session: Session, run: Run, mentees: ColumnElement[bool]
) -> dict[str, list[AltView]]:
    """The alternative mentors of the mentees ``mentees`` selects (a condition on
    ``RunAlternative.mentee_id``), in rank order, with their names and free seats."""
    found = rows(
        session,
        select(RunAlternative.mentee_id, RunAlternative.mentor_id, RunAlternative.score)
        .where(RunAlternative.run_id == run.id, mentees)
        .order_by(RunAlternative.mentee_id, RunAlternative.rank),
    )
    if not found:
        return {}
    mentor_ids = {mentor_id for _, mentor_id, _ in found}
    mentors = values(session, run.programme_id, "mentor", (NAME_COLUMN, "capacity"), mentor_ids)
    loads = _loads(session, run.id)
    views: dict[str, list[AltView]] = defaultdict(list)
    for mentee_id, mentor_id, score in found:
        name, seats = mentors.get(mentor_id, (None, None))
        views[mentee_id].append(
            AltView(
                mentor_id=mentor_id,
                mentor_name=text(name),
                score=score,
                free=max(0, capacity(seats) - loads[mentor_id]),
            )
        )
    return views


def _sort_key(sort: str) -> Callable[[Line], Any]:
    if sort == "score_asc":
        return lambda r: (r.score, r.position)
    if sort == "mentee":
        return lambda r: (r.mentee_id, r.position)
    if sort.startswith("crit:"):
        name = sort[5:]
        return lambda r: ((r.contributions or {}).get(name, 0.0), r.position)
    return lambda r: (-r.score, r.position)


def _keep(line: Line, filters: Filters) -> bool:
    return (
        (not filters.decision or line.decision == filters.decision)
        and (not filters.region or line.region == filters.region)
        and (not filters.group or line.group == filters.group)
        and (not filters.unmet or (line.contributions or {}).get(filters.unmet, 0.0) <= 0.0)
        and (filters.min_score is None or line.score >= filters.min_score - 1e-12)
        and (filters.max_score is None or line.score <= filters.max_score + 1e-12)
    )


def _select(lines: Iterable[Line], filters: Filters) -> list[Line]:
    return sorted((r for r in lines if _keep(r, filters)), key=_sort_key(filters.sort))


def _rows(
    session: Session,
    run: Run,
    pairs: list[PairView],
    groups: Mapping[str, tuple[str, str]] | None = None,
) -> list[ReviewRow]:
    """Full rows for ``pairs`` (a page's worth): names, region, group, alternatives."""
    mentee_ids = {p.mentee_id for p in pairs}
    mentees = values(
        session, run.programme_id, "mentee", (NAME_COLUMN, REGION_COLUMN, GROUP_COLUMN), mentee_ids
    )
    mentors = values(
        session, run.programme_id, "mentor", (NAME_COLUMN,), {p.mentor_id for p in pairs}
    )
    if groups is None:
        groups = {k: (text(region), text(group)) for k, (_, region, group) in mentees.items()}
    others = (
        alternatives(session, run, RunAlternative.mentee_id.in_(sorted(mentee_ids)))
        if mentee_ids
        else {}
    )
    nobody, nowhere = (None,), ("", "")
    return [
        ReviewRow(
            pair=pair,
            mentee_name=text(mentees.get(pair.mentee_id, nobody)[0]),
            mentor_name=text(mentors.get(pair.mentor_id, nobody)[0]),
            region=groups.get(pair.mentee_id, nowhere)[0],
            group=groups.get(pair.mentee_id, nowhere)[1],
            alternatives=[
                a for a in others.get(pair.mentee_id, []) if a.mentor_id != pair.mentor_id
            ],
        )
        for pair in pairs
    ]


def _pairs(session: Session, run: Run, pair_ids: list[int]) -> list[PairView]:
    """The run's pairs ``pair_ids`` (a page's worth at most), in that order."""
    query = select(*PAIR_COLUMNS).where(RunPair.run_id == run.id, RunPair.id.in_(pair_ids))
    found = {row[0]: PairView._make(row) for row in rows(session, query)}
    return [found[i] for i in pair_ids if i in found]


def filtered_pairs(session: Session, run: Run, filters: Filters) -> list[ReviewRow]:
    """Every pair that passes the filters, sorted (without alternatives)."""
    query = (
        select(*PAIR_COLUMNS).where(RunPair.run_id == run.id).order_by(RunPair.position, RunPair.id)
    )
    pairs = {row[0]: PairView._make(row) for row in rows(session, query)}
    mentees = values(
        session,
        run.programme_id,
        "mentee",
        (NAME_COLUMN, REGION_COLUMN, GROUP_COLUMN),
        {p.mentee_id for p in pairs.values()},
    )
    mentors = values(
        session, run.programme_id, "mentor", (NAME_COLUMN,), {p.mentor_id for p in pairs.values()}
    )
    names = {k: text(name) for k, (name, _, _) in mentees.items()}
    groups = {k: (text(region), text(group)) for k, (_, region, group) in mentees.items()}
    nowhere = ("", "")
    lines = [
        Line(
            p.id,
            p.position,
            p.mentee_id,
            p.mentor_id,
            p.score,
            p.decision,
            *groups.get(p.mentee_id, nowhere),
            p.contributions,
        )
        for p in pairs.values()
    ]
    return [
        ReviewRow(
            pair=pairs[line.id],
            mentee_name=names.get(line.mentee_id, ""),
            mentor_name=text(mentors.get(line.mentor_id, (None,))[0]),
            region=line.region,
            group=line.group,
            alternatives=[],
        )
        for line in _select(lines, filters)
    ]


def review(session: Session, run: Run, filters: Filters, pairs: RunPairs | None = None) -> Review:
    """One page of the review table under ``filters``, with the filter choices.

    ``pairs`` (from :func:`run_pairs`, with contributions if the filters read them) saves
    reading the run again when the page also shows its charts."""
    if pairs is None or (filters.reads_contributions and not pairs.with_contributions):
        pairs = run_pairs(session, run, filters.reads_contributions)
    everyone = pairs.lines
    kept = _select(everyone, filters)
    count = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(max(1, filters.page), count)
    shown = [line.id for line in kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    return Review(
        rows=_rows(session, run, _pairs(session, run, shown), pairs.groups),
        total=len(everyone),
        matching=len(kept),
        pages=count,
        page=page,
        regions=sorted({r.region for r in everyone if r.region}),
        groups=sorted({r.group for r in everyone if r.group}),
    )


def review_row(session: Session, run: Run, pair_id: int) -> ReviewRow | None:
    """One pair's row (after a decision on it), or None if it is not the run's."""
    pairs = _pairs(session, run, [pair_id])
    return _rows(session, run, pairs)[0] if pairs else None


def decision_counts(session: Session, run: Run) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(RunPair.decision, func.count())
            .where(RunPair.run_id == run.id)
            .group_by(RunPair.decision)
        ).all()
    )
    return {d: int(counts.get(d, 0)) for d in DECISIONS}


def decisions_made(session: Session, run: Run) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Decision).where(Decision.run_id == run.id))
        or 0
    )
