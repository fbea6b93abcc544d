"""``/public/v1/checkins/{token}``: a person's check-in through her link, with no API
key (the token is the credential). 404: unknown link (or replaced by a newer one); 410:
revoked or expired; 429: too many failed links from one address. The form page
``/checkin/{token}`` is the same in a browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from service.deps import NowDep, SessionDep
from service.links import open_checkin
from service.ops import checkins
from service.schemas.common import BODY, error_responses
from service.schemas.follow_up import CheckInAnswerIn, CheckInFormOut

router = APIRouter(prefix="/public/v1/checkins", tags=["check-in links"])

CLOSED = {410: {"description": "The link was revoked or has expired."}}
ERRORS = error_responses(404, 422, 429) | CLOSED
BODY_ERRORS = error_responses(BODY, 404, 422, 429) | CLOSED

Token = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{20,100}$", description="The link's secret token"),
]


def _out(seen: checkins.CheckInView) -> CheckInFormOut:
    row = seen.checkin
    assert row.expires_at is not None
    return CheckInFormOut(
        programme=seen.programme,
        side=row.side,
        name=seen.name,
        partner=seen.partner,
        language=seen.language,
        expires_at=row.expires_at,
        answered=row.answered_at is not None,
        end_reasons=list(checkins.END_REASONS),
    )


@router.get("/{token}", responses=ERRORS)
def read_checkin(
    token: Token, request: Request, session: SessionDep, now: NowDep
) -> CheckInFormOut:
    """The check-in a link opens: the person's pair and the form's choices."""
    return _out(open_checkin(request, session, token, now))


@router.post("/{token}", responses=BODY_ERRORS)
def answer_checkin(
    token: Token, body: CheckInAnswerIn, request: Request, session: SessionDep, now: NowDep
) -> CheckInFormOut:
    """Answer (or change the answer, while the link works): meeting, rating 1-5,
    continuing or ended early and why."""
    seen = open_checkin(request, session, token, now)
    checkins.answer(
        seen.checkin,
        checkins.Answer(
            meeting=body.meeting,
            rating=body.rating,
            continuing=body.continuing,
            end_reason=body.end_reason,
            comment=body.comment,
        ),
        now,
    )
    session.commit()
    return _out(seen)
