"""Read-only queries behind the review page: counts, runs, review rows with names and
groups, filters and sorting, unmatched mentees with what would help, recruitment gaps,
chart figures and the diff between a run and the run it rematched.

Nothing here writes: decisions, runs and publishing go through :mod:`service.ops`.
Rows are filtered and sorted in Python after one query per table, which keeps the
filters identical on SQLite and PostgreSQL (participant fields are JSON).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import (
    ActivePair,
    Decision,
    Participant,
    Programme,
    Run,
    RunAlternative,
    RunGap,
    RunPair,
    RunUnmatched,
)

__all__ = [
    "DECISIONS",
    "GROUP_COLUMN",
    "PAGE_SIZE",
    "REGION_COLUMN",
    "Diff",
    "Filters",
    "GroupStat",
    "Review",
    "ReviewRow",
    "RunStats",
    "active_pairs",
    "decision_counts",
    "diff",
    "gap_matrix",
    "participant_counts",
    "people",
    "programme_runs",
    "programmes",
    "review",
    "review_row",
    "run_criteria",
    "run_stats",
    "unmatched",
]

DECISIONS = ("suggested", "approved", "rejected", "locked")
GROUP_COLUMN = "status"
"""The mentee field that names her group (cooperative member, self-employed, student)."""
REGION_COLUMN = "region"
NAME_COLUMN = "name"
PAGE_SIZE = 100
MISSING = "(missing)"


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _tags(data: dict[str, Any], name: str) -> list[str]:
    """A multi-valued field as tags, levels dropped (``seo:3`` -> ``seo``)."""
    value = data.get(name)
    items = value if isinstance(value, list) else _text(data, name).split("|")
    return [str(item).split(":")[0].strip() for item in items if str(item).strip()]


def _capacity(data: dict[str, Any]) -> int:
    value = data.get("capacity")
    return int(value) if isinstance(value, int | float) and not math.isnan(value) else 1


# --------------------------------------------------------------------------- programmes


def programmes(session: Session, programme_id: str | None) -> list[Programme]:
    query = select(Programme).order_by(Programme.created_at, Programme.id)
    if programme_id is not None:
        query = query.where(Programme.id == programme_id)
    return list(session.scalars(query))


def people(
    session: Session, programme_id: str, side: str, ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Participants' fields by id (all of one side, or only ``ids``)."""
    query = select(Participant).where(
        Participant.programme_id == programme_id, Participant.side == side
    )
    if ids is not None:
        query = query.where(Participant.person_id.in_(sorted(set(ids))))
    return {p.person_id: p.data for p in session.scalars(query)}


def participant_counts(session: Session, programme_id: str) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(Participant.side, func.count())
            .where(Participant.programme_id == programme_id)
            .group_by(Participant.side)
        ).all()
    )
    seats = sum(_capacity(d) for d in people(session, programme_id, "mentor").values())
    return {
        "mentees": int(counts.get("mentee", 0)),
        "mentors": int(counts.get("mentor", 0)),
        "seats": seats,
    }


def programme_runs(session: Session, programme_id: str, limit: int = 20) -> list[Run]:
    return list(
        session.scalars(
            select(Run)
            .where(Run.programme_id == programme_id)
            .order_by(Run.created_at.desc(), Run.id)
            .limit(limit)
        )
    )


def active_pairs(
    session: Session, programme_id: str, limit: int = 50
) -> tuple[int, list[tuple[ActivePair, str, str]]]:
    """(total, first pairs with the mentee's and mentor's names)."""
    query = select(ActivePair).where(ActivePair.programme_id == programme_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(ActivePair.id).limit(limit)))
    mentees = people(session, programme_id, "mentee", [r.mentee_id for r in rows])
    mentors = people(session, programme_id, "mentor", [r.mentor_id for r in rows])
    named = [
        (
            r,
            _text(mentees.get(r.mentee_id, {}), NAME_COLUMN),
            _text(mentors.get(r.mentor_id, {}), NAME_COLUMN),
        )
        for r in rows
    ]
    return int(total), named


