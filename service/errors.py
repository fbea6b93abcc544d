"""Exception handlers: 422 bodies give field paths and reasons, never submitted values;
the service's domain errors (:mod:`service.ops.errors`) get their status codes here, in
:data:`DOMAIN_STATUS`, the one place they are mapped to HTTP.

An engine error's item keeps ``msg`` (English, stable) and ``type``, ``loc``, ``file``,
``row``, ``column`` for programs, and adds ``message``: the same reason in the language
``Accept-Language`` asks for (en, fr or ar; English without the header). A domain error's
``detail`` is said in that language too (its ``code`` and ``params`` are the data)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from matching.errors import ConfigError, InputError, InputErrors, Problem, RuleError
from matching.messages import Message, negotiate, render_message
from matching.model import config_reason
from service.openapi import documented_methods
from service.ops.errors import ConflictError, InvalidError, NotFoundError, OperationError

__all__ = [
    "DOMAIN_STATUS",
    "DomainText",
    "UnprocessableError",
    "allowed_methods",
    "checked_file_name",
    "config_error_items",
    "error_in",
    "input_error_items",
    "install_handlers",
    "request_language",
    "status_of",
    "unprocessable",
]

log = logging.getLogger("service.errors")


def _loc(parts: Sequence[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in parts]


DomainText = Callable[[OperationError, str], str]
"""A domain error's sentence in a language (the review page's catalogue has them)."""


def request_language(request: Request) -> str:
    """The language ``Accept-Language`` asks for, English without the header."""
    return negotiate(request.headers.get("accept-language"))


def unprocessable(items: list[dict[str, Any]], language: str = "en") -> JSONResponse:
    """A 422 with located problems; an item's ``message`` (a :class:`Message`) said in
    ``language``."""
    said = [
        {**item, "message": render_message(item["message"], language)}
        if isinstance(item.get("message"), Message)
        else item
        for item in items
    ]
    return JSONResponse(status_code=422, content={"detail": said})


class UnprocessableError(Exception):
    """Raised by a route to answer 422 with located problems (see :class:`ErrorItem`)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(items)} problem(s)")
        self.items = items


def checked_file_name(
    filename: str | None, default: str, allowed: Sequence[str]
) -> tuple[str, str]:
    """An uploaded file's own name (no folders) and its lower-case suffix; a 422 naming
    the file types accepted unless the suffix is one of ``allowed``."""
    name = Path(filename or default).name
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise UnprocessableError(
            [
                {
                    "loc": ["body", "file"],
                    "msg": f"file type must be one of {', '.join(allowed)}",
                    "type": "input_error",
                    "message": Message("file type must be one of {types}", types=tuple(allowed)),
                }
            ]
        )
    return name, suffix


async def _unprocessable_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnprocessableError)
    return unprocessable(exc.items, request_language(request))


def config_error_items(error: ConfigError, prefix: Sequence[str]) -> list[dict[str, Any]]:
    path = [int(p) if p.isdigit() else p for p in error.key.split(".")]
    item = {"loc": _loc([*prefix, *path]), "msg": error.reason, "type": "config_error"}
    return [item | {"message": error.reason_message}]


def input_error_items(error: InputError, prefix: Sequence[str]) -> list[dict[str, Any]]:
    problems: Sequence[Problem] = (
        error.problems if isinstance(error, InputErrors) else (error.problem,)
    )
    items = []
    for problem in problems:
        loc: list[Any] = list(prefix)
        if problem.row is not None:
            loc.append(problem.row)
        if problem.column is not None:
            loc.append(problem.column)
        items.append(
            {
                "loc": _loc(loc),
                "msg": problem.reason,
                "message": problem.message,
                "type": "input_error",
                "file": problem.file,
                "row": problem.row,
                "column": problem.column,
            }
        )
    return items


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI echoes the refused value ("input") and its context by default; both can be
    # personal data, so only the location, message and type are returned.
    items = [
        {
            "loc": _loc(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type")),
            "message": config_reason(cast(ErrorDetails, e)),
        }
        for e in exc.errors()
        if not _caused_by_its_items(e, exc.errors())
    ]
    return unprocessable(items, request_language(request))


def _caused_by_its_items(error: Any, errors: Sequence[Any]) -> bool:
    """pydantic's ``too_short`` on a list some of whose items failed (a list of one bad
    criterion "needs at least 1 item" after validation): the items' errors say why."""
    loc = tuple(error.get("loc", ()))
    return error.get("type") == "too_short" and any(
        tuple(other.get("loc", ()))[: len(loc)] == loc and len(other.get("loc", ())) > len(loc)
        for other in errors
    )


async def _config_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigError)
    return unprocessable(config_error_items(exc, ["body", "config"]), request_language(request))


async def _input_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return unprocessable(input_error_items(exc, ["body"]), request_language(request))


async def _rule_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleError)
    item = {"loc": ["body"], "msg": str(exc), "type": "rule_error", "message": exc.message}
    return unprocessable([item], request_language(request))


DOMAIN_STATUS: dict[type[OperationError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    InvalidError: 422,
}
"""The HTTP status of each kind of domain error (subclasses take their parent's)."""


def status_of(error: OperationError) -> int:
    """The status code answering ``error``: its nearest class in :data:`DOMAIN_STATUS`."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUS:
            return DOMAIN_STATUS[kind]
    return 400


def _operation_handler(domain_text: DomainText | None) -> Callable[..., Awaitable[JSONResponse]]:
    """The handler of domain errors: ``detail`` in the language asked for."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OperationError)
        language = request_language(request)
        detail = exc.detail if domain_text is None else domain_text(exc, language)
        return JSONResponse(status_code=status_of(exc), content={"detail": detail})

    return handle


def error_in(error: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    """A failed run's stored ``error`` with its ``message`` (stored as data) said in
    ``language``; ``type`` and ``reason`` (English) as stored."""
    if not error or not isinstance(error.get("message"), dict):
        return error
    return {**error, "message": render_message(Message.from_dict(error["message"]), language)}


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods of the request's path as the API document has it
    (:func:`service.openapi.documented_methods`: ``.../participants/mentees/file`` is the
    upload's path, not the person whose id would be ``file``); for a path the document
    leaves out (the review page), every method some route answers there. A path served
    by two operations, say GET and POST, is two routes to Starlette: both count."""
    documented = documented_methods(request.app, request.scope)
    if documented is not None:
        return [method for method in HTTP_METHODS if method in documented]
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _http_handler(request: Request, exc: Exception) -> Response:
    """FastAPI's answer, except that a 405 lists in ``Allow`` every method of the path,
    not only those of the first route Starlette tried."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        exc = StarletteHTTPException(
            405, detail=exc.detail, headers={"Allow": ", ".join(allowed_methods(request))}
        )
    return await http_exception_handler(request, exc)


def install_handlers(app: FastAPI, domain_text: DomainText | None = None) -> None:
    """The handlers; ``domain_text`` says domain errors in a language (else English)."""
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(UnprocessableError, _unprocessable_handler)
    app.add_exception_handler(ConfigError, _config_handler)
    app.add_exception_handler(InputError, _input_handler)
    app.add_exception_handler(RuleError, _rule_handler)
    app.add_exception_handler(OperationError, _operation_handler(domain_text))
