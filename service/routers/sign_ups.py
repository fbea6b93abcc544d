"""``/v1/programmes/{id}/sign-ups``: people who signed up through a form and wait for a
coordinator (their fields name them: coordinators and admins only). Approving one or
many lets runs read them; rejecting erases their submissions. A list is decided all or
none: 404 when an id is not a pending sign-up of that side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from service.deps import PageDep, PathText, PrincipalDep, SecretDep, SessionDep, get_programme
from service.models import Participant
from service.ops import sign_ups as ops
from service.ops.paging import paginate
from service.ops.participants import EngineSide
from service.schemas.common import BODY, WRITE, Page, error_responses, page_of
from service.schemas.sign_ups import PendingOut, Side, SignUpDecisionIn, SignUpDecisionOut

router = APIRouter(prefix="/v1/programmes/{programme_id}/sign-ups", tags=["sign-ups"])

ERRORS = error_responses(WRITE)
BODY_ERRORS = error_responses(WRITE, BODY)


def _engine_side(side: Side) -> EngineSide:
    return "mentee" if side == "mentees" else "mentor"


@router.get("", responses=ERRORS)
def list_pending(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    side: Annotated[Side | None, Query()] = None,
) -> Page[PendingOut]:
    """Sign-ups waiting for approval (one side, or both), oldest id first."""
    programme = get_programme(session, principal, programme_id, write=True)
    query = select(Participant).where(
        Participant.programme_id == programme.id, Participant.status == "pending"
    )
    if side is not None:
        query = query.where(Participant.side == _engine_side(side))
    rows = paginate(session, query, page, Participant.person_id)
    items = [
        PendingOut(
            id=row.person_id,
            side="mentees" if row.side == "mentee" else "mentors",
            fields=row.data,
            submitted_at=row.updated_at,
        )
        for row in rows.items
    ]
    return page_of(rows, items)


@router.post("/approve", responses=BODY_ERRORS)
def approve(
    programme_id: PathText, body: SignUpDecisionIn, principal: PrincipalDep, session: SessionDep
) -> SignUpDecisionOut:
    """Approve pending sign-ups: the next run reads them."""
    programme = get_programme(session, principal, programme_id, write=True)
    approved = ops.approve(session, programme.id, _engine_side(body.side), body.ids)
    session.commit()
    return SignUpDecisionOut(approved=approved)


@router.post("/reject", responses=BODY_ERRORS)
def reject(
    programme_id: PathText,
    body: SignUpDecisionIn,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
) -> SignUpDecisionOut:
    """Reject pending sign-ups: their submissions are erased (the erasure log keeps a
    pseudonym), and their own links stop working."""
    programme = get_programme(session, principal, programme_id, write=True)
    rejected = ops.reject(
        session, programme.id, _engine_side(body.side), body.ids, secret, principal.key_id
    )
    session.commit()
    return SignUpDecisionOut(rejected=rejected)
