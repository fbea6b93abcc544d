"""Introductions, check-in links and sign-ups' own links: the messages that follow
publishing and signing up.

Each pair a run publishes (:func:`service.ops.decisions.publish`) gets an introduction
to each of its two people, and a check-in for each, due ``checkin_weeks`` after
publishing, with the message that will carry its link; :func:`queue_follow_up` makes
them, after the publish, from what it made active. A pair already introduced in the
programme (published again by a later run) is not introduced twice.

Messages hold ids, kind, language-free state and a reason code only. Their text is
composed when they are sent or exported (:func:`letters`), from the participants' current
fields, the run's stored evidence rendered in each reader's language
(:func:`service.explanations.why_in`) and the templates ``service/templates/mail/
<kind>.<language>.txt`` (first line: the subject). Sending is two steps around the
mailer so that no database transaction waits on an SMTP server: :func:`claim_due` (marks
the due messages ``sending``, issues the check-in tokens) and :func:`record` (``sent``,
or ``failed`` with the reason). :func:`retry` puts failed messages back in the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from itertools import product

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import (
    Subquery,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from matching.model import Programme as EngineProgramme
from service.db import insert_from_select, lock_row, rowcount
from service.explanations import why_in
from service.models import (
    ActivePair,
    CheckIn,
    FollowUp,
    Message,
    Participant,
    Programme,
    Run,
    RunPair,
    UTCDateTime,
)
from service.ops import checkins
from service.ops.contacts import Contact, contacts, run_programme
from service.ops.sign_ups import person_token

__all__ = [
    "Draft",
    "claim_due",
    "follow_up_of",
    "letters",
    "message_counts",
    "queue_follow_up",
    "record",
    "retry",
]

LETTERS = Environment(
    loader=FileSystemLoader(str(resources.files("service") / "templates" / "mail")),
    autoescape=False,  # plain-text mail: nothing is parsed as HTML
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

PUBLISHED = ("approved", "locked")
SIDES = ("mentee", "mentor")


def follow_up_of(session: Session, programme_id: str) -> FollowUp:
    """The programme's follow-up settings (the defaults when it has set none)."""
    stored = session.get(FollowUp, programme_id)
    return stored or FollowUp(programme_id=programme_id, checkin_weeks=6, link_days=28)


def queue_follow_up(session: Session, programme_id: str) -> bool:
    """Queue the introductions and check-ins of the pairs the programme last published,
    if that publish left them to queue (:attr:`Programme.follow_up_pending`); returns
    whether it did. The caller commits.

    Publishing only marks them (:func:`service.ops.decisions.publish`): four messages
    and two check-ins a pair are 180,000 rows at 30,000 pairs, seconds of index upkeep
    that the coordinator would wait for. They are queued here from the active pairs —
    what that publish made active, with its run and time — by the worker between runs,
    by every reader of the messages and check-ins before it reads, and by the next
    publish before it replaces the active pairs: each publish's rows are the ones an
    immediate queueing would have made. A pair introduced before (published again) has
    its rows already (they are made, and erased, together): its rows meet their unique
    keys and are skipped, an index probe each that the insert makes anyway."""
    if not session.scalar(select(Programme.follow_up_pending).where(Programme.id == programme_id)):
        return False
    lock_row(session, Programme.id, programme_id, touch=Programme.name)
    if not session.scalar(select(Programme.follow_up_pending).where(Programme.id == programme_id)):
        return False  # another queued them while this one waited for the lock
    published = session.execute(
        select(ActivePair.run_id, ActivePair.published_at)
        .where(ActivePair.programme_id == programme_id)
        .limit(1)
    ).first()
    if published is not None:
        weeks = follow_up_of(session, programme_id).checkin_weeks
        _insert_follow_up(session, programme_id, published.published_at + timedelta(weeks=weeks))
    session.execute(
        update(Programme)
        .where(Programme.id == programme_id)
        .values(follow_up_pending=False)
        .execution_options(synchronize_session="evaluate")
    )
    return True


def _insert_follow_up(session: Session, programme_id: str, due: datetime) -> None:
    """Two ``INSERT ... SELECT`` from the active pairs (in the order they were
    published): each person's check-in, then her introduction and check-in message."""
    pairs = select(ActivePair).where(ActivePair.programme_id == programme_id).subquery("pairs")
    sides = _constants(("side", "ordinal"), [(side, n) for n, side in enumerate(SIDES)])
    insert_from_select(
        session,
        CheckIn,
        [*PAIR_COLUMNS, "due_at"],
        select(
            pairs.c.programme_id,
            pairs.c.run_id,
            sides.c.side,
            pairs.c.mentee_id,
            pairs.c.mentor_id,
            literal(due, UTCDateTime()),
        )
        .select_from(pairs.join(sides, true()))
        .where(true())  # SQLite reads ON CONFLICT after a join's ON as part of it
        .order_by(pairs.c.id, sides.c.ordinal),
        skip_existing=True,
    )
    each = _constants(
        ("side", "kind", "ordinal"),
        [(side, kind, n) for n, (side, kind) in enumerate(product(SIDES, MESSAGE_ORDER))],
    )
    insert_from_select(
        session,
        Message,
        [*PAIR_COLUMNS, "kind", "status", "attempts", "created_at"],
        select(
            pairs.c.programme_id,
            pairs.c.run_id,
            each.c.side,
            pairs.c.mentee_id,
            pairs.c.mentor_id,
            each.c.kind,
            literal("pending"),
            literal(0),
            pairs.c.published_at,
        )
        .select_from(pairs.join(each, true()))
        .where(true())
        .order_by(pairs.c.id, each.c.ordinal),
        skip_existing=True,
    )


