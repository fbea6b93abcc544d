"""A programme for the after-publishing tests: French- and Arabic-speaking people with
their own e-mail and language columns, a published run, a real SMTP server on loopback
(aiosmtpd), and a clock the tests move."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.service.conftest import Api
from tests.service.pg import free_port

CONFIG: dict[str, Any] = {
    "name": "Passerelles",
    "language": "fr",
    "fields": {
        "mentee": {"name": "nom", "email": "courriel", "language": "langue", "groups": ["ville"]},
        "mentor": {"name": "nom", "email": "courriel", "language": "langue"},
    },
    "criteria": [
        {
            "kind": "category",
            "name": "secteur",
            "mentee_field": "secteur",
            "mentor_field": "secteur",
            "weight": 0.5,
        },
        {
            "kind": "category",
            "name": "ville",
            "mentee_field": "ville",
            "mentor_field": "ville",
            "weight": 0.5,
        },
    ],
}

FIRST = ["Yasmine", "Inès", "Khadija", "Léa", "Nour", "Amina", "Chloé", "Salma", "Rania", "Zoé"]
LAST = ["Benali", "Moreau", "El Idrissi", "Haddad", "Lefèvre", "Tazi", "Garnier", "Chraibi"]


def person(prefix: str, i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i * 3 + len(prefix)) % len(LAST)]}-{prefix}{i}"


def mentees(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"e{i:02d}",
            "nom": person("E", i),
            "courriel": f"mentoree{i}@exemple.test",
            "langue": "ar" if i % 2 else "fr",
            "secteur": f"s{i % 6}",
            "ville": f"v{i % 4}",
        }
        for i in range(n)
    ]


def mentors(n: int) -> list[dict[str, Any]]:
    """Half the mentors share a sector with some mentee; the others share none."""
    return [
        {
            "id": f"r{j:02d}",
            "nom": person("R", j),
            "courriel": f"marraine{j}@exemple.test",
            "langue": "fr" if j % 3 else "ar",
            "secteur": f"s{j % 6}" if j < n // 2 else f"autre{j}",
            "ville": f"v{(j * 3) % 4}",
            "capacity": 1,
        }
        for j in range(n)
    ]


@dataclass
class Inbox:
    """What the test SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    """Addresses the server answers 550 (no such mailbox)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a loopback port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Clock:
    """The app's clock (``app.state.clock``), moved by the tests."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def published_programme(api: Api, n_mentees: int = 12, n_mentors: int = 12) -> tuple[str, str]:
    """A programme with :data:`CONFIG` and people, a run with every pair approved and
    published; returns (programme id, run id)."""
    programme_id = api.programme("Passerelles")
    auth = api.auth()
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=auth
    )
    assert response.status_code == 200, response.text
    for side, people in (("mentees", mentees(n_mentees)), ("mentors", mentors(n_mentors))):
        response = api.client.post(
            f"/v1/programmes/{programme_id}/participants/{side}",
            json={"participants": people},
            headers=auth,
        )
        assert response.status_code == 200, response.text
    run_id = api.finished_run(programme_id)
    pairs = api.client.get(f"/v1/runs/{run_id}/pairs?limit=500", headers=auth).json()["items"]
    for pair in pairs:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        decided = api.client.post(f"/v1/runs/{run_id}/decisions", json=body, headers=auth)
        assert decided.status_code == 201, decided.text
    response = api.client.post(f"/v1/runs/{run_id}/publish", headers=auth)
    assert response.status_code == 200, response.text
    return programme_id, run_id


LINK = re.compile(r"https?://\S+/checkin/([A-Za-z0-9_-]+)")


def link_token(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found is not None, "the message carries a check-in link"
    return found.group(1)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())
