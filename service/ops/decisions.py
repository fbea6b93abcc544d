"""Coordinator decisions (approve, reject, lock, swap) as audit rows, and publishing.

Decisions on a run take effect one at a time: each first takes the run's write lock
(:func:`service.db.lock_row`: a row lock on PostgreSQL, the database's write lock on
SQLite), then reads the pair and the mentor's load, and keeps the lock until the caller
commits. So the audit rows of a run, in id order, are the order decisions took effect:
each row's ``before`` is the pair's state the previous decision on that pair left, and a
pair's state is its last row's ``after``. A decision that would give a mentor more
mentees than her capacity is refused (:class:`~service.ops.errors.CapacityError`).
Publishing and rematching take the same lock, so they see the decisions made before them
and none made after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from matching.messages import COORDINATOR_CHOICE, render
from service.auth import Principal
from service.db import batches, bulk_insert, insert_from_select, lock_row
from service.models import (
    ActivePair,
    Decision,
    Participant,
    Programme,
    Run,
    RunAlternative,
    RunPair,
    UTCDateTime,
    utcnow,
)
from service.ops.errors import CapacityError, ConflictError, InvalidError, NotFoundError
from service.ops.introductions import queue_follow_up

__all__ = [
    "ACTIONS",
    "BULK_ACTIONS",
    "Publication",
    "decide",
    "decide_many",
    "decide_on_pair",
    "lock_run",
    "publish",
]

_OUTCOME = {"approve": "approved", "reject": "rejected", "lock": "locked", "swap": "approved"}
ACTIONS = tuple(_OUTCOME)
BULK_ACTIONS = ("approve", "reject", "lock")
"""Actions that take one pair's word only (a swap names a new mentor per pair)."""


@dataclass(frozen=True)
class Publication:
    """What publishing a run made active."""

    run_id: str
    active_pairs: int
    published_at: datetime


def lock_run(session: Session, run: Run) -> None:
    """Take the run's decision lock until the caller commits or rolls back (see the
    module docstring); every writer of a run's pairs and audit takes it first."""
    lock_row(session, Run.id, run.id, touch=Run.status)


_PAIR_STATE = (
    RunPair.id,
    RunPair.position,
    RunPair.mentee_id,
    RunPair.mentor_id,
    RunPair.score,
    RunPair.decision,
)
"""The columns of a pair a decision reads (not its contributions and evidence)."""


def _state(pair: RunPair | Row[Any]) -> dict[str, Any]:
    return {"mentor_id": pair.mentor_id, "score": pair.score, "decision": pair.decision}


def _holds_seat(decision: str) -> bool:
    """Whether a pair in this decision state takes one of its mentor's seats."""
    return decision != "rejected"


def _require_succeeded(run: Run) -> None:
    if run.status != "succeeded":
        raise ConflictError(
            "run_not_succeeded", "decisions need a succeeded run", status=run.status
        )


def _require_action(action: str, allowed: tuple[str, ...]) -> None:
    if action not in allowed:
        raise InvalidError("unknown_action", "action")


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
    """Apply one decision to the run's pair (mentee, mentor) and append its audit row."""
    _require_action(action, ACTIONS)
    pair = _pair_under_lock(
        session, run, RunPair.mentee_id == mentee_id, RunPair.mentor_id == mentor_id
    )
    return _apply(session, run, principal, pair, action, new_mentor_id, reason)


def decide_on_pair(
    session: Session,
    run: Run,
    principal: Principal,
    pair_id: int,
    action: str,
    new_mentor_id: str | None,
    reason: str,
) -> Decision:
    """Apply one decision to the run's pair with this row id (the review page's rows),
    whatever its mentor is by the time the lock is granted."""
    _require_action(action, ACTIONS)
    pair = _pair_under_lock(session, run, RunPair.id == pair_id)
    return _apply(session, run, principal, pair, action, new_mentor_id, reason)


