"""The dashboard's sign-ups panel: the people who signed up through a form and wait for
a coordinator, approved or rejected a few at a time (through
:func:`service.ops.sign_ups.approve` and :func:`~service.ops.sign_ups.reject`, as the
API does: a list is decided all or none)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from service.db import checkpoint
from service.deps import SecretDep, SessionDep, get_programme
from service.ops import sign_ups
from service.ops.errors import InvalidError
from service.ops.participants import EngineSide
from service.web.routing import WebRoute, see_other
from service.web.security import WebPrincipalDep, check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Picked = Annotated[list[str], Form(default_factory=list, max_length=500)]
"""The ticked sign-ups, each ``side:id`` (none ticked: nothing to decide)."""


def _by_side(picked: list[str]) -> dict[EngineSide, list[str]]:
    chosen: dict[EngineSide, list[str]] = {"mentee": [], "mentor": []}
    for item in picked:
        side, _, person_id = item.partition(":")
        if side not in chosen or not person_id:
            raise InvalidError("unknown_sign_up", "a sign-up is named wrongly")
        chosen["mentee" if side == "mentee" else "mentor"].append(person_id)
    return chosen


@router.post("/programmes/{programme_id}/sign-ups/approve", dependencies=[Depends(check_csrf)])
def approve(
    programme_id: str,
    request: Request,
    principal: WebPrincipalDep,
    session: SessionDep,
    picked: Picked,
) -> Response:
    programme = get_programme(session, principal, programme_id, write=True)
    for side, ids in _by_side(picked).items():
        if ids:
            sign_ups.approve(session, programme.id, side, ids)
    session.commit()
    return see_other(request, f"/programmes/{programme.id}#sign-ups")


@router.post("/programmes/{programme_id}/sign-ups/reject", dependencies=[Depends(check_csrf)])
def reject(
    programme_id: str,
    request: Request,
    principal: WebPrincipalDep,
    session: SessionDep,
    secret: SecretDep,
    picked: Picked,
) -> Response:
    programme = get_programme(session, principal, programme_id, write=True)
    for side, ids in _by_side(picked).items():
        if ids:
            sign_ups.reject(session, programme.id, side, ids, secret, principal.key_id)
    session.commit()
    checkpoint(session.get_bind())  # the rejected answers leave SQLite's log too
    return see_other(request, f"/programmes/{programme.id}#sign-ups")