# --------------------------------------------------------------------------- review


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


@dataclass(frozen=True)
class AltView:
    mentor_id: str
    mentor_name: str
    score: float
    free: int
    """Seats the mentor has left in this run, counting every pair not rejected."""


@dataclass(frozen=True)
class ReviewRow:
    pair: RunPair
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


def _alternatives(
    session: Session, run: Run, mentee_ids: list[str], mentors: dict[str, dict[str, Any]]
) -> dict[str, list[AltView]]:
    loads = _loads(session, run.id)
    found: dict[str, list[AltView]] = defaultdict(list)
    for alt in session.scalars(
        select(RunAlternative)
        .where(RunAlternative.run_id == run.id, RunAlternative.mentee_id.in_(mentee_ids))
        .order_by(RunAlternative.mentee_id, RunAlternative.rank)
    ):
        data = mentors.get(alt.mentor_id, {})
        found[alt.mentee_id].append(
            AltView(
                mentor_id=alt.mentor_id,
                mentor_name=_text(data, NAME_COLUMN),
                score=alt.score,
                free=max(0, _capacity(data) - loads[alt.mentor_id]),
            )
        )
    return found


def _sort_key(sort: str) -> Any:
    if sort == "score_asc":
        return lambda r: (r.pair.score, r.pair.position)
    if sort == "mentee":
        return lambda r: (r.pair.mentee_id, r.pair.position)
    if sort.startswith("crit:"):
        name = sort[5:]
        return lambda r: (r.pair.contributions.get(name, 0.0), r.pair.position)
    return lambda r: (-r.pair.score, r.pair.position)


def _keep(row: ReviewRow, filters: Filters) -> bool:
    pair = row.pair
    return (
        (not filters.decision or pair.decision == filters.decision)
        and (not filters.region or row.region == filters.region)
        and (not filters.group or row.group == filters.group)
        and (not filters.unmet or pair.contributions.get(filters.unmet, 0.0) <= 0.0)
        and (filters.min_score is None or pair.score >= filters.min_score - 1e-12)
        and (filters.max_score is None or pair.score <= filters.max_score + 1e-12)
    )


def _rows(
    session: Session, run: Run, pairs: list[RunPair], with_alternatives: bool = True
) -> list[ReviewRow]:
    mentees = people(session, run.programme_id, "mentee", [p.mentee_id for p in pairs])
    mentors = people(session, run.programme_id, "mentor")
    alternatives = (
        _alternatives(session, run, [p.mentee_id for p in pairs], mentors)
        if with_alternatives
        else {}
    )
    rows = []
    for pair in pairs:
        mentee = mentees.get(pair.mentee_id, {})
        rows.append(
            ReviewRow(
                pair=pair,
                mentee_name=_text(mentee, NAME_COLUMN),
                mentor_name=_text(mentors.get(pair.mentor_id, {}), NAME_COLUMN),
                region=_text(mentee, REGION_COLUMN),
                group=_text(mentee, GROUP_COLUMN),
                alternatives=[
                    a for a in alternatives.get(pair.mentee_id, []) if a.mentor_id != pair.mentor_id
                ],
            )
        )
    return rows


def _all_rows(session: Session, run: Run) -> list[ReviewRow]:
    pairs = list(
        session.scalars(select(RunPair).where(RunPair.run_id == run.id).order_by(RunPair.position))
    )
    return _rows(session, run, pairs, with_alternatives=False)


def _select(rows: list[ReviewRow], filters: Filters) -> list[ReviewRow]:
    return sorted((r for r in rows if _keep(r, filters)), key=_sort_key(filters.sort))


def filtered_pairs(session: Session, run: Run, filters: Filters) -> list[ReviewRow]:
    """Every pair that passes the filters, sorted (without alternatives)."""
    return _select(_all_rows(session, run), filters)


