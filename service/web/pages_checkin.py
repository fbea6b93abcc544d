"""The public check-in form at ``/checkin/{token}``: no sign-in, the link's token is the
credential (:func:`service.links.open_checkin`: 404 unknown, 410 closed, 429 throttled).
Shown in the person's language unless she chose another with the switch links; Arabic
right to left."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from pydantic import ValidationError

from service.deps import NowDep, SessionDep
from service.i18n import LANG_COOKIE, LANGUAGES, translator
from service.links import open_checkin
from service.ops import checkins
from service.schemas.follow_up import CheckInAnswerIn
from service.web.rendering import Page, get_page
from service.web.routing import WebRoute
from service.web.security import check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_CLOSED = {404: "checkin.unknown", 410: "checkin.closed", 429: "checkin.throttled"}

FORM_FLAGS: dict[str, Any] = {"true": True, "false": False}
"""The form's radio values (the JSON model takes booleans only)."""


def person_page(request: Request, language: str) -> Page:
    """The page in the person's language, unless her ``lang`` cookie chose another."""
    page = get_page(request)
    if request.cookies.get(LANG_COOKIE) in LANGUAGES:
        return page
    lang = next((lang for lang in LANGUAGES if lang == language), page.lang)
    return Page(request=request, lang=lang, t=translator(lang), csrf=page.csrf)


def _open(
    request: Request, session: SessionDep, token: str, now: NowDep
) -> checkins.CheckInView | Response:
    try:
        return open_checkin(request, session, token, now)
    except HTTPException as error:
        if error.status_code not in _CLOSED:
            raise
        page = get_page(request)
        return page.render(
            "checkin.html",
            status_code=error.status_code,
            headers=dict(error.headers or {}),
            seen=None,
            message=page.t(_CLOSED[error.status_code]),
            reasons=checkins.END_REASONS,
            done=False,
        )


@router.get("/checkin/{token}")
def checkin_form(token: str, request: Request, session: SessionDep, now: NowDep) -> Response:
    seen = _open(request, session, token, now)
    if isinstance(seen, Response):
        return seen
    page = person_page(request, seen.language)
    return page.render(
        "checkin.html", seen=seen, message=None, reasons=checkins.END_REASONS, done=False
    )


@router.post("/checkin/{token}", dependencies=[Depends(check_csrf)])
def checkin_answer(
    token: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    meeting: Annotated[str, Form(max_length=5)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
    continuing: Annotated[str, Form(max_length=5)] = "",
    end_reason: Annotated[str, Form(max_length=40)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    seen = _open(request, session, token, now)
    if isinstance(seen, Response):
        return seen
    page = person_page(request, seen.language)
    try:
        body = CheckInAnswerIn(
            meeting=FORM_FLAGS.get(meeting, meeting),
            rating=int(rating) if rating.isdecimal() else rating,
            continuing=FORM_FLAGS.get(continuing, continuing),
            end_reason=end_reason or None,
            comment=comment or None,
        )
    except ValidationError:
        return page.render(
            "checkin.html",
            status_code=422,
            seen=seen,
            message=page.t("checkin.invalid"),
            reasons=checkins.END_REASONS,
            done=False,
        )
    given = checkins.Answer(
        meeting=body.meeting,
        rating=body.rating,
        continuing=body.continuing,
        end_reason=body.end_reason,
        comment=body.comment,
    )
    checkins.answer(seen.checkin, given, now)
    session.commit()
    return page.render(
        "checkin.html", seen=seen, message=None, reasons=checkins.END_REASONS, done=True
    )
