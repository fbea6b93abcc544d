"""The route class every page router uses: it turns errors into HTML pages (404 for
anything outside the coordinator's programme, 403 for a missing CSRF token, the service's
domain errors in the page's language with the API's status codes), sends
signed-out visitors to the sign-in page, writes the session cookie and adds the security
headers (CSP, nosniff, frame-ancestors, Referrer-Policy) to every answer."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from service.errors import status_of
from service.i18n import CATALOGUES, LANGUAGES, Lang, translator
from service.ops.errors import OperationError
from service.web.rendering import Page, get_page
from service.web.security import SECURITY_HEADERS, SignInRequiredError, store_session

__all__ = ["WebRoute", "describe", "is_htmx", "problem_text", "see_other"]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def see_other(request: Request, url: str) -> Response:
    """Redirect after a form: a 303 for plain forms, ``HX-Redirect`` for htmx requests."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _message(page: Page, status: int, detail: str) -> str:
    key = f"error.{status}" if status in (403, 404, 409, 422) else "error.other"
    return page.t(key, detail=detail, status=status)


def describe(page: Page, error: OperationError) -> str:
    """A domain error in the page's language: its rule's sentence (a run status named in
    it translated too) after the sentence of its kind (``This cannot be done now: …``)."""
    values = {
        name: page.t(f"status.{value}") if name == "status" else value
        for name, value in error.params.items()
    }
    return _message(page, status_of(error), page.t(f"problem.{error.code}", **values))


def problem_text(error: OperationError, language: str) -> str:
    """A domain error's sentence in ``language`` for the API's ``detail`` (a run status
    named in it translated too); its English ``detail`` when the catalogue lacks it."""
    if language == "en" or language not in LANGUAGES:
        return error.detail
    lang: Lang = language
    if f"problem.{error.code}" not in CATALOGUES[lang]:
        return error.detail
    t = translator(lang)
    values = {
        name: t(f"status.{value}") if name == "status" else value
        for name, value in error.params.items()
    }
    return t(f"problem.{error.code}", **values)


def _error_page(request: Request, status: int, detail: str) -> Response:
    return _render_error(request, status, _message(get_page(request), status, detail))


def _render_error(request: Request, status: int, message: str) -> Response:
    page = get_page(request)
    template = "_error_fragment.html" if is_htmx(request) else "error.html"
    return page.render(template, status_code=status, message=message, status=status)


def _validation_detail(error: RequestValidationError) -> str:
    # Field locations only: the refused values may be personal data.
    places = [".".join(str(p) for p in e.get("loc", ())[1:]) for e in error.errors()]
    return ", ".join(p for p in places if p) or "form"


class WebRoute(APIRoute):
    """An APIRoute whose answers are HTML pages with the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequiredError:
                response = see_other(request, "/")
            except HTTPException as error:
                response = _error_page(request, error.status_code, str(error.detail))
            except OperationError as error:
                response = _render_error(
                    request, status_of(error), describe(get_page(request), error)
                )
            except RequestValidationError as error:
                response = _error_page(request, 422, _validation_detail(error))
            store_session(request, response)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page_handler
