"""The review page's session cookie, CSRF tokens, signed-in coordinator and security headers.

The session is a cookie signed with itsdangerous (HttpOnly, SameSite=Lax, Secure over
HTTPS, eight hours) holding a CSRF token and, once signed in, a random session token —
never the API key. The server keeps each signed-in session (the token's SHA-256, the key
it signed in with, its expiry: :class:`service.models.SignedInSession`) and every request
looks it up, so signing out, revoking the key or the session's expiry ends it at once,
even for a copy of the old cookie. The signing key is derived from the instance secret,
so it is not the pseudonym key itself.

CSRF: synchronizer tokens. Every form carries ``csrf_token`` and every htmx request the
``X-CSRF-Token`` header (set once on ``<body hx-headers>``); a POST without the session's
token is refused with 403, sign-in included.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from service.auth import ROLES, Principal
from service.deps import SessionDep
from service.models import ApiKey, SignedInSession, utcnow

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "SignInRequiredError",
    "WebPrincipalDep",
    "WebSession",
    "check_csrf",
    "get_web_principal",
    "load_session",
    "sign_in",
    "sign_out",
    "store_session",
]

SESSION_COOKIE = "marraine_session"
SESSION_MAX_AGE = 8 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PAGE_ROLES = ("admin", "coordinator")
"""Roles that may sign in: the page writes decisions, which researchers may not."""

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Pages show personal data: no shared or back-button caches.
    "Cache-Control": "no-store",
}


class SignInRequiredError(Exception):
    """Raised by a page that needs a signed-in coordinator; answered with a redirect."""


@dataclass
class WebSession:
    """The decoded session cookie; ``dirty`` when it must be (re)written."""

    csrf: str
    token: str | None = None
    """The signed-in session's token (its SHA-256 is the server-side row's key)."""
    dirty: bool = False
    fresh: bool = False
    """Created by this request: no earlier page can hold its CSRF token."""

    def forget(self) -> None:
        """Drop the token and take a new CSRF token (the cookie is rewritten)."""
        self.csrf = secrets.token_urlsafe(32)
        self.token = None
        self.dirty = True


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(request: Request, db: Session, key_id: str) -> None:
    """Start a server-side session for ``key_id`` and put its token in the cookie."""
    web = load_session(request)
    # A new sign-in replaces the old session; expired sessions are cleared on the way.
    stale = SignedInSession.expires_at <= utcnow()
    if web.token is not None:
        stale = or_(stale, SignedInSession.token_sha256 == _token_digest(web.token))
    db.execute(delete(SignedInSession).where(stale))
    token = secrets.token_urlsafe(32)
    db.add(
        SignedInSession(
            token_sha256=_token_digest(token),
            key_id=key_id,
            expires_at=utcnow() + timedelta(seconds=SESSION_MAX_AGE),
        )
    )
    db.commit()
    web.forget()  # a CSRF token seen before signing in is worth nothing after
    web.token = token


def sign_out(request: Request, db: Session) -> None:
    """End the session server-side: any copy of the cookie is signed out too."""
    web = load_session(request)
    if web.token is not None:
        db.execute(
            delete(SignedInSession).where(SignedInSession.token_sha256 == _token_digest(web.token))
        )
        db.commit()
    web.forget()


def _serializer(request: Request) -> URLSafeTimedSerializer:
    instance_secret: bytes = request.app.state.secret
    key = hmac.new(instance_secret, b"marraine web session v1", hashlib.sha256).digest()
    return URLSafeTimedSerializer(key, salt="marraine-web-session")


def load_session(request: Request) -> WebSession:
    """The request's session (decoded once per request), or a new one."""
    cached = getattr(request.state, "web_session", None)
    if isinstance(cached, WebSession):
        return cached
    session: WebSession | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            data = _serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
        except BadSignature:  # also covers an expired signature
            data = None
        if isinstance(data, dict) and isinstance(data.get("csrf"), str):
            token = data.get("session")
            session = WebSession(csrf=data["csrf"], token=token if isinstance(token, str) else None)
    if session is None:
        session = WebSession(csrf=secrets.token_urlsafe(32), dirty=True, fresh=True)
    request.state.web_session = session
    return session


def store_session(request: Request, response: Response) -> None:
    """Write the session cookie on ``response`` if this request changed it."""
    session = getattr(request.state, "web_session", None)
    if not isinstance(session, WebSession) or not session.dirty:
        return
    payload: dict[str, str] = {"csrf": session.csrf}
    if session.token is not None:
        payload["session"] = session.token
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(request).dumps(payload),
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def get_web_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in coordinator (or admin); :class:`SignInRequiredError` otherwise."""
    web = load_session(request)
    if web.token is None:
        raise SignInRequiredError
    signed_in = session.get(SignedInSession, _token_digest(web.token))
    row = session.get(ApiKey, signed_in.key_id) if signed_in is not None else None
    if (
        signed_in is None
        or signed_in.expires_at <= utcnow()
        or row is None
        or row.revoked_at is not None
        or row.role not in PAGE_ROLES
    ):
        web.forget()
        raise SignInRequiredError
    role = next(r for r in ROLES if r == row.role)
    return Principal(key_id=row.id, role=role, programme_id=row.programme_id)


WebPrincipalDep = Annotated[Principal, Depends(get_web_principal)]


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose CSRF token is missing or not the session's."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    web = load_session(request)
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    valid = (
        isinstance(sent, str)
        and not web.fresh
        and hmac.compare_digest(sent.encode(), web.csrf.encode())
    )
    if not valid:
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
