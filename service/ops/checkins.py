"""Check-ins: each person's link to say how her pair is going, and the outcomes.

A link carries a secret token (32 random bytes, URL-safe); only its SHA-256 is stored.
A link opens its own check-in only (one person on one pair). It stops working when it
expires (``link_days`` after it was issued), when a coordinator revokes it, and when a
new link is issued for the same check-in (the old token is forgotten). Unknown tokens are
:class:`UnknownLinkError` (404 on the API), revoked or expired ones
:class:`ClosedLinkError` (410); the routes count both against the client's address
(:mod:`service.throttle`).

A pair's outcome, from its answers: ``ended_early`` if anyone said it ended, else
``poor`` if anyone is not meeting or the mean rating is below 3, else ``good`` — the
classes :func:`matching.learn_weights` reads (:data:`matching.learning.OUTCOMES`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import batches
from service.models import CheckIn, Participant, Programme
from service.ops.contacts import contacts, run_programme
from service.ops.errors import ClosedLinkError, NotFoundError, UnknownLinkError

__all__ = [
    "END_REASONS",
    "Answer",
    "CheckInView",
    "FollowUpStats",
    "PairOutcome",
    "answer",
    "issue",
    "issue_due",
    "open_link",
    "outcome_of",
    "outcomes",
    "revoke",
    "stats",
    "view",
]

END_REASONS = ("goal_reached", "no_time", "no_contact", "poor_fit", "moved_away", "other")
"""Why a pair ended early (the form's fixed list; ``other`` with free text)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(checkin: CheckIn, now: datetime, days: int) -> str:
    """A new link's token for ``checkin`` (any earlier link stops working); the caller
    stores the row and hands the token to its person once."""
    token = secrets.token_urlsafe(32)
    checkin.token_sha256 = _digest(token)
    checkin.issued_at, checkin.expires_at = now, now + timedelta(days=days)
    checkin.revoked_at = None
    return token


def issue_due(
    session: Session, programme_id: str, now: datetime, days: int
) -> list[tuple[CheckIn, str]]:
    """New links for the programme's check-ins that are due and unanswered."""
    rows = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.programme_id == programme_id,
            CheckIn.due_at <= now,
            CheckIn.answered_at.is_(None),
        )
        .order_by(CheckIn.id)
    ).all()
    issued = [(row, issue(row, now, days)) for row in rows]
    session.flush()
    return issued


def open_link(session: Session, token: str, now: datetime) -> CheckIn:
    """The check-in a token opens, or why not."""
    row = session.scalar(select(CheckIn).where(CheckIn.token_sha256 == _digest(token)))
    if row is None:
        raise UnknownLinkError("unknown_link", "this check-in link is unknown")
    if row.revoked_at is not None or row.expires_at is None or row.expires_at <= now:
        raise ClosedLinkError("closed_link", "this check-in link was revoked or has expired")
    return row


@dataclass(frozen=True)
class CheckInView:
    """What a link shows its person: her name, her partner's, in her language."""

    checkin: CheckIn
    programme: str
    name: str
    partner: str
    language: str


def view(session: Session, checkin: CheckIn) -> CheckInView:
    """The check-in as its person sees it (names read now: an erased partner shows as
    her id's absence, never another person)."""
    programme = session.get(Programme, checkin.programme_id)
    assert programme is not None
    config = run_programme(session, programme.id, programme.version)
    other = "mentor" if checkin.side == "mentee" else "mentee"
    ids = {"mentee": checkin.mentee_id, "mentor": checkin.mentor_id}
    me = contacts(session, programme.id, checkin.side, [ids[checkin.side]], config)
    them = contacts(session, programme.id, other, [ids[other]], config)
    person, partner = me.get(ids[checkin.side]), them.get(ids[other])
    if person is None:
        raise UnknownLinkError("unknown_link", "this check-in link is unknown")
    return CheckInView(
        checkin=checkin,
        programme=programme.name,
        name=person.name,
        partner=partner.name if partner is not None else "",
        language=person.language,
    )


@dataclass(frozen=True)
class Answer:
    """What a person says about her pair."""

    meeting: bool
    rating: int
    continuing: bool
    end_reason: str | None
    comment: str | None


def answer(checkin: CheckIn, given: Answer, now: datetime) -> None:
    """Store (or replace, while the link works) a person's answer."""
    checkin.meeting, checkin.rating, checkin.continuing = (
        given.meeting,
        given.rating,
        given.continuing,
    )
    checkin.end_reason = None if given.continuing else given.end_reason
    checkin.comment = given.comment or None
    checkin.answered_at = now


