"""What a run's review page shows can change only through a decision on the run or a
change to the programme's participants (an edit, an upload, an erasure): the pair of
aggregates here names that state, so a page may reuse what it read for the same state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Decision, Participant, Run

__all__ = ["RunState", "run_state"]


@dataclass(frozen=True)
class RunState:
    """Decisions on the run (count, last id) and the programme's participants (count,
    last change): equal states, equal pairs, traits and chart figures."""

    decisions: tuple[int, int | None]
    participants: tuple[int, datetime | None]


def run_state(session: Session, run: Run) -> RunState:
    """The run's current state, in two indexed aggregate queries."""
    decided = session.execute(
        select(func.count(), func.max(Decision.id)).where(Decision.run_id == run.id)
    ).one()
    changed = session.execute(
        select(func.count(), func.max(Participant.updated_at)).where(
            Participant.programme_id == run.programme_id, Participant.status == "approved"
        )
    ).one()
    return RunState((int(decided[0]), decided[1]), (int(changed[0]), changed[1]))