def _pair_under_lock(session: Session, run: Run, *which: ColumnElement[bool]) -> RunPair:
    """Take the run's lock, then read (afresh) the one pair of the succeeded run that
    ``which`` selects; NotFoundError if there is none."""
    lock_run(session, run)
    _require_succeeded(run)
    pair = session.scalars(
        select(RunPair)
        .where(RunPair.run_id == run.id, *which)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if pair is None:
        raise NotFoundError("pair_not_found", "no such pair in this run")
    return pair


def _apply(
    session: Session,
    run: Run,
    principal: Principal,
    pair: RunPair,
    action: str,
    new_mentor_id: str | None,
    reason: str,
) -> Decision:
    before = _state(pair)
    if action == "swap":
        _swap(session, run, pair, new_mentor_id)
    elif not _holds_seat(pair.decision) and _holds_seat(_OUTCOME[action]):
        # Approving or locking a rejected pair gives its mentor a seat back.
        _require_seat(session, run, pair.mentor_id)
    pair.decision = _OUTCOME[action]
    decision = Decision(
        programme_id=run.programme_id,
        run_id=run.id,
        action=action,
        mentee_id=pair.mentee_id,
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

    All or nothing: when the action would put any mentor over capacity (approving or
    locking pairs rejected earlier), nothing is decided. The pairs are read in bounded
    batches and the audit rows written in one flush: a coordinator approving 30,000
    shown pairs waits for a few queries, not for three per pair. The caller commits.
    """
    _require_action(action, BULK_ACTIONS)
    lock_run(session, run)
    _require_succeeded(run)
    pairs: list[Row[Any]] = []
    for batch in batches(pair_ids):
        pairs.extend(
            session.execute(
                select(*_PAIR_STATE)
                .where(RunPair.run_id == run.id, RunPair.id.in_(batch))
                .with_for_update()
            )
        )
    pairs.sort(key=lambda pair: (pair.position, pair.id))  # the audit in the page's order
    if _holds_seat(_OUTCOME[action]):
        _require_seats(session, run, [p.mentor_id for p in pairs if not _holds_seat(p.decision)])
    outcome, now = _OUTCOME[action], utcnow()
    audit = []
    for pair in pairs:
        before = _state(pair)
        audit.append(
            {
                "programme_id": run.programme_id,
                "run_id": run.id,
                "action": action,
                "mentee_id": pair.mentee_id,
                "before": before,
                "after": {**before, "decision": outcome},
                "reason": "",
                "key_id": principal.key_id,
                "created_at": now,
            }
        )
    # The columns a decision needs, one UPDATE per batch of ids and one bulk insert of
    # the audit: whole ORM objects (each pair's evidence JSON) and a flush per pair made
    # approving 30,000 pairs take many seconds. Pairs already loaded in the session are
    # updated too ("evaluate").
    for batch in batches(pair.id for pair in pairs):
        session.execute(
            update(RunPair)
            .where(RunPair.id.in_(batch))
            .values(decision=outcome)
            .execution_options(synchronize_session="evaluate")
        )
    bulk_insert(session, Decision, audit)
    return len(audit)


def _swap(session: Session, run: Run, pair: RunPair, new_mentor_id: str | None) -> None:
    """Give the pair's mentee one of her alternatives, if that mentor still has room."""
    if not new_mentor_id:
        raise InvalidError("swap_needs_mentor", "swap needs new_mentor_id")
    alternative = session.scalars(
        select(RunAlternative).where(
            RunAlternative.run_id == run.id,
            RunAlternative.mentee_id == pair.mentee_id,
            RunAlternative.mentor_id == new_mentor_id,
        )
    ).first()
    if alternative is None:
        raise InvalidError(
            "not_an_alternative", "new_mentor_id is not one of the mentee's alternatives"
        )
    if new_mentor_id != pair.mentor_id:
        _require_seat(session, run, new_mentor_id)
    duplicate = session.scalars(
        select(RunPair).where(
            RunPair.run_id == run.id,
            RunPair.mentee_id == pair.mentee_id,
            RunPair.mentor_id == new_mentor_id,
        )
    ).first()
    if duplicate is not None:
        raise ConflictError("duplicate_mentor", "the mentee already has that mentor")
    pair.mentor_id = new_mentor_id
    pair.score = alternative.score
    pair.contributions = dict(alternative.contributions or {})
    pair.why = render(COORDINATOR_CHOICE)
    pair.evidence = [COORDINATOR_CHOICE.to_dict()]  # the old mentor's evidence no longer holds


def _loads(session: Session, run: Run, mentor_ids: Iterable[str]) -> Counter[str]:
    """How many of each mentor's seats the run's pairs take (rejected pairs take none)."""
    taken: Counter[str] = Counter()
    for batch in batches(mentor_ids):
        rows = session.execute(
            select(RunPair.mentor_id, func.count())
            .where(
                RunPair.run_id == run.id,
                RunPair.mentor_id.in_(batch),
                RunPair.decision != "rejected",
            )
            .group_by(RunPair.mentor_id)
        )
        for mentor_id, count in rows:
            taken[mentor_id] += int(count)
    return taken


def _capacities(session: Session, run: Run, mentor_ids: Iterable[str]) -> dict[str, int]:
    """Each mentor's capacity now; a mentor no longer in the programme has none."""
    capacity = dict.fromkeys(mentor_ids, 0)
    for batch in batches(capacity):
        for mentor in session.scalars(
            select(Participant).where(
                Participant.programme_id == run.programme_id,
                Participant.side == "mentor",
                Participant.person_id.in_(batch),
            )
        ):
            # Stored data passed the engine's validation: a whole number, 1 when not
            # given. A capacity of 0 (a mentor who stepped back since the run) means no
            # seat at all.
            seats = mentor.data.get("capacity")
            capacity[mentor.person_id] = 1 if seats is None else int(seats)
    return capacity


def _require_seat(session: Session, run: Run, mentor_id: str) -> None:
    """Refuse unless the mentor has a free seat for one more pair."""
    taken = _loads(session, run, [mentor_id])[mentor_id]
    if taken >= _capacities(session, run, [mentor_id])[mentor_id]:
        raise CapacityError("mentor_full", "that mentor has no capacity left")


def _require_seats(session: Session, run: Run, mentor_ids: list[str]) -> None:
    """Refuse unless every mentor has a free seat for each of her pairs in ``mentor_ids``."""
    if not mentor_ids:
        return
    wanted = Counter(mentor_ids)
    taken = _loads(session, run, wanted)
    capacity = _capacities(session, run, wanted)
    over = sum(1 for m, extra in wanted.items() if taken[m] + extra > capacity[m])
    if over:
        raise CapacityError(
            "mentors_full",
            f"{over} mentor(s) would have more mentees than their capacity; nothing was decided",
            mentors=over,
        )


def publish(session: Session, run: Run, programme: Programme) -> Publication:
    """Make the run's approved and locked pairs the programme's active pairs, and mark
    the introductions and check-ins of the pairs not introduced before as due to be
    queued (:func:`~service.ops.introductions.queue_follow_up`; those of the previous
    publish are queued first if they still were not).

    Takes the run's decision lock (it publishes the decisions made before it) and then
    the programme's row (two runs of one programme published at once do not mix)."""
    lock_run(session, run)
    if run.status != "succeeded":
        raise ConflictError(
            "publish_not_succeeded", "only a succeeded run can be published", status=run.status
        )
    lock_row(session, Programme.id, programme.id, touch=Programme.name)
    queue_follow_up(session, programme.id)  # from the active pairs replaced below
    now = utcnow()
    session.execute(delete(ActivePair).where(ActivePair.programme_id == programme.id))
    # Made by the database from the run's pairs (INSERT ... SELECT): nothing per pair
    # goes through Python.
    made = insert_from_select(
        session,
        ActivePair,
        ["programme_id", "mentee_id", "mentor_id", "score", "run_id", "published_at"],
        select(
            literal(programme.id),
            RunPair.mentee_id,
            RunPair.mentor_id,
            RunPair.score,
            literal(run.id),
            literal(now, UTCDateTime()),
        )
        .where(RunPair.run_id == run.id, RunPair.decision.in_(("approved", "locked")))
        .order_by(RunPair.position),
    )
    run.published_at = now
    programme.published_run_id = run.id
    # Each new pair's introductions and check-ins, queued after this commit and sent
    # later by a worker (never here).
    programme.follow_up_pending = True
    session.flush()
    return Publication(run_id=run.id, active_pairs=made, published_at=now)
