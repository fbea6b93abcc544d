"""Sending the due messages (introductions, check-in links, sign-ups' own links) through
SMTP: the run worker's step between runs, never a request's; before it, the worker
queues the messages of pairs published since (:func:`queue_published`).

One batch is three steps so that no transaction waits on the mail server: claim and
compose (:func:`service.ops.introductions.claim_due`, committed), send (one SMTP
connection per programme's batch), record each outcome. Logs carry counts and message
ids only, never an address, a name or the server's words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db import session_scope
from service.mail import Letter, SmtpMailer
from service.models import Programme
from service.ops.introductions import Draft, claim_due, queue_follow_up, record
from service.pseudonyms import load_secret
from service.settings import Settings

__all__ = ["DeliveryReport", "deliver_due", "queue_published"]

log = logging.getLogger("service.delivery")

Send = Callable[[Sequence[Letter]], list[str | None]]


@dataclass(frozen=True)
class DeliveryReport:
    """What one batch did."""

    sent: int
    failed: int

    @property
    def attempted(self) -> int:
        return self.sent + self.failed


def _letter(draft: Draft) -> Letter:
    assert draft.recipient is not None
    assert draft.recipient.email is not None
    return Letter(
        to=draft.recipient.email,
        language=draft.recipient.language,
        subject=draft.subject,
        body=draft.body,
    )


def queue_published(sessions: sessionmaker[Session]) -> int:
    """Queue the introductions and check-ins that publishes left to queue, one programme
    a transaction (:func:`service.ops.introductions.queue_follow_up`); returns how many
    programmes had some."""
    with sessions() as session:
        pending = session.scalars(select(Programme.id).where(Programme.follow_up_pending)).all()
    for programme_id in pending:
        with session_scope(sessions) as session:
            queue_follow_up(session, programme_id)
    return len(pending)


def deliver_due(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, send: Send | None = None
) -> DeliveryReport:
    """Queue what publishes left to queue (with or without SMTP: the mail-merge export
    and the check-in links read them too), then send up to one batch of due messages;
    nothing is sent when no SMTP server is configured."""
    queue_published(sessions)
    if settings.smtp_host is None and send is None:
        return DeliveryReport(sent=0, failed=0)
    send = send or SmtpMailer(settings).send
    with session_scope(sessions) as session:
        secret = load_secret(session, settings)  # derives each sign-up's own link
        claimed = claim_due(session, settings.public_url, now, secret)
    outcomes: dict[int, str | None] = {}
    for _programme, drafts in claimed:
        ready = [d for d in drafts if d.reason is None]
        outcomes.update({d.message.id: d.reason for d in drafts if d.reason is not None})
        results = send([_letter(d) for d in ready])
        outcomes.update({d.message.id: r for d, r in zip(ready, results, strict=True)})
    if outcomes:
        with session_scope(sessions) as session:
            record(session, outcomes, now)
    failed = [i for i, r in outcomes.items() if r is not None]
    report = DeliveryReport(sent=len(outcomes) - len(failed), failed=len(failed))
    if report.attempted:
        log.info(
            "messages delivered",
            extra={"fields": {"sent": report.sent, "failed": report.failed, "failed_ids": failed}},
        )
    return report
