"""Opening a link for the public routes (the JSON API and the form pages): a check-in,
a sign-up form, a person's own link or a choice list; 404 (unknown, or replaced by a newer
link), 410 (revoked, expired, or past its deadline), and 429 once an address has failed
too often (:class:`service.throttle.FailureThrottle`, counted per client address apart
from API keys; every kind of link counts alike). Submissions through a form or a
person's own link are counted per address too (:func:`count_submission`), accepted or
refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from service.deps import client_address, too_many_failures
from service.models import Participant
from service.ops import checkins, choices, sign_ups
from service.ops.errors import ClosedLinkError, UnknownLinkError
from service.throttle import FailureThrottle

__all__ = [
    "count_submission",
    "open_checkin",
    "open_choices",
    "open_own_link",
    "open_sign_up",
]

T = TypeVar("T")


def _opened(request: Request, what: str, opener: Callable[[], T]) -> T:
    """``opener()``'s answer, or the HTTP error saying why the link does not open; a
    failure counts against the client's address."""
    throttle: FailureThrottle = request.app.state.link_throttle
    address = client_address(request)
    wait = throttle.retry_after(address, None)
    if wait is not None:
        raise too_many_failures(wait)
    try:
        return opener()
    except UnknownLinkError:
        throttle.failed(address, None)
        raise HTTPException(status_code=404, detail=f"unknown {what} link") from None
    except ClosedLinkError:
        throttle.failed(address, None)
        raise HTTPException(
            status_code=410, detail=f"this {what} link was revoked or has expired"
        ) from None


def open_checkin(
    request: Request, session: Session, token: str, now: datetime
) -> checkins.CheckInView:
    """The check-in ``token`` opens, as its person sees it."""
    return _opened(
        request, "check-in", lambda: checkins.view(session, checkins.open_link(session, token, now))
    )


def open_sign_up(request: Request, session: Session, token: str, now: datetime) -> sign_ups.Opened:
    """The sign-up form ``token`` opens."""
    return _opened(request, "sign-up", lambda: sign_ups.open_form(session, token, now))


def open_own_link(
    request: Request, session: Session, token: str
) -> tuple[Participant, sign_ups.Opened]:
    """The person ``token`` (her own link) opens, with her side's form."""
    return _opened(request, "personal", lambda: sign_ups.open_person(session, token))


def count_submission(request: Request) -> None:
    """Count a submission from the client's address; 429 once it has sent too many."""
    throttle: FailureThrottle = request.app.state.sign_up_throttle
    address = client_address(request)
    wait = throttle.retry_after(address, None)
    if wait is not None:
        raise too_many_failures(wait)
    throttle.failed(address, None)


def open_choices(
    request: Request, session: Session, token: str, now: datetime
) -> choices.ChoiceView:
    """The list ``token`` opens (a mentee's to rank, a mentor's to accept), as its person
    sees it."""
    return _opened(
        request, "choice", lambda: choices.view(session, choices.open_link(session, token, now))
    )
