"""Introductions after publishing: sent through a real SMTP server (aiosmtpd on
loopback) in each person's language, failed and retried when the server is down, and
exported for mail merge; no name or address in the logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.delivery import deliver_due
from service.models import utcnow
from service.settings import Settings
from service.worker import Worker
from tests.service.conftest import Api
from tests.service.follow_up_world import (
    Inbox,
    mentees,
    mentors,
    published_programme,
    smtp,
    text_of,
)
from tests.service.pg import free_port

__all__ = ["smtp"]  # the fixture, imported for pytest

ENGLISH = ("Hello", "Why you were matched", "How to reach", "The ", "team", "meet ")


def _api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        yield Api(client=client, admin_key=admin_key, worker=Worker(settings, app.state.engine))
    app.state.engine.dispose()


@pytest.fixture
def mailing(settings: Settings, smtp: tuple[Inbox, int]) -> Iterator[tuple[Api, Inbox]]:
    inbox, port = smtp
    configured = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "equipe@passerelles.test"}
    )
    for api in _api(configured):
        yield api, inbox


@pytest.fixture
def unreachable(settings: Settings) -> Iterator[Api]:
    """SMTP configured on a loopback port where nothing listens (connection refused)."""
    configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    yield from _api(configured)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {getattr(record, 'fields', '')}")


def _pairs(api: Api, run_id: str) -> list[dict[str, str]]:
    items = api.client.get(f"/v1/runs/{run_id}/pairs?limit=500", headers=api.auth()).json()
    return [p for p in items["items"] if p["decision"] == "approved"]


def test_publishing_introduces_each_pair_in_each_persons_language(
    mailing: tuple[Api, Inbox],
) -> None:
    api, inbox = mailing
    records = Records()
    logging.getLogger("service").addHandler(records)
    try:
        programme_id, run_id = published_programme(api)
        assert inbox.messages == [], "publishing sends nothing in the request"
        assert api.worker.deliver().sent == 2 * len(_pairs(api, run_id))
    finally:
        logging.getLogger("service").removeHandler(records)

    people = {p["id"]: p for p in mentees(12) + mentors(12)}
    pairs = _pairs(api, run_id)
    assert len(inbox.messages) == 2 * len(pairs)
    assert all(sender == "equipe@passerelles.test" for sender, _ in inbox.envelopes)
    for pair in pairs:
        mentee, mentor = people[pair["mentee_id"]], people[pair["mentor_id"]]
        for me, partner in ((mentee, mentor), (mentor, mentee)):
            (message,) = inbox.to(me["courriel"])
            text = message["Subject"] + "\n" + text_of(message)
            assert message["Content-Language"] == me["langue"]
            assert me["nom"] in text
            assert partner["nom"] in text
            assert partner["courriel"] in text  # how to reach each other
            why = api.client.get(
                f"/v1/runs/{run_id}/pairs?limit=500",
                headers={**api.auth(), "Accept-Language": me["langue"]},
            ).json()["items"]
            expected = next(p["why"] for p in why if p["mentee_id"] == pair["mentee_id"])
            assert expected in text, "the why, rendered in the reader's language"
            if me["langue"] == "fr":
                assert "Pourquoi ce binôme" in text
                assert not [w for w in ENGLISH if w in text], text
            else:
                assert "لماذا جُمعتما معًا" in text
    assert all(m["status"] == "sent" for m in _messages(api, programme_id, "introduction"))
    logged = "\n".join(records.lines)
    for person in people.values():
        assert person["nom"] not in logged
        assert person["courriel"] not in logged


def _messages(api: Api, programme_id: str, kind: str) -> list[dict[str, object]]:
    response = api.client.get(
        f"/v1/programmes/{programme_id}/messages?limit=500", headers=api.auth()
    )
    assert response.status_code == 200, response.text
    return [m for m in response.json()["items"] if m["kind"] == kind]


def test_a_refused_connection_fails_the_messages_and_a_retry_sends_them(
    unreachable: Api, smtp: tuple[Inbox, int]
) -> None:
    api = unreachable
    programme_id, run_id = published_programme(api)
    report = api.worker.deliver()
    assert report.sent == 0
    assert report.failed == 2 * len(_pairs(api, run_id))
    failed = _messages(api, programme_id, "introduction")
    assert {(m["status"], m["reason"], m["attempts"]) for m in failed} == {
        ("failed", "connection_failed", 1)
    }
    assert api.worker.deliver().attempted == 0, "failed messages wait for a retry"

    response = api.client.post(f"/v1/programmes/{programme_id}/messages/retry", headers=api.auth())
    assert response.json() == {"queued": len(failed)}
    inbox, port = smtp
    working = api.worker.settings.model_copy(update={"smtp_port": port})
    report = deliver_due(api.worker.sessions, working, utcnow())
    assert report.sent == len(failed)
    assert len(inbox.messages) == len(failed)
    sent = _messages(api, programme_id, "introduction")
    assert {(m["status"], m["reason"], m["attempts"]) for m in sent} == {("sent", None, 2)}


def test_a_refused_address_fails_its_message_only(mailing: tuple[Api, Inbox]) -> None:
    api, inbox = mailing
    inbox.refused = {"mentoree3@exemple.test"}
    programme_id, run_id = published_programme(api)
    report = api.worker.deliver()
    assert report.failed == 1
    assert report.sent == 2 * len(_pairs(api, run_id)) - 1
    failed = [m for m in _messages(api, programme_id, "introduction") if m["status"] == "failed"]
    assert [(m["mentee_id"], m["side"], m["reason"]) for m in failed] == [
        ("e03", "mentee", "recipient_refused")
    ]
    assert "mentoree3@exemple.test" not in {rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts}


def test_check_in_links_are_mailed_once_due(mailing: tuple[Api, Inbox]) -> None:
    api, inbox = mailing
    programme_id, _run = published_programme(api)
    api.worker.deliver()
    introductions = len(inbox.messages)
    later = utcnow() + timedelta(weeks=6, days=1)
    assert deliver_due(api.worker.sessions, api.worker.settings, utcnow()).attempted == 0
    report = deliver_due(api.worker.sessions, api.worker.settings, later)
    assert report.sent == introductions, "one check-in link a person, once due"
    (french,) = [m for m in inbox.messages[introductions:] if m["Content-Language"] == "fr"][:1]
    assert "comment se passe" in french["Subject"]
    checkins = api.client.get(
        f"/v1/programmes/{programme_id}/checkins?limit=500", headers=api.auth()
    ).json()["items"]
    assert all(c["issued_at"] is not None for c in checkins)


def test_the_mail_merge_export_holds_every_introduction(api: Api) -> None:
    programme_id, run_id = published_programme(api)  # no SMTP: exports only
    assert api.worker.deliver().attempted == 0
    pairs = _pairs(api, run_id)
    response = api.client.get(f"/v1/runs/{run_id}/introductions", headers=api.auth())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    people = {p["id"]: p for p in mentees(12) + mentors(12)}
    assert len(text.strip().splitlines()) >= 1 + 2 * len(pairs)
    for pair in pairs:
        for person_id in (pair["mentee_id"], pair["mentor_id"]):
            assert people[person_id]["courriel"] in text
            assert people[person_id]["nom"] in text
    response = api.client.get(f"/v1/runs/{run_id}/introductions?format=xlsx", headers=api.auth())
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("side", "mentee_id", "mentor_id", "name", "email")
    assert len(rows) == 1 + 2 * len(pairs)
    researcher = api.key("researcher", programme_id)
    refused = api.client.get(f"/v1/runs/{run_id}/introductions", headers=api.auth(researcher))
    assert refused.status_code == 403, "addresses are for coordinators"
