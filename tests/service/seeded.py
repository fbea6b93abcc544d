"""Succeeded runs seeded in the database, for tests of decisions: shapes (a mentor with
one free seat whom sixty mentees have as an alternative) the solver does not produce on
demand. Everything after seeding goes through the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.models import Participant, Run, RunAlternative, RunPair, new_id
from tests.service.conftest import Api

__all__ = ["Seeded", "decision_body", "seed"]


@dataclass
class Seeded:
    """A succeeded run seeded in the database, and what its pairs were."""

    programme_id: str
    run_id: str
    pair_ids: dict[tuple[str, str], int] = field(default_factory=dict)


def seed(
    api: Api,
    capacities: dict[str, int],
    pairs: list[tuple[str, str, str]],
    alternatives: dict[str, list[str]] | None = None,
) -> Seeded:
    """A programme whose mentors have ``capacities`` and a succeeded run with ``pairs``
    (mentee, mentor, decision) and each mentee's ``alternatives`` (mentor ids)."""
    programme_id = api.programme()
    with api.worker.sessions() as session, session.begin():
        for mentor, capacity in capacities.items():
            session.add(
                Participant(
                    programme_id=programme_id,
                    side="mentor",
                    person_id=mentor,
                    data={"capacity": capacity},
                )
            )
        for mentee in sorted({mentee for mentee, _, _ in pairs}):
            session.add(
                Participant(programme_id=programme_id, side="mentee", person_id=mentee, data={})
            )
        run = Run(
            id=new_id("run"),
            programme_id=programme_id,
            version=1,
            config_sha256="0" * 64,
            status="succeeded",
            progress=1.0,
            locked=[],
            forbidden=[],
            incumbent=[],
        )
        session.add(run)
        session.flush()
        rows = [
            RunPair(
                run_id=run.id,
                position=position,
                mentee_id=mentee,
                mentor_id=mentor,
                score=0.5,
                contributions={},
                why="seeded",
                decision=decision,
            )
            for position, (mentee, mentor, decision) in enumerate(pairs)
        ]
        session.add_all(rows)
        for mentee, mentors in (alternatives or {}).items():
            for rank, mentor in enumerate(mentors):
                session.add(
                    RunAlternative(
                        run_id=run.id,
                        mentee_id=mentee,
                        rank=rank,
                        mentor_id=mentor,
                        score=0.4,
                        spare_capacity=1,
                        contributions={},
                    )
                )
        session.flush()
        return Seeded(programme_id, run.id, {(r.mentee_id, r.mentor_id): r.id for r in rows})


def decision_body(
    action: str, mentee: str, mentor: str, new_mentor: str | None = None
) -> dict[str, str]:
    body = {"action": action, "mentee_id": mentee, "mentor_id": mentor}
    if new_mentor is not None:
        body["new_mentor_id"] = new_mentor
    return body
