"""Coordinator decisions on a run (approve, reject, lock, swap), the audit log, publish."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from service.deps import (
    PageDep,
    PathText,
    PrincipalDep,
    SecretDep,
    SessionDep,
    get_programme,
    get_run,
)
from service.models import Decision
from service.ops import decisions as ops
from service.ops.paging import paginate
from service.pseudonyms import pseudonym
from service.schemas.common import BODY, READ, WRITE, Page, error_responses, page_of
from service.schemas.decisions import DecisionIn, DecisionOut, PublishOut

router = APIRouter(prefix="/v1/runs/{run_id}", tags=["decisions"])

READ_ERRORS = error_responses(READ, 409)
ERRORS = error_responses(WRITE, BODY, 409)


def _out(decision: Decision) -> DecisionOut:
    return DecisionOut.model_validate(decision, from_attributes=True)


@router.post("/decisions", status_code=201, responses=ERRORS)
def decide(
    run_id: PathText, body: DecisionIn, principal: PrincipalDep, session: SessionDep
) -> DecisionOut:
    """Approve, reject or lock a suggested pair, or swap its mentor for one of the
    mentee's alternatives. Recorded as an append-only audit row before answering.
    Decisions on a run take effect one at a time; one that would give a mentor more
    mentees than her capacity is refused (409)."""
    run = get_run(session, principal, run_id, write=True)
    decision = ops.decide(
        session,
        run,
        principal,
        body.action,
        body.mentee_id,
        body.mentor_id,
        body.new_mentor_id,
        body.reason,
    )
    session.commit()
    return _out(decision)


@router.get("/decisions", responses=READ_ERRORS)
def list_decisions(
    run_id: PathText, principal: PrincipalDep, session: SessionDep, secret: SecretDep, page: PageDep
) -> Page[DecisionOut]:
    """The run's decisions, oldest first (researchers see pseudonyms)."""
    run = get_run(session, principal, run_id)
    rows = paginate(session, select(Decision).where(Decision.run_id == run.id), page, Decision.id)
    items = [_out(d) for d in rows.items]
    if principal.role == "researcher":

        def alias(value: Any) -> Any:
            return pseudonym(secret, run.programme_id, value) if isinstance(value, str) else value

        items = [
            d.model_copy(
                update={
                    "mentee_id": alias(d.mentee_id),
                    "before": {**d.before, "mentor_id": alias(d.before.get("mentor_id"))},
                    "after": {**d.after, "mentor_id": alias(d.after.get("mentor_id"))},
                    "reason": "",
                }
            )
            for d in items
        ]
    return page_of(rows, items)


@router.post("/publish", responses=ERRORS)
def publish(run_id: PathText, principal: PrincipalDep, session: SessionDep) -> PublishOut:
    """Make the run's approved and locked pairs the programme's active pairs."""
    run = get_run(session, principal, run_id, write=True)
    programme = get_programme(session, principal, run.programme_id, write=True)
    published = ops.publish(session, run, programme)
    session.commit()
    return PublishOut(
        run_id=published.run_id,
        active_pairs=published.active_pairs,
        published_at=published.published_at,
    )
