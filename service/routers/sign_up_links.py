"""The public sign-up routes, no API key (the link's token is the credential):
``/public/v1/sign-up/{token}`` is a programme's form for one side (GET its questions in
the ``Accept-Language`` asked for, else the programme's language; POST a submission,
pending until a coordinator approves it), and ``/public/v1/me/{token}`` is a person's own
link (GET her data, PUT a correction, DELETE to withdraw: she is erased). 404: unknown
link; 410: revoked or expired form; 429: too many wrong links, or too many submissions,
from one address. A refused answer is a 422 naming the field, never its value. The
pages ``/sign-up/{token}`` and ``/me/{token}`` are the same in a browser."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from matching.errors import InputError
from matching.messages import label_text
from service.db import checkpoint
from service.deps import LanguageDep, NowDep, SecretDep, SessionDep, SettingsDep
from service.errors import UnprocessableError
from service.i18n import Lang, question_title, retention_notice
from service.links import count_submission, open_own_link, open_sign_up
from service.ops import sign_ups as ops
from service.schemas.common import BODY, error_responses
from service.schemas.sign_ups import (
    ChoiceOut,
    FormFieldOut,
    PersonOut,
    SignUpOut,
    SubmissionIn,
    SubmittedOut,
)

router = APIRouter(prefix="/public/v1", tags=["sign-up links"])

CLOSED = {410: {"description": "The form link was revoked or has expired."}}
ERRORS = error_responses(404, 422, 429) | CLOSED
BODY_ERRORS = error_responses(BODY, 404, 422, 429) | CLOSED

Token = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{20,100}$", description="The link's secret token"),
]


def _side(opened: ops.Opened) -> Any:
    return "mentees" if opened.side == "mentee" else "mentors"


def _form_out(opened: ops.Opened, language: Lang) -> SignUpOut:
    fields = [
        FormFieldOut(
            column=f.column,
            kind=f.kind,
            title=question_title(f.role, f.title, language),
            required=f.required,
            choices=[
                ChoiceOut(value=c.value, label=label_text(c.label, language)) for c in f.choices
            ],
            minimum=f.minimum,
            maximum=f.maximum,
        )
        for f in opened.fields
    ]
    return SignUpOut(
        programme=opened.programme.name,
        side=_side(opened),
        fields=fields,
        guardian_consent=opened.asks_guardian,
        retention_notice=retention_notice(opened.config.sign_up.retention_notice, language),
    )


def refused(error: InputError) -> UnprocessableError:
    """A refused submission as a 422 naming each field (never its value)."""
    return UnprocessableError(
        [
            {
                "loc": ["body", "fields", p.column] if p.column else ["body"],
                "msg": p.reason,
                "message": p.message,
                "type": "input_error",
                "column": p.column,
            }
            for p in ops.problems_of(error)
        ]
    )


def _submission(body: SubmissionIn) -> ops.Submission:
    return ops.Submission(
        cells=dict(body.fields), consent=body.consent, guardian_consent=body.guardian_consent
    )


@router.get("/sign-up/{token}", responses=ERRORS)
def read_form(
    token: Token, request: Request, session: SessionDep, now: NowDep, language: LanguageDep
) -> SignUpOut:
    """The form a link opens: its questions, choices and consents."""
    opened = open_sign_up(request, session, token, now)
    return _form_out(opened, language or opened.config.language)


@router.post("/sign-up/{token}", status_code=201, responses=BODY_ERRORS)
def submit(
    token: Token,
    body: SubmissionIn,
    request: Request,
    session: SessionDep,
    secret: SecretDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmittedOut:
    """Sign up: stored pending a coordinator's approval; the answer holds her own link."""
    opened = open_sign_up(request, session, token, now)
    count_submission(request)
    try:
        _person, own = ops.submit(session, opened, _submission(body), secret, now)
    except InputError as error:
        raise refused(error) from None
    session.commit()
    return SubmittedOut(status="pending", link=f"{settings.public_url.rstrip('/')}/me/{own}")


@router.get("/me/{token}", responses=ERRORS)
def read_own_data(token: Token, request: Request, session: SessionDep) -> PersonOut:
    """Everything she submitted, and whether a coordinator has approved it."""
    person, opened = open_own_link(request, session, token)
    return PersonOut(
        programme=opened.programme.name,
        side=_side(opened),
        status=person.status,
        fields=person.data,
    )


@router.put("/me/{token}", responses=BODY_ERRORS)
def correct_own_data(
    token: Token, body: SubmissionIn, request: Request, session: SessionDep
) -> PersonOut:
    """Replace her answers with corrected ones, checked as a new sign-up is."""
    person, opened = open_own_link(request, session, token)
    count_submission(request)
    try:
        ops.correct(session, person, opened, _submission(body))
    except InputError as error:
        raise refused(error) from None
    session.commit()
    return PersonOut(
        programme=opened.programme.name,
        side=_side(opened),
        status=person.status,
        fields=person.data,
    )


@router.delete("/me/{token}", status_code=204, responses=ERRORS)
def withdraw(token: Token, request: Request, session: SessionDep, secret: SecretDep) -> Response:
    """Withdraw: she is erased from the programme (her pairs, check-ins and messages
    too), and the link stops working."""
    person, _opened = open_own_link(request, session, token)
    ops.withdraw(session, person, secret)
    session.commit()
    checkpoint(session.get_bind())  # SQLite's write-ahead log forgets her pages too
    return Response(status_code=204)
