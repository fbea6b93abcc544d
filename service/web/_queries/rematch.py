"""What a rematch changed compared with the run it rematched, mentee by mentee."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from service.models import Run, RunPair
from service.web._queries.columns import run_columns
from service.web._queries.fields import rows, text, values

__all__ = ["Change", "Diff", "diff"]


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


def _pairs(session: Session, run: Run) -> Sequence[Row[str, str, str]]:
    """(mentee, mentor, decision) of every pair of ``run``."""
    return rows(
        session,
        select(RunPair.mentee_id, RunPair.mentor_id, RunPair.decision)
        .where(RunPair.run_id == run.id)
        .order_by(RunPair.id),
    )


def _assignment(pairs: Sequence[Row[str, str, str]]) -> dict[str, set[str]]:
    """Each mentee's mentors among the pairs not rejected."""
    found: dict[str, set[str]] = defaultdict(set)
    for mentee_id, mentor_id, decision in pairs:
        if decision != "rejected":
            found[mentee_id].add(mentor_id)
    return found


def diff(session: Session, before: Run, after: Run) -> Diff:
    """What a rematch changed, mentee by mentee."""
    earlier, later = _pairs(session, before), _pairs(session, after)
    old, new = _assignment(earlier), _assignment(later)
    now = {(mentee_id, mentor_id) for mentee_id, mentor_id, _ in later}
    everyone = set(old) | set(new)
    columns = run_columns(session, after)
    mentees = values(session, after.programme_id, "mentee", (columns.mentee_name,), ids=everyone)
    mentors = values(session, after.programme_id, "mentor", (columns.mentor_name,))
    mentor_names = {k: text(name) for k, (name,) in mentors.items()}
    kept, changed, gained, lost = 0, [], [], []
    for mentee_id in sorted(everyone):
        a, b = old.get(mentee_id, set()), new.get(mentee_id, set())
        change = Change(
            mentee_id=mentee_id,
            mentee_name=text(mentees.get(mentee_id, (None,))[0]),
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
        for mentee_id, mentor_id, decision in earlier
        if decision in ("approved", "locked") and (mentee_id, mentor_id) in now
    )
    avoided = sum(
        1
        for mentee_id, mentor_id, decision in earlier
        if decision == "rejected" and (mentee_id, mentor_id) not in now
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
