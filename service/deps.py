"""Typed FastAPI dependencies: settings, database session, the caller, pagination,
and look-ups that answer 404 for anything outside the caller's programme."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, Response, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from matching.messages import Language, negotiate
from service.auth import Principal, authenticate
from service.models import Programme, Run
from service.settings import Settings

__all__ = [
    "LanguageDep",
    "PageParams",
    "PrincipalDep",
    "SessionDep",
    "SettingsDep",
    "get_programme",
    "get_run",
    "not_found",
]

MAX_PAGE = 500

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


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
SecretDep = Annotated[bytes, Depends(get_secret)]


def get_principal(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    presented = bearer.credentials if bearer is not None else api_key
    principal = authenticate(session, presented) if presented else None
    if principal is None:
        raise HTTPException(
            status_code=401,
            detail="missing or invalid API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class PageParams:
    offset: int
    limit: int


def get_page(
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> PageParams:
    return PageParams(offset=offset, limit=limit)


PageDep = Annotated[PageParams, Depends(get_page)]


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