PAIR_COLUMNS = ("programme_id", "run_id", "side", "mentee_id", "mentor_id")
"""The columns a message and a check-in share: whose, which run, which person of which
pair."""

MESSAGE_ORDER = ("introduction", "checkin")
"""Each person's messages of a pair, in the order they are queued."""


def _constants(names: tuple[str, ...], rows: list[tuple[object, ...]]) -> Subquery:
    """A few constant rows as a table to join with (``UNION ALL`` of literal selects:
    SQLite reads no column names from a ``VALUES`` alias)."""
    selects = [
        select(*(literal(value).label(name) for name, value in zip(names, row, strict=True)))
        for row in rows
    ]
    return union_all(*selects).subquery()


@dataclass(frozen=True)
class Draft:
    """A message composed for its recipient (``to`` None: no address; ``reason`` says
    why it cannot be sent)."""

    message: Message
    recipient: Contact | None
    partner: Contact | None
    why: str
    subject: str
    body: str
    link: str | None
    reason: str | None


def _pair_explanations(
    session: Session, messages: Sequence[Message]
) -> dict[tuple[str, str, str], RunPair]:
    runs = {m.run_id for m in messages}
    rows = session.scalars(
        select(RunPair).where(RunPair.run_id.in_(runs), RunPair.decision.in_(PUBLISHED))
    )
    return {(p.run_id, p.mentee_id, p.mentor_id): p for p in rows}


def letters(
    session: Session,
    programme: Programme,
    messages: Sequence[Message],
    link_of: Callable[[Message], tuple[str, datetime] | None],
) -> list[Draft]:
    """The messages composed in each recipient's language (``link_of`` gives a check-in
    message its link and expiry)."""
    runs = {m.run_id: session.get(Run, m.run_id) for m in messages}
    configs = {
        run_id: run_programme(session, programme.id, run.version) if run else None
        for run_id, run in runs.items()
    }
    config = next((c for c in configs.values() if c is not None), None)
    people = {
        side: contacts(
            session,
            programme.id,
            side,
            [m.mentee_id if side == "mentee" else m.mentor_id for m in messages],
            config,
        )
        for side in SIDES
    }
    pairs = _pair_explanations(session, messages)
    return [_draft(programme, m, people, pairs, link_of, configs.get(m.run_id)) for m in messages]


def _draft(
    programme: Programme,
    message: Message,
    people: dict[str, dict[str, Contact]],
    pairs: dict[tuple[str, str, str], RunPair],
    link_of: Callable[[Message], tuple[str, datetime] | None],
    config: EngineProgramme | None,
) -> Draft:
    other = "mentor" if message.side == "mentee" else "mentee"
    ids = {"mentee": message.mentee_id, "mentor": message.mentor_id}
    recipient = people[message.side].get(ids[message.side])
    partner = people[other].get(ids[other])
    pair = pairs.get((message.run_id, message.mentee_id, message.mentor_id))
    language = recipient.language if recipient else (config.language if config else "en")
    why = why_in(pair.why, pair.evidence, language) if pair is not None else ""
    link = link_of(message) if message.kind == "checkin" else None
    reason = None
    if recipient is None or partner is None or pair is None:
        reason = "no_recipient"  # erased since, or the pair is no longer published
    elif recipient.email is None:
        reason = "no_address"
    text = ""
    if reason != "no_recipient" and recipient is not None and partner is not None:
        text = LETTERS.get_template(f"{message.kind}.{language}.txt").render(
            programme=programme.name,
            name=recipient.name,
            partner=partner.name,
            partner_email=partner.email,
            side=message.side,
            why=why,
            link=link[0] if link else "",
            expires=link[1].strftime("%Y-%m-%d") if link else "",
        )
    subject, _, body = text.partition("\n")
    return Draft(
        message=message,
        recipient=recipient,
        partner=partner,
        why=why,
        subject=subject,
        body=body,
        link=link[0] if link else None,
        reason=reason,
    )


def _due(now: datetime) -> object:
    """Pending messages that may go now: introductions and sign-up links, and check-ins
    once due."""
    return and_(
        Message.status == "pending",
        or_(
            Message.kind.in_(("introduction", "sign_up")),
            and_(CheckIn.id.is_not(None), CheckIn.due_at <= now),
        ),
    )


