"""The public sign-up pages: ``/sign-up/{token}`` (a programme's form for one side) and
``/me/{token}`` (a person's own link: her answers shown back to correct, or withdrawn).
No sign-in: the token is the credential (:mod:`service.links`: 404 unknown, 410 closed,
429 throttled). The form is built from the programme's configuration
(:mod:`service.ops.sign_up_form`); a refused answer is shown again with each problem
naming its question in the page's language. Arabic right to left; every input is a
native control with its label, so the whole form works from the keyboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.datastructures import FormData

from matching.errors import InputError, Problem
from matching.messages import Message, label_text, render_message
from service.db import checkpoint
from service.deps import NowDep, SecretDep, SessionDep, SettingsDep
from service.i18n import (
    LANG_COOKIE,
    LANGUAGES,
    Lang,
    question_title,
    retention_notice,
    translator,
)
from service.links import count_submission, open_own_link, open_sign_up
from service.models import Participant
from service.ops import sign_ups
from service.ops.sign_up_form import DAYS, HOURS, LEVELS, cells_from_form, shown_values
from service.web.rendering import Page, get_page
from service.web.routing import WebRoute
from service.web.security import check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_CLOSED = {404: "sign_up.unknown", 410: "sign_up.closed", 429: "sign_up.throttled"}


def _page(request: Request, language: str | None) -> Page:
    """The page in ``language`` (a person's own), unless her ``lang`` cookie chose one."""
    page = get_page(request)
    if language is None or request.cookies.get(LANG_COOKIE) in LANGUAGES:
        return page
    lang = next((lang for lang in LANGUAGES if lang == language), page.lang)
    return Page(request=request, lang=lang, t=translator(lang), csrf=page.csrf)


def _closed(request: Request, error: HTTPException) -> Response:
    if error.status_code not in _CLOSED:
        raise error
    page = get_page(request)
    return page.render(
        "sign_up.html",
        status_code=error.status_code,
        headers=dict(error.headers or {}),
        opened=None,
        message=page.t(_CLOSED[error.status_code]),
    )


def _said(problem: Problem, opened: sign_ups.Opened, lang: Lang) -> str:
    """A problem in the page's language, naming its question (never the answer)."""
    if problem.column is None:
        return render_message(problem.message, lang)
    titles = {f.column: question_title(f.role, f.title, lang) for f in opened.fields}
    title = titles.get(problem.column, problem.column)
    return render_message(Message("{place}: {reason}", place=title, reason=problem.message), lang)


def _form(
    page: Page,
    opened: sign_ups.Opened,
    *,
    status_code: int = 200,
    values: dict[str, list[str]] | None = None,
    problems: list[str] | None = None,
    **context: Any,
) -> Response:
    context.setdefault("message", None)
    return page.render(
        "sign_up.html",
        status_code=status_code,
        opened=opened,
        fields=opened.fields,
        values=values or {},
        problems=problems or [],
        notice=retention_notice(opened.config.sign_up.retention_notice, page.lang),
        label=lambda text: label_text(text, page.lang),
        title_of=lambda field: question_title(field.role, field.title, page.lang),
        days=DAYS,
        hours=HOURS,
        levels=LEVELS,
        **context,
    )


def _submission(opened: sign_ups.Opened, form: FormData) -> sign_ups.Submission:
    cells = cells_from_form(opened.fields, lambda name: [str(v) for v in form.getlist(name)])
    return sign_ups.Submission(
        cells=cells,
        consent=form.get("consent") == "yes",
        guardian_consent=form.get("guardian_consent") == "yes",
    )


def _refused(
    page: Page, opened: sign_ups.Opened, form: FormData, error: InputError, **context: Any
) -> Response:
    """The form again with her answers and each problem named (422)."""
    said = [_said(p, opened, page.lang) for p in sign_ups.problems_of(error)]
    values = {name: [str(v) for v in form.getlist(name)] for name in form}
    return _form(page, opened, status_code=422, values=values, problems=said, **context)


async def _form_data(request: Request) -> FormData:
    """The posted form (read once; the CSRF check has read it already)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(_form_data)]


@router.get("/sign-up/{token}")
def sign_up_form(token: str, request: Request, session: SessionDep, now: NowDep) -> Response:
    try:
        opened = open_sign_up(request, session, token, now)
    except HTTPException as error:
        return _closed(request, error)
    page = get_page(request)
    # The language she reads the page in is the first guess for the one to write to her in.
    guess: dict[str, list[str]] = {
        f.column: [page.lang] for f in opened.fields if f.kind == "language"
    }
    return _form(page, opened, values=guess, action="submit")


@router.post("/sign-up/{token}", dependencies=[Depends(check_csrf)])
def sign_up_submit(
    token: str,
    request: Request,
    form: FormDep,
    session: SessionDep,
    secret: SecretDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    try:
        opened = open_sign_up(request, session, token, now)
        count_submission(request)
    except HTTPException as error:
        return _closed(request, error)
    page = get_page(request)
    try:
        _person, own = sign_ups.submit(session, opened, _submission(opened, form), secret, now)
    except InputError as error:
        return _refused(page, opened, form, error, action="submit")
    session.commit()
    link = f"{settings.public_url.rstrip('/')}/me/{own}"
    return page.render("sign_up_done.html", opened=opened, link=link, withdrawn=False)


def _own_page(request: Request, person: Participant, opened: sign_ups.Opened) -> Page:
    roles = opened.config.fields.mentee if opened.side == "mentee" else opened.config.fields.mentor
    language = person.data.get(roles.language) if roles.language else None
    return _page(request, language if isinstance(language, str) else None)


@router.get("/me/{token}")
def own_data(token: str, request: Request, session: SessionDep) -> Response:
    try:
        person, opened = open_own_link(request, session, token)
    except HTTPException as error:
        return _closed(request, error)
    page = _own_page(request, person, opened)
    values = shown_values(opened.fields, person.data)
    return _form(page, opened, values=values, action="correct", person=person)


@router.post("/me/{token}", dependencies=[Depends(check_csrf)])
def own_data_correct(token: str, request: Request, form: FormDep, session: SessionDep) -> Response:
    try:
        person, opened = open_own_link(request, session, token)
        count_submission(request)
    except HTTPException as error:
        return _closed(request, error)
    page = _own_page(request, person, opened)
    try:
        sign_ups.correct(session, person, opened, _submission(opened, form))
    except InputError as error:
        return _refused(page, opened, form, error, action="correct", person=person)
    session.commit()
    values = shown_values(opened.fields, person.data)
    saved = page.t("sign_up.saved")
    return _form(page, opened, values=values, action="correct", person=person, message=saved)


@router.post("/me/{token}/withdraw", dependencies=[Depends(check_csrf)])
def own_data_withdraw(
    token: str, request: Request, session: SessionDep, secret: SecretDep
) -> Response:
    try:
        person, opened = open_own_link(request, session, token)
    except HTTPException as error:
        return _closed(request, error)
    page = _own_page(request, person, opened)
    sign_ups.withdraw(session, person, secret)
    session.commit()
    checkpoint(session.get_bind())
    return page.render("sign_up_done.html", opened=opened, link=None, withdrawn=True)
