"""``/public/v1/choices/{token}``: a person's short list through her link, with no API
key (the token is the credential). A mentee ranks her list (``POST .../ranking``), a
mentor declines or accepts the mentees proposed to her (``POST .../answers``). 404:
unknown link; 410: revoked or past the deadline; 429: too many failed links from one
address. The page ``/choices/{token}`` is the same in a browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from service.deps import NowDep, SessionDep
from service.links import open_choices
from service.ops import choices
from service.schemas.common import BODY, error_responses
from service.schemas.waves import ChoiceAnswerIn, ChoiceFormOut, ChoiceOptionOut, MentorAnswerIn

router = APIRouter(prefix="/public/v1/choices", tags=["choice links"])

CLOSED = {410: {"description": "The link was revoked or its deadline has passed."}}
ERRORS = error_responses(404, 422, 429) | CLOSED
BODY_ERRORS = error_responses(BODY, 404, 422, 429) | CLOSED

Token = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{20,100}$", description="The link's secret token"),
]


def form_out(seen: choices.ChoiceView) -> ChoiceFormOut:
    return ChoiceFormOut(
        programme=seen.programme,
        side=seen.link.side,
        name=seen.name,
        language=seen.language,
        deadline=seen.round.deadline,
        answered=seen.link.answered_at is not None,
        options=[
            ChoiceOptionOut(
                id=v.other_id,
                name=v.name,
                score=v.option.score,
                suggested=v.option.suggested,
                seats=v.option.seats,
                rank=v.option.rank,
                answer=v.option.mentor_answer,
            )
            for v in seen.options
        ],
    )


@router.get("/{token}", responses=ERRORS)
def read_choices(token: Token, request: Request, session: SessionDep, now: NowDep) -> ChoiceFormOut:
    """The list a link opens: a mentee's suggestion and alternatives (with her ranks so
    far), or the mentees proposed to a mentor (with her answers so far)."""
    return form_out(open_choices(request, session, token, now))


@router.post("/{token}/ranking", responses=BODY_ERRORS)
def rank_choices(
    token: Token, body: ChoiceAnswerIn, request: Request, session: SessionDep, now: NowDep
) -> ChoiceFormOut:
    """A mentee's ranking, best first: mentors of her list, each at most once; those
    left out are not wanted. Sending again replaces it, until the deadline."""
    seen = open_choices(request, session, token, now)
    choices.rank(session, seen.link, body.ranking, now)
    session.commit()
    return form_out(choices.view(session, seen.link))


@router.post("/{token}/answers", responses=BODY_ERRORS)
def answer_choices(
    token: Token, body: MentorAnswerIn, request: Request, session: SessionDep, now: NowDep
) -> ChoiceFormOut:
    """A mentor's answer: the mentees proposed to her she declines (the others are
    accepted). Sending again replaces it, until the deadline."""
    seen = open_choices(request, session, token, now)
    choices.decline(session, seen.link, body.declined, now)
    session.commit()
    return form_out(choices.view(session, seen.link))