def _sign_up_draft(
    message: Message,
    person: Participant | None,
    recipient: Contact | None,
    programme: Programme,
    fallback: str,
    link: Callable[[Participant], str],
) -> Draft:
    reason = "no_recipient" if person is None or recipient is None else None
    if reason is None and recipient is not None and recipient.email is None:
        reason = "no_address"
    url = link(person) if person is not None and reason is None else ""
    text = ""
    if recipient is not None:
        text = LETTERS.get_template(f"sign_up.{recipient.language or fallback}.txt").render(
            programme=programme.name, name=recipient.name, side=message.side, link=url
        )
    subject, _, body = text.partition("\n")
    return Draft(message, recipient, None, "", subject, body, url or None, reason)


def sign_up_letters(
    session: Session,
    programme: Programme,
    messages: Sequence[Message],
    link: Callable[[Participant], str],
) -> list[Draft]:
    """The mails carrying each new sign-up's own link (``link`` gives a person's URL),
    in her language; a person withdrawn or rejected since gets none."""
    config = run_programme(session, programme.id, programme.version)
    fallback = config.language if config is not None else "en"
    drafts = []
    for message in messages:
        person_id = message.mentee_id if message.side == "mentee" else message.mentor_id
        person = session.scalar(
            select(Participant).where(
                Participant.programme_id == programme.id,
                Participant.side == message.side,
                Participant.person_id == person_id,
            )
        )
        recipient = contacts(session, programme.id, message.side, [person_id], config).get(
            person_id
        )
        drafts.append(_sign_up_draft(message, person, recipient, programme, fallback, link))
    return drafts


def _checkin_join() -> object:
    return and_(
        CheckIn.programme_id == Message.programme_id,
        CheckIn.side == Message.side,
        CheckIn.mentee_id == Message.mentee_id,
        CheckIn.mentor_id == Message.mentor_id,
    )


def claim_due(
    session: Session, public_url: str, now: datetime, secret: bytes, limit: int = 200
) -> list[tuple[Programme, list[Draft]]]:
    """Take up to ``limit`` due messages (oldest first) for sending: each is marked
    ``sending`` and counted as an attempt; a check-in message gets a new link (any earlier
    link of that check-in stops working), a sign-up's message her own link (derived from
    ``secret``). Returns them composed, by programme."""
    rows = session.execute(
        select(Message, CheckIn)
        .outerjoin(CheckIn, _checkin_join())  # type: ignore[arg-type]
        .where(_due(now))  # type: ignore[arg-type]
        .order_by(Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Message)
    ).all()
    if not rows:
        return []
    links: dict[int, tuple[str, datetime]] = {}
    for message, checkin in rows:
        message.status, message.attempted_at = "sending", now
        message.attempts += 1
        if checkin is not None and message.kind == "checkin":
            days = follow_up_of(session, message.programme_id).link_days
            token = checkins.issue(checkin, now, days)
            link = f"{public_url.rstrip('/')}/checkin/{token}"
            links[message.id] = (link, now + timedelta(days=days))
    session.flush()
    by_programme: dict[str, list[Message]] = {}
    for message, _checkin in rows:
        by_programme.setdefault(message.programme_id, []).append(message)
    base = public_url.rstrip("/")

    def own_link(person: Participant) -> str:
        return f"{base}/me/{person_token(secret, person)}"

    out = []
    for programme_id, messages in by_programme.items():
        programme = session.get(Programme, programme_id)
        assert programme is not None
        pairs = [m for m in messages if m.kind != "sign_up"]
        drafts = letters(session, programme, pairs, lambda m: links.get(m.id))
        signed_up = [m for m in messages if m.kind == "sign_up"]
        drafts += sign_up_letters(session, programme, signed_up, own_link)
        out.append((programme, drafts))
    return out


def record(session: Session, outcomes: dict[int, str | None], now: datetime) -> None:
    """Store each sent message's outcome (``None``: sent; else the failure's reason)."""
    for message_id, reason in outcomes.items():
        values = {"status": "sent", "sent_at": now, "reason": None}
        if reason is not None:
            values = {"status": "failed", "reason": reason}
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == "sending")
            .values(values)
            .execution_options(synchronize_session=False)
        )


def retry(session: Session, programme_id: str, run_id: str | None = None) -> int:
    """Queue the programme's failed messages (and any left ``sending`` by a stopped
    sender) again; returns how many."""
    where = [Message.programme_id == programme_id, Message.status.in_(("failed", "sending"))]
    if run_id is not None:
        where.append(Message.run_id == run_id)
    result = session.execute(
        update(Message)
        .where(*where)
        .values(status="pending")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def message_counts(session: Session, programme_id: str) -> dict[str, int]:
    """How many of the programme's messages are sent, failed and waiting."""
    counts = dict(
        session.execute(
            select(Message.status, func.count())
            .where(Message.programme_id == programme_id)
            .group_by(Message.status)
        ).all()
    )
    return {
        "sent": int(counts.get("sent", 0)),
        "failed": int(counts.get("failed", 0)),
        "waiting": int(counts.get("pending", 0)) + int(counts.get("sending", 0)),
    }
