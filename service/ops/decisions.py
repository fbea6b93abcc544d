"""Coordinator decisions (approve, reject, lock, swap) as audit rows, and publishing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matching.messages import COORDINATOR_CHOICE, render
from service.auth import Principal
from service.db import batches
from service.models import (
    ActivePair,
    Decision,
    Participant,
    Programme,
    Run,
    RunAlternative,
    RunPair,
    utcnow,
)

__all__ = ["BULK_ACTIONS", "decide", "decide_many", "publish"]

_OUTCOME = {"approve": "approved", "reject": "rejected", "lock": "locked", "swap": "approved"}
BULK_ACTIONS = ("approve", "reject", "lock")
"""Actions that take one pair's word only (a swap names a new mentor per pair)."""


def _state(pair: RunPair) -> dict[str, Any]:
    return {"mentor_id": pair.mentor_id, "score": pair.score, "decision": pair.decision}


def decide(
    session: Session,
    run: Run,
    principal: Principal,
    action: str,
    mentee_id: str,
    mentor_id: str,
    new_mentor_id: str | None,
    reason: str,
) -> Decision:
    """Apply one decision to a suggested pair and append its audit row."""
    if run.status != "succeeded":
        raise HTTPException(status_code=409, detail="decisions need a succeeded run")
    pair = session.scalars(
        select(RunPair)
        .where(
            RunPair.run_id == run.id,
            RunPair.mentee_id == mentee_id,
            RunPair.mentor_id == mentor_id,
        )
        .with_for_update()
    ).first()
    if pair is None:
        raise HTTPException(status_code=404, detail="no such pair in this run")
    before = _state(pair)
    if action == "swap":
        _swap(session, run, pair, new_mentor_id)
    pair.decision = _OUTCOME[action]
    decision = Decision(
        programme_id=run.programme_id,
        run_id=run.id,
        action=action,
        mentee_id=mentee_id,
        before=before,
        after=_state(pair),
        reason=reason,
        key_id=principal.key_id,
    )
    session.add(decision)
    session.flush()
    return decision


def decide_many(
    session: Session, run: Run, principal: Principal, action: str, pair_ids: Iterable[int]
) -> int:
    """Apply one bulk action to the run's pairs among ``pair_ids`` (ids of other runs, or
    of no pair, are ignored) and append one audit row each, as :func:`decide` would one
    by one; return how many were decided.

    The pairs are read and locked in bounded batches and the audit rows written in one
    flush: a coordinator approving 30,000 shown pairs waits for a few queries, not for
    three per pair. The caller commits (all or nothing).
    """
    if action not in BULK_ACTIONS:
        raise HTTPException(status_code=422, detail="action")
    if run.status != "succeeded":
        raise HTTPException(status_code=409, detail="decisions need a succeeded run")
    pairs: list[RunPair] = []
    for batch in batches(pair_ids):
        pairs.extend(
            session.scalars(
                select(RunPair)
                .where(RunPair.run_id == run.id, RunPair.id.in_(batch))
                .with_for_update()
            )
        )
    pairs.sort(key=lambda pair: (pair.position, pair.id))  # the audit in the page's order
    audit = []
    for pair in pairs:
        before = _state(pair)
        pair.decision = _OUTCOME[action]
        audit.append(
            Decision(
                programme_id=run.programme_id,
                run_id=run.id,
                action=action,
                mentee_id=pair.mentee_id,
                before=before,
                after=_state(pair),
                reason="",
                key_id=principal.key_id,
            )
        )
    session.add_all(audit)
    session.flush()
    return len(audit)


def _swap(session: Session, run: Run, pair: RunPair, new_mentor_id: str | None) -> None:
    """Give the pair's mentee one of her alternatives, if that mentor still has room."""
    if not new_mentor_id:
        raise HTTPException(status_code=422, detail="swap needs new_mentor_id")
    alternative = session.scalars(
        select(RunAlternative).where(
            RunAlternative.run_id == run.id,
            RunAlternative.mentee_id == pair.mentee_id,
            RunAlternative.mentor_id == new_mentor_id,
        )
    ).first()
    if alternative is None:
        raise HTTPException(
            status_code=422, detail="new_mentor_id is not one of the mentee's alternatives"
        )
    taken = session.scalar(
        select(func.count())
        .select_from(RunPair)
        .where(
            RunPair.run_id == run.id,
            RunPair.mentor_id == new_mentor_id,
            RunPair.decision != "rejected",
        )
    )
    mentor = session.scalars(
        select(Participant).where(
            Participant.programme_id == run.programme_id,
            Participant.side == "mentor",
            Participant.person_id == new_mentor_id,
        )
    ).first()
    # Stored data passed the engine's validation: a whole number, 1 when not given. A
    # capacity of 0 (a mentor who stepped back since the run) means no seat at all.
    seats = mentor.data.get("capacity") if mentor is not None else 0
    capacity = 1 if seats is None else int(seats)
    if (taken or 0) >= capacity:
        raise HTTPException(status_code=409, detail="that mentor has no capacity left")
    duplicate = session.scalars(
        select(RunPair).where(
            RunPair.run_id == run.id,
            RunPair.mentee_id == pair.mentee_id,
            RunPair.mentor_id == new_mentor_id,
        )
    ).first()
    if duplicate is not None:
        raise HTTPException(status_code=409, detail="the mentee already has that mentor")
    pair.mentor_id = new_mentor_id
    pair.score = alternative.score
    pair.contributions = dict(alternative.contributions or {})
    pair.why = render(COORDINATOR_CHOICE)
    pair.evidence = [COORDINATOR_CHOICE.to_dict()]  # the old mentor's evidence no longer holds


def publish(session: Session, run: Run, programme: Programme) -> tuple[int, Any]:
    """Make the run's approved and locked pairs the programme's active pairs."""
    if run.status != "succeeded":
        raise HTTPException(status_code=409, detail="only a succeeded run can be published")
    now = utcnow()
    session.execute(delete(ActivePair).where(ActivePair.programme_id == programme.id))
    pairs = session.scalars(
        select(RunPair)
        .where(RunPair.run_id == run.id, RunPair.decision.in_(("approved", "locked")))
        .order_by(RunPair.position)
    ).all()
    for pair in pairs:
        session.add(
            ActivePair(
                programme_id=programme.id,
                mentee_id=pair.mentee_id,
                mentor_id=pair.mentor_id,
                score=pair.score,
                run_id=run.id,
                published_at=now,
            )
        )
    run.published_at = now
    programme.published_run_id = run.id
    session.flush()
    return len(pairs), now