def review(session: Session, run: Run, filters: Filters) -> Review:
    """One page of the review table under ``filters``, with the filter choices."""
    everyone = _all_rows(session, run)
    kept = _select(everyone, filters)
    pages = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    shown = [r.pair for r in kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    return Review(
        rows=_rows(session, run, shown),
        total=len(everyone),
        matching=len(kept),
        pages=pages,
        page=page,
        regions=sorted({r.region for r in everyone if r.region}),
        groups=sorted({r.group for r in everyone if r.group}),
    )


def review_row(session: Session, run: Run, pair_id: int) -> ReviewRow | None:
    pair = session.get(RunPair, pair_id)
    if pair is None or pair.run_id != run.id:
        return None
    return _rows(session, run, [pair])[0]


def pairs_by_ids(session: Session, run: Run, pair_ids: Iterable[int]) -> list[RunPair]:
    wanted = sorted(set(pair_ids))
    if not wanted:
        return []
    return list(
        session.scalars(
            select(RunPair)
            .where(RunPair.run_id == run.id, RunPair.id.in_(wanted))
            .order_by(RunPair.position)
        )
    )


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


# --------------------------------------------------------------------------- unmatched, gaps


@dataclass(frozen=True)
class UnmatchedView:
    mentee_id: str
    name: str
    reason: str
    detail: str
    needs: list[str]
    languages: list[str]
    alternatives: list[AltView]


def unmatched(session: Session, run: Run) -> list[UnmatchedView]:
    rows = list(
        session.scalars(
            select(RunUnmatched)
            .where(RunUnmatched.run_id == run.id)
            .order_by(RunUnmatched.mentee_id)
        )
    )
    mentees = people(session, run.programme_id, "mentee", [r.mentee_id for r in rows])
    mentors = people(session, run.programme_id, "mentor")
    alternatives = _alternatives(session, run, [r.mentee_id for r in rows], mentors)
    return [
        UnmatchedView(
            mentee_id=r.mentee_id,
            name=_text(mentees.get(r.mentee_id, {}), NAME_COLUMN),
            reason=r.reason,
            detail=r.detail,
            needs=_tags(mentees.get(r.mentee_id, {}), "needs"),
            languages=_tags(mentees.get(r.mentee_id, {}), "languages"),
            alternatives=alternatives.get(r.mentee_id, []),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class GapMatrix:
    needs: list[str]
    languages: list[str]
    counts: dict[tuple[str, str], int]


def gap_matrix(session: Session, run: Run) -> GapMatrix:
    """Recruitment gaps as a needs x languages table of unmatched mentees."""
    counts: dict[tuple[str, str], int] = {}
    for gap in session.scalars(select(RunGap).where(RunGap.run_id == run.id)):
        counts[(gap.need, gap.language)] = counts.get((gap.need, gap.language), 0) + gap.mentees
    by_need: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    for (need, language), n in counts.items():
        by_need[need] += n
        by_language[language] += n
    return GapMatrix(
        needs=sorted(by_need, key=lambda k: (-by_need[k], k)),
        languages=sorted(by_language, key=lambda k: (-by_language[k], k)),
        counts=counts,
    )


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class GroupStat:
    group: str
    mentees: int
    matched: int
    mean_score: float | None

    @property
    def match_rate(self) -> float:
        return self.matched / self.mentees if self.mentees else 0.0


@dataclass(frozen=True)
class RunStats:
    """What the charts show for one run: pairs not rejected count as matches."""

    scores: list[float]
    loads: list[tuple[int, int]]
    """(load, capacity) of every mentor of the programme."""
    by_column: dict[str, list[GroupStat]] = field(default_factory=dict)


def run_stats(session: Session, run: Run) -> RunStats:
    pairs = list(
        session.scalars(
            select(RunPair).where(RunPair.run_id == run.id, RunPair.decision != "rejected")
        )
    )
    unmatched_ids = set(
        session.scalars(select(RunUnmatched.mentee_id).where(RunUnmatched.run_id == run.id))
    )
    rejected_ids = set(
        session.scalars(
            select(RunPair.mentee_id).where(
                RunPair.run_id == run.id, RunPair.decision == "rejected"
            )
        )
    )
    in_run = {p.mentee_id for p in pairs} | unmatched_ids | rejected_ids
    mentees = people(session, run.programme_id, "mentee", in_run)
    mentors = people(session, run.programme_id, "mentor")
    load = Counter(p.mentor_id for p in pairs)
    scores_by_mentee: dict[str, list[float]] = defaultdict(list)
    for pair in pairs:
        scores_by_mentee[pair.mentee_id].append(pair.score)
    by_column: dict[str, list[GroupStat]] = {}
    for column in (GROUP_COLUMN, REGION_COLUMN):
        members: dict[str, list[str]] = defaultdict(list)
        for mentee_id in sorted(in_run):
            if mentee_id in mentees:
                members[_text(mentees[mentee_id], column) or MISSING].append(mentee_id)
        stats = []
        for group in sorted(members):
            scores = [s for m in members[group] for s in scores_by_mentee.get(m, [])]
            stats.append(
                GroupStat(
                    group=group,
                    mentees=len(members[group]),
                    matched=sum(1 for m in members[group] if scores_by_mentee.get(m)),
                    mean_score=sum(scores) / len(scores) if scores else None,
                )
            )
        by_column[column] = stats
    return RunStats(
        scores=[p.score for p in pairs],
        loads=[(load[m], _capacity(d)) for m, d in sorted(mentors.items())],
        by_column=by_column,
    )


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class Change:
    mentee_id: str
    mentee_name: str
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class Diff:
    kept: int
    changed: list[Change]
    new: list[Change]
    lost: list[Change]
    honoured: int
    """Approved or locked pairs of the earlier run found again in this one."""
    rejected_avoided: int
    """Rejected pairs of the earlier run not proposed again."""
    mentor_names: dict[str, str]


def diff(session: Session, before: Run, after: Run) -> Diff:
    """What a rematch changed, mentee by mentee."""

    def assignment(run: Run, keep_rejected: bool = False) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for pair in session.scalars(select(RunPair).where(RunPair.run_id == run.id)):
            if keep_rejected or pair.decision != "rejected":
                found[pair.mentee_id].add(pair.mentor_id)
        return found

    old, new = assignment(before), assignment(after)
    earlier = list(session.scalars(select(RunPair).where(RunPair.run_id == before.id)))
    now = {
        (p.mentee_id, p.mentor_id)
        for p in session.scalars(select(RunPair).where(RunPair.run_id == after.id))
    }
    mentees = people(session, after.programme_id, "mentee", set(old) | set(new))
    mentor_names = {
        k: _text(v, NAME_COLUMN) for k, v in people(session, after.programme_id, "mentor").items()
    }
    kept, changed, gained, lost = 0, [], [], []
    for mentee_id in sorted(set(old) | set(new)):
        a, b = old.get(mentee_id, set()), new.get(mentee_id, set())
        change = Change(
            mentee_id=mentee_id,
            mentee_name=_text(mentees.get(mentee_id, {}), NAME_COLUMN),
            before=sorted(a),
            after=sorted(b),
        )
        if a == b:
            kept += 1
        elif not a:
            gained.append(change)
        elif not b:
            lost.append(change)
        else:
            changed.append(change)
    honoured = sum(
        1
        for p in earlier
        if p.decision in ("approved", "locked") and (p.mentee_id, p.mentor_id) in now
    )
    avoided = sum(
        1 for p in earlier if p.decision == "rejected" and (p.mentee_id, p.mentor_id) not in now
    )
    return Diff(
        kept=kept,
        changed=changed,
        new=gained,
        lost=lost,
        honoured=honoured,
        rejected_avoided=avoided,
        mentor_names=mentor_names,
    )
