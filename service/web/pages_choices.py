"""The public choice pages at ``/choices/{token}``: a mentee ranks her short list, a
mentor accepts or declines the mentees proposed to her. No sign-in: the link's token is
the credential (:func:`service.links.open_choices`: 404 unknown, 410 closed, 429
throttled). In the person's language unless she chose another; Arabic right to left.
Plain forms with one labelled ``select`` per line: usable from the keyboard alone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response

from service.deps import NowDep, SessionDep
from service.links import open_choices
from service.ops import choices
from service.ops.errors import InvalidError
from service.web.pages_checkin import person_page
from service.web.rendering import get_page
from service.web.routing import WebRoute
from service.web.security import check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_CLOSED = {404: "choices.unknown", 410: "choices.closed", 429: "choices.throttled"}

Ids = Annotated[list[str], Form(max_length=21)]


def _open(
    request: Request, session: SessionDep, token: str, now: NowDep
) -> choices.ChoiceView | Response:
    try:
        return open_choices(request, session, token, now)
    except HTTPException as error:
        if error.status_code not in _CLOSED:
            raise
        page = get_page(request)
        return page.render(
            "choices.html",
            status_code=error.status_code,
            headers=dict(error.headers or {}),
            seen=None,
            message=page.t(_CLOSED[error.status_code]),
            done=False,
        )


def _show(
    request: Request, seen: choices.ChoiceView, *, done: bool = False, status: int = 200
) -> Response:
    page = person_page(request, seen.language)
    message = page.t("choices.invalid") if status == 422 else None
    return page.render("choices.html", status_code=status, seen=seen, message=message, done=done)


@router.get("/choices/{token}")
def choices_form(token: str, request: Request, session: SessionDep, now: NowDep) -> Response:
    seen = _open(request, session, token, now)
    return seen if isinstance(seen, Response) else _show(request, seen)


@router.post("/choices/{token}", dependencies=[Depends(check_csrf)])
def choices_answer(
    token: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    person: Ids,
    answer: Ids,
) -> Response:
    """One ``person`` and one ``answer`` per line: a rank (or empty: not wanted) on a
    mentee's list, ``accept`` or ``decline`` on a mentor's."""
    seen = _open(request, session, token, now)
    if isinstance(seen, Response):
        return seen
    if len(person) != len(answer):
        return _show(request, seen, status=422)
    try:
        if seen.link.side == "mentee":
            choices.rank(session, seen.link, _ranking(person, answer), now)
        else:
            declined = [p for p, a in zip(person, answer, strict=True) if a == "decline"]
            choices.decline(session, seen.link, declined, now)
    except InvalidError:
        session.rollback()
        return _show(request, choices.view(session, seen.link), status=422)
    session.commit()
    return _show(request, choices.view(session, seen.link), done=True)


def _ranking(person: list[str], answer: list[str]) -> list[str]:
    """The mentors in the order of the ranks given (empty ranks left out); a rank given
    twice, or none at all, is refused."""
    ranks = [(int(a), p) for p, a in zip(person, answer, strict=True) if a.isdecimal()]
    if not ranks or len({r for r, _ in ranks}) != len(ranks):
        raise InvalidError("not_on_list", "rank each mentor of the list at most once")
    return [p for _, p in sorted(ranks)]
