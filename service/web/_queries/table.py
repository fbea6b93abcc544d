"""The review table: a run's pairs under the coordinator's filters and sort, one page at a
time, with names, groups and alternative mentors; decision counts; exports' rows.

Filtering and sorting run in Python over light column tuples (pair id, position, mentee,
score, decision and the mentee's region and groups; contributions only when a filter or
the sort reads them), which keeps the filters identical on SQLite and PostgreSQL.
Full rows (evidence, names, alternatives) are read for the page shown only.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Text, cast, func, select
from sqlalchemy.orm import Session

from service.db import json_value
from service.models import Decision, Run, RunAlternative, RunPair
from service.web._queries.columns import Columns, run_columns
from service.web._queries.fields import capacity, rows, text, values
from service.web._queries.pairs import NOWHERE, Line, RunPairs, Traits, run_pairs, traits_of

__all__ = [
    "DECISIONS",
    "PAGE_SIZE",
    "AltView",
    "ExportRow",
    "Filters",
    "GroupChoice",
    "PairView",
    "Review",
    "ReviewRow",
    "alternatives",
    "decision_counts",
    "decisions_made",
    "export_rows",
    "filtered_lines",
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
    groups: tuple[tuple[str, str], ...] = ()
    """(group column, value) pairs, all required; a column the programme does not have
    (a link from before its configuration changed) is ignored."""
    unmet: str = ""
    """A criterion the pair gets nothing from (its contribution is 0)."""
    min_score: float | None = None
    max_score: float | None = None
    sort: str = "score_desc"
    page: int = 1

    def as_params(self) -> list[tuple[str, str]]:
        """The non-default filters as query parameters (for links and hidden fields); a
        group filter is ``group=column=value``, once per column."""
        params = [
            ("decision", self.decision),
            ("region", self.region),
            *(("group", f"{column}={value}") for column, value in self.groups),
            ("unmet", self.unmet),
            ("min_score", "" if self.min_score is None else f"{self.min_score:g}"),
            ("max_score", "" if self.max_score is None else f"{self.max_score:g}"),
            ("sort", "" if self.sort == "score_desc" else self.sort),
        ]
        return [(k, v) for k, v in params if v]

    def group(self, column: str) -> str:
        """The value the filter asks of the group column ``column`` (``""``: any)."""
        return next((value for c, value in self.groups if c == column), "")

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
    traits: Traits
    alternatives: list[AltView]

    @property
    def region(self) -> str:
        return self.traits.region

    @property
    def groups(self) -> tuple[str, ...]:
        return self.traits.groups


@dataclass(frozen=True)
class GroupChoice:
    """One group column's filter: its column and the values found in the run."""

    column: str
    values: list[str]


@dataclass(frozen=True)
class Review:
    rows: list[ReviewRow]
    total: int
    matching: int
    pages: int
    page: int
    columns: Columns
    regions: list[str]
    groups: list[GroupChoice]


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
    name = run_columns(session, run).mentor_name
    mentors = values(session, run.programme_id, "mentor", (name, "capacity"), mentor_ids)
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


def _groups_kept(traits: Traits, filters: Filters, columns: Columns) -> bool:
    return all(traits.group(columns, column) in (None, value) for column, value in filters.groups)


def _keep(line: Line, filters: Filters, columns: Columns) -> bool:
    return (
        (not filters.decision or line.decision == filters.decision)
        and (not filters.region or line.traits.region == filters.region)
        and (not filters.groups or _groups_kept(line.traits, filters, columns))
        and (not filters.unmet or (line.contributions or {}).get(filters.unmet, 0.0) <= 0.0)
        and (filters.min_score is None or line.score >= filters.min_score - 1e-12)
        and (filters.max_score is None or line.score <= filters.max_score + 1e-12)
    )


def _select(lines: Iterable[Line], filters: Filters, columns: Columns) -> list[Line]:
    return sorted((r for r in lines if _keep(r, filters, columns)), key=_sort_key(filters.sort))


def _names(session: Session, run: Run, side: str, column: str, ids: set[str]) -> dict[str, str]:
    """The names of ``ids`` on one side, from the programme's name column."""
    found = values(session, run.programme_id, side, (column,), ids)
    return {k: text(name) for k, (name,) in found.items()}


