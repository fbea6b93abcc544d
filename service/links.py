"""Opening a check-in link for the public routes (the JSON API and the form page): the
token's check-in, or 404 (unknown, or replaced by a newer link), 410 (revoked or
expired), and 429 once an address has failed too often
(:class:`service.throttle.FailureThrottle`, counted per client address apart from API
keys)."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from service.deps import client_address, too_many_failures
from service.ops import checkins
from service.throttle import FailureThrottle

__all__ = ["open_checkin"]


def open_checkin(
    request: Request, session: Session, token: str, now: datetime
) -> checkins.CheckInView:
    """The check-in ``token`` opens, as its person sees it."""
    throttle: FailureThrottle = request.app.state.link_throttle
    address = client_address(request)
    wait = throttle.retry_after(address, None)
    if wait is not None:
        raise too_many_failures(wait)
    try:
        return checkins.view(session, checkins.open_link(session, token, now))
    except checkins.UnknownLinkError:
        throttle.failed(address, None)
        raise HTTPException(status_code=404, detail="unknown check-in link") from None
    except checkins.ClosedLinkError:
        throttle.failed(address, None)
        raise HTTPException(
            status_code=410, detail="this check-in link was revoked or has expired"
        ) from None
