"""Sign-ups: a programme's form links, the people who sign up through them (pending a
coordinator's approval), and each person's own link to see, correct or withdraw her data.

A form link carries a secret token (32 random bytes, URL-safe) of which only the
SHA-256 is kept; it opens the programme's form for one side until a coordinator revokes
it or it expires. Unknown tokens are :class:`UnknownLinkError` (404), revoked or expired
ones :class:`ClosedLinkError` (410).

A submission is validated as an upload is (the programme's field map, then the engine's
cell checks) and stored as a participant with status ``pending``: runs, checks and
counts read ``approved`` participants only (:func:`service.ops.participants.side_frame`),
until a coordinator approves her; rejecting erases her submission.

Each person who signs up gets her own link. Its token is an HMAC, under the instance
secret, of her programme, side, id and a random nonce stored with her: the server can
derive it again to mail it (the outbox composes messages when it sends them), while the
database holds only the nonce and the token's SHA-256. Withdrawing through it is the
erasure coordinators use (:func:`service.ops.participants.erase`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import InputError, InputErrors, Problem
from matching.messages import Message
from matching.model import Programme as EngineProgramme
from service.db import batches
from service.models import Message as Outgoing
from service.models import Participant, Programme, SignUpForm, new_id
from service.ops import participants
from service.ops.contacts import contacts, run_programme
from service.ops.errors import ClosedLinkError, NotFoundError, UnknownLinkError
from service.ops.participants import EngineSide
from service.ops.sign_up_form import FormField, form_fields

__all__ = [
    "SELF_ERASURE",
    "Opened",
    "PendingPerson",
    "Submission",
    "approve",
    "correct",
    "current_programme",
    "form_problems",
    "open_form",
    "open_form_link",
    "open_person",
    "pending_people",
    "person_token",
    "problems_of",
    "reject",
    "revoke_form",
    "submit",
    "withdraw",
]

SELF_ERASURE = "participant_link"
"""Who erased a person who withdrew through her own link (the erasure log's key id)."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_programme(session: Session, programme: Programme) -> EngineProgramme:
    """The programme's current configuration version."""
    config = run_programme(session, programme.id, programme.version)
    assert config is not None  # a stored version validated when it was written
    return config


# --------------------------------------------------------------------------- form links


def open_form_link(
    session: Session,
    programme_id: str,
    side: EngineSide,
    key_id: str,
    now: datetime,
    days: int | None,
) -> tuple[SignUpForm, str]:
    """A new form link for one side (``days`` None: until revoked); the token is
    returned this once."""
    token = secrets.token_urlsafe(32)
    form = SignUpForm(
        id=new_id("form"),
        programme_id=programme_id,
        side=side,
        token_sha256=_digest(token),
        created_by=key_id,
        created_at=now,
        expires_at=now + timedelta(days=days) if days is not None else None,
        submissions=0,
    )
    session.add(form)
    session.flush()
    return form, token


def revoke_form(session: Session, programme_id: str, form_id: str, now: datetime) -> SignUpForm:
    """Close a form link for good (people who signed up through it keep their links)."""
    form = session.get(SignUpForm, form_id)
    if form is None or form.programme_id != programme_id:
        raise NotFoundError("form_not_found", "sign-up form not found")
    if form.revoked_at is None:
        form.revoked_at = now
    session.flush()
    return form


@dataclass(frozen=True)
class Opened:
    """An open form: its programme, configuration, side and questions, and the form link
    it came through (None on a person's own link)."""

    programme: Programme
    config: EngineProgramme
    side: EngineSide
    fields: tuple[FormField, ...]
    form: SignUpForm | None = None

    @property
    def asks_guardian(self) -> bool:
        """A mentee's form asks for a guardian's consent when mentees are minors."""
        return self.side == "mentee" and self.config.sign_up.minors


def open_form(session: Session, token: str, now: datetime) -> Opened:
    """The form a token opens, or why not."""
    form = session.scalar(select(SignUpForm).where(SignUpForm.token_sha256 == _digest(token)))
    if form is None:
        raise UnknownLinkError("unknown_link", "this sign-up link is unknown")
    if form.revoked_at is not None or (form.expires_at is not None and form.expires_at <= now):
        raise ClosedLinkError("closed_link", "this sign-up link was revoked or has expired")
    programme = session.get(Programme, form.programme_id)
    assert programme is not None  # the form is deleted with its programme
    config = current_programme(session, programme)
    side: EngineSide = "mentee" if form.side == "mentee" else "mentor"
    return Opened(programme, config, side, form_fields(config, side), form)


# --------------------------------------------------------------------------- submitting


@dataclass(frozen=True)
class Submission:
    """What a person sends: her cells in the programme's column names and her consents."""

    cells: dict[str, Any]
    consent: bool
    guardian_consent: bool = False


def _out_of_bounds(field: FormField, value: Any) -> bool:
    """A number outside the form's bounds (a mentor's capacity: 1 to 20 on the form,
    whatever a file may hold); text that is not a number is the engine's to refuse."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    low = field.minimum if field.minimum is not None else -math.inf
    high = field.maximum if field.maximum is not None else math.inf
    return not low <= number <= high


def form_problems(fields: Sequence[FormField], cells: dict[str, Any]) -> list[Problem]:
    """What the form itself refuses, beyond the engine's checks: a required question left
    empty, a question it does not ask, an e-mail that cannot be an address, a number out
    of its bounds."""
    problems = [
        Problem(None, None, f.column, Message("this field is required"))
        for f in fields
        if f.required and cells.get(f.column) in (None, "", [])
    ]
    known = {f.column for f in fields}
    if set(cells) - known:  # named by no one: the sender's key may be anything, even a name
        problems.append(
            Problem(None, None, None, Message("this form does not ask for a field sent"))
        )
    for field in fields:
        value = cells.get(field.column)
        if value in (None, ""):
            continue
        if field.kind == "email" and not _EMAIL.match(str(value)):
            problems.append(Problem(None, None, field.column, Message("is not an e-mail address")))
        if field.kind == "number" and _out_of_bounds(field, value):
            reason = Message(
                "must be a number from {low} to {high}",
                low=f"{field.minimum:g}",
                high=f"{field.maximum:g}",
            )
            problems.append(Problem(None, None, field.column, reason))
    return problems


def _checked(opened: Opened, person_id: str, submission: Submission) -> dict[str, Any]:
    """The submission validated as one row of an upload; raises :class:`InputError`
    naming the field (never its value)."""
    problems: list[Problem] = []
    if not submission.consent:
        problems.append(Problem(None, None, None, Message("consent is required")))
    if opened.asks_guardian and not submission.guardian_consent:
        problems.append(Problem(None, None, None, Message("a guardian's consent is required")))
    problems += form_problems(opened.fields, submission.cells)
    if problems:
        raise InputErrors(problems)
    # A question left unanswered is an empty cell, as in a file (never a missing column).
    empty = dict.fromkeys((f.column for f in opened.fields), None)
    record = {**empty, **submission.cells, _id_column(opened.config, opened.side): person_id}
    return participants.check_records([record], opened.config, opened.side)[0]


def _id_column(config: EngineProgramme, side: EngineSide) -> str:
    fields = config.fields.mentee if side == "mentee" else config.fields.mentor
    return fields.id


def person_token(secret: bytes, participant: Participant) -> str:
    """Her own link's token, derived again from the instance secret and her nonce."""
    assert participant.link_nonce is not None
    message = "|".join(
        ("sign-up", participant.programme_id, participant.side, participant.person_id)
    )
    digest = hmac.new(secret, f"{message}|{participant.link_nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def submit(
    session: Session, opened: Opened, submission: Submission, secret: bytes, now: datetime
) -> tuple[Participant, str]:
    """Store a valid submission as a pending participant and queue the mail carrying her
    link (sent when SMTP is configured and she gave an address). Returns her and her
    link's token; raises :class:`InputError` (nothing stored) when a field is refused."""
    person_id = new_id("signup")
    row = _checked(opened, person_id, submission)
    person = Participant(
        programme_id=opened.programme.id,
        side=opened.side,
        person_id=person_id,
        data={k: v for k, v in row.items() if k != "id"},
        status="pending",
        link_nonce=secrets.token_hex(16),
        updated_at=now,
    )
    token = person_token(secret, person)
    person.link_sha256 = _digest(token)
    session.add(person)
    if opened.form is not None:
        opened.form.submissions += 1
    session.add(_link_message(person, now))
    session.flush()
    return person, token


def _link_message(person: Participant, now: datetime) -> Outgoing:
    """The outbox's message carrying her own link (no pair: the other id is empty)."""
    return Outgoing(
        programme_id=person.programme_id,
        run_id="",
        kind="sign_up",
        side=person.side,
        mentee_id=person.person_id if person.side == "mentee" else "",
        mentor_id=person.person_id if person.side == "mentor" else "",
        status="pending",
        attempts=0,
        created_at=now,
    )


# --------------------------------------------------------------------------- her own link


def open_person(session: Session, token: str) -> tuple[Participant, Opened]:
    """The person a personal link opens, with her side's form (whatever link she came
    through, and open even once form links are revoked)."""
    person = session.scalar(select(Participant).where(Participant.link_sha256 == _digest(token)))
    if person is None:
        raise UnknownLinkError("unknown_link", "this link is unknown")
    programme = session.get(Programme, person.programme_id)
    assert programme is not None
    config = current_programme(session, programme)
    side: EngineSide = "mentee" if person.side == "mentee" else "mentor"
    return person, Opened(programme, config, side, form_fields(config, side))


def correct(session: Session, person: Participant, opened: Opened, submission: Submission) -> None:
    """Replace her fields with a corrected, valid submission (her status is kept: an
    approved person's corrections count from the next run)."""
    row = _checked(opened, person.person_id, submission)
    person.data = {k: v for k, v in row.items() if k != "id"}
    session.flush()


def withdraw(session: Session, person: Participant, secret: bytes) -> None:
    """Erase her, as a coordinator's erasure does (pairs, check-ins, messages too)."""
    participants.erase(session, person, secret, SELF_ERASURE)


# --------------------------------------------------------------------------- approving


def _pending(
    session: Session, programme_id: str, side: EngineSide, person_ids: Iterable[str]
) -> list[Participant]:
    found: list[Participant] = []
    for batch in batches(person_ids):
        found += session.scalars(
            select(Participant).where(
                Participant.programme_id == programme_id,
                Participant.side == side,
                Participant.status == "pending",
                Participant.person_id.in_(batch),
            )
        )
    return found


def _all_pending(
    session: Session, programme_id: str, side: EngineSide, person_ids: Sequence[str]
) -> list[Participant]:
    found = _pending(session, programme_id, side, person_ids)
    if len(found) != len(set(person_ids)):
        raise NotFoundError(
            "sign_up_not_found",
            "some of the ids are not pending sign-ups of this programme",
            missing=len(set(person_ids)) - len(found),
        )
    return found


@dataclass(frozen=True)
class PendingPerson:
    """A sign-up waiting for a coordinator, as the dashboard lists her."""

    side: EngineSide
    person_id: str
    name: str
    submitted_at: datetime


def pending_people(session: Session, programme: Programme, limit: int) -> list[PendingPerson]:
    """The programme's oldest pending sign-ups (up to ``limit``), with their names read
    through the programme's ``[fields]``."""
    rows = session.execute(
        select(Participant.side, Participant.person_id, Participant.updated_at)
        .where(Participant.programme_id == programme.id, Participant.status == "pending")
        .order_by(Participant.updated_at, Participant.person_id)
        .limit(limit)
    ).all()
    config = current_programme(session, programme)
    names = {
        side: contacts(session, programme.id, side, [r[1] for r in rows if r[0] == side], config)
        for side in ("mentee", "mentor")
    }
    return [
        PendingPerson(
            side="mentee" if side == "mentee" else "mentor",
            person_id=person_id,
            name=names[side][person_id].name if person_id in names[side] else person_id,
            submitted_at=submitted_at,
        )
        for side, person_id, submitted_at in rows
    ]


def approve(
    session: Session, programme_id: str, side: EngineSide, person_ids: Sequence[str]
) -> int:
    """Approve pending sign-ups (all or none): from now on runs read them."""
    found = _all_pending(session, programme_id, side, person_ids)
    for person in found:
        person.status = "approved"
    session.flush()
    return len(found)


def reject(
    session: Session,
    programme_id: str,
    side: EngineSide,
    person_ids: Sequence[str],
    secret: bytes,
    key_id: str,
) -> int:
    """Reject pending sign-ups (all or none): their submissions are erased."""
    found = _all_pending(session, programme_id, side, person_ids)
    for person in found:
        participants.erase(session, person, secret, key_id)
    return len(found)


def problems_of(error: InputError) -> Sequence[Problem]:
    """The problems of a refused submission (one or several)."""
    return error.problems if isinstance(error, InputErrors) else (error.problem,)
