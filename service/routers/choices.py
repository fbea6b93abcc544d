"""Mentees' choices, the coordinators' side: send a run's short lists (each person's link
shown once), follow the answers, and queue the final stable run on them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.deps import (
    NowDep,
    PathText,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    get_programme,
    get_run,
)
from service.models import ChoiceLink, ChoiceOption, ChoiceRound
from service.ops import choices as ops
from service.ops.runs import run_out
from service.schemas.common import BODY, READ, WRITE, error_responses
from service.schemas.runs import RunOut
from service.schemas.waves import ChoiceLinkOut, ChoiceRoundIn, ChoiceRoundOut, ChoicesSentOut

router = APIRouter(prefix="/v1/runs/{run_id}/choices", tags=["choices"])

READ_ERRORS = error_responses(READ)
WRITE_ERRORS = error_responses(WRITE, 409)
BODY_ERRORS = error_responses(WRITE, BODY, 409)


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).where(*where)) or 0)


def _round_out(session: Session, found: ChoiceRound) -> ChoiceRoundOut:
    link, option = ChoiceLink, ChoiceOption
    return ChoiceRoundOut(
        id=found.id,
        run_id=found.run_id,
        k=found.k,
        deadline=found.deadline,
        created_at=found.created_at,
        final_run_id=found.final_run_id,
        mentees=_count(session, link.round_id == found.id, link.side == "mentee"),
        answered=_count(
            session, link.round_id == found.id, link.side == "mentee", link.answered_at.is_not(None)
        ),
        mentors=_count(session, link.round_id == found.id, link.side == "mentor"),
        declined=_count(session, option.round_id == found.id, option.mentor_answer == "decline"),
    )


@router.post("", status_code=201, responses=BODY_ERRORS)
def send_choices(
    run_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    body: ChoiceRoundIn | None = None,
) -> ChoicesSentOut:
    """Offer each mentee of the run her suggestion and up to ``choices_k`` alternatives
    (mentors the rules allow with a seat spare), and each mentor the mentees proposed to
    her, until the deadline. The links are shown once (only their hashes are kept): hand
    them out, or mail them from your own tools. 409 when the programme's choices are off
    or the run's lists were sent already."""
    run = get_run(session, principal, run_id, write=True)
    found, issued = ops.open_round(session, run, (body or ChoiceRoundIn()).deadline, now)
    session.commit()
    base = settings.public_url.rstrip("/")
    return ChoicesSentOut(
        round=_round_out(session, found),
        links=[
            ChoiceLinkOut(side=li.side, person_id=li.person_id, link=f"{base}/choices/{li.token}")
            for li in issued
        ],
    )


@router.get("", responses=READ_ERRORS)
def read_choices(run_id: PathText, principal: PrincipalDep, session: SessionDep) -> ChoiceRoundOut:
    """How many mentees answered and how many options mentors declined (counts only)."""
    run = get_run(session, principal, run_id)
    return _round_out(session, ops.round_of(session, run))


@router.post("/final-run", status_code=202, responses=WRITE_ERRORS)
def queue_final_run(
    run_id: PathText, principal: PrincipalDep, session: SessionDep, now: NowDep, response: Response
) -> RunOut:
    """Queue the final run: the mentee-optimal stable matching with respect to the
    submitted lists — a mentee's list is her ranking (a mentee who did not answer by the
    deadline: her suggestion alone), a mentor's list the mentees proposed to her she did
    not decline, by pair score; a declined mentee is unacceptable to that mentor. The
    run's summary certifies it (`blocking_pairs`: 0 over every pair). 409 before the
    deadline while a mentee has not answered, and once the final run was queued."""
    run = get_run(session, principal, run_id, write=True)
    programme = get_programme(session, principal, run.programme_id, write=True)
    final = ops.final_run(session, run, programme, principal, now)
    session.commit()
    response.headers["Location"] = f"/v1/runs/{final.id}"
    return RunOut.model_validate(run_out(session, final))