def revoke(session: Session, programme_id: str, checkin_id: int, now: datetime) -> CheckIn:
    """Close a check-in's link."""
    row = session.get(CheckIn, checkin_id)
    if row is None or row.programme_id != programme_id:
        raise NotFoundError("checkin_not_found", "check-in not found")
    row.revoked_at = now
    session.flush()
    return row


@dataclass(frozen=True)
class PairOutcome:
    """A pair's answers summed up."""

    run_id: str
    mentee_id: str
    mentor_id: str
    answers: int
    meeting: bool
    mean_rating: float
    continuing: bool
    end_reasons: tuple[str, ...]
    outcome: str


def outcome_of(rows: Sequence[CheckIn]) -> PairOutcome:
    """One pair's answers summed up (see the module docstring for the outcome's rule)."""
    first = rows[0]
    meeting = all(bool(r.meeting) for r in rows)
    continuing = all(bool(r.continuing) for r in rows)
    mean = fmean(r.rating or 0 for r in rows)
    label = "ended_early" if not continuing else "poor" if not meeting or mean < 3 else "good"
    return PairOutcome(
        run_id=first.run_id,
        mentee_id=first.mentee_id,
        mentor_id=first.mentor_id,
        answers=len(rows),
        meeting=meeting,
        mean_rating=mean,
        continuing=continuing,
        end_reasons=tuple(sorted({r.end_reason for r in rows if r.end_reason})),
        outcome=label,
    )


def outcomes(session: Session, programme_id: str) -> list[PairOutcome]:
    """Each answered pair's outcome, in mentee then mentor order."""
    answered = session.scalars(
        select(CheckIn)
        .where(CheckIn.programme_id == programme_id, CheckIn.answered_at.is_not(None))
        .order_by(CheckIn.mentee_id, CheckIn.mentor_id, CheckIn.side)
    ).all()
    by_pair: dict[tuple[str, str], list[CheckIn]] = defaultdict(list)
    for row in answered:
        by_pair[(row.mentee_id, row.mentor_id)].append(row)
    return [outcome_of(rows) for rows in by_pair.values()]


@dataclass(frozen=True)
class FollowUpStats:
    """The dashboard's follow-up panel."""

    issued: int
    answered: int
    mean_rating: float | None
    rating_by_group: dict[str, float]
    """Mean rating by the mentee's first group column's value (empty without groups)."""
    group_column: str | None
    at_risk: list[PairOutcome]
    """Pairs not meeting, rated below 3 or ended early."""

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.issued if self.issued else None


def _mentee_groups(
    session: Session, programme: Programme, ids: set[str]
) -> tuple[str | None, dict[str, str]]:
    """The mentees' first group column, and each answering mentee's value in it."""
    config = run_programme(session, programme.id, programme.version)
    groups = config.fields.mentee.groups if config is not None else ()
    if not groups or not ids:
        return None, {}
    column = groups[0]
    found: dict[str, str] = {}
    for batch in batches(ids):
        rows = session.execute(
            select(Participant.person_id, Participant.data).where(
                Participant.programme_id == programme.id,
                Participant.side == "mentee",
                Participant.person_id.in_(batch),
            )
        ).all()
        found.update({person: str(data.get(column, "")) for person, data in rows})
    return column, found


def stats(session: Session, programme: Programme) -> FollowUpStats:
    """Response rate, ratings by group and the pairs at risk of a programme."""
    rows = session.scalars(
        select(CheckIn).where(CheckIn.programme_id == programme.id, CheckIn.issued_at.is_not(None))
    ).all()
    answered = [r for r in rows if r.answered_at is not None]
    column, group_of = _mentee_groups(session, programme, {r.mentee_id for r in answered})
    by_group: dict[str, list[int]] = defaultdict(list)
    for row in answered:
        if column is not None:
            by_group[group_of.get(row.mentee_id, "")].append(row.rating or 0)
    pairs = outcomes(session, programme.id)
    return FollowUpStats(
        issued=len(rows),
        answered=len(answered),
        mean_rating=fmean(r.rating or 0 for r in answered) if answered else None,
        rating_by_group={g: fmean(v) for g, v in sorted(by_group.items())},
        group_column=column,
        at_risk=[p for p in pairs if p.outcome != "good"],
    )
