"""After publishing: a programme's follow-up settings, its messages (introductions and
check-in links) and their retry, the introductions' mail-merge export, check-in links for
programmes that send them themselves, revocation, the follow-up figures and outcomes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import Principal
from service.deps import (
    NowDep,
    PageDep,
    PathText,
    PrincipalDep,
    SecretDep,
    SessionDep,
    SettingsDep,
    get_programme,
    get_run,
)
from service.models import CheckIn, FollowUp, Message, Programme
from service.ops import checkins as checkin_ops
from service.ops import introductions as ops
from service.ops.paging import paginate
from service.pseudonyms import pseudonym
from service.schemas.common import BODY, READ, WRITE, Page, error_responses, page_of
from service.schemas.follow_up import (
    CheckInLinkOut,
    CheckInOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpStatsOut,
    MessageOut,
    OutcomeOut,
    RetryOut,
)
from service.spreadsheets import to_csv, to_xlsx

router = APIRouter(prefix="/v1/programmes/{programme_id}", tags=["follow-up"])
run_router = APIRouter(prefix="/v1/runs/{run_id}", tags=["follow-up"])

CheckInId = Annotated[
    str, Path(pattern=r"^[1-9][0-9]{0,8}$", description="A check-in's id (a number)")
]

READ_ERRORS = error_responses(READ)
WRITE_ERRORS = error_responses(WRITE)
BODY_ERRORS = error_responses(WRITE, BODY)

MERGE_HEADER = (
    "side",
    "mentee_id",
    "mentor_id",
    "name",
    "email",
    "language",
    "partner",
    "partner_email",
    "why",
    "subject",
    "body",
    "status",
)
SPREADSHEETS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _queued(session: Session, programme_id: str) -> None:
    """The messages and check-ins of the last publish queued before they are read or
    changed (the worker queues them too; whoever comes first does it once)."""
    if ops.queue_follow_up(session, programme_id):
        session.commit()


@router.get("/follow-up", responses=READ_ERRORS)
def read_follow_up(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> FollowUpOut:
    """When check-ins fall due after publishing, and how long their links work."""
    programme = get_programme(session, principal, programme_id)
    stored = ops.follow_up_of(session, programme.id)
    return FollowUpOut(checkin_weeks=stored.checkin_weeks, link_days=stored.link_days)


@router.put("/follow-up", responses=BODY_ERRORS)
def update_follow_up(
    programme_id: PathText, body: FollowUpIn, principal: PrincipalDep, session: SessionDep
) -> FollowUpOut:
    """Set the weeks from publishing to the check-ins (pairs published from now on) and
    the days a check-in link works."""
    programme = get_programme(session, principal, programme_id, write=True)
    _queued(session, programme.id)  # pairs published before keep their due dates
    stored = session.get(FollowUp, programme.id) or FollowUp(programme_id=programme.id)
    stored.checkin_weeks, stored.link_days = body.checkin_weeks, body.link_days
    session.add(stored)
    session.commit()
    return FollowUpOut(checkin_weeks=stored.checkin_weeks, link_days=stored.link_days)


@router.get("/messages", responses=WRITE_ERRORS)
def list_messages(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    status: Annotated[Literal["pending", "sending", "sent", "failed"] | None, Query()] = None,
) -> Page[MessageOut]:
    """The programme's messages and their delivery state (coordinators: they name people)."""
    programme = get_programme(session, principal, programme_id, write=True)
    _queued(session, programme.id)
    query = select(Message).where(Message.programme_id == programme.id)
    if status is not None:
        query = query.where(Message.status == status)
    rows = paginate(session, query, page, Message.id)
    return page_of(rows, [MessageOut.model_validate(m, from_attributes=True) for m in rows.items])


