"""Sign-in at ``/`` with a coordinator key, sign-out, the language switch, and the list
of programmes a global admin sees."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from service.auth import Principal, authenticate
from service.deps import SessionDep, client_address
from service.i18n import LANG_COOKIE, LANGUAGES
from service.throttle import FailureThrottle, key_id_of
from service.web import _queries as queries
from service.web.rendering import PageDep
from service.web.routing import WebRoute, see_other
from service.web.security import (
    PAGE_ROLES,
    SignInRequiredError,
    WebPrincipalDep,
    check_csrf,
    get_web_principal,
)
from service.web.security import sign_in as start_session
from service.web.security import sign_out as end_session

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _home(principal: Principal) -> str:
    if principal.programme_id is not None:
        return f"/programmes/{principal.programme_id}"
    return "/programmes"


@router.get("/")
def sign_in_page(request: Request, page: PageDep, session: SessionDep) -> Response:
    """The sign-in form, or the coordinator's programme when already signed in."""
    try:
        principal = get_web_principal(request, session)
    except SignInRequiredError:
        return page.render("signin.html", error=None)
    return RedirectResponse(_home(principal), status_code=303)


@router.post("/", dependencies=[Depends(check_csrf)])
def sign_in(
    request: Request,
    page: PageDep,
    session: SessionDep,
    key: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    throttle: FailureThrottle = request.app.state.throttle
    address, key_id = client_address(request), key_id_of(key)
    wait = throttle.retry_after(address, key_id)
    if wait is not None:
        response = page.render("signin.html", status_code=429, error=page.t("signin.throttled"))
        response.headers["Retry-After"] = str(wait)
        return response
    principal = authenticate(session, key) if key.strip() else None
    if principal is None:
        throttle.failed(address, key_id)
        return page.render("signin.html", status_code=401, error=page.t("signin.invalid"))
    if principal.role not in PAGE_ROLES:
        return page.render("signin.html", status_code=403, error=page.t("signin.researcher"))
    start_session(request, session, principal.key_id)
    return RedirectResponse(_home(principal), status_code=303)


@router.post("/signout", dependencies=[Depends(check_csrf)])
def sign_out(request: Request, session: SessionDep) -> Response:
    end_session(request, session)
    return see_other(request, "/")


def _local(url: str) -> str:
    """``url`` if it is a path on this site, else ``/`` (no open redirect)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url if "\\" not in url else "/"


@router.get("/lang/{lang}")
def switch_language(lang: str, next_url: Annotated[str, Query(alias="next")] = "/") -> Response:
    response = RedirectResponse(_local(next_url), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/", httponly=True, samesite="lax"
        )
    return response


@router.get("/programmes")
def programme_list(principal: WebPrincipalDep, page: PageDep, session: SessionDep) -> Response:
    if principal.programme_id is not None:
        return RedirectResponse(_home(principal), status_code=303)
    rows = [
        (p, queries.participant_counts(session, p.id))
        for p in queries.programmes(session, principal.programme_id)
    ]
    return page.render("programmes.html", principal=principal, rows=rows)