def _rows(
    session: Session,
    run: Run,
    pairs: list[PairView],
    traits: Mapping[str, Traits] | None = None,
) -> list[ReviewRow]:
    """Full rows for ``pairs`` (a page's worth): names, region, groups, alternatives."""
    columns = run_columns(session, run)
    mentee_ids = {p.mentee_id for p in pairs}
    mentees = values(
        session, run.programme_id, "mentee", (columns.mentee_name, *columns.traits), mentee_ids
    )
    mentor_names = _names(session, run, "mentor", columns.mentor_name, {p.mentor_id for p in pairs})
    if traits is None:
        traits = {k: traits_of(columns, found[1:]) for k, found in mentees.items()}
    others = (
        alternatives(session, run, RunAlternative.mentee_id.in_(sorted(mentee_ids)))
        if mentee_ids
        else {}
    )
    nobody = (None,)
    return [
        ReviewRow(
            pair=pair,
            mentee_name=text(mentees.get(pair.mentee_id, nobody)[0]),
            mentor_name=mentor_names.get(pair.mentor_id, ""),
            traits=traits.get(pair.mentee_id, NOWHERE),
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


def filtered_lines(
    session: Session, run: Run, filters: Filters, pairs: RunPairs | None = None
) -> list[Line]:
    """Every pair that passes the filters, sorted (``pairs`` from :func:`run_pairs`, with
    contributions if the filters read them, saves reading the run again)."""
    if pairs is None or (filters.reads_contributions and not pairs.with_contributions):
        pairs = run_pairs(session, run, filters.reads_contributions)
    return _select(pairs.lines, filters, pairs.columns)


class ExportRow(NamedTuple):
    """One exported pair: what the review row shows, and its explanation's evidence
    still as JSON text, decoded row by row as the export is written (decoding a whole
    run's evidence at once keeps millions of small objects alive)."""

    pair_id: int
    mentee_id: str
    mentee_name: str
    mentor_id: str
    mentor_name: str
    score: float
    contributions: dict[str, float]
    why: str
    evidence_json: str | None
    decision: str
    traits: Traits

    def evidence(self) -> list[dict[str, Any]] | None:
        """The pair's evidence (None for runs stored before evidence was kept)."""
        return None if self.evidence_json is None else json_value(self.evidence_json)


def export_rows(
    session: Session, run: Run, filters: Filters, pairs: RunPairs | None = None
) -> list[ExportRow]:
    """Every pair that passes the filters, sorted, as the exports write them."""
    if pairs is None or not pairs.with_contributions:
        pairs = run_pairs(session, run, with_contributions=True)
    kept = filtered_lines(session, run, filters, pairs)
    texts = {
        pair_id: (why, evidence)
        for pair_id, why, evidence in rows(
            session,
            select(RunPair.id, RunPair.why, cast(RunPair.evidence, Text)).where(
                RunPair.run_id == run.id
            ),
        )
    }
    columns = pairs.columns
    mentees = _names(session, run, "mentee", columns.mentee_name, {r.mentee_id for r in kept})
    mentors = _names(session, run, "mentor", columns.mentor_name, {r.mentor_id for r in kept})
    found = []
    for line in kept:
        why, evidence = texts.get(line.id, ("", None))
        found.append(
            ExportRow(
                line.id,
                line.mentee_id,
                mentees.get(line.mentee_id, ""),
                line.mentor_id,
                mentors.get(line.mentor_id, ""),
                line.score,
                line.contributions or {},
                why,
                evidence,
                line.decision,
                line.traits,
            )
        )
    return found


def review(session: Session, run: Run, filters: Filters, pairs: RunPairs | None = None) -> Review:
    """One page of the review table under ``filters``, with the filter choices.

    ``pairs`` (from :func:`run_pairs`, with contributions if the filters read them) saves
    reading the run again when the page also shows its charts."""
    if pairs is None or (filters.reads_contributions and not pairs.with_contributions):
        pairs = run_pairs(session, run, filters.reads_contributions)
    everyone = pairs.lines
    columns = pairs.columns
    kept = _select(everyone, filters, columns)
    count = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(max(1, filters.page), count)
    shown = [line.id for line in kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    return Review(
        rows=_rows(session, run, _pairs(session, run, shown), pairs.traits),
        total=len(everyone),
        matching=len(kept),
        pages=count,
        page=page,
        columns=columns,
        regions=sorted({r.traits.region for r in everyone if r.traits.region}),
        groups=[
            GroupChoice(
                column,
                sorted({v for r in everyone if (v := r.traits.group(columns, column))}),
            )
            for column in columns.groups
        ],
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