@router.post("/messages/retry", responses=WRITE_ERRORS)
def retry_messages(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> RetryOut:
    """Put the failed messages back in the queue; the worker sends them between runs."""
    programme = get_programme(session, principal, programme_id, write=True)
    _queued(session, programme.id)
    queued = ops.retry(session, programme.id)
    session.commit()
    return RetryOut(queued=queued)


@router.get("/checkins", responses=WRITE_ERRORS)
def list_checkins(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, page: PageDep
) -> Page[CheckInOut]:
    """Each person's check-in: due, issued, answered, revoked."""
    programme = get_programme(session, principal, programme_id, write=True)
    _queued(session, programme.id)
    query = select(CheckIn).where(CheckIn.programme_id == programme.id)
    rows = paginate(session, query, page, CheckIn.id)
    return page_of(rows, [CheckInOut.model_validate(c, from_attributes=True) for c in rows.items])


@router.post("/checkins/links", responses=WRITE_ERRORS)
def issue_links(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> list[CheckInLinkOut]:
    """New links for every due, unanswered check-in, shown this once (only their hashes
    are kept): for programmes that send them from their own tools. Any earlier link of
    the same check-in stops working."""
    programme = get_programme(session, principal, programme_id, write=True)
    _queued(session, programme.id)
    days = ops.follow_up_of(session, programme.id).link_days
    issued = checkin_ops.issue_due(session, programme.id, now, days)
    session.commit()
    base = settings.public_url.rstrip("/")
    return [
        CheckInLinkOut(
            checkin_id=row.id,
            side=row.side,
            mentee_id=row.mentee_id,
            mentor_id=row.mentor_id,
            link=f"{base}/checkin/{token}",
            expires_at=row.expires_at,
        )
        for row, token in issued
    ]


@router.post("/checkins/{checkin_id}/revoke", responses=WRITE_ERRORS)
def revoke_checkin(
    programme_id: PathText,
    checkin_id: CheckInId,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
) -> CheckInOut:
    """Close a check-in's link (a new one can be issued later)."""
    programme = get_programme(session, principal, programme_id, write=True)
    row = checkin_ops.revoke(session, programme.id, int(checkin_id), now)
    session.commit()
    return CheckInOut.model_validate(row, from_attributes=True)


def _outcome_out(
    outcome: checkin_ops.PairOutcome, principal: Principal, secret: bytes, programme: Programme
) -> OutcomeOut:
    mentee, mentor = outcome.mentee_id, outcome.mentor_id
    if principal.role == "researcher":
        mentee = pseudonym(secret, programme.id, mentee)
        mentor = pseudonym(secret, programme.id, mentor)
    return OutcomeOut(
        run_id=outcome.run_id,
        mentee_id=mentee,
        mentor_id=mentor,
        answers=outcome.answers,
        meeting=outcome.meeting,
        mean_rating=outcome.mean_rating,
        continuing=outcome.continuing,
        end_reasons=list(outcome.end_reasons),
        outcome=outcome.outcome,
    )


@router.get("/outcomes", responses=READ_ERRORS)
def list_outcomes(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, secret: SecretDep
) -> list[OutcomeOut]:
    """Each answered pair's outcome (good, poor, ended_early), from its people's
    check-ins; researchers see pseudonyms and no free text."""
    programme = get_programme(session, principal, programme_id)
    return [
        _outcome_out(o, principal, secret, programme)
        for o in checkin_ops.outcomes(session, programme.id)
    ]


@router.get("/follow-up/stats", responses=READ_ERRORS)
def follow_up_stats(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, secret: SecretDep
) -> FollowUpStatsOut:
    """The check-ins' response rate, ratings by mentee group and the pairs at risk."""
    programme = get_programme(session, principal, programme_id)
    stats = checkin_ops.stats(session, programme)
    return FollowUpStatsOut(
        issued=stats.issued,
        answered=stats.answered,
        response_rate=stats.response_rate,
        mean_rating=stats.mean_rating,
        group_column=stats.group_column,
        rating_by_group=stats.rating_by_group,
        at_risk=[_outcome_out(o, principal, secret, programme) for o in stats.at_risk],
    )


@run_router.get(
    "/introductions",
    responses={
        **WRITE_ERRORS,
        200: {"content": {kind: {} for kind in SPREADSHEETS.values()}},
    },
    response_class=Response,
)
def mail_merge(
    run_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """The run's introductions as a mail-merge file (CSV or Excel): one row a person,
    with her name, address and language, her partner's, why they were matched in her
    language, and the message's subject and text — for programmes that send from their
    own tools. Coordinators only (it holds addresses)."""
    run = get_run(session, principal, run_id, write=True)
    programme = get_programme(session, principal, run.programme_id, write=True)
    _queued(session, programme.id)
    messages = session.scalars(
        select(Message)
        .where(Message.run_id == run.id, Message.kind == "introduction")
        .order_by(Message.id)
    ).all()
    drafts = ops.letters(session, programme, messages, lambda _m: None)
    rows = [_merge_row(d) for d in drafts if d.recipient is not None]
    content = (
        to_csv(MERGE_HEADER, rows)
        if format == "csv"
        else to_xlsx(MERGE_HEADER, rows, "introductions")
    )
    return Response(
        content,
        media_type=SPREADSHEETS[format],
        headers={"Content-Disposition": f'attachment; filename="introductions-{run.id}.{format}"'},
    )


def _merge_row(draft: ops.Draft) -> tuple[str | None, ...]:
    message, recipient, partner = draft.message, draft.recipient, draft.partner
    assert recipient is not None
    return (
        message.side,
        message.mentee_id,
        message.mentor_id,
        recipient.name,
        recipient.email,
        recipient.language,
        partner.name if partner else None,
        partner.email if partner else None,
        draft.why,
        draft.subject,
        draft.body,
        message.status,
    )
