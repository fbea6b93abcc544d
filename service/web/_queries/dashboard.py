"""The dashboard's reads: programmes, participant and seat counts, recent runs, and the
pairs in effect (the last published run's approved pairs)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import ActivePair, Participant, Programme, Run
from service.ops.paging import Window, paginate
from service.web._queries.columns import programme_columns
from service.web._queries.fields import capacity, text, values

__all__ = ["active_pairs", "participant_counts", "programme_runs", "programmes"]


def programmes(session: Session, programme_id: str | None) -> list[Programme]:
    query = select(Programme).order_by(Programme.created_at, Programme.id)
    if programme_id is not None:
        query = query.where(Programme.id == programme_id)
    return list(session.scalars(query))


def participant_counts(session: Session, programme_id: str) -> dict[str, int]:
    counts = {
        (side, status): count
        for side, status, count in session.execute(
            select(Participant.side, Participant.status, func.count())
            .where(Participant.programme_id == programme_id)
            .group_by(Participant.side, Participant.status)
        ).all()
    }
    mentors = values(session, programme_id, "mentor", ("capacity",))
    return {
        "mentees": int(counts.get(("mentee", "approved"), 0)),
        "mentors": int(counts.get(("mentor", "approved"), 0)),
        "pending": sum(int(n) for (_side, status), n in counts.items() if status == "pending"),
        "seats": sum(capacity(seats) for (seats,) in mentors.values()),
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
    window = paginate(session, query, Window(offset=0, limit=limit), ActivePair.id)
    rows = window.items
    columns = programme_columns(session, programme_id)
    mentees = values(
        session, programme_id, "mentee", (columns.mentee_name,), ids={r.mentee_id for r in rows}
    )
    mentors = values(
        session, programme_id, "mentor", (columns.mentor_name,), ids={r.mentor_id for r in rows}
    )
    named = [
        (
            r,
            text(mentees.get(r.mentee_id, (None,))[0]),
            text(mentors.get(r.mentor_id, (None,))[0]),
        )
        for r in rows
    ]
    return window.total, named
