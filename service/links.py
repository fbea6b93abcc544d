"""Opening a personal link for the public routes (the JSON API and the form pages): a
check-in link or a choice link, or 404 (unknown, or replaced by a newer link), 410
(revoked, expired, or past its deadline), and 429 once an address has failed too often
(:class:`service.throttle.FailureThrottle`, counted per client address apart from API
keys; both kinds of link count alike)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from service.deps import client_address, too_many_failures
from service.ops import checkins, choices
from service.ops.errors import ConflictError, NotFoundError
from service.throttle import FailureThrottle

__all__ = ["open_checkin", "open_choices"]

Seen = TypeVar("Seen")


def _open(request: Request, kind: str, opener: Callable[[], Seen]) -> Seen:
    """What ``opener`` opens, its failures counted against the client's address."""
    throttle: FailureThrottle = request.app.state.link_throttle
    address = client_address(request)
    wait = throttle.retry_after(address, None)
    if wait is not None:
        raise too_many_failures(wait)
    try:
        return opener()
    except NotFoundError:
        throttle.failed(address, None)
        raise HTTPException(status_code=404, detail=f"unknown {kind} link") from None
    except ConflictError:
        throttle.failed(address, None)
        raise HTTPException(
            status_code=410, detail=f"this {kind} link was revoked or has expired"
        ) from None


def open_checkin(
    request: Request, session: Session, token: str, now: datetime
) -> checkins.CheckInView:
    """The check-in ``token`` opens, as its person sees it."""
    return _open(
        request, "check-in", lambda: checkins.view(session, checkins.open_link(session, token, now))
    )


def open_choices(
    request: Request, session: Session, token: str, now: datetime
) -> choices.ChoiceView:
    """The list ``token`` opens (a mentee's to rank, a mentor's to accept), as its person
    sees it."""
    return _open(
        request, "choice", lambda: choices.view(session, choices.open_link(session, token, now))
    )
