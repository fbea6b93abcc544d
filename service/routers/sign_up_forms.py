"""``/v1/programmes/{id}/sign-up-forms``: a programme's form links, one per side or more
(coordinators and admins). A link is shown once, when it is opened; only its hash is
kept. Revoking closes it: the form then answers 410."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from service.deps import (
    NowDep,
    PageDep,
    PathText,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    get_programme,
)
from service.models import SignUpForm
from service.ops import sign_ups as ops
from service.ops.paging import paginate
from service.ops.participants import EngineSide
from service.schemas.common import BODY, WRITE, Page, error_responses, page_of
from service.schemas.sign_ups import SignUpFormIn, SignUpFormOut

router = APIRouter(prefix="/v1/programmes/{programme_id}/sign-up-forms", tags=["sign-up forms"])

ERRORS = error_responses(WRITE)
BODY_ERRORS = error_responses(WRITE, BODY)

FormId = Annotated[str, Path(pattern=r"^form_[A-Za-z0-9_-]{1,40}$", description="A form link's id")]


def _out(form: SignUpForm, link: str | None = None) -> SignUpFormOut:
    return SignUpFormOut(
        id=form.id,
        side="mentees" if form.side == "mentee" else "mentors",
        created_at=form.created_at,
        expires_at=form.expires_at,
        revoked_at=form.revoked_at,
        submissions=form.submissions,
        link=link,
    )


@router.post("", status_code=201, responses=BODY_ERRORS)
def open_form_link(
    programme_id: PathText,
    body: SignUpFormIn,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SignUpFormOut:
    """Open a form link for one side, working ``days`` (or until revoked); its URL is in
    this answer only."""
    programme = get_programme(session, principal, programme_id, write=True)
    side: EngineSide = "mentee" if body.side == "mentees" else "mentor"
    form, token = ops.open_form_link(session, programme.id, side, principal.key_id, now, body.days)
    session.commit()
    return _out(form, f"{settings.public_url.rstrip('/')}/sign-up/{token}")


@router.get("", responses=ERRORS)
def list_form_links(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, page: PageDep
) -> Page[SignUpFormOut]:
    """The programme's form links (without their URLs), with how many signed up."""
    programme = get_programme(session, principal, programme_id, write=True)
    query = select(SignUpForm).where(SignUpForm.programme_id == programme.id)
    rows = paginate(session, query, page, SignUpForm.id)
    return page_of(rows, [_out(form) for form in rows.items])


@router.post("/{form_id}/revoke", responses=ERRORS)
def revoke_form_link(
    programme_id: PathText,
    form_id: FormId,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
) -> SignUpFormOut:
    """Close a form link for good; people who signed up keep their own links."""
    programme = get_programme(session, principal, programme_id, write=True)
    form = ops.revoke_form(session, programme.id, form_id, now)
    session.commit()
    return _out(form)
