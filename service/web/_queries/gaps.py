"""Who a run left unmatched, why, and what would help: each mentee's reason, needs,
languages (the columns of the programme's needs and language criteria, if it has them)
and alternative mentors, a page at a time; recruitment gaps as a needs x languages table."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Run, RunAlternative, RunGap, RunUnmatched
from service.web._queries.columns import run_columns
from service.web._queries.fields import rows, tags, text, values
from service.web._queries.table import AltView, alternatives

__all__ = [
    "UNMATCHED_PAGE_SIZE",
    "GapMatrix",
    "GroupGap",
    "UnmatchedPage",
    "UnmatchedView",
    "gap_matrix",
    "group_gaps",
    "unmatched",
]

UNMATCHED_PAGE_SIZE = 50


@dataclass(frozen=True)
class UnmatchedView:
    mentee_id: str
    name: str
    reason: str
    detail: str
    evidence: dict[str, Any] | None
    needs: list[str]
    languages: list[str]
    alternatives: list[AltView]


@dataclass(frozen=True)
class UnmatchedPage:
    """One page of the unmatched mentees, in id order."""

    rows: list[UnmatchedView]
    total: int
    page: int
    pages: int


def unmatched(session: Session, run: Run, page: int = 1) -> UnmatchedPage:
    """The ``page``-th ``UNMATCHED_PAGE_SIZE`` unmatched mentees (a page past the last
    shows the last); only the shown mentees' fields and alternatives are read."""
    in_run = RunUnmatched.run_id == run.id
    total = session.scalar(select(func.count()).select_from(RunUnmatched).where(in_run)) or 0
    pages = max(1, math.ceil(total / UNMATCHED_PAGE_SIZE))
    page = min(max(1, page), pages)
    found = rows(
        session,
        select(
            RunUnmatched.mentee_id,
            RunUnmatched.reason,
            RunUnmatched.detail,
            RunUnmatched.evidence,
        )
        .where(in_run)
        .order_by(RunUnmatched.mentee_id)
        .offset((page - 1) * UNMATCHED_PAGE_SIZE)
        .limit(UNMATCHED_PAGE_SIZE),
    )
    return UnmatchedPage(_unmatched_views(session, run, found), total, page, pages)


def _unmatched_views(session: Session, run: Run, found: Sequence[Any]) -> list[UnmatchedView]:
    if not found:
        return []
    shown = {mentee_id for mentee_id, *_ in found}
    columns = run_columns(session, run)
    wanted = (columns.mentee_name, columns.needs, columns.languages)
    read = tuple(dict.fromkeys(c for c in wanted if c))
    stored = values(session, run.programme_id, "mentee", read, ids=shown)
    mentees = {
        k: tuple(got[read.index(c)] if c else None for c in wanted) for k, got in stored.items()
    }
    others = alternatives(session, run, RunAlternative.mentee_id.in_(shown))
    views = []
    for mentee_id, reason, detail, evidence in found:
        name, needs, languages = mentees.get(mentee_id, (None, None, None))
        views.append(
            UnmatchedView(
                mentee_id=mentee_id,
                name=text(name),
                reason=reason,
                detail=detail,
                evidence=evidence,
                needs=tags(needs),
                languages=tags(languages),
                alternatives=others.get(mentee_id, []),
            )
        )
    return views


@dataclass(frozen=True)
class GapMatrix:
    needs: list[str]
    languages: list[str]
    counts: dict[tuple[str, str], int]


def gap_matrix(session: Session, run: Run) -> GapMatrix:
    """Recruitment gaps as a needs x languages table of unmatched mentees (the gaps of no
    particular group: a programme with groups reports :func:`group_gaps` instead)."""
    counts: dict[tuple[str, str], int] = {}
    for need, language, mentees, group in session.execute(
        select(RunGap.need, RunGap.language, RunGap.mentees, RunGap.group).where(
            RunGap.run_id == run.id
        )
    ).all():
        if group:
            continue
        counts[(need, language)] = counts.get((need, language), 0) + mentees
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


@dataclass(frozen=True)
class GroupGap:
    """Unmatched mentees of one group, and the need and language most of them share."""

    group: dict[str, str]
    mentees: int
    need: str
    language: str
    sharing: int

    @property
    def known(self) -> bool:
        """Whether a need and a language are known (``*`` stands for either unknown)."""
        return self.need_known and self.language != "*"

    @property
    def need_known(self) -> bool:
        return self.need != "*" and self.sharing > 0


def group_gaps(session: Session, run: Run) -> list[GroupGap]:
    """The run's recruitment gaps by group, most unmatched first."""
    found = session.execute(
        select(RunGap.group, RunGap.mentees, RunGap.need, RunGap.language, RunGap.sharing)
        .where(RunGap.run_id == run.id)
        .order_by(RunGap.mentees.desc(), RunGap.id)
    ).all()
    return [
        GroupGap(dict(group), mentees, need, language, sharing)
        for group, mentees, need, language, sharing in found
        if group
    ]
