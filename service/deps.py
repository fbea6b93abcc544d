"""Typed FastAPI dependencies: settings, database session, the caller, pagination,
and look-ups that answer 404 for anything outside the caller's programme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, Response, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from matching.messages import Language, Message, negotiate
from service.auth import Principal, authenticate
from service.errors import UnprocessableError
from service.models import Programme, Run
from service.ops.paging import Window
from service.settings import Settings
from service.throttle import FailureThrottle, key_id_of

__all__ = [
    "LanguageDep",
    "NowDep",
    "PageDep",
    "PathText",
    "PrincipalDep",
    "SessionDep",
    "SettingsDep",
    "authenticate_request",
    "client_address",
    "get_programme",
    "get_run",
    "not_found",
    "refuse_unknown_query",
    "too_many_failures",
]

DEFAULT_PAGE = 100

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.secret
    return secret


PathText = Annotated[
    str,
    Path(
        pattern=r"^[^\x00-\x1f\x7f-\x9f]*$",
        description="An id as stored: no control characters (refused with 422).",
    ),
]
"""An id in a path: the spec says what the text guard (:mod:`service.middleware`) refuses."""


def get_now(request: Request) -> datetime:
    """The time now, by the app's clock (``app.state.clock``: the system's UTC time; tests
    set another to move past check-in dates without waiting)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
SecretDep = Annotated[bytes, Depends(get_secret)]


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the proxy's client behind a trusted
    proxy when uvicorn runs with ``--proxy-headers``)."""
    return request.client.host if request.client is not None else "unknown"


def too_many_failures(retry_after: int) -> HTTPException:
    return HTTPException(
        status_code=429,
        detail="too many failed attempts: retry later",
        headers={"Retry-After": str(retry_after)},
    )


def presented_key(request: Request) -> str | None:
    """The key a request presents: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("X-API-Key") or None


def authenticate_request(request: Request, session: Session) -> Principal:
    """The caller of the request's key, remembered on the request so that a key is
    checked (and a failure counted) once; 401 for a missing or wrong key, 429 after too
    many wrong ones from the same address or on the same key id (:mod:`service.throttle`).
    The session is closed before returning."""
    remembered: Principal | None = getattr(request.state, "principal", None)
    if remembered is not None:
        session.close()
        return remembered
    presented = presented_key(request)
    principal = None
    if presented:
        throttle: FailureThrottle = request.app.state.throttle
        address, key_id = client_address(request), key_id_of(presented)
        wait = throttle.retry_after(address, key_id)
        if wait is not None:
            session.close()
            raise too_many_failures(wait)
        principal = authenticate(session, presented)
        if principal is None:
            throttle.failed(address, key_id)
    # Hand the connection back before the route runs. The route runs in another turn of
    # the threadpool; a burst of requests each holding a pooled connection while waiting
    # for a thread, with every thread waiting for a connection, starves both until the
    # pool's timeout (500s). The route checks a connection out again in its own turn.
    session.close()
    if principal is None:
        raise HTTPException(
            status_code=401,
            detail="missing or invalid API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    return principal


def get_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    """The caller (see :func:`authenticate_request`); ``bearer`` and ``api_key`` declare
    the two ways to present a key in the OpenAPI document."""
    return authenticate_request(request, session)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_page(
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description="Rows per page: 100 by default, at most the `max_page_size` setting "
            "(the `maximum` this server states).",
        ),
    ] = None,
) -> Window:
    """The listing window asked for; a ``limit`` above the ``max_page_size`` setting is
    refused (422) as FastAPI refuses any other out-of-range parameter."""
    most = settings.max_page_size
    if limit is not None and limit > most:
        raise UnprocessableError(
            [
                {
                    "loc": ["query", "limit"],
                    "msg": f"Input should be less than or equal to {most}",
                    "type": "less_than_equal",
                    "message": Message("must be {limit} or less", limit=most),
                }
            ]
        )
    return Window(offset=offset, limit=min(DEFAULT_PAGE, most) if limit is None else limit)


PageDep = Annotated[Window, Depends(get_page)]


def refuse_unknown_query(request: Request) -> None:
    """422 for a query parameter the route does not declare (``?decision=approved`` on a
    route without that filter would otherwise answer as if it had been applied)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route))
    if unknown:
        raise UnprocessableError(
            [
                {
                    "loc": ["query", name],
                    "msg": "unknown query parameter",
                    "type": "extra_forbidden",
                    "message": Message("unknown query parameter"),
                }
                for name in unknown
            ]
        )


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included (a walk over a
    handful of parameters: cheaper than any cache keyed by route)."""
    return frozenset(_dependant_query_names(route.dependant))


def _dependant_query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _dependant_query_names(sub)


def not_found(what: str = "not found") -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def _require_write(principal: Principal, write: bool) -> None:
    if write and not principal.may_write():
        raise HTTPException(status_code=403, detail="this key is read-only")


def get_programme(
    session: Session, principal: Principal, programme_id: str, *, write: bool = False
) -> Programme:
    """The programme if the caller may see it; 404 otherwise (never 403: no leak).
    With ``write``, a read-only key then gets 403 (only for its own programme)."""
    programme = session.get(Programme, programme_id) if principal.sees(programme_id) else None
    if programme is None:
        raise not_found("programme not found")
    _require_write(principal, write)
    return programme


def get_run(session: Session, principal: Principal, run_id: str, *, write: bool = False) -> Run:
    """The run if it belongs to a programme the caller may see; 404 otherwise."""
    run = session.get(Run, run_id)
    if run is None or not principal.sees(run.programme_id):
        raise not_found("run not found")
    _require_write(principal, write)
    return run


def get_language(request: Request, response: Response) -> Language | None:
    """The language of explanations the caller asks for with ``Accept-Language`` (en,
    fr or ar; another language gets English), None when the header is absent. The
    answer says which it used in ``Content-Language``."""
    header = request.headers.get("accept-language")
    if not header:
        return None
    language = negotiate(header)
    response.headers["Content-Language"] = language
    return language


LanguageDep = Annotated[Language | None, Depends(get_language)]
